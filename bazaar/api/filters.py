from django.db.models import Q, QuerySet
from django_filters import rest_framework as django_filters
from rest_framework import filters
from rest_framework.exceptions import ValidationError


class DjangoFilterBackend(django_filters.DjangoFilterBackend):
    """django-filter's backend, leaving the filterset it used on the view (`view.filterset`)
    for a view that asks it more than the rows (the order list: which statuses it kept)."""

    def get_filterset(self, request, queryset, view):
        view.filterset = super().get_filterset(request, queryset, view)
        return view.filterset


class OrderingFilter(filters.OrderingFilter):
    """`ordering=a,-b`: unknown fields are a 400 naming the allowed ones; ties break on `-id`."""

    def get_ordering(self, request, queryset, view) -> list[str]:
        raw = request.query_params.get(self.ordering_param)
        if raw is None or not raw.strip():
            ordering = list(self.get_default_ordering(view) or [])
        else:
            allowed = self.allowed_fields(view, queryset)
            ordering = []
            for term in (part.strip() for part in raw.split(",")):
                if not term:
                    continue
                if term.lstrip("-") not in allowed:
                    raise ValidationError(
                        {
                            self.ordering_param: [
                                f"Unknown ordering field '{term.lstrip('-')}'. "
                                f"Allowed: {', '.join(allowed)} (prefix '-' for descending)."
                            ]
                        }
                    )
                ordering.append(term)
        if not any(term.lstrip("-") in {"id", "pk"} for term in ordering):
            ordering.append("-id")
        return ordering

    def allowed_fields(self, view, queryset) -> list[str]:
        fields = getattr(view, "ordering_fields", None)
        if fields is None:
            return ["id"]
        return [name for name, _label in self.get_valid_fields(queryset, view, {"request": None})]

    def get_default_ordering(self, view):
        return list(getattr(view, "ordering", None) or ["-id"])


class SearchFilter(filters.SearchFilter):
    """`search=a b`: every whitespace-separated term must match at least one field.

    A view lists `search_fields` (case-insensitive contains) or defines `search_term_q(term) -> Q`
    when some fields match differently (ids exactly, keys by prefix).
    """

    max_terms = 10

    def get_search_terms(self, request) -> list[str]:
        raw = request.query_params.get(self.search_param, "")
        # NUL cannot be stored or compared by PostgreSQL; it never matches anything anyway.
        return raw.replace("\x00", "").split()[: self.max_terms]

    def filter_queryset(self, request, queryset: QuerySet, view) -> QuerySet:
        terms = self.get_search_terms(request)
        custom = getattr(view, "search_term_q", None)
        fields = list(getattr(view, "search_fields", None) or [])
        if not terms or (custom is None and not fields):
            return queryset
        for term in terms:
            queryset = queryset.filter(custom(term) if custom else icontains_any(fields, term))
        return queryset


def icontains_any(fields: list[str], term: str) -> Q:
    q = Q()
    for field in fields:
        q |= Q(**{f"{field}__icontains": term})
    return q
