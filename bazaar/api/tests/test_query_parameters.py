"""Query parameters are checked like body fields (SPEC §2, issue 13): an unknown parameter on a
list is a 400 naming it and the allowed ones; a `*_in` filter takes commas, repeats or both; any
other parameter given twice is a 400. On every list endpoint."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from bazaar.customers.tests.factories import CustomerFactory
from bazaar.orders.models import Order
from bazaar.webhooks.models import Webhook

pytestmark = pytest.mark.django_db

LIST_ROUTES = [
    "user-list", "role-list", "product-list", "customer-list", "country-list", "state-list",
    "city-list", "image-list", "payment-method-list", "shipping-method-list", "branch-list",
    "order-list", "order-item-list", "order-payment-list", "coupon-list", "order-event-list",
    "order-shipment-list", "order-refund-list",
    "webhook-list", "webhook-delivery-list",
]  # fmt: skip


def _list_route_names(patterns) -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names |= _list_route_names(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and (pattern.name or "").endswith("-list"):
            names.add(pattern.name)
    return names


def test_every_list_route_is_covered_here():
    assert _list_route_names(get_resolver().url_patterns) == set(LIST_ROUTES)


@pytest.fixture
def list_paths(admin_client) -> dict[str, str]:
    order = admin_client.post("/api/orders/", {}).json()
    webhook = Webhook.objects.create(url="https://93.184.215.14/h", events=["*"], secret="-")
    paths = {}
    for name in LIST_ROUTES:
        kwargs = (
            {"order_pk": order["id"]} if name.startswith("order-") and name != "order-list" else {}
        )
        if name == "webhook-delivery-list":
            kwargs = {"webhook_pk": webhook.pk}
        paths[name] = reverse(name, kwargs=kwargs).rstrip("?")
    return paths


@pytest.mark.parametrize("route", LIST_ROUTES)
def test_regression_an_unknown_parameter_is_a_400_naming_it_and_the_allowed(
    admin_client, list_paths, route
):
    """Was: `?staus=new` ignored, every row returned."""
    response = admin_client.get(list_paths[route], {"staus": "new", "limit": "5"})
    assert response.status_code == 400, response.content
    (message,) = response.json()["staus"]
    assert message.startswith("Unknown query parameter. Allowed: ")
    allowed = message.removeprefix("Unknown query parameter. Allowed: ").rstrip(".").split(", ")
    assert {"limit", "offset", "format"} <= set(allowed)
    assert "staus" not in allowed


@pytest.mark.parametrize("route", LIST_ROUTES)
def test_every_list_answers_with_its_own_parameters_and_format(admin_client, list_paths, route):
    response = admin_client.get(list_paths[route], {"limit": "5", "offset": "0", "format": "json"})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("route", LIST_ROUTES)
def test_regression_a_parameter_given_twice_is_a_400(admin_client, list_paths, route):
    response = admin_client.get(f"{list_paths[route]}?limit=5&limit=6")
    assert response.status_code == 400
    assert "more than once" in response.json()["limit"][0]


def test_the_allowed_parameters_are_what_the_view_reads(admin_client, list_paths):
    def allowed(route: str) -> set[str]:
        message = admin_client.get(list_paths[route], {"nope": "1"}).json()["nope"][0]
        return set(
            message.removeprefix("Unknown query parameter. Allowed: ").rstrip(".").split(", ")
        )

    assert allowed("order-item-list") == {"format", "limit", "offset"}
    assert allowed("role-list") == {"format", "limit", "offset", "ordering", "search"}
    assert {"status", "status_in", "customer_in", "created_from", "search", "ordering"} <= allowed(
        "order-list"
    )
    assert "country" in allowed("state-list")


def test_several_unknown_parameters_are_each_named(admin_client):
    response = admin_client.get("/api/orders/", {"staus": "new", "custmer": "1"})
    assert response.status_code == 400
    assert set(response.json()) == {"custmer", "staus"}


@pytest.fixture
def orders_by_status(admin_client) -> dict[str, int]:
    ids = {}
    for status in ("new", "hold", "failed"):
        ids[status] = admin_client.post("/api/orders/", {"status": status}).json()["id"]
    return ids


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {order["id"] for order in response.json()["results"]}


@pytest.mark.parametrize(
    "query",
    [
        "status_in=new&status_in=hold",  # what generated clients send
        "status_in=new,hold",
        "status_in=new&status_in=hold,new",  # both, overlapping
    ],
)
def test_regression_in_filters_take_repeats_commas_or_both(admin_client, orders_by_status, query):
    """Was: only the last `status_in` was kept."""
    response = admin_client.get(f"/api/orders/?{query}")
    assert _ids(response) == {orders_by_status["new"], orders_by_status["hold"]}
    assert response.json()["count"] == 2


def test_repeated_in_filter_values_are_each_validated(admin_client, orders_by_status):
    response = admin_client.get("/api/orders/?status_in=new&status_in=bogus")
    assert response.status_code == 400
    assert "status_in" in response.json()
    response = admin_client.get("/api/orders/?status_in=new&status_in=")
    assert response.status_code == 400


def test_a_repeated_exact_filter_is_a_400_not_the_last_value(admin_client, orders_by_status):
    response = admin_client.get("/api/orders/?status=new&status=hold")
    assert response.status_code == 400
    assert list(response.json()) == ["status"]


def test_repeated_id_in_filters_are_one_union(admin_client):
    first, second, third = CustomerFactory(), CustomerFactory(), CustomerFactory()
    ids = [
        admin_client.post("/api/orders/", {"customer": c.pk}).json()["id"]
        for c in (first, second, third)
    ]
    response = admin_client.get(
        f"/api/orders/?customer_in={first.pk}&customer_in={second.pk},{first.pk}"
    )
    assert _ids(response) == set(ids[:2])


def test_the_status_only_count_reads_the_repeated_status_in(admin_client, orders_by_status):
    """The status-only fast path (the tallies, on PostgreSQL) counts the union of the repeats."""
    assert Order.objects.filter(status__in=["new", "failed"]).count() == 2
    response = admin_client.get("/api/orders/?status_in=new&status_in=failed&limit=1")
    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_detail_endpoints_are_not_checked_as_lists(admin_client, orders_by_status):
    response = admin_client.get(f"/api/orders/{orders_by_status['new']}/", {"anything": "1"})
    assert response.status_code == 200
