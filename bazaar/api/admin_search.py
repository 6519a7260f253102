"""The admin's search boxes fold like the API's (SPEC §16): `FoldedSearchMixin`."""

from django.db.models import QuerySet
from django.http import HttpRequest

from bazaar.api.filters import folded_search
from bazaar.api.text import search_terms


class FoldedSearchMixin:
    """For a ModelAdmin: every term, folded, must be in one of `search_fields`, folded (the
    model's stored `search_text` for the fields it holds; `country__name` or `file` folded in the
    query), exactly as the API's `search` (bazaar.api.filters.folded_search)."""

    search_fields: tuple[str, ...] | list[str] = ()

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        terms = search_terms(search_term, max_terms=10)
        if not terms or not self.search_fields:
            return queryset, False
        queryset, term_q = folded_search(queryset, list(self.search_fields))
        for term in terms:
            queryset = queryset.filter(term_q(term))
        # Forward relations (country__name) join one row each: no duplicates.
        return queryset, False
