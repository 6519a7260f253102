from django.conf import settings
from django.http import Http404, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from bazaar.accounts.codes import Block, PermissionCode
from bazaar.api.filters import SearchFilter, checked_query_params
from bazaar.api.relations import IDS_ONLY
from bazaar.api.text import search_terms
from bazaar.db import routing
from bazaar.idempotency.services import AnswerStore
from bazaar.media.serializers import FileURLs, image_url_prefix
from bazaar.orders import export, selectors, services
from bazaar.orders.documents import OrderBody, order_body
from bazaar.orders.event_shapes import (
    OrderEventSerializer,
    OrderNoteSerializer,
    event_data,
    event_rows,
)
from bazaar.orders.filters import (
    ORDERING_FIELDS,
    OrderFilterSet,
    SearchParts,
    order_search_parts,
)
from bazaar.orders.models import EventType, Order, OrderEvent, OrderItem, OrderPayment
from bazaar.orders.serializers.inputs import (
    OrderItemWriteSerializer,
    OrderPaymentWriteSerializer,
    OrderWriteSerializer,
)
from bazaar.orders.serializers.schema import (
    OrderItemSerializer,
    OrderPaymentSerializer,
    OrderSerializer,
)
from bazaar.orders.serializers.shapes import NestedShapes, item_data, orders_data, payment_data
from bazaar.orders.status import Status
from bazaar.orders.versions import etag_matches, order_etag

ORDER_EXAMPLE = OpenApiExample(
    "Order from the source documents",
    request_only=True,
    value={
        "status": "new",
        "customer": 2,
        "payment_method": 1,
        "shipping_method": 1,
        "shipping_cost": 75000,
        "notes": "Urgent delivery required",
        "billing_first_name": "پدرام",
        "billing_last_name": "زمانی",
        "billing_address": "5411 Stokes Grove",
        "billing_mobile_number": "09523296536",
    },
)


SALLA_EXAMPLE = OpenApiExample(
    "A whole order, Salla-shaped (seed 003)",
    request_only=True,
    value={
        "customer": {
            "mobile_number": "+98 912 666 6666",
            "first_name": "سارا",
            "email": "s@example.com",
        },
        "shipping_first_name": "سارا",
        "shipping_mobile_number": "09126666666",
        "delivery_method": "shipping",
        "shipping_method": 1,
        "shipping_country": 1,
        "shipping_state": 7,
        "shipping_city": 29,
        "shipping_address": "خیابان ولیعصر، پلاک ۱۲",
        "shipping_latitude": 35.7219,
        "shipping_longitude": 51.3347,
        "items": [{"product": 12, "quantity": 1}, {"product_code": "1001001"}],
        "payments": [{"payment_method": 1, "amount": 1380000, "approved": True}],
    },
)
CS_CART_EXAMPLE = OpenApiExample(
    "A guest order, CS-Cart-shaped (seed 004)",
    request_only=True,
    value={
        "payment_method": 2,
        "shipping_method": 1,
        "billing_email": "guest@example.com",
        "billing_first_name": "Guest",
        "billing_last_name": "Guest",
        "billing_country": 1,
        "billing_state": 7,
        "billing_city": 29,
        "billing_address": "44 Main street",
        "shipping_same_as_billing": True,
        "items": [
            {"product": 12, "quantity": 1},
            {"product": 12, "quantity": 2, "notes": "gift-wrapped"},
            {"product": 13, "quantity": 2},
        ],
    },
)


