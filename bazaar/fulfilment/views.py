"""`/api/orders/{order_pk}/shipments/` (2261–2265) and `/refunds/` (2281–2283), built as the
order's items and payments are (bazaar.orders.views.OrderChildViewSet): writes go through the
services with the acting user, request id and `If-Match`, and answer with the whole order."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.response import Response

from bazaar.accounts.codes import Block
from bazaar.fulfilment import services
from bazaar.fulfilment.models import Refund, Shipment
from bazaar.fulfilment.serializers import RefundWriteSerializer, ShipmentWriteSerializer
from bazaar.orders import selectors
from bazaar.orders.serializers import (
    NestedShapes,
    OrderSerializer,
    RefundSerializer,
    ShipmentSerializer,
    refund_data,
    shipment_data,
)
from bazaar.orders.views import OrderChildViewSet


def _write_data(serializer) -> dict:
    data = dict(serializer.validated_data)
    if "items" in data:
        data["items"] = [dict(line) for line in data["items"]]
    return data


@extend_schema_view(
    create=extend_schema(
        request=ShipmentWriteSerializer,
        responses={201: OrderSerializer},
        description="A shipment of some or all items; omit `items` to ship every quantity not "
        "yet in a shipment.",
    ),
    update=extend_schema(request=ShipmentWriteSerializer, responses=OrderSerializer),
    partial_update=extend_schema(request=ShipmentWriteSerializer, responses=OrderSerializer),
    destroy=extend_schema(
        responses={204: None}, description="Only a pending shipment; cancel any other."
    ),
)
class ShipmentViewSet(OrderChildViewSet):
    permission_block = Block.ORDER_SHIPMENTS
    serializer_class = ShipmentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no order in the URL
            return Shipment.objects.none()
        return Shipment.objects.filter(order_id=self.order_id()).order_by("id")

    def read_rows(self, queryset):
        return selectors.shipment_rows(queryset)

    def shape(self, rows: list) -> list:
        images = selectors.images_by_id({row["shipping_method__image_id"] for row in rows})
        shapes = NestedShapes(selectors.OrderRows(orders=[], images=images), self.request)
        return [shipment_data(row, shapes) for row in rows]

    def create(self, request, *args, **kwargs):
        order_id = self.order_id()
        serializer = ShipmentWriteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        services.shipment_create(
            order_id=order_id, data=_write_data(serializer), **self.write_context()
        )
        return self.order_response(order_id, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        shipment: Shipment = self.get_object()
        serializer = ShipmentWriteSerializer(
            shipment,
            data=request.data,
            partial=kwargs.get("partial", False),
            context={"request": request},
        )
        serializer.is_valid(raise_exception=True)
        services.shipment_update(
            order_id=shipment.order_id,
            shipment_id=shipment.pk,
            data=_write_data(serializer),
            **self.write_context(),
        )
        return self.order_response(shipment.order_id)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        shipment: Shipment = self.get_object()
        services.shipment_delete(
            order_id=shipment.order_id, shipment_id=shipment.pk, **self.write_context()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=extend_schema(
        request=RefundWriteSerializer,
        responses={201: OrderSerializer},
        description="Money sent back on an approved payment, with the returned quantities. "
        "Refunds are never edited or deleted.",
    ),
)
class RefundViewSet(OrderChildViewSet):
    permission_block = Block.ORDER_REFUNDS
    serializer_class = RefundSerializer

    def check_permissions(self, request):
        # Refunds are never edited or deleted (SPEC §14): those methods are a 405 for everyone
        # signed in, not the permission class's "reserved for Admins" 403 (it runs before DRF
        # finds there is no handler).
        if self.action is None and request.method != "OPTIONS" and request.user.is_authenticated:
            raise MethodNotAllowed(request.method)
        super().check_permissions(request)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no order in the URL
            return Refund.objects.none()
        return Refund.objects.filter(order_id=self.order_id()).order_by("id")

    def read_rows(self, queryset):
        return selectors.refund_rows(queryset)

    def shape(self, rows: list) -> list:
        return [refund_data(row) for row in rows]

    def create(self, request, *args, **kwargs):
        order_id = self.order_id()
        serializer = RefundWriteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        services.refund_create(
            order_id=order_id, data=_write_data(serializer), **self.write_context()
        )
        return self.order_response(order_id, status.HTTP_201_CREATED)
