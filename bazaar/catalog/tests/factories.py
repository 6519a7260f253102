import factory

from bazaar.catalog.models import Product
from bazaar.media.tests.factories import ImageFactory


class ProductFactory(factory.django.DjangoModelFactory):
    """`ProductFactory(price=9_780_000)`; `ProductFactory(with_image=True)` adds a stored image."""

    code = factory.Sequence(lambda n: f"SKU-{n:05d}")
    title = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    price = 100_000
    image = None
    is_active = True

    class Meta:
        model = Product

    class Params:
        with_image = factory.Trait(image=factory.SubFactory(ImageFactory))
