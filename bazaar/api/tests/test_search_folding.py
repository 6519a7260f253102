"""SPEC §16: search folds Arabic letters, digit sets, joiners, tatweel, diacritics, spaces and
Latin case, on the stored side (generated `search_text` columns, kept by the database on every
write path) and the query side alike, for every `search`; mobile numbers in any §8 form."""

import pytest
from django.db import connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bazaar.accounts.models import User
from bazaar.api.text import (
    DIGITS,
    DROPPED,
    LETTERS,
    WHITESPACE,
    Fold,
    fold,
    mobile_term,
    search_terms,
)
from bazaar.catalog.tests.factories import ProductFactory
from bazaar.customers.models import Customer
from bazaar.customers.tests.factories import CustomerFactory
from bazaar.geo.tests.factories import CityFactory, CountryFactory, StateFactory
from bazaar.media.tests.factories import ImageFactory
from bazaar.methods.tests.factories import (
    BranchFactory,
    PaymentMethodFactory,
    ShippingMethodFactory,
)
from bazaar.orders.models import Order

# --- the folding function, rule by rule -----------------------------------------------------------

RULES = [
    # (typed, folded): one case per row of bazaar.api.text's table
    ("ي", "ی"),
    ("ى", "ی"),
    ("ئ", "ی"),
    ("ك", "ک"),
    ("ة", "ه"),
    ("أ", "ا"),
    ("إ", "ا"),
    ("ٱ", "ا"),
    ("آ", "ا"),
    ("ؤ", "و"),
    ("۰۱۲۳۴۵۶۷۸۹", "0123456789"),
    ("٠١٢٣٤٥٦٧٨٩", "0123456789"),
    ("می\u200cخواهم", "میخواهم"),  # ZWNJ
    ("می\u200dخواهم", "میخواهم"),  # ZWJ
    ("محـــمد", "محمد"),  # tatweel
    ("مُحَمَّد", "محمد"),  # damma, fatha, shadda
    ("\u064bا\u065f\u0670", "ا"),  # the ends of the diacritics range, and superscript alef
    ("a  \t\u00a0 b", "a b"),  # a run of whitespace
    ("ALI Rezaei", "ali rezaei"),  # Latin case
    ("ÉCOLE", "école"),
]


@pytest.mark.parametrize(("typed", "folded"), RULES)
def test_each_rule_of_the_table(typed, folded):
    assert fold(typed) == folded


def test_the_table_is_the_spec_table():
    assert set(LETTERS) == set("يىئكةأإٱآؤ")
    assert set(DIGITS) == set("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩")
    assert set(DROPPED) == {"\u200c", "\u200d", "\u0640", "\u0670"} | {
        chr(c) for c in range(0x064B, 0x0660)
    }


def test_whitespace_is_what_terms_are_split_on():
    """So that a folded term never holds a character that the stored side collapses."""
    split_on = {chr(c) for c in range(0x110000) if len(f"a{chr(c)}b".split()) == 2}
    assert split_on == set(WHITESPACE)


def test_persian_letters_and_other_text_are_kept():
    text = "علی کریمی ۱۴ ه ا و zahra@shop.ir 0912-345"
    assert fold(text) == "علی کریمی 14 ه ا و zahra@shop.ir 0912-345"


# Every character the rules touch, plus Persian letters, Latin letters and spaces around them.
_ALPHABET = (
    "".join(LETTERS)
    + "".join(LETTERS.values())
    + "".join(DIGITS)
    + DROPPED
    + "abcABCzZ0129 \t\u00a0\u2003"
    + "بپتجچخدرزسشطعغفقگلمنهوی"
)