class OrderResponseMixin:
    """Write endpoints answer with the whole order, read through the one read path, with its
    ETag; they pass the acting user, the request id and `If-Match` to the services."""

    def order_body(self, order_id: int, *, store: AnswerStore | None = None) -> OrderBody:
        body = order_body(order_id, self.request, store=store)
        if body is None:
            raise Http404
        return body

    def order_response(self, order_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        # A keyed write's answer is stored by the statement that reads it (one statement fewer).
        store = getattr(self, "idempotency_answer_store", None)  # IdempotentViewMixin, on /api/
        body = self.order_body(order_id, store=store(status_code) if store else None)
        return Response(
            body.data, status=status_code, headers={"ETag": order_etag(body.id, body.version)}
        )

    def write_context(self) -> dict:
        request = self.request
        return {
            "actor": request.user,
            "request_id": getattr(request, "request_id", None),
            "if_match": request.headers.get("If-Match"),
        }


# `ordering` values that are the list's default order (newest first; ties: the newest id).
DEFAULT_ORDERINGS = frozenset({"-created_at", "-created_at,-id"})


@extend_schema_view(
    create=extend_schema(
        request=OrderWriteSerializer,
        responses={201: OrderSerializer},
        examples=[ORDER_EXAMPLE, SALLA_EXAMPLE, CS_CART_EXAMPLE],
    ),
    update=extend_schema(request=OrderWriteSerializer, responses=OrderSerializer),
    partial_update=extend_schema(request=OrderWriteSerializer, responses=OrderSerializer),
    destroy=extend_schema(
        responses={204: None}, description="Soft delete: status becomes `deleted`."
    ),
)
class OrderViewSet(OrderResponseMixin, viewsets.ModelViewSet):
    permission_block = Block.ORDERS
    serializer_class = OrderSerializer
    filterset_class = OrderFilterSet
    ordering_fields = ORDERING_FIELDS
    ordering = ["-created_at"]

    def search_term_q(self, term: str):
        deleted = Status.DELETED in self.filterset.statuses()  # the filters ran first
        parts = order_search_parts(
            term, window=self.page_window(), deleted=deleted, page=self.search_page()
        )
        self.search_parts.append(parts)  # for the list's count (selectors.order_list_count)
        return parts.q

    def search_page(self) -> tuple[int, int] | None:
        """(offset, limit) of the page, when the list only searches, for one term, in its
        default order: the search postings then give the page's ids with the count, and the
        orders are not filtered at all (selectors.order_term_matches). None otherwise."""
        params = self.request.query_params
        if (
            not set(params) <= selectors.SEARCH_ONLY_PARAMETERS
            or params.get("ordering", "-created_at") not in DEFAULT_ORDERINGS
            or len(search_terms(params.get("search", ""), SearchFilter.max_terms)) != 1
        ):
            return None
        return self.page_bounds()

    def page_bounds(self) -> tuple[int, int] | None:
        """(offset, limit) of the page asked for; None for a list without pages (the export)
        or bounds the paginator refuses (it answers the 400)."""
        if self.paginator is None:
            return None
        try:
            return self.paginator.get_offset(self.request), self.paginator.get_limit(self.request)
        except ValidationError:
            return None

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        self.search_parts: list[SearchParts] = []

    def get_queryset(self):
        return selectors.order_queryset()

    def page_window(self) -> int:
        """offset + limit of the page asked for (how a search reads its matches); a malformed
        value counts as the default here and is refused by the paginator. A list without pages
        (the export) reads every match."""
        if self.paginator is None:
            return selectors.EVERY_MATCH
        bounds = self.page_bounds()
        return self.paginator.default_limit if bounds is None else sum(bounds)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        # The filterset the list was filtered with (bazaar.api.filters.DjangoFilterBackend).
        count = selectors.order_list_count(
            parameters=request.query_params,
            statuses=self.filterset.statuses,
            search=self.search_parts,
        )
        read = selectors.order_rows
        if len(self.search_parts) == 1 and self.search_parts[0].page is not None:
            ids = self.search_parts[0].page  # read with the count: the page is not filtered

            def read(_page):
                return selectors.order_rows_by_ids(ids)

        page = self.paginator.paginate_queryset(queryset, request, self, read=read, count=count)
        rows = selectors.order_rows_related(page, image_url_prefix(request))
        return self.get_paginated_response(orders_data(rows, request))

    def retrieve(self, request, *args, **kwargs):
        # Not through the list's filters: a deleted order is still shown by id.
        body = self.order_body(_pk_or_404(self.kwargs["pk"]))
        etag = order_etag(body.id, body.version)
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match is not None and etag_matches(if_none_match, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(body.data, headers={"ETag": etag})

    def extra_permission_codes(self, request) -> "list[int]":  # `list` is the action here
        """Inline items and payments need their own create codes as well as 2201 (SPEC §11)."""
        if self.action != "create" or not isinstance(request.data, dict):
            return []
        codes = []
        if request.data.get("items"):
            codes.append(PermissionCode.ORDER_ITEMS_CREATE)
        if request.data.get("payments"):
            codes.append(PermissionCode.ORDER_PAYMENTS_CREATE)
        return codes

    def create(self, request, *args, **kwargs):
        serializer = OrderWriteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        context = self.write_context()
        context.pop("if_match")  # nothing to match yet
        order = services.order_create(
            data=data,
            items=data.pop("items", None),
            payments=data.pop("payments", None),
            **context,
        )
        return self.order_response(order.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        order = self._order_row()
        serializer = OrderWriteSerializer(
            order,
            data=request.data,
            partial=kwargs.get("partial", False),
            context={"request": request},
        )
        serializer.is_valid(raise_exception=True)
        services.order_update(
            order_id=order.pk, data=serializer.validated_data, **self.write_context()
        )
        return self.order_response(order.pk)

    def destroy(self, request, *args, **kwargs):
        services.order_soft_delete(order_id=self._order_row().pk, **self.write_context())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _order_row(self) -> Order:
        return _get_or_404(Order.objects.all(), self.kwargs["pk"])


def _pk_or_404(pk) -> int:
    try:
        return int(pk)
    except (ValueError, TypeError):
        raise Http404 from None


def _get_or_404(queryset, pk):
    try:
        return queryset.get(pk=_pk_or_404(pk))
    except (OverflowError, queryset.model.DoesNotExist):
        raise Http404 from None


class CSVRenderer(BaseRenderer):
    """Lets a client ask for `Accept: text/csv` (else a 406); the export answers with its own
    streaming response, and its errors are JSON (`OrderExportViewSet.handle_exception`)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "rows",
                str,
                enum=list(export.ROW_KINDS),
                description="`orders` (the default): one row per order; `items`: one row per "
                "item (an order without items gives no row).",
            )
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR,
                description="UTF-8 CSV with a byte-order mark, streamed.",
            )
        },
    )
)
class OrderExportViewSet(OrderViewSet):
    """GET /api/orders/export/ (SPEC §15): the order list's selection (its filters, search and
    ordering; unknown parameters are a 400) as a streamed CSV."""

    action_permission_codes = {"list": [PermissionCode.ORDERS_EXPORT]}
    pagination_class = None  # every row of the selection: no limit/offset
    extra_query_parameters = ("rows",)
    renderer_classes = [JSONRenderer, CSVRenderer]

    def handle_exception(self, exc):
        # An error is `{"detail"|field: ...}` JSON, as the schema says, also for a client that
        # asked for text/csv.
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        kind = checked_query_params(request, self).get("rows", "orders")
        if kind not in export.ROW_KINDS:
            raise ValidationError({"rows": ["One of: orders, items."]})
        response = StreamingHttpResponse(
            export.export_chunks(
                queryset,
                kind=kind,
                request=request,
                batch_size=settings.EXPORT_BATCH_SIZE,
                read_alias=routing.current_read_alias(),
            ),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{export.export_filename()}"'
        return response


class OrderChildViewSet(
    OrderResponseMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Rows that belong to one order (/api/orders/{order_pk}/items|payments/). A row id of
    another order is a 404; writes answer with the whole order."""

    # A child list is small and fixed in order (by id): it filters, searches and orders nothing,
    # so it takes no parameter but limit and offset (bazaar.api.filters.checked_query_params).
    filter_backends: tuple = ()

    def order_id(self) -> int:
        """The order of the URL, checked to exist (a 404 otherwise), once per request: the
        writes lock and read it themselves, so nothing of it is loaded here."""
        if not hasattr(self, "_order_id"):
            order_id = _pk_or_404(self.kwargs["order_pk"])
            try:
                found = Order.objects.filter(pk=order_id).exists()
            except OverflowError:
                found = False
            if not found:
                raise Http404
            self._order_id = order_id
        return self._order_id

    def valid_write(self, serializer: Serializer, *, refused: Serializer | None = None) -> int:
        """The order id of the URL, once `serializer` has taken the body. A missing order is a
        404 before any 400, but it is looked for only when the body is refused: a write that
        goes ahead locks the order and answers 404 itself (`services._lock_order`), one
        statement fewer per write. `refused`: the serializer whose errors a refused body gets
        (one that reads the rows `serializer` leaves as ids, so the errors are all of them)."""
        order_id = _pk_or_404(self.kwargs["order_pk"])
        if not serializer.is_valid():
            self.order_id()
            if refused is not None:
                refused.is_valid()
                serializer = refused
            raise ValidationError(serializer.errors)
        return order_id

    def get_object(self):
        return _get_or_404(self.get_queryset(), self.kwargs["pk"])

    def read_rows(self, queryset):
        """The rows (`selectors.item_rows`, …) that `shape` turns into the API's objects."""
        raise NotImplementedError

    def shape(self, rows: list) -> list:
        raise NotImplementedError

    def list(self, request, *args, **kwargs):
        page = self.paginator.paginate_queryset(
            self.get_queryset(), request, self, read=self.read_rows
        )
        return self.get_paginated_response(self.shape(page))

    def retrieve(self, request, *args, **kwargs):
        rows = list(self.read_rows(self.get_queryset().filter(pk=_pk_or_404(self.kwargs["pk"]))))
        if not rows:
            raise Http404
        return Response(self.shape(rows)[0])


@extend_schema_view(
    create=extend_schema(request=OrderItemWriteSerializer, responses={201: OrderSerializer}),
    update=extend_schema(request=OrderItemWriteSerializer, responses=OrderSerializer),
    partial_update=extend_schema(request=OrderItemWriteSerializer, responses=OrderSerializer),
    destroy=extend_schema(responses={204: None}),
)
class OrderItemViewSet(OrderChildViewSet):
    permission_block = Block.ORDER_ITEMS
    serializer_class = OrderItemSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no order in the URL
            return OrderItem.objects.none()
        return OrderItem.objects.filter(order_id=self.order_id()).order_by("id")

    def read_rows(self, queryset):
        return selectors.item_rows(queryset, image_url_prefix(self.request))

    def shape(self, rows: list) -> list:
        urls = FileURLs(self.request)
        return [item_data(row, self.request, urls) for row in rows]

    def create(self, request, *args, **kwargs):
        # The product as its id: the write reads it with the order's lock (services.item_add).
        serializer = OrderItemWriteSerializer(
            data=request.data, context={"request": request, IDS_ONLY: ("product",)}
        )
        refused = OrderItemWriteSerializer(data=request.data, context={"request": request})
        order_id = self.valid_write(serializer, refused=refused)
        services.item_add(
            order_id=order_id, data=dict(serializer.validated_data), **self.write_context()
        )
        return self.order_response(order_id, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        item: OrderItem = self.get_object()
        serializer = OrderItemWriteSerializer(
            item,
            data=request.data,
            partial=kwargs.get("partial", False),
            context={"request": request},
        )
        serializer.is_valid(raise_exception=True)
        services.item_update(
            order_id=item.order_id,
            item_id=item.pk,
            data=dict(serializer.validated_data),
            **self.write_context(),
        )
        return self.order_response(item.order_id)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        item: OrderItem = self.get_object()
        services.item_delete(order_id=item.order_id, item_id=item.pk, **self.write_context())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=extend_schema(request=OrderPaymentWriteSerializer, responses={201: OrderSerializer}),
    update=extend_schema(request=OrderPaymentWriteSerializer, responses=OrderSerializer),
    partial_update=extend_schema(request=OrderPaymentWriteSerializer, responses=OrderSerializer),
    destroy=extend_schema(responses={204: None}),
)
class OrderPaymentViewSet(OrderChildViewSet):
    permission_block = Block.ORDER_PAYMENTS
    serializer_class = OrderPaymentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no order in the URL
            return OrderPayment.objects.none()
        return OrderPayment.objects.filter(order_id=self.order_id()).order_by("id")

    def read_rows(self, queryset):
        return selectors.payment_rows(queryset)

    def shape(self, rows: list) -> list:
        images = selectors.images_by_id({row["payment_method__image_id"] for row in rows})
        shapes = NestedShapes(selectors.OrderRows(orders=[], images=images), self.request)
        return [payment_data(row, shapes) for row in rows]

    def create(self, request, *args, **kwargs):
        serializer = OrderPaymentWriteSerializer(data=request.data, context={"request": request})
        order_id = self.valid_write(serializer)
        services.payment_add(
            order_id=order_id, data=dict(serializer.validated_data), **self.write_context()
        )
        return self.order_response(order_id, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        payment: OrderPayment = self.get_object()
        serializer = OrderPaymentWriteSerializer(
            payment,
            data=request.data,
            partial=kwargs.get("partial", False),
            context={"request": request},
        )
        serializer.is_valid(raise_exception=True)
        services.payment_update(
            order_id=payment.order_id,
            payment_id=payment.pk,
            data=dict(serializer.validated_data),
            **self.write_context(),
        )
        return self.order_response(payment.order_id)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        payment: OrderPayment = self.get_object()
        services.payment_delete(
            order_id=payment.order_id, payment_id=payment.pk, **self.write_context()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "type",
                str,
                enum=EventType.values,
                description="Only events of this type.",
            )
        ]
    ),
    create=extend_schema(
        request=OrderNoteSerializer,
        responses={201: OrderEventSerializer},
        description="A staff note: recorded as a `note_added` event; not a change to the order "
        "(its version and updated_at stay).",
    ),
)
class OrderEventViewSet(
    OrderChildViewSet,
    mixins.CreateModelMixin,
):
    """An order's history (SPEC §13), oldest first; events are never edited or deleted."""

    permission_block = Block.ORDERS
    # Reading an order's history is reading the order; a note is a change made by staff.
    action_permission_codes = {
        "list": [PermissionCode.ORDERS_RETRIEVE],
        "retrieve": [PermissionCode.ORDERS_RETRIEVE],
        "create": [PermissionCode.ORDERS_UPDATE],
    }
    serializer_class = OrderEventSerializer
    extra_query_parameters = ("type",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no order in the URL
            return OrderEvent.objects.none()
        events = OrderEvent.objects.filter(order_id=self.order_id())
        if self.action == "list":
            wanted = checked_query_params(self.request, self).get("type")
            if wanted is not None:
                if wanted not in EventType.values:
                    raise ValidationError(
                        {"type": [f"Unknown event type. One of: {', '.join(EventType.values)}."]}
                    )
                events = events.filter(type=wanted)
        return events.order_by("id")

    def read_rows(self, queryset):
        return event_rows(queryset)

    def shape(self, rows: list) -> list:
        return [event_data(row) for row in rows]

    def create(self, request, *args, **kwargs):
        order_id = self.order_id()
        serializer = OrderNoteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        event = services.order_note_add(
            order_id=order_id,
            note=serializer.validated_data["note"],
            actor=request.user,
            request_id=getattr(request, "request_id", None),
        )
        rows = list(event_rows(OrderEvent.objects.filter(pk=event.pk)))
        return Response(event_data(rows[0]), status=status.HTTP_201_CREATED)
