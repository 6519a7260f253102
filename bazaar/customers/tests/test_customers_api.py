"""/api/customers/ through the HTTP stack."""

import pytest

from bazaar.accounts.models import User
from bazaar.customers.models import Customer
from bazaar.customers.tests.factories import CustomerFactory
from bazaar.orders.models import Order

pytestmark = pytest.mark.django_db

URL = "/api/customers/"
KEYS = {
    "id",
    "username",
    "mobile_number",
    "first_name",
    "last_name",
    "full_name",
    "email",
    "date_joined",
}


@pytest.mark.parametrize("slash", ["", "/"])
def test_create_defaults_username_to_the_mobile_number(admin_client, slash):
    response = admin_client.post(
        URL.rstrip("/") + slash,
        {"mobile_number": "+98 930 874 4204", "first_name": "بهروز", "last_name": "قربانی"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == KEYS
    assert body["mobile_number"] == "09308744204"
    assert body["username"] == "09308744204"
    assert body["full_name"] == "بهروز قربانی"
    assert body["email"] == ""
    assert body["date_joined"].endswith("Z")

    customer = Customer.objects.get(pk=body["id"])
    assert not customer.is_staff
    assert not customer.is_superuser
    assert not customer.has_usable_password()


@pytest.mark.parametrize(
    "raw",
    [
        "09121234567",
        "9121234567",
        "+989121234567",
        "00989121234567",
        "0912 123 4567",
        "0912-123-4567",
        "+98 912-123 4567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "+۹۸۹۱۲۱۲۳۴۵۶۷",
    ],
)
def test_every_accepted_mobile_form_is_stored_as_09(admin_client, raw):
    response = admin_client.post(URL, {"mobile_number": raw})
    assert response.status_code == 201, response.json()
    assert response.json()["mobile_number"] == "09121234567"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "0912123456",
        "091212345678",
        "08121234567",
        "+1 202 555 0100",
        "abc",
        "0912x234567",
        None,
    ],
)
def test_invalid_mobile_numbers_are_a_400(admin_client, raw):
    response = admin_client.post(URL, {"mobile_number": raw})
    assert response.status_code == 400
    assert "mobile_number" in response.json()
    assert not Customer.objects.exists()


def test_mobile_number_is_required(admin_client):
    response = admin_client.post(URL, {"first_name": "A"})
    assert response.status_code == 400
    assert "mobile_number" in response.json()


def test_duplicate_mobile_in_another_form_is_a_400(admin_client):
    CustomerFactory(mobile_number="09121234567")
    response = admin_client.post(URL, {"mobile_number": "+98 912 123 4567"})
    assert response.status_code == 400
    assert response.json() == {"mobile_number": ["A user with this mobile number already exists."]}


def test_duplicate_mobile_of_a_staff_user_is_a_400_not_a_409(admin_client):
    User.objects.create_user("clerk", mobile_number="09121234567", is_staff=True)
    response = admin_client.post(URL, {"mobile_number": "09121234567", "username": "x"})
    assert response.status_code == 400
    assert "mobile_number" in response.json()


def test_clash_of_the_default_username_is_a_clear_400(admin_client):
    User.objects.create_user("09121234567", is_staff=True)
    response = admin_client.post(URL, {"mobile_number": "09121234567"})
    assert response.status_code == 400
    assert "give a username" in response.json()["username"][0]
    with_username = admin_client.post(URL, {"mobile_number": "09121234567", "username": "ali"})
    assert with_username.status_code == 201


def test_duplicate_explicit_username_is_a_400(admin_client):
    CustomerFactory(username="ali")
    response = admin_client.post(URL, {"mobile_number": "09121234567", "username": "ali"})
    assert response.status_code == 400
    assert response.json() == {"username": ["A user with this username already exists."]}


def test_bad_email_and_unknown_field_are_400(admin_client):
    bad_email = admin_client.post(URL, {"mobile_number": "09121234567", "email": "nope"})
    assert bad_email.status_code == 400
    assert "email" in bad_email.json()
    typo = admin_client.post(URL, {"mobile_number": "09121234567", "frist_name": "A"})
    assert typo.status_code == 400
    assert "frist_name" in typo.json()


