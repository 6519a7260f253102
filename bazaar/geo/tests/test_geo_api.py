"""/api/countries/, /api/states/, /api/cities/ through the HTTP stack."""

import pytest

from bazaar.geo.models import City, Country, State
from bazaar.geo.tests.factories import CityFactory, CountryFactory, StateFactory

pytestmark = pytest.mark.django_db


# --- countries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_country_crud(admin_client, slash):
    created = admin_client.post(f"/api/countries{slash}", {"name": "ایران", "code": "ir"})
    assert created.status_code == 201
    body = created.json()
    assert body == {"id": body["id"], "name": "ایران", "code": "IR"}
    url = f"/api/countries/{body['id']}{slash}"

    assert admin_client.get(url).json() == body
    assert admin_client.put(url, {"name": "Iran", "code": "IR"}).json()["name"] == "Iran"
    assert admin_client.patch(url, {"code": "IRN"}).json() == {
        "id": body["id"],
        "name": "Iran",
        "code": "IRN",
    }
    assert admin_client.get(f"/api/countries{slash}").json()["count"] == 1
    assert admin_client.delete(url).status_code == 204
    assert not Country.objects.exists()


def test_duplicate_country_code_is_a_clear_400(admin_client):
    CountryFactory(code="IR")
    response = admin_client.post("/api/countries/", {"name": "Other", "code": "ir"})
    assert response.status_code == 400
    assert response.json() == {"code": ["A country with this code already exists."]}


def test_patching_a_country_with_its_own_code_is_fine(admin_client):
    country = CountryFactory(code="IR")
    response = admin_client.patch(f"/api/countries/{country.pk}/", {"code": "IR", "name": "X"})
    assert response.status_code == 200


@pytest.mark.parametrize("code", ["", "I", "IRAN", "1R", None])
def test_bad_country_codes_are_400(admin_client, code):
    response = admin_client.post("/api/countries/", {"name": "X", "code": code})
    assert response.status_code == 400
    assert "code" in response.json()


def test_unknown_field_is_a_400_naming_it(admin_client):
    response = admin_client.post("/api/countries/", {"name": "X", "code": "XX", "cdoe": "YY"})
    assert response.status_code == 400
    assert list(response.json()) == ["cdoe"]


def test_country_search_and_ordering(admin_client):
    CountryFactory(name="Iran", code="IR")
    CountryFactory(name="Iraq", code="IQ")
    CountryFactory(name="Oman", code="OM")
    found = admin_client.get("/api/countries/?search=ira&ordering=-code").json()
    assert [c["code"] for c in found["results"]] == ["IR", "IQ"]
    bad = admin_client.get("/api/countries/?ordering=population")
    assert bad.status_code == 400
    assert "ordering" in bad.json()


def test_deleting_a_country_with_states_is_a_409(admin_client):
    state = StateFactory()
    response = admin_client.delete(f"/api/countries/{state.country_id}/")
    assert response.status_code == 409
    assert "states" in response.json()["detail"]
    assert Country.objects.filter(pk=state.country_id).exists()


# --- states ---------------------------------------------------------------------------------------


def test_state_crud_and_country_filter(admin_client):
    iran, iraq = CountryFactory(code="IR"), CountryFactory(code="IQ")
    created = admin_client.post(
        "/api/states", {"name": "آذربایجان شرقی", "code": "ea", "country": iran.pk}
    )
    assert created.status_code == 201
    body = created.json()
    assert body == {"id": body["id"], "name": "آذربایجان شرقی", "code": "EA", "country": iran.pk}
    StateFactory(country=iraq)

    listed = admin_client.get(f"/api/states/?country={iran.pk}").json()
    assert [s["id"] for s in listed["results"]] == [body["id"]]
    assert admin_client.get("/api/states/?country=999999").json()["count"] == 0
    assert admin_client.get("/api/states/").json()["count"] == 2

    moved = admin_client.patch(f"/api/states/{body['id']}/", {"country": iraq.pk})
    assert moved.json()["country"] == iraq.pk
    assert admin_client.delete(f"/api/states/{body['id']}").status_code == 204


@pytest.mark.parametrize("value", ["abc", "1.5", "-1", "99999999999999999999999"])
def test_bad_country_filter_is_a_400_naming_it(admin_client, value):
    response = admin_client.get(f"/api/states/?country={value}")
    assert response.status_code == 400
    assert "country" in response.json()


