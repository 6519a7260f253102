from rest_framework import viewsets

from bazaar.accounts.codes import Block
from bazaar.customers.models import Customer
from bazaar.customers.serializers import CustomerSerializer


class CustomerViewSet(viewsets.ModelViewSet):
    """The shop's customers (users that are not staff). Staff accounts live at /api/users/."""

    permission_block = Block.CUSTOMERS
    serializer_class = CustomerSerializer
    search_fields = ["username", "first_name", "last_name", "mobile_number", "email"]
    ordering_fields = ["id", "username", "first_name", "last_name", "mobile_number", "date_joined"]
    ordering = ["-date_joined"]

    def get_queryset(self):
        return Customer.objects.all()

    # `search` folds Persian/Arabic letters and digits, and a mobile number in any §8 form
    # matches its stored `09…` spelling: bazaar.api.filters.SearchFilter over `search_text`.