@given(st.text(alphabet=_ALPHABET))
def test_folding_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@given(st.text())
def test_folding_is_idempotent_on_any_text(text):
    assert fold(fold(text)) == fold(text)


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "folded"), RULES)
def test_the_database_folds_like_python(typed, folded):
    """`bazaar_fold` in the database (PostgreSQL's SQL function, SQLite's registered one)."""
    value = Customer.objects.annotate(f=Fold(Value(typed))).values_list("f", flat=True)
    CustomerFactory()
    assert list(value) == [folded]


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_ALPHABET, max_size=30))
def test_the_database_folds_any_text_like_python(text):
    with connection.cursor() as cursor:
        cursor.execute("SELECT bazaar_fold(%s)", [text])
        assert cursor.fetchone()[0] == fold(text)


# --- search terms and mobile numbers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "stored"),
    [
        ("+989141234567", "09141234567"),
        ("00989141234567", "09141234567"),
        ("9141234567", "09141234567"),
        ("0914-123-4567", "09141234567"),
        ("+98914", "0914"),  # the beginning of a number typed internationally
        ("009891412", "091412"),
        ("+98", None),
        ("09141234567", None),  # already the stored spelling
        ("1234", None),
        ("abc", None),
    ],
)
def test_mobile_terms(term, stored):
    assert mobile_term(fold(term)) == stored


def test_a_mobile_number_with_spaces_is_one_term():
    assert search_terms("+98 914 123 4567", 10) == ["09141234567"]
    assert search_terms("۰۹۱۴ ۱۲۳ ۴۵۶۷", 10) == ["09141234567"]
    assert search_terms("ali  0914", 10) == ["ali", "0914"]
    assert search_terms("a\x00b c", 10) == ["ab", "c"]


# --- the stored column follows every write path --------------------------------------------------


def _stored(user_id: int) -> str:
    return User.objects.values_list("search_text", flat=True).get(pk=user_id)


@pytest.mark.django_db
def test_search_text_is_kept_on_save_bulk_create_and_update():
    customer = CustomerFactory(first_name="علي", last_name="كريمي", mobile_number="09141112233")
    assert "علی کریمی" in _stored(customer.pk)
    customer.first_name = "ZAHRA"
    customer.save()
    assert "zahra" in _stored(customer.pk)
    Customer.objects.filter(pk=customer.pk).update(last_name="رضائي")
    assert "رضایی" in _stored(customer.pk)
    [bulk] = User.objects.bulk_create([User(username="bulk-user", first_name="مُحَمَّد")])
    assert _stored(bulk.pk).startswith("bulk-user محمد")


@pytest.mark.django_db
def test_order_search_text_is_kept_on_every_write():
    order = Order.objects.create(billing_first_name="فاطمة", notes="می\u200cخواهم")
    stored = Order.objects.values_list("search_text", flat=True)
    assert "فاطمه" in stored.get(pk=order.pk) and "میخواهم" in stored.get(pk=order.pk)
    Order.objects.filter(pk=order.pk).update(shipping_mobile_number="09351234567")
    assert "09351234567" in stored.get(pk=order.pk)
    [bulk] = Order.objects.bulk_create([Order(key="f" * 20, billing_last_name="يزدي")])
    assert "یزدی" in stored.get(pk=bulk.pk)


# --- every search, through the API ----------------------------------------------------------------


def _ids(client, url: str, term: str) -> set[int]:
    response = client.get(url, {"search": term, "limit": 100})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.django_db
