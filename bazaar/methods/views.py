from rest_framework import viewsets

from bazaar.accounts.codes import Block
from bazaar.methods.filters import PaymentMethodFilter, ShippingMethodFilter
from bazaar.methods.models import Branch
from bazaar.methods.selectors import payment_method_queryset, shipping_method_queryset
from bazaar.methods.serializers import (
    BranchSerializer,
    PaymentMethodSerializer,
    ShippingMethodSerializer,
)


class RefetchMixin:
    """Answer writes with the row re-read through get_queryset(), so the image and its
    thumbnails come from the same prefetching read path as GET."""

    def perform_create(self, serializer):
        serializer.instance = self.get_queryset().get(pk=serializer.save().pk)

    def perform_update(self, serializer):
        serializer.instance = self.get_queryset().get(pk=serializer.save().pk)


class PaymentMethodViewSet(RefetchMixin, viewsets.ModelViewSet):
    permission_block = Block.PAYMENT_METHODS
    serializer_class = PaymentMethodSerializer
    filterset_class = PaymentMethodFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name", "is_active"]
    ordering = ["id"]

    def get_queryset(self):
        return payment_method_queryset()


class ShippingMethodViewSet(RefetchMixin, viewsets.ModelViewSet):
    permission_block = Block.SHIPPING_METHODS
    serializer_class = ShippingMethodSerializer
    filterset_class = ShippingMethodFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name", "is_active"]
    ordering = ["id"]

    def get_queryset(self):
        return shipping_method_queryset()


class BranchViewSet(viewsets.ModelViewSet):
    """Pickup branches (SPEC §11), codes 1501-1505."""

    permission_block = Block.BRANCHES
    serializer_class = BranchSerializer
    queryset = Branch.objects.all()
    search_fields = ["name", "code", "address"]
    ordering_fields = ["id", "name", "code"]
    ordering = ["id"]
