"""GET /api/orders/changes/ (SPEC §15): the change feed, read with the order list's code."""

import time

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, viewsets
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from bazaar.accounts.codes import Block
from bazaar.api.filters import checked_query_params
from bazaar.feed import selectors
from bazaar.feed.cursor import MalformedCursor, cursor_decode, cursor_encode
from bazaar.orders.serializers import OrderSerializer

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class CursorExpired(APIException):
    status_code = 410
    default_detail = "This cursor has expired: start again without a cursor, or with cursor=now."
    default_code = "cursor_expired"


class OrderChangeSerializer(serializers.Serializer):
    order_id = serializers.IntegerField()
    version = serializers.IntegerField()
    change = serializers.ChoiceField(choices=["upsert", "delete"])
    changed_at = serializers.DateTimeField()
    order = OrderSerializer()


# One page object, not a list of them, although the view's action is `list` (for the checked
# query parameters).
@extend_schema_serializer(many=False)
class OrderChangePageSerializer(serializers.Serializer):
    results = OrderChangeSerializer(many=True)
    next_cursor = serializers.CharField()
    has_more = serializers.BooleanField()


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise ValidationError({"limit": ["A whole number is required."]}) from None
    if limit < 1:
        raise ValidationError({"limit": ["Ensure this value is greater than or equal to 1."]})
    return min(limit, MAX_LIMIT)


def _start(raw: str | None) -> tuple[int, int]:
    """The position a request continues from: the first row, "now", or a cursor's."""
    if raw is None:
        return (0, 0)
    if raw == "now":
        return selectors.feed_now_position()
    try:
        cursor = cursor_decode(raw)
    except MalformedCursor:
        raise ValidationError({"cursor": ["Not a cursor this feed issued."]}) from None
    max_age = settings.FEED_CURSOR_MAX_AGE_DAYS * 86_400
    if cursor.issued_at < time.time() - max_age:
        raise CursorExpired
    return cursor.position


class OrderChangesViewSet(viewsets.GenericViewSet):
    """The change feed (SPEC §15)."""

    permission_block = Block.ORDERS  # list: 2202, the order list's code
    serializer_class = OrderChangePageSerializer
    filter_backends: tuple = ()
    pagination_class = None
    extra_query_parameters = ("cursor", "limit")
    # Always the primary: a replica's snapshot is not the primary's (docs/decisions.md).
    replica_reads = False

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "cursor",
                str,
                description="Where to continue: a `next_cursor` of an earlier answer, or `now` "
                "for changes from this moment on. Omitted: from the first change kept.",
            ),
            OpenApiParameter(
                "limit",
                int,
                description="Changes read per page: default 100, at most 1000 (larger is clamped).",
            ),
        ],
        responses={
            200: OrderChangePageSerializer,
            410: OpenApiResponse(
                response={"$ref": "#/components/schemas/ErrorDetail"},
                description="The cursor has expired (issued more than 7 days ago).",
            ),
        },
    )
    def list(self, request, *args, **kwargs):
        params = checked_query_params(request, self)
        limit = _limit(params.get("limit"))
        start = _start(params.get("cursor"))
        if params.get("cursor") == "now":
            page = selectors.FeedPage([], None, False)
        else:
            page = selectors.feed_page(after=start, limit=limit, request=request)
        position = page.last_position or start
        return Response(
            {
                "results": page.results,
                "next_cursor": cursor_encode(*position),
                "has_more": page.has_more,
            }
        )
