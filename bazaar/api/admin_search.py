"""The admin's search boxes fold like the API's (SPEC §16): `FoldedSearchMixin`."""

from django.db.models import QuerySet
from django.http import HttpRequest

from bazaar.api.filters import folded_match, has_search_text
from bazaar.api.text import Fold, search_terms


class FoldedSearchMixin:
    """For a ModelAdmin of a model with a `search_text` column: every term, folded, must be in the
    folded column (or its mobile spelling must), or in a `search_fields` entry the column does not
    hold (`country__name`, `file`), folded in the query: those are few rows' short names."""

    search_fields: tuple[str, ...] | list[str] = ()

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        if not has_search_text(queryset.model):
            return super().get_search_results(request, queryset, search_term)
        folded = set(queryset.model._meta.get_field("search_text").expression.fields)
        others = [f"_folded_{i}" for i, f in enumerate(self.search_fields) if f not in folded]
        if others:
            queryset = queryset.alias(
                **{
                    f"_folded_{i}": Fold(field)
                    for i, field in enumerate(self.search_fields)
                    if field not in folded
                }
            )
        for term in search_terms(search_term, max_terms=10):
            q = folded_match("search_text", term)
            for alias in others:
                q |= folded_match(alias, term)
            queryset = queryset.filter(q)
        # Forward relations (country__name) join one row each: no duplicates.
        return queryset, False
