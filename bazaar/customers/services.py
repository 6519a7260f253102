"""Writes of customers: users that are not staff and cannot log in to the back office."""

from django.db import transaction

from bazaar.customers.models import Customer


@transaction.atomic
def customer_create(
    *,
    mobile_number: str,
    username: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> Customer:
    """Create a customer. `mobile_number` is already normalised (`09xxxxxxxxx`); `username`
    defaults to it. Customers get no usable password: they never sign in to this API."""
    customer = Customer(
        username=username or mobile_number,
        mobile_number=mobile_number,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_staff=False,
        is_superuser=False,
    )
    customer.set_unusable_password()
    customer.save()
    return customer


def customer_update(*, customer: Customer, **fields: str) -> Customer:
    """Change any of username, mobile_number, first_name, last_name, email."""
    allowed = {"username", "mobile_number", "first_name", "last_name", "email"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"customer_update() got unexpected fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.save(update_fields=[*fields] or None)
    return customer
