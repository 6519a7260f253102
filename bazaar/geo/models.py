from django.db import models
from django.utils.translation import gettext_lazy as _

from bazaar.api.text import search_text_field


class Country(models.Model):
    name = models.CharField(verbose_name=_("name"), max_length=100)
    code = models.CharField(
        verbose_name=_("code"),
        max_length=3,
        unique=True,
        help_text=_("ISO 3166-1 alpha-2, e.g. IR"),
    )
    # The folded name (SPEC §16, bazaar.api.text), kept by the database on every write; what
    # the order search matches. Codes are matched by the lists' search apart (bazaar.api.filters).
    search_text = search_text_field("name")

    class Meta:
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class State(models.Model):
    country = models.ForeignKey(
        Country, verbose_name=_("country"), on_delete=models.PROTECT, related_name="states"
    )
    name = models.CharField(verbose_name=_("name"), max_length=100)
    code = models.CharField(verbose_name=_("code"), max_length=10)
    search_text = search_text_field("name")

    class Meta:
        verbose_name = _("state")
        verbose_name_plural = _("states")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["country", "code"], name="state_code_unique_in_country")
        ]

    def __str__(self) -> str:
        return self.name


class City(models.Model):
    state = models.ForeignKey(
        State, verbose_name=_("state"), on_delete=models.PROTECT, related_name="cities"
    )
    name = models.CharField(verbose_name=_("name"), max_length=100)
    search_text = search_text_field("name")

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["state", "name"], name="city_name_unique_in_state")
        ]

    def __str__(self) -> str:
        return self.name
