import factory

from bazaar.media.tests.factories import ImageFactory
from bazaar.methods.models import Branch, PaymentMethod, ShippingMethod


class PaymentMethodFactory(factory.django.DjangoModelFactory):
    """`PaymentMethodFactory(with_image=True)` adds a stored image with thumbnails."""

    name = factory.Sequence(lambda n: f"Payment method {n}")
    image = None
    is_active = True

    class Meta:
        model = PaymentMethod

    class Params:
        with_image = factory.Trait(image=factory.SubFactory(ImageFactory))


class ShippingMethodFactory(factory.django.DjangoModelFactory):
    """`ShippingMethodFactory(with_image=True)` adds a stored image with thumbnails."""

    name = factory.Sequence(lambda n: f"Shipping method {n}")
    image = None
    is_active = True

    class Meta:
        model = ShippingMethod

    class Params:
        with_image = factory.Trait(image=factory.SubFactory(ImageFactory))


class BranchFactory(factory.django.DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Branch {n}")
    code = factory.Sequence(lambda n: f"BR-{n}")

    class Meta:
        model = Branch