def test_every_search_folds(admin_client):
    """An Arabic-keyboard spelling finds the Persian spelling stored, in every list's search."""
    persian, arabic = "کیمیا", "كيميا"
    country = CountryFactory(name=f"ایران {persian}")
    state = StateFactory(name=f"استان {persian}", country=country)
    city = CityFactory(name=f"شهر {persian}", state=state)
    cases = {
        "/api/customers/": CustomerFactory(first_name=persian).pk,
        "/api/users/": User.objects.create_user("staffer", is_staff=True, last_name=persian).pk,
        "/api/products/": ProductFactory(title=f"کتاب {persian}").pk,
        "/api/countries/": country.pk,
        "/api/states/": state.pk,
        "/api/cities/": city.pk,
        "/api/payment-methods/": PaymentMethodFactory(name=f"کارت {persian}").pk,
        "/api/shipping-methods/": ShippingMethodFactory(name=f"پیک {persian}").pk,
        "/api/branches/": BranchFactory(address=f"خیابان {persian}").pk,
        "/api/images/": ImageFactory(name=f"عکس {persian}").pk,
        "/api/orders/": Order.objects.create(notes=f"برای {persian}").pk,
    }
    role = admin_client.post("/api/roles/", {"name": f"نقش {persian}"}, format="json")
    assert role.status_code == 201, role.content
    cases["/api/roles/"] = role.json()["id"]
    for url, stored_id in cases.items():
        assert stored_id in _ids(admin_client, url, arabic), url
        assert stored_id in _ids(admin_client, url, "ك\u200cيـميا"), url
        assert stored_id not in _ids(admin_client, url, "كيميايي"), url


MOBILE_FORMS = ["09141234567", "+989141234567", "00989141234567", "۰۹۱۴۱۲۳۴۵۶۷", "9141234567"]
MOBILE_FORMS += ["+98 914 123 4567", "٠٩١٤١٢٣", "+98914123", "1234"]


@pytest.mark.django_db
@pytest.mark.parametrize("term", MOBILE_FORMS)
def test_a_mobile_number_in_any_form_finds_it_in_every_search(admin_client, term):
    customer = CustomerFactory(mobile_number="09141234567")
    staffer = User.objects.create_user("staffer", is_staff=True, mobile_number="09141234568")
    other = CustomerFactory(mobile_number="09350000000")
    by_customer = Order.objects.create(customer=customer)
    by_billing = Order.objects.create(billing_mobile_number="09141234567")
    by_shipping = Order.objects.create(shipping_mobile_number="09141234567")
    unrelated = Order.objects.create(customer=other, billing_mobile_number="09350000000")

    assert customer.pk in _ids(admin_client, "/api/customers/", term)
    assert other.pk not in _ids(admin_client, "/api/customers/", term)
    found = _ids(admin_client, "/api/orders/", term)
    assert {by_customer.pk, by_billing.pk, by_shipping.pk} <= found
    assert unrelated.pk not in found
    staff_term = term if len(fold(term)) < 10 or term == "1234" else None
    if staff_term:  # a prefix of the staffer's number too
        assert staffer.pk in _ids(admin_client, "/api/users/", staff_term)


@pytest.mark.django_db
def test_an_order_is_found_by_its_customers_folded_name_and_persian_id(admin_client):
    customer = CustomerFactory(first_name="علی", last_name="یزدی")
    order = Order.objects.create(customer=customer)
    assert _ids(admin_client, "/api/orders/", "علي") == {order.pk}
    assert _ids(admin_client, "/api/orders/", "علي يزدي") == {order.pk}
    assert order.pk in _ids(admin_client, "/api/orders/", str(order.pk).translate(_PERSIAN))


_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

# A stored word and, for each of its letters, the spellings a user may type for it.
VARIANTS = {
    "ی": ["ی", "ي", "ى", "ئ"],
    "ک": ["ک", "ك"],
    "ه": ["ه", "ة"],
    "ا": ["ا", "أ", "إ", "ٱ", "آ"],
    "و": ["و", "ؤ"],
    "1": ["1", "۱", "١"],
    "4": ["4", "۴", "٤"],
}
STORED_WORDS = ["کیوان", "هادی", "آیلا", "یکتا", "کوروش", "نیکو", "ویدا", "کاوه", "میکائیل"]
_NOISE = ["", "", "", "\u200c", "\u200d", "\u0640", "\u064e", "\u0651", "\u0670"]


