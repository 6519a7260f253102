import pytest

from bazaar.catalog.tests.factories import ProductFactory
from bazaar.customers.tests.factories import CustomerFactory
from bazaar.geo.tests.factories import CityFactory
from bazaar.media.tests.factories import ImageFactory
from bazaar.methods.tests.factories import PaymentMethodFactory, ShippingMethodFactory

pytestmark = pytest.mark.django_db


def test_factories_make_valid_rows(settings):
    image = ImageFactory()
    assert image.file.storage.exists(image.file.name)
    assert [t.size for t in image.thumbnails.all()] == [64, 128]
    assert ProductFactory(with_image=True).image.thumbnails.count() == 2
    assert PaymentMethodFactory().image is None
    assert ShippingMethodFactory(with_image=True).image is not None
    city = CityFactory()
    assert city.state.country.code
    customer = CustomerFactory()
    assert customer.username == customer.mobile_number
    assert not customer.has_usable_password()