def test_duplicate_state_code_in_one_country_is_a_400(admin_client):
    state = StateFactory(code="EA")
    response = admin_client.post(
        "/api/states/", {"name": "Another", "code": "ea", "country": state.country_id}
    )
    assert response.status_code == 400
    assert "already has a state with code EA" in response.json()["code"][0]
    other = CountryFactory()
    same_code_elsewhere = admin_client.post(
        "/api/states/", {"name": "Another", "code": "EA", "country": other.pk}
    )
    assert same_code_elsewhere.status_code == 201


def test_moving_a_state_onto_a_clashing_code_is_a_400(admin_client):
    kept = StateFactory(code="EA")
    mover = StateFactory(code="EA")
    response = admin_client.patch(f"/api/states/{mover.pk}/", {"country": kept.country_id})
    assert response.status_code == 400
    assert "code" in response.json()


def test_unknown_country_is_a_400(admin_client):
    response = admin_client.post("/api/states/", {"name": "X", "code": "X", "country": 999999})
    assert response.status_code == 400
    assert response.json() == {"country": ["No country with id 999999."]}


def test_deleting_a_state_with_cities_is_a_409(admin_client):
    city = CityFactory()
    response = admin_client.delete(f"/api/states/{city.state_id}/")
    assert response.status_code == 409
    assert State.objects.filter(pk=city.state_id).exists()


# --- cities ---------------------------------------------------------------------------------------


def test_city_crud_and_filters(admin_client):
    state, other = StateFactory(), StateFactory()
    created = admin_client.post("/api/cities/", {"name": "اسکو", "state": state.pk})
    assert created.status_code == 201
    body = created.json()
    assert body == {"id": body["id"], "name": "اسکو", "state": state.pk}
    CityFactory(state=other)

    assert [
        c["id"] for c in admin_client.get(f"/api/cities?state={state.pk}").json()["results"]
    ] == [body["id"]]
    by_country = admin_client.get(f"/api/cities/?country={state.country_id}").json()
    assert by_country["count"] == 1
    assert admin_client.get("/api/cities/?search=اسک").json()["count"] == 1
    assert admin_client.put(
        f"/api/cities/{body['id']}", {"name": "Osku", "state": other.pk}
    ).json() == {"id": body["id"], "name": "Osku", "state": other.pk}
    assert admin_client.delete(f"/api/cities/{body['id']}/").status_code == 204
    assert City.objects.count() == 1


def test_bad_state_filter_is_a_400(admin_client):
    response = admin_client.get("/api/cities/?state=tehran")
    assert response.status_code == 400
    assert "state" in response.json()


def test_duplicate_city_name_in_one_state_is_a_400(admin_client):
    city = CityFactory(name="Tabriz")
    response = admin_client.post("/api/cities/", {"name": "Tabriz", "state": city.state_id})
    assert response.status_code == 400
    assert "already has a city named Tabriz" in response.json()["name"][0]


def test_huge_id_in_the_path_is_a_404(admin_client):
    assert admin_client.get("/api/cities/99999999999999999999999/").status_code == 404


# --- permissions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "block", "factory", "body"),
    [
        ("/api/countries/", 1400, CountryFactory, {"name": "X", "code": "XX"}),
        ("/api/states/", 1420, StateFactory, {"name": "X", "code": "X"}),
        ("/api/cities/", 1440, CityFactory, {"name": "X"}),
    ],
)
def test_staff_with_list_code_only_can_list_and_nothing_else(
    staff_with_codes, path, block, factory, body
):
    row = factory()
    client = staff_with_codes(block + 2)
    assert client.get(path).status_code == 200
    attempts = {
        block + 1: client.post(path, body),
        block + 3: client.get(f"{path}{row.pk}/"),
        block + 4: client.patch(f"{path}{row.pk}/", {"name": "Y"}),
        block + 5: client.delete(f"{path}{row.pk}/"),
    }
    for code, response in attempts.items():
        assert response.status_code == 403, code
        assert str(code) in response.json()["detail"]


def test_staff_with_every_country_code_can_do_everything(staff_with_codes):
    client = staff_with_codes(1401, 1402, 1403, 1404, 1405)
    created = client.post("/api/countries/", {"name": "X", "code": "XX"}).json()
    assert client.get(f"/api/countries/{created['id']}/").status_code == 200
    assert client.patch(f"/api/countries/{created['id']}/", {"name": "Y"}).status_code == 200
    assert client.delete(f"/api/countries/{created['id']}/").status_code == 204
