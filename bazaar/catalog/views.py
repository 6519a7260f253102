from rest_framework import viewsets

from bazaar.accounts.codes import Block
from bazaar.catalog.filters import ProductFilter
from bazaar.catalog.selectors import product_queryset
from bazaar.catalog.serializers import ProductSerializer


class ProductViewSet(viewsets.ModelViewSet):
    """Products (the catalogue). A product that order items use cannot be deleted: deactivate it."""

    permission_block = Block.PRODUCTS
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    search_fields = ["code", "slug", "title"]
    ordering_fields = ["id", "code", "slug", "title", "price", "created_at", "updated_at"]
    ordering = ["-id"]

    def get_queryset(self):
        return product_queryset()

    def perform_create(self, serializer):
        serializer.instance = self.get_queryset().get(pk=serializer.save().pk)

    def perform_update(self, serializer):
        serializer.instance = self.get_queryset().get(pk=serializer.save().pk)
