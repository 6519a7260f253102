"""Pieces shared by the apps' admin forms."""

from django import forms
from django.utils.text import capfirst


def label_from_model(form: forms.ModelForm) -> None:
    """Fields declared on the form (to widen or bound them) are labelled by their name, in
    English; give them the model field's translatable verbose name instead."""
    model_fields = {field.name: field for field in form._meta.model._meta.fields}
    for name, field in form.fields.items():
        if field.label is None and name in model_fields:
            field.label = capfirst(model_fields[name].verbose_name)