def test_retrieve_update_and_delete(admin_client):
    customer = CustomerFactory(first_name="Ali", last_name="")
    url = f"{URL}{customer.pk}"
    body = admin_client.get(url).json()
    assert body["full_name"] == "Ali"

    put = admin_client.put(url, {**body, "last_name": "Rezaei", "mobile_number": "۰۹۳۵۱۱۱۲۲۳۳"})
    assert put.status_code == 200, put.json()
    assert put.json()["full_name"] == "Ali Rezaei"
    assert put.json()["mobile_number"] == "09351112233"
    assert put.json()["username"] == customer.username  # the username does not follow the mobile

    patched = admin_client.patch(f"{url}/", {"mobile_number": "09351112233"})
    assert patched.status_code == 200  # its own number is no clash

    assert admin_client.delete(url).status_code == 204
    assert not User.objects.filter(pk=customer.pk).exists()


def test_staff_users_are_not_customers(admin_client, admin_user):
    staff = User.objects.create_user("clerk", is_staff=True)
    customer = CustomerFactory()
    listed = admin_client.get(URL).json()
    assert [c["id"] for c in listed["results"]] == [customer.pk]
    assert admin_client.get(f"{URL}{staff.pk}/").status_code == 404
    assert admin_client.get(f"{URL}{admin_user.pk}/").status_code == 404
    assert admin_client.delete(f"{URL}{staff.pk}/").status_code == 404


def test_deleting_a_customer_with_orders_is_a_409(admin_client):
    customer = CustomerFactory()
    Order.objects.create(customer=customer)
    response = admin_client.delete(f"{URL}{customer.pk}/")
    assert response.status_code == 409
    assert "orders" in response.json()["detail"]
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_search_over_names_mobile_username_and_email(admin_client):
    ali = CustomerFactory(
        mobile_number="09121234567", first_name="Ali", last_name="Rezaei", email="ali@shop.ir"
    )
    sara = CustomerFactory(mobile_number="09351112233", first_name="Sara", last_name="Karimi")

    def ids(query: str) -> list[int]:
        response = admin_client.get(URL, {"search": query})
        assert response.status_code == 200
        return sorted(c["id"] for c in response.json()["results"])

    assert ids("ali") == [ali.pk]
    assert ids("karimi") == [sara.pk]
    assert ids("shop.ir") == [ali.pk]
    assert ids("0935") == [sara.pk]
    assert ids("۰۹۳۵") == [sara.pk]  # Persian digits
    # A mobile number typed with spaces is one term (SPEC §8, §16), not four that must each match.
    assert ids("+98 912 123 4567") == [ali.pk]
    assert ids("+989121234567") == [ali.pk]  # any accepted mobile form
    assert ids("ali 0912") == [ali.pk]
    assert ids("ali 0935") == []


def test_ordering(admin_client):
    b = CustomerFactory(first_name="B")
    a = CustomerFactory(first_name="A")
    response = admin_client.get(URL, {"ordering": "first_name"})
    assert [c["id"] for c in response.json()["results"]] == [a.pk, b.pk]
    assert admin_client.get(URL, {"ordering": "password"}).status_code == 400


def test_staff_with_list_code_only_can_list_and_nothing_else(staff_with_codes):
    customer = CustomerFactory()
    client = staff_with_codes(1102)
    assert client.get(URL).json()["count"] == 1
    attempts = {
        1101: client.post(URL, {"mobile_number": "09121234567"}),
        1103: client.get(f"{URL}{customer.pk}/"),
        1104: client.patch(f"{URL}{customer.pk}/", {"first_name": "X"}),
        1105: client.delete(f"{URL}{customer.pk}/"),
    }
    for code, response in attempts.items():
        assert response.status_code == 403, code
        assert str(code) in response.json()["detail"]


def test_customers_cannot_use_the_endpoint(customer_user):
    from bazaar.conftest import client_for

    assert client_for(customer_user).get(URL).status_code == 403
