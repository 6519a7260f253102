"""SPEC §2 conventions, shown on the roles resource (shared pieces serve every endpoint)."""

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


@pytest.fixture
def role() -> Group:
    return Group.objects.create(name="clerks")


@pytest.mark.parametrize("path", ["/api/roles/", "/api/roles"])
def test_list_and_create_answer_with_and_without_slash(admin_client, path):
    created = admin_client.post(path, {"name": f"r{len(path)}", "permission_codes": [2202]})
    assert created.status_code == 201
    assert created.json()["permission_codes"] == [2202]
    listed = admin_client.get(path)
    assert listed.status_code == 200
    assert listed.json()["count"] == 1


@pytest.mark.parametrize("slash", ["/", ""])
def test_detail_methods_answer_with_and_without_slash(admin_client, role, slash):
    url = f"/api/roles/{role.pk}{slash}"
    assert admin_client.get(url).json()["name"] == "clerks"
    assert admin_client.put(url, {"name": "tellers"}).json()["name"] == "tellers"
    assert admin_client.patch(url, {"permission_codes": [2201]}).json()["permission_codes"] == [
        2201
    ]
    assert admin_client.delete(url).status_code == 204
    assert not Group.objects.filter(pk=role.pk).exists()


def test_malformed_json_is_400(admin_client):
    response = admin_client.generic(
        "POST", "/api/roles/", b'{"name": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"42", b"null"])
def test_non_object_json_is_400(admin_client, body):
    response = admin_client.generic("POST", "/api/roles", body, content_type="application/json")
    assert response.status_code == 400
    assert Group.objects.count() == 0


def test_empty_body_is_400(admin_client):
    response = admin_client.generic("POST", "/api/roles/", b"", content_type="application/json")
    assert response.status_code == 400


def test_unsupported_content_type_is_415(admin_client):
    response = admin_client.generic("POST", "/api/roles/", b"name=x", content_type="text/plain")
    assert response.status_code == 415
    assert "detail" in response.json()


def test_body_over_one_mib_is_413(admin_client):
    body = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    response = admin_client.generic("POST", "/api/roles/", body, content_type="application/json")
    assert response.status_code == 413
    assert Group.objects.count() == 0


def test_deeply_nested_json_is_400(admin_client):
    body = b"[" * 5000 + b"]" * 5000
    response = admin_client.generic("POST", "/api/roles/", body, content_type="application/json")
    assert response.status_code == 400


def test_unknown_field_is_named(admin_client):
    response = admin_client.post("/api/roles/", {"name": "x", "permision_codes": [2201]})
    assert response.status_code == 400
    assert list(response.json()) == ["permision_codes"]
    assert Group.objects.count() == 0


def test_read_only_fields_sent_back_are_ignored(admin_client, role):
    body = admin_client.get(f"/api/roles/{role.pk}/").json()
    body["id"] = 999_999
    body["name"] = "renamed"
    response = admin_client.put(f"/api/roles/{role.pk}/", body)
    assert response.status_code == 200
    assert response.json()["id"] == role.pk


def test_unknown_permission_code_is_400(admin_client):
    response = admin_client.post("/api/roles/", {"name": "x", "permission_codes": [2201, 9999]})
    assert response.status_code == 400
    assert "9999" in response.json()["permission_codes"][0]


@pytest.fixture
def many_roles() -> list[Group]:
    return [Group.objects.create(name=f"role-{i:03d}") for i in range(120)]


def test_pagination_default_limit_and_absolute_links(admin_client, many_roles):
    body = admin_client.get("/api/roles/?search=role&ordering=name").json()
    assert body["count"] == 120
    assert len(body["results"]) == 10
    assert body["previous"] is None
    assert body["next"].startswith("http://testserver/api/roles/?")
    assert "search=role" in body["next"] and "ordering=name" in body["next"]
    assert "offset=10" in body["next"]


def test_limit_is_clamped_at_100(admin_client, many_roles):
    body = admin_client.get("/api/roles/?limit=100000000000000000000").json()
    assert len(body["results"]) == 100


def test_offset_past_the_end_is_empty(admin_client, many_roles):
    body = admin_client.get("/api/roles/?offset=100000000000000000000").json()
    assert body["results"] == [] and body["count"] == 120


@pytest.mark.parametrize(
    ("query", "param"),
    [("limit=abc", "limit"), ("limit=-1", "limit"), ("limit=0", "limit"), ("limit=1.5", "limit"),
     ("offset=x", "offset"), ("offset=-5", "offset")],
)  # fmt: skip
def test_bad_pagination_is_400_naming_the_parameter(admin_client, query, param):
    response = admin_client.get(f"/api/roles/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [param]


def test_ordering_several_fields_and_descending(admin_client, many_roles):
    names = [
        r["name"] for r in admin_client.get("/api/roles/?ordering=-name&limit=3").json()["results"]
    ]
    assert names == ["role-119", "role-118", "role-117"]


def test_unknown_ordering_field_is_400_naming_the_allowed(admin_client):
    response = admin_client.get("/api/roles/?ordering=name,-secret")
    assert response.status_code == 400
    message = response.json()["ordering"][0]
    assert "secret" in message and "id, name" in message


def test_ties_are_broken_by_descending_id(admin_client):
    from bazaar.accounts.models import User

    first = User.objects.create_user("a-clerk", last_name="Same", is_staff=True)
    second = User.objects.create_user("b-clerk", last_name="Same", is_staff=True)
    results = admin_client.get("/api/users/?ordering=last_name&search=clerk").json()["results"]
    assert [r["id"] for r in results] == [second.pk, first.pk]


def test_unknown_route_is_json_404(admin_client):
    response = admin_client.get("/api/nothing-here/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_healthz_and_schema_need_no_auth(anon_client):
    assert anon_client.get("/healthz").status_code == 200
    assert anon_client.get("/readyz/").json() == {"status": "ok", "database": "ok"}
    schema = anon_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/roles/" in schema.json()["paths"]
    assert anon_client.get("/api/docs/").status_code == 200


def test_security_headers(anon_client):
    response = anon_client.get("/healthz")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_cors_closed_by_default(admin_client):
    response = admin_client.get("/api/roles/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in response
