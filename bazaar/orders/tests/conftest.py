"""The world of the source documents (seeds 000-002): the same customer, methods, places and
products, so that their JSON examples can be reproduced field for field."""

import io
from dataclasses import dataclass

import pytest
from PIL import Image as PILImage

from bazaar.catalog.models import Product
from bazaar.catalog.tests.factories import ProductFactory
from bazaar.customers.models import Customer
from bazaar.customers.tests.factories import CustomerFactory
from bazaar.geo.models import City, Country, State
from bazaar.media.models import Image
from bazaar.media.services import image_create
from bazaar.media.tests.factories import image_upload
from bazaar.methods.models import PaymentMethod, ShippingMethod
from bazaar.orders.models import Order


def jpeg_of_exact_size(width: int, height: int, size: int) -> bytes:
    """A real JPEG padded after its end marker to `size` bytes (decoders ignore the tail), so the
    source's `"size": 808754, "human_readable_size": "789.80 KB"` can be reproduced."""
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (30, 120, 200)).save(buffer, "JPEG", quality=60)
    data = buffer.getvalue()
    assert len(data) <= size
    return data + b"\0" * (size - len(data))


@dataclass
class SourceWorld:
    customer: Customer
    payment_method: PaymentMethod
    shipping_method: ShippingMethod
    shipping_image: Image
    country: Country
    state: State
    city: City
    mouse: Product
    freshener: Product


@pytest.fixture
def world(db) -> SourceWorld:
    shipping_image = image_create(
        upload=image_upload(
            "Fantasticheskie_kartinki_dlja_monitora_68_63.jpg",
            content=jpeg_of_exact_size(1920, 1080, 808754),
        ),
        name="پیک موتوری",
    )
    country = Country.objects.create(name="ایران", code="IR")
    state = State.objects.create(country=country, name="آذربایجان شرقی", code="EA")
    mouse_image = image_create(
        upload=image_upload("logitech-mx-1.jpg", content=jpeg_of_exact_size(225, 225, 4766)),
        name="logitech-mx-1",
    )
    return SourceWorld(
        customer=CustomerFactory(
            username="BehroozGhorbani",
            mobile_number="09308744204",
            first_name="بهروز",
            last_name="قربانی",
        ),
        payment_method=PaymentMethod.objects.create(name="پرداخت در مخل"),
        shipping_method=ShippingMethod.objects.create(name="پیک موتور", image=shipping_image),
        shipping_image=shipping_image,
        country=country,
        state=state,
        city=City.objects.create(state=state, name="اسکو"),
        mouse=ProductFactory(
            code="1001001",
            slug="logitech-mouse-mx-vertical",
            title="ماوس لاجیتک MX Vertical",
            price=9_780_000,
            image=mouse_image,
        ),
        freshener=ProductFactory(code="1001002", title="آلاینده هوا پرایدی", price=980_000),
    )


@pytest.fixture
def source_order_body(world: SourceWorld) -> dict:
    """The request that makes seed 000's example order."""
    return {
        "status": "new",
        "customer": world.customer.pk,
        "payment_method": world.payment_method.pk,
        "shipping_method": world.shipping_method.pk,
        "shipping_cost": 75000,
        "notes": "Facilis sequi alias optio. Alias ipsam deserunt. At veniam nam et. Et aut id id "
        "aut quae non animi. Sed tempora aut ut ipsa dicta vel eveniet et aspernatur.",
        "extra": {"some": "data"},
        "billing_country": world.country.pk,
        "billing_state": world.state.pk,
        "billing_city": world.city.pk,
        "billing_address": "5411 Stokes Grove",
        "billing_postal_code": "1234567890",
        "billing_mobile_number": "09523296536",
        "billing_first_name": "پدرام",
        "billing_last_name": "زمانی",
    }


@pytest.fixture
def make_order(db):
    def make(**fields) -> Order:
        return Order.objects.create(**fields)

    return make
