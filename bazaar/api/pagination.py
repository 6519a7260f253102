from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from bazaar.api.filters import checked_query_params
from bazaar.api.text import parse_whole_number


def _non_negative_int(raw: str, *, name: str) -> int:
    try:
        value = parse_whole_number(raw)
    except ValueError:
        raise ValidationError({name: ["A whole number is required."]}) from None
    if value < 0:
        raise ValidationError({name: ["Must be 0 or more."]})
    return value


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """SPEC §2: limit default 10, clamped at 100; a malformed limit or offset is a 400."""

    default_limit = 10
    max_limit = 100

    def get_limit(self, request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None or raw == "":
            return self.default_limit
        value = _non_negative_int(raw, name=self.limit_query_param)
        if value == 0:
            raise ValidationError({self.limit_query_param: ["Must be 1 or more."]})
        return min(value, self.max_limit)

    def get_offset(self, request) -> int:
        raw = request.query_params.get(self.offset_query_param)
        if raw is None or raw == "":
            return 0
        return _non_negative_int(raw, name=self.offset_query_param)

    def paginate_queryset(self, queryset, request, view=None, *, read=None, count=None):
        """DRF's page, with `read`: what turns the page (the counted queryset, sliced) into the
        rows returned (`.values()` with joins, say), so that the count does not pay for those
        joins; and
        `count`: the exact number of rows when the caller knows it without counting them."""
        self.request = request
        # Lists that filter nothing (an order's items) are checked here.
        checked_query_params(request, view)
        # Both parameters are validated before counting, so a bad offset costs no query.
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        self.count = self.get_count(queryset) if count is None else count
        if self.count == 0 or self.offset > self.count:
            return []
        page = queryset[self.offset : self.offset + self.limit]
        return list(page if read is None else read(page))
