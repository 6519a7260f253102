from collections.abc import Callable

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django_filters import rest_framework as django_filters
from django_filters.filters import BaseCSVFilter
from rest_framework import filters
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

from bazaar.api.text import Fold, search_terms, term_spellings

# --- query parameters checked like body fields (SPEC §2) ----------------------------------------


def list_query_parameters(view) -> dict[str, bool]:
    """Every query parameter a list endpoint reads -> whether it takes several values (a `*_in`
    filter): the filters of its filterset, `search`, `ordering`, `limit`/`offset`, and any
    `extra_query_parameters` the view declares; `format` everywhere (content negotiation)."""
    allowed: dict[str, bool] = {api_settings.URL_FORMAT_OVERRIDE: False}
    for backend in getattr(view, "filter_backends", ()):
        if issubclass(backend, django_filters.DjangoFilterBackend):
            filterset_class = getattr(view, "filterset_class", None)
            for name, filter_ in getattr(filterset_class, "base_filters", {}).items():
                allowed[name] = isinstance(filter_, BaseCSVFilter)
        elif issubclass(backend, filters.SearchFilter):
            if getattr(view, "search_fields", None) or hasattr(view, "search_term_q"):
                allowed[backend.search_param] = False
        elif issubclass(backend, filters.OrderingFilter):
            allowed[backend.ordering_param] = False
    paginator = getattr(view, "paginator", None)
    for name in ("limit_query_param", "offset_query_param", "page_query_param"):
        if getattr(paginator, name, None):
            allowed[getattr(paginator, name)] = False
    for name in getattr(view, "extra_query_parameters", ()):
        allowed[name] = False
    return allowed


def checked_query_params(request, view) -> QueryDict:
    """The query parameters of a list request, checked as body fields are: an unknown parameter
    is a 400 naming it and the allowed ones; a `*_in` filter given several times is one
    comma-separated value (the union, `status_in=new&status_in=hold` as generated clients send
    it, or `status_in=new,hold`, or both); any other parameter given twice is a 400.

    Called by every filter backend and the paginator, so it runs (once: the result is kept on
    the request) before anything reads a parameter, on every list however it is built. Other
    actions (retrieve, writes) get the parameters as they came."""
    checked = getattr(request, "_checked_query_params", None)
    if checked is not None:
        return checked
    params = request.query_params
    if getattr(view, "action", None) != "list":
        return params
    allowed = list_query_parameters(view)
    names = ", ".join(sorted(allowed))
    errors: dict[str, list[str]] = {}
    normalised = params.copy()
    for name, values in params.lists():
        if name not in allowed:
            errors[name] = [f"Unknown query parameter. Allowed: {names}."]
        elif len(values) > 1:
            if allowed[name]:
                normalised.setlist(name, [",".join(values)])
            else:
                errors[name] = [
                    "Given more than once: give it once "
                    "(only the *_in filters take several values)."
                ]
    if errors:
        raise ValidationError(dict(sorted(errors.items())))
    normalised._mutable = False
    request._checked_query_params = normalised
    return normalised


class DjangoFilterBackend(django_filters.DjangoFilterBackend):
    """django-filter's backend over the checked parameters (repeated `*_in` values joined),
    leaving the filterset it used on the view (`view.filterset`) for a view that asks it more
    than the rows (the order list: which statuses it kept)."""

    def get_filterset_kwargs(self, request, queryset, view):
        return {
            **super().get_filterset_kwargs(request, queryset, view),
            "data": checked_query_params(request, view),
        }

    def get_filterset(self, request, queryset, view):
        view.filterset = super().get_filterset(request, queryset, view)
        return view.filterset

    def filter_queryset(self, request, queryset, view):
        checked_query_params(request, view)  # also when the view has no filterset
        return super().filter_queryset(request, queryset, view)


class OrderingFilter(filters.OrderingFilter):
    """`ordering=a,-b`: unknown fields are a 400 naming the allowed ones; ties break on `-id`."""

    def get_ordering(self, request, queryset, view) -> list[str]:
        raw = checked_query_params(request, view).get(self.ordering_param)
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

    Text is compared folded (SPEC §16, `bazaar.api.text.fold`): a model with a `search_text`
    column (its folded `search_fields`, kept by the database) is matched on that column alone;
    any other is folded in the query. A term that is a mobile number in another §8 form also
    matches its stored `09…` spelling. A view may instead define `search_term_q(term) -> Q` when
    some fields match differently (ids exactly, keys by prefix).
    """

    max_terms = 10

    def get_search_terms(self, request) -> list[str]:
        return search_terms(request.query_params.get(self.search_param, ""), self.max_terms)

    def filter_queryset(self, request, queryset: QuerySet, view) -> QuerySet:
        checked_query_params(request, view)
        terms = self.get_search_terms(request)
        custom = getattr(view, "search_term_q", None)
        fields = list(getattr(view, "search_fields", None) or [])
        if not terms or (custom is None and not fields):
            return queryset
        if custom is None:
            queryset, custom = folded_search(queryset, fields)
        for term in terms:
            queryset = queryset.filter(custom(term))
        return queryset


def has_search_text(model) -> bool:
    return any(f.name == "search_text" for f in model._meta.concrete_fields)


def folded_search(queryset: QuerySet, fields: list[str]) -> tuple[QuerySet, Callable[[str], Q]]:
    """The queryset and a `term -> Q` that matches the folded term in any of `fields`: through
    the model's stored `search_text` for the fields it holds, and by folding in the query the
    others (a code, a file name, a related name, the name of Django's own `Group`), which only
    small reference tables have."""
    model = queryset.model
    stored = (
        set(model._meta.get_field("search_text").expression.fields)
        if has_search_text(model)
        else set()
    )
    others = {f"_folded_{i}": Fold(f) for i, f in enumerate(fields) if f not in stored}
    if others:
        queryset = queryset.alias(**others)
    columns = (["search_text"] if stored & set(fields) else []) + list(others)

    def term_q(term: str) -> Q:
        q = Q()
        for column in columns:
            q |= folded_match(column, term)
        return q

    return queryset, term_q


def folded_match(column: str, term: str) -> Q:
    """The term, folded, is contained in the folded `column` (or its mobile spelling is)."""
    q = Q()
    for spelling in term_spellings(term):
        q |= Q(**{f"{column}__contains": spelling})
    return q