@st.composite
def typed_variants(draw, word: str) -> str:
    out = []
    for char in word:
        out.append(draw(st.sampled_from(VARIANTS.get(fold(char), [char]))))
        out.append(draw(st.sampled_from(_NOISE)))
    return "".join(out)


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), word=st.sampled_from(STORED_WORDS), stored_with_arabic=st.booleans())
def test_any_mix_of_variants_of_a_stored_word_finds_it(
    admin_client, data, word, stored_with_arabic
):
    # The stored word itself may have been typed with an Arabic keyboard, too.
    stored = data.draw(typed_variants(word)) if stored_with_arabic else word
    customer = CustomerFactory(last_name=stored)
    order = Order.objects.create(billing_first_name=f"{stored}14")
    typed = data.draw(typed_variants(word))
    assert customer.pk in _ids(admin_client, "/api/customers/", typed)
    orders = _ids(admin_client, "/api/orders/", typed + data.draw(typed_variants("14")))
    assert order.pk in orders


# --- the admin's search boxes -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_search_boxes_fold(client, admin_user):
    client.force_login(admin_user)
    customer = CustomerFactory(first_name="علی", mobile_number="09141234567")
    product = ProductFactory(title="کتاب کیمیا")
    state = StateFactory(name="استان یزد", country=CountryFactory(name="ایران"))
    order = Order.objects.create(customer=customer)
    pages = {
        "/admin/customers/customer/": ("علي", customer.pk),
        "/admin/catalog/product/": ("كيميا", product.pk),
        "/admin/geo/state/": ("يزد", state.pk),
        "/admin/orders/order/": ("+98 914 123 4567", order.pk),
    }
    for url, (term, pk) in pages.items():
        response = client.get(url, {"q": term})
        assert response.status_code == 200, url
        assert [row.pk for row in response.context["cl"].result_list] == [pk], url
    # A search field the folded column does not hold still works (the state's country name).
    response = client.get("/admin/geo/state/", {"q": "ايران"})
    assert [row.pk for row in response.context["cl"].result_list] == [state.pk]


# --- query counts -------------------------------------------------------------------------------

# Per term, one look-up each of the customers, countries, states and cities it matches and of
# the shipments with it as tracking number (SPEC §14), whatever the spelling of the term, and of
# the coupons when the term can begin a coupon code (Latin letters and digits, SPEC §12: "۰۹۱۴"
# is 0914); then the list's own queries. On PostgreSQL the word postings hold the customers'
# text, and one statement on them gives the term's exact count and the page's ids in place of
# the list's count and page (selectors.order_term_matches): no customer look-up, one query
# fewer.
SEARCH_LOOKUPS = 5 if connection.vendor != "postgresql" else 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("term", "coupon_lookups"), [("علي", 0), ("+989141234567", 0), ("۰۹۱۴", 1)]
)
def test_an_order_search_costs_the_same_queries_for_1_and_for_100_orders(
    admin_client, memory_cache, django_assert_num_queries, term, coupon_lookups
):
    customer = CustomerFactory(first_name="علی", mobile_number="09141234567")
    for count in (1, 100):
        while Order.objects.count() < count:
            Order.objects.create(customer=customer)
        with CaptureQueriesContext(connection) as plain:
            admin_client.get("/api/orders/", {"limit": 100})
        lookups = SEARCH_LOOKUPS + coupon_lookups
        with django_assert_num_queries(len(plain.captured_queries) + lookups):
            body = admin_client.get("/api/orders/", {"search": term, "limit": 100}).json()
        assert body["count"] == count


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/customers/", "/api/roles/", "/api/countries/"])
def test_a_folded_search_adds_no_query(admin_client, memory_cache, django_assert_num_queries, url):
    admin_client.get(url)  # warm whatever a first request loads once
    with CaptureQueriesContext(connection) as plain:
        admin_client.get(url)
    with django_assert_num_queries(len(plain.captured_queries)):
        assert admin_client.get(url, {"search": "كيميا ۱۲"}).status_code == 200
