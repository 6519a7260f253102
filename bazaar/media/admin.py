"""Images in the admin: uploads go through the same checks and thumbnailing as the API, deletes
remove the files, and every list shows a preview (the 128 px thumbnail)."""

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as APIValidationError

from bazaar.admin_dates import (
    GregorianDateHierarchyMixin,
    JalaliDateFieldListFilter,
    date_column,
)
from bazaar.api.admin_search import FoldedSearchMixin
from bazaar.media.models import Image, Thumbnail
from bazaar.media.selectors import image_queryset
from bazaar.media.services import (
    human_readable_size,
    image_default_name,
    image_delete,
    image_prepare,
    image_store,
    read_upload,
)

PREVIEW_BOX = 128


def thumbnail_preview(image: Image | None):
    """An `<img>` of the image's 128 px thumbnail (the original when it is smaller than that).

    Reads `image.thumbnails.all()`, so prefetch them on list pages.
    """
    if image is None:
        return "—"
    thumbs = {t.size: t for t in image.thumbnails.all()}
    source = thumbs.get(PREVIEW_BOX) or image
    return format_html(
        '<img src="{}" alt="{}" style="max-width:{}px;max-height:{}px">',
        source.file.url,
        image.name,
        PREVIEW_BOX,
        PREVIEW_BOX,
    )


def _messages(exc: APIException) -> list[str]:
    detail = exc.detail
    if isinstance(detail, dict):
        detail = [message for messages in detail.values() for message in messages]
    if not isinstance(detail, list):
        detail = [detail]
    return [str(message) for message in detail]


class ImageAddForm(forms.ModelForm):
    upload = forms.FileField(label=_("File"), help_text=_("JPEG, PNG, GIF, WEBP, BMP or TIFF."))
    name = forms.CharField(
        label=_("name"),
        max_length=255,
        required=False,
        help_text=_("Defaults to the file name without extension."),
    )

    class Meta:
        model = Image
        fields = ["upload", "name"]

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("upload")
        if upload is not None:
            try:
                self.prepared = image_prepare(content=read_upload(upload))
            except APIException as exc:
                raise forms.ValidationError({"upload": _messages(exc)}) from None
            if not cleaned.get("name"):
                cleaned["name"] = image_default_name(upload.name or "image")
                self.instance.name = cleaned["name"]
        return cleaned


class ThumbnailInline(admin.TabularInline):
    model = Thumbnail
    fields = ["size", "width", "height", "file"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Image)
class ImageAdmin(FoldedSearchMixin, GregorianDateHierarchyMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "preview",
        "name",
        "width",
        "height",
        "mode",
        "file_size",
        "created_at_local",
    ]
    list_display_links = ["id", "preview", "name"]
    search_fields = ["name", "file"]
    list_filter = ["mode", "content_type", ("created_at", JalaliDateFieldListFilter)]
    gregorian_date_hierarchy = "created_at"
    readonly_fields = [
        "preview",
        "file",
        "file_size",
        "width",
        "height",
        "mode",
        "content_type",
        "created_at_local",
    ]
    created_at_local = date_column("created_at", _("created at"))
    inlines = [ThumbnailInline]

    def get_queryset(self, request) -> QuerySet[Image]:
        return image_queryset()

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["upload", "name"]
        return ["preview", "name", *self.readonly_fields[1:]]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ImageAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj: Image, form, change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        upload = form.cleaned_data["upload"]
        try:
            image_store(
                prepared=form.prepared, filename=upload.name or "image", name=obj.name, image=obj
            )
        except APIValidationError as exc:  # pragma: no cover - checked in the form already
            raise forms.ValidationError(_messages(exc)) from None

    def delete_model(self, request, obj: Image) -> None:
        image_delete(image=obj)

    def delete_queryset(self, request, queryset: QuerySet[Image]) -> None:
        for image in queryset:
            image_delete(image=image)

    @admin.display(description=_("preview"))
    def preview(self, image: Image):
        return thumbnail_preview(image)

    @admin.display(description=_("size"), ordering="size")
    def file_size(self, image: Image) -> str:
        return human_readable_size(image.size)
