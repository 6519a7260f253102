import factory
from django.contrib.auth.hashers import make_password

from bazaar.customers.models import Customer


class CustomerFactory(factory.django.DjangoModelFactory):
    """A customer as the API creates one: username = mobile number, no usable password."""

    mobile_number = factory.Sequence(lambda n: f"0912{n:07d}")
    username = factory.LazyAttribute(lambda o: o.mobile_number)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda o: f"{o.mobile_number}@example.com")
    is_staff = False
    is_superuser = False
    password = factory.LazyFunction(lambda: make_password(None))

    class Meta:
        model = Customer
        django_get_or_create = ("mobile_number",)
