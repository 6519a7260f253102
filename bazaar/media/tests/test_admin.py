"""The admin pages of the reference data: lists with previews, and adds that obey the API rules."""

import pytest
from django.test import Client

from bazaar.catalog.models import Product
from bazaar.catalog.tests.factories import ProductFactory
from bazaar.customers.models import Customer
from bazaar.customers.tests.factories import CustomerFactory
from bazaar.geo.models import Country
from bazaar.geo.tests.factories import CityFactory
from bazaar.media.models import Image
from bazaar.media.tests.factories import ImageFactory, image_bytes, image_upload
from bazaar.methods.tests.factories import PaymentMethodFactory, ShippingMethodFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_site(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/media/image/",
        "/admin/catalog/product/",
        "/admin/methods/paymentmethod/",
        "/admin/methods/shippingmethod/",
        "/admin/customers/customer/",
        "/admin/geo/country/",
        "/admin/geo/state/",
        "/admin/geo/city/",
    ],
)
def test_changelists_and_searches_render(admin_site, path):
    image = ImageFactory(width=300, height=300)
    ProductFactory(image=image)
    PaymentMethodFactory(image=image)
    ShippingMethodFactory()
    CustomerFactory()
    CityFactory()
    response = admin_site.get(path)
    assert response.status_code == 200
    assert admin_site.get(path, {"q": "a"}).status_code == 200
    assert admin_site.get(f"{path}add/").status_code == 200
    if path.startswith(("/admin/media", "/admin/catalog", "/admin/methods/payment")):
        thumb_128 = image.thumbnails.get(size=128).file.url
        assert f'<img src="{thumb_128}"' in response.content.decode()


def test_customer_admin_lists_customers_only(admin_site, admin_user):
    customer = CustomerFactory()
    page = admin_site.get("/admin/customers/customer/").content.decode()
    assert customer.username in page
    assert f"/admin/customers/customer/{admin_user.pk}/change/" not in page


def test_customer_admin_add_normalises_the_mobile_number(admin_site):
    response = admin_site.post(
        "/admin/customers/customer/add/",
        {
            "mobile_number": "+98 ۹۱۲ ۱۲۳ ۴۵۶۷",
            "username": "",
            "first_name": "Ali",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer = Customer.objects.get()
    assert (customer.mobile_number, customer.username) == ("09121234567", "09121234567")
    assert not customer.is_staff
    assert not customer.has_usable_password()
    clash = admin_site.post(
        "/admin/customers/customer/add/", {"mobile_number": "09121234567", "is_active": "on"}
    )
    assert clash.status_code == 200
    assert "mobile_number" in clash.context["adminform"].form.errors


def test_image_admin_add_makes_thumbnails_and_refuses_non_images(admin_site):
    ok = admin_site.post(
        "/admin/media/image/add/",
        {"upload": image_upload("logo.png", width=600, height=300), "name": ""},
    )
    assert ok.status_code == 302
    image = Image.objects.get()
    assert image.name == "logo"
    assert sorted(image.thumbnails.values_list("size", flat=True)) == [64, 128, 512]

    bad = admin_site.post(
        "/admin/media/image/add/", {"upload": image_upload("x.png", b"not an image"), "name": "x"}
    )
    assert bad.status_code == 200
    assert "upload" in bad.context["adminform"].form.errors
    assert Image.objects.count() == 1


def test_image_admin_delete_removes_files(admin_site, django_capture_on_commit_callbacks):
    image = ImageFactory()
    path = image.file.path
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_site.post(f"/admin/media/image/{image.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Image.objects.exists()
    import os

    assert not os.path.exists(path)


def test_product_admin_add_makes_the_slug(admin_site):
    response = admin_site.post(
        "/admin/catalog/product/add/",
        {"code": "A1", "title": "کتاب خوب", "slug": "", "price": "1000", "is_active": "on"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Product.objects.get().slug == "کتاب-خوب"


def test_country_admin_stores_codes_upper_case(admin_site):
    response = admin_site.post("/admin/geo/country/add/", {"name": "Iran", "code": "ir"})
    assert response.status_code == 302
    assert Country.objects.get().code == "IR"


def test_image_bytes_helper_is_a_real_png():
    assert image_bytes().startswith(b"\x89PNG")
