from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from bazaar.accounts.codes import Block
from bazaar.coupons import services
from bazaar.coupons.filters import CouponFilterSet
from bazaar.coupons.selectors import coupon_queryset
from bazaar.coupons.serializers import CouponSerializer


@extend_schema_view(
    destroy=extend_schema(
        description="A coupon that any order holds cannot be deleted (409): deactivate it."
    )
)
class CouponViewSet(viewsets.ModelViewSet):
    """Coupons (SPEC §12), codes 2301-2305."""

    permission_block = Block.COUPONS
    serializer_class = CouponSerializer
    filterset_class = CouponFilterSet
    search_fields = ["code"]
    ordering_fields = ["id", "code", "value", "valid_from", "valid_to", "created_at", "updated_at"]
    ordering = ["-id"]

    def get_queryset(self):
        return coupon_queryset()

    def perform_create(self, serializer):
        coupon = services.coupon_create(data=dict(serializer.validated_data))
        serializer.instance = self.get_queryset().get(pk=coupon.pk)

    def perform_update(self, serializer):
        services.coupon_update(
            coupon_id=serializer.instance.pk, data=dict(serializer.validated_data)
        )
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_destroy(self, instance):
        services.coupon_delete(coupon_id=instance.pk)
