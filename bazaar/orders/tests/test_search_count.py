"""A search list is read from word postings kept by PostgreSQL triggers (migration 0015,
selectors.order_search_count, selectors.postings_sql); its count and its page must always equal
what matching the rows' own text finds, however orders and customers were written (API, ORM,
bulk, raw SQL), and the fast path must really be the one taken."""

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bazaar.accounts.models import User
from bazaar.orders import selectors
from bazaar.orders.filters import order_search_parts
from bazaar.orders.models import Order
from bazaar.orders.status import Status

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the postings are kept by PostgreSQL triggers"
)


def matched(terms: list[str], *, deleted: bool = False):
    """The live orders (and the deleted ones too, with `deleted`) whose rows' text (or
    customer's, or id, key, places ...) the terms match, without the postings: the reference
    (the default hides deleted orders)."""
    queryset = Order.objects.all() if deleted else Order.objects.exclude(status=Status.DELETED)
    for term in terms:
        queryset = queryset.filter(order_search_parts(term, postings=False).q)
    return queryset


def listed(terms: list[str]) -> int:
    return matched(terms).count()


def api_count(client, search: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/orders/", {"search": search, "limit": 1})
    assert response.status_code == 200, response.content
    counted_from_postings = any("orders_search_posting" in q["sql"] for q in queries)
    assert counted_from_postings, "the count did not come from the postings"
    return response.json()["count"]


def words_of_shop() -> set[str]:
    """Every substring of at least three characters of every word any order is searched by."""
    texts = list(Order.objects.values_list("search_text", flat=True))
    texts += list(User.objects.values_list("search_text", flat=True))
    words = {word for text in texts for word in text.split()}
    return {
        word[i:j] for word in words for i in range(len(word)) for j in range(i + 3, len(word) + 1)
    }


def assert_every_term_counts_exactly(client, extra: tuple[str, ...] = ()) -> None:
    terms = sorted(words_of_shop())[:400] + list(extra)
    assert terms
    wrong = {term: (api_count(client, term), listed(term.split())) for term in terms}
    wrong = {term: counts for term, counts in wrong.items() if counts[0] != counts[1]}
    assert wrong == {}


@pytest.fixture
def shop(db):
    ali = User.objects.create_user(
        "09121112233", mobile_number="09121112233", first_name="علي", last_name="تبريزي"
    )
    zahra = User.objects.create_user(
        "09359998877", mobile_number="09359998877", first_name="زهرا", last_name="احمدی"
    )
    clerk = User.objects.create_user("clerk", first_name="زهرا", last_name="کارمند", is_staff=True)
    Order.objects.create(customer=ali, notes="سفارش فوری")
    Order.objects.create(customer=zahra, billing_first_name="زهرا", billing_last_name="احمدی")
    Order.objects.create(billing_first_name="مریم", billing_last_name="زهرایی", notes="کادو")
    Order.objects.create(customer=clerk, notes="تست داخلی")  # a staff user's text is not searched
    Order.objects.create(customer=ali, status=Status.DELETED, notes="حذف‌شده فوری")
    Order.objects.bulk_create([Order(notes=f"انبوه {n} فوری", customer=zahra) for n in range(3)])
    return {"ali": ali, "zahra": zahra, "clerk": clerk}


def test_counts_are_exact_for_every_word_part(admin_client, shop):
    assert api_count(admin_client, "زهرا") == listed(["زهرا"]) == 5  # 4 of zahra, 1 by name
    assert api_count(admin_client, "تبریزی") == 1  # stored with Arabic ي: one live order
    assert api_count(admin_client, "کارمند") == 0
    assert_every_term_counts_exactly(admin_client, extra=("زهرا فوری", "0912 111", "+98912111"))


def test_counts_stay_exact_as_orders_and_customers_change(admin_client, shop):
    orders = list(Order.objects.order_by("id"))
    first, second, guest, staffs, deleted = orders[:5]
    shop["zahra"].first_name = "فاطمه"  # a customer renamed: their orders' postings follow
    shop["zahra"].save()
    User.objects.filter(pk=shop["ali"].pk).update(is_staff=True)  # no longer searched by
    User.objects.filter(pk=shop["clerk"].pk).update(is_staff=False)  # now searched by
    Order.objects.filter(pk=deleted.pk).update(status=Status.NEW)  # restored
    Order.objects.filter(pk=second.pk).update(status=Status.DELETED)
    guest.customer = shop["zahra"]
    guest.notes = "یادداشت تازه"
    guest.save()
    Order.objects.filter(notes__startswith="انبوه").update(notes="دسته‌ای تغییرکرده")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE orders_order SET notes = 'با اس کیو ال' WHERE id = %s", [first.pk])
    staffs.delete()
    assert api_count(admin_client, "فاطمه") == listed(["فاطمه"]) == 4
    assert api_count(admin_client, "کارمند") == 0  # clerk's order was deleted outright
    assert api_count(admin_client, "علی") == listed(["علی"]) == 0  # ali is staff now
    assert_every_term_counts_exactly(admin_client, extra=("انبوه", "زهرا", "حذف"))


def test_a_term_the_postings_cannot_answer_is_counted_from_the_rows(admin_client, shop):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get("/api/orders/", {"search": "زه", "limit": 1})  # no trigram
    assert response.json()["count"] == listed(["زه"]) == 5
    assert not any("orders_search_posting" in q["sql"] for q in queries)


def test_a_search_with_another_filter_is_counted_from_the_rows(admin_client, shop):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get("/api/orders/", {"search": "زهرا", "status": "new"})
    assert response.json()["count"] == 5
    # The paginator's count of the filtered rows (which the postings' ids narrow down).
    assert any(
        q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "orders_order"') for q in queries
    )


@pytest.mark.django_db(transaction=True)
def test_writers_adding_the_same_new_words_at_once_all_commit(admin_user):
    # Each writer's new words are inserted in one sorted statement: writers sharing words wait
    # for each other's commit instead of deadlocking, and every order gets its postings.
    from bazaar.conftest import client_for

    errors: list[Exception] = []
    start = threading.Barrier(4)

    def write(n: int) -> None:
        try:
            start.wait()
            for round_ in range(10):
                with transaction.atomic():
                    words = ["واژه", "نو", f"دور{round_}", "مشترک"]
                    Order.objects.create(notes=" ".join(words[n % 4 :] + words[: n % 4]))
        except Exception as error:  # noqa: BLE001 (reported below, with the thread's others)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    client = client_for(admin_user)
    assert api_count(client, "مشترک") == 40
    assert api_count(client, "دور3") == 4


@pytest.mark.parametrize("read_by_id", [True, False], ids=["ids-joined", "index-walk"])
def test_a_page_holds_what_the_rows_match_however_it_is_read(
    admin_client, shop, monkeypatch, read_by_id
):
    # Which way a page is read depends on how many orders the term matches; both must list the
    # very orders, in the same order, that matching the rows' text does.
    monkeypatch.setattr(selectors, "matches_read_by_id", lambda *_args: read_by_id)
    terms = [*sorted(words_of_shop())[:200], "زهرا فوری", "0912 111", "+98912111"]
    every_status = ",".join(Status.values)  # deleted orders have no postings: their text
    for term in terms:
        for deleted, extra in ((False, {}), (True, {"status_in": every_status})):
            query = {"search": term, "limit": 100, **extra}
            response = admin_client.get("/api/orders/", query)
            assert response.status_code == 200, response.content
            expected = matched(term.split(), deleted=deleted).order_by("-created_at", "-id")
            assert [order["id"] for order in response.json()["results"]] == [
                pk for (pk,) in expected.values_list("id")
            ], query
            assert response.json()["count"] == len(expected), query


def test_a_rare_term_is_read_by_its_ids_and_a_common_one_by_walking_the_index():
    # A first name matching 21,000 of a million orders: walking the date index finds a page
    # of 100 after ~4,800 rows, where the ids would be 21,000 lookups; 1,000 matches: the ids.
    assert not selectors.matches_read_by_id(21_000, 1_000_000, 100)
    assert selectors.matches_read_by_id(1_000, 1_000_000, 100)
    # Deep pages walk further: the same term is read by its ids past a large offset.
    assert selectors.matches_read_by_id(21_000, 1_000_000, 100_000)
    assert not selectors.matches_read_by_id(50, -1, 10)  # a table never analysed: 1 row


def test_an_order_matched_by_its_word_and_its_id_is_counted_once(admin_client, shop):
    # One word holds the term, and the term is also the order's id: the count of a single
    # word's postings adds the orders matched otherwise only when they have no posting of it.
    order = Order.objects.create()
    term = f"{order.pk:03d}"
    Order.objects.filter(pk=order.pk).update(notes=f"ref{term}")
    assert api_count(admin_client, term) == listed([term]) == 1
    other = Order.objects.create(notes=f"ref{term}x")  # a second word holding it
    assert api_count(admin_client, term) == listed([term]) == 2
    assert other.pk != order.pk


# The paginator's page of the filtered orders.
FILTERED_PAGE = 'SELECT "orders_order"."id" AS "pk" FROM "orders_order" WHERE'


def api_page(client, query: dict) -> tuple[list[int], int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/orders/", query)
    assert response.status_code == 200, response.content
    body = response.json()
    return [order["id"] for order in body["results"]], body["count"], [q["sql"] for q in queries]


def test_a_search_page_comes_from_the_postings_in_the_lists_order(admin_client, shop):
    # Ties on created_at break on the newest id; an order whose created_at is rewritten moves
    # its postings (the update trigger); one matched by its id and not its words is merged in.
    orders = list(Order.objects.exclude(status=Status.DELETED).order_by("id"))
    same_moment = orders[1].created_at
    Order.objects.filter(pk__in=[o.pk for o in orders[2:5]]).update(created_at=same_moment)
    with connection.cursor() as cursor:  # behind the ORM's back: the trigger still follows
        cursor.execute(
            "UPDATE orders_order SET created_at = created_at - interval '3 days' WHERE id = %s",
            [orders[-1].pk],
        )
    by_id = Order.objects.create()
    Order.objects.filter(pk=by_id.pk).update(notes="فوری")
    terms = [*sorted(words_of_shop())[:150], f"{orders[0].pk:03d}", "فوری"]
    for term in terms:
        expected = [
            pk for (pk,) in matched([term]).order_by("-created_at", "-id").values_list("id")
        ]
        for offset, limit in ((0, 100), (0, 2), (1, 2), (3, 1), (len(expected), 5)):
            for ordering in ({}, {"ordering": "-created_at"}):
                query = {"search": term, "limit": limit, "offset": offset, **ordering}
                ids, count, sql = api_page(admin_client, query)
                assert (ids, count) == (expected[offset : offset + limit], len(expected)), query
                if count and offset < count:
                    # The page's ids came with the count: the orders were never filtered.
                    assert not any(q.startswith(FILTERED_PAGE) for q in sql), query


def test_a_search_in_another_order_or_with_several_terms_filters_the_orders(admin_client, shop):
    for query in (
        {"search": "زهرا", "ordering": "total"},
        {"search": "زهرا", "ordering": "created_at"},
        {"search": "زهرا فوری"},
        {"search": "زهرا", "status": "new"},
    ):
        ids, count, sql = api_page(admin_client, query)
        terms = query["search"].split()
        ordering = query.get("ordering", "-created_at")
        expected = matched(terms)
        if "status" in query:
            expected = expected.filter(status=query["status"])
        expected = [pk for (pk,) in expected.order_by(ordering, "-id").values_list("id")]
        assert (ids, count) == (expected, len(expected)), query
        assert any(q.startswith(FILTERED_PAGE) for q in sql), query
