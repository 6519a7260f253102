import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from bazaar.accounts.models import User
from bazaar.accounts.permissions import role_set_codes, user_set_direct_codes
from bazaar.conftest import client_for

pytestmark = pytest.mark.django_db


def test_staff_without_the_code_gets_403_naming_it(staff_with_codes):
    client = staff_with_codes(1022)
    assert client.get("/api/roles/").status_code == 200
    response = client.post("/api/roles/", {"name": "x"})
    assert response.status_code == 403
    assert "1021" in response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "code"), [("get", 1023), ("put", 1024), ("patch", 1024), ("delete", 1025)]
)
def test_each_action_needs_its_own_code(staff_with_codes, method, code):
    role = Group.objects.create(name="r")
    client = staff_with_codes(1022)
    response = getattr(client, method)(f"/api/roles/{role.pk}/", {"name": "n"})
    assert response.status_code == 403
    assert str(code) in response.json()["detail"]
    allowed = staff_with_codes(code)
    assert getattr(allowed, method)(f"/api/roles/{role.pk}/", {"name": "n"}).status_code in {
        200,
        204,
    }


def test_codes_granted_through_a_role(db):
    role = Group.objects.create(name="order desk")
    role_set_codes(role=role, codes=[1002])
    user = User.objects.create_user("desk", is_staff=True)
    client = client_for(user)
    assert client.get("/api/users/").status_code == 403
    user.groups.add(role)
    assert client.get("/api/users/").status_code == 200
    assert client.get("/api/auth/me/").json()["permission_codes"] == [1002]


def test_admin_creates_staff_with_role_and_direct_codes(admin_client):
    role = admin_client.post(
        "/api/roles/", {"name": "desk", "permission_codes": [2202, 2203]}
    ).json()
    response = admin_client.post(
        "/api/users/",
        {
            "username": "sara",
            "password": "a-Strong-pass-42",
            "mobile_number": "+98 912 345 6789",
            "roles": [role["id"]],
            "permission_codes": [2201],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["mobile_number"] == "09123456789"
    assert body["roles"] == [role["id"]]
    assert body["permission_codes"] == [2201]
    assert body["is_staff"] is True and body["is_superuser"] is False
    assert "password" not in body
    login = admin_client.post(
        "/api/auth/token/", {"username": "sara", "password": "a-Strong-pass-42"}
    )
    assert login.status_code == 200
    sara = APIClient()
    sara.credentials(HTTP_AUTHORIZATION=f"Token {login.json()['token']}")
    codes = sara.get("/api/auth/me/")
    assert codes.json()["permission_codes"] == [2201, 2202, 2203]


def test_staff_cannot_create_an_admin(staff_with_codes):
    client = staff_with_codes(1001, 1002)
    response = client.post("/api/users/", {"username": "boss", "is_superuser": True})
    assert response.status_code == 403
    assert not User.objects.filter(username="boss").exists()


def test_staff_cannot_edit_an_admin(staff_with_codes, admin_user):
    client = staff_with_codes(1004)
    response = client.patch(f"/api/users/{admin_user.pk}/", {"first_name": "x"})
    assert response.status_code == 403


def test_staff_cannot_raise_their_own_codes_or_make_themselves_admin(staff_with_codes):
    client = staff_with_codes(1004)
    me = client.user
    for body in ({"permission_codes": [1004, 2201]}, {"is_superuser": True}):
        assert client.patch(f"/api/users/{me.pk}/", body).status_code == 403
    me.refresh_from_db()
    assert not me.is_superuser
    assert client.get("/api/auth/me/").json()["permission_codes"] == [1004]


def test_staff_cannot_grant_codes_they_do_not_hold(staff_with_codes):
    client = staff_with_codes(1001, 1021)
    response = client.post("/api/users/", {"username": "proxy", "permission_codes": [2205]})
    assert response.status_code == 403
    assert not User.objects.filter(username="proxy").exists()
    response = client.post("/api/roles/", {"name": "big", "permission_codes": [2205]})
    assert response.status_code == 403


def test_users_list_only_staff(admin_client, customer_user, admin_user):
    usernames = [u["username"] for u in admin_client.get("/api/users/").json()["results"]]
    assert usernames == [admin_user.username]


def test_duplicate_mobile_is_400(admin_client):
    admin_client.post("/api/users/", {"username": "a", "mobile_number": "09120000000"})
    response = admin_client.post("/api/users/", {"username": "b", "mobile_number": "۰۹۱۲۰۰۰۰۰۰۰"})
    assert response.status_code == 400
    assert "mobile_number" in response.json()


def test_weak_password_is_400(admin_client):
    response = admin_client.post("/api/users/", {"username": "weak", "password": "123"})
    assert response.status_code == 400
    assert "password" in response.json()


def test_users_list_query_count_is_flat(admin_client):
    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as context:
            assert admin_client.get("/api/users/?limit=100").status_code == 200
        return len(context)

    one = queries_for_list()
    for i in range(30):
        user = User.objects.create_user(f"s{i}", is_staff=True)
        user_set_direct_codes(user=user, codes=[2201, 2202])
    assert queries_for_list() == one
