from contextlib import suppress

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from rest_framework import viewsets

from bazaar.accounts.codes import Block
from bazaar.accounts.validators import normalize_mobile, to_ascii_digits
from bazaar.api.filters import icontains_any
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

    def search_term_q(self, term: str) -> Q:
        """Contains-match over the search fields; Persian/Arabic digits match their Latin twins
        and a mobile number in any accepted form (`+98 912 …`) matches its stored `09…` form."""
        q = icontains_any(self.search_fields, term)
        ascii_term = to_ascii_digits(term)
        if ascii_term != term:
            q |= icontains_any(self.search_fields, ascii_term)
        with suppress(DjangoValidationError):
            q |= Q(mobile_number=normalize_mobile(term))
        return q
