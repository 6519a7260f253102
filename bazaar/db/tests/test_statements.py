"""`bazaar.db.statements.first_rows_together`: several querysets' first rows in one statement,
as the querysets themselves make them; its row lock is a real one (a second connection)."""

import psycopg
import pytest
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q

from bazaar.catalog.models import Product, ProductOptionGroup
from bazaar.catalog.tests.factories import ProductFactory
from bazaar.customers.tests.factories import CustomerFactory
from bazaar.db.statements import RowsTogether, first_rows_together
from bazaar.media.tests.factories import ImageFactory
from bazaar.orders.models import Order

POSTGRES = connection.vendor == "postgresql"


def products():
    groups = ProductOptionGroup.objects.filter(product=OuterRef("pk"))
    return Product.objects.select_related("image").annotate(has_option_groups=Exists(groups))


def make_order(**fields) -> Order:
    return Order.objects.create(customer=CustomerFactory(), **fields)


def fields(instance) -> dict:
    return {k: v for k, v in vars(instance).items() if not k.startswith("_")}  # no caches


@pytest.mark.django_db
def test_each_first_row_is_the_querysets_own_with_its_related_row_and_annotations(
    django_assert_num_queries,
):
    with_image = ProductFactory(image=ImageFactory(name="کفش «قرمز»"), price=1500)
    without_image = ProductFactory(image=None)
    order = make_order(extra={"nested": {"a": [1, "ب"]}})
    make_order()  # another order, not asked for

    wanted = [
        Order.objects.filter(pk=order.pk),
        products().filter(pk=with_image.pk),
        products().filter(pk=without_image.pk),
    ]
    with django_assert_num_queries(1 if POSTGRES else len(wanted)):
        found = first_rows_together(*wanted)

    expected = [queryset.get() for queryset in wanted]
    assert [fields(f) for f in found] == [fields(e) for e in expected]
    assert found[0].extra == {"nested": {"a": [1, "ب"]}}
    assert fields(found[1].image) == fields(with_image.image)
    assert found[1].has_option_groups is False
    assert found[2].image is None
    with django_assert_num_queries(0):  # the related rows came with the statement
        assert found[1].image.name == "کفش «قرمز»"
        assert found[2].image is None


@pytest.mark.django_db
def test_a_queryset_without_rows_gives_none_and_the_others_still_come():
    product = ProductFactory()
    found = first_rows_together(Order.objects.filter(pk=10**12), products().filter(pk=product.pk))
    assert found[0] is None
    assert found[1].pk == product.pk
    assert first_rows_together(products().filter(pk=10**12)) == [None]


@pytest.mark.skipif(not POSTGRES, reason="row locks: SQLite locks the whole database")
@pytest.mark.django_db(transaction=True)
def test_a_select_for_update_in_it_locks_the_row_until_the_transaction_ends():
    order = make_order()
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        with transaction.atomic():
            [locked] = first_rows_together(Order.objects.select_for_update().filter(pk=order.pk))
            assert locked.pk == order.pk
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute(
                    "SELECT 1 FROM orders_order WHERE id = %s FOR UPDATE NOWAIT", [order.pk]
                )
        other.execute("SELECT 1 FROM orders_order WHERE id = %s FOR UPDATE NOWAIT", [order.pk])


ORDER_SLOT, PRODUCT_SLOT = -2_000_000_001, -2_000_000_002


@pytest.mark.django_db
def test_rows_together_compiles_once_and_reads_each_calls_values(django_assert_num_queries):
    orders = [make_order(notes=f"سفارش {n}") for n in range(2)]
    products_made = [ProductFactory(image=ImageFactory()), ProductFactory(image=None)]
    built = []

    def build(order_id, product_id):
        built.append((order_id, product_id))
        return (Order.objects.filter(pk=order_id), products().filter(pk=product_id))

    together = RowsTogether(build, slots=(ORDER_SLOT, PRODUCT_SLOT))
    for order, product in zip(orders, products_made, strict=True):
        with django_assert_num_queries(1 if POSTGRES else 2):
            found = together.read(order.pk, product.pk)
        assert [fields(f) for f in found] == [fields(order), fields(products().get(pk=product.pk))]
    assert together.read(10**12, products_made[0].pk)[0] is None
    if POSTGRES:  # built once with the slots (routing), once to compile; never per call
        assert built == [(ORDER_SLOT, PRODUCT_SLOT)] * 2
    else:  # no compiled statement on SQLite: built with each call's values
        assert built[1:] == [(o.pk, p.pk) for o, p in zip(orders, products_made, strict=True)] + [
            (10**12, products_made[0].pk)
        ]


@pytest.mark.skipif(not POSTGRES, reason="nothing is compiled on SQLite")
@pytest.mark.django_db
def test_a_slot_that_is_not_exactly_one_parameter_is_refused_when_compiled():
    together = RowsTogether(
        lambda order_id: (Order.objects.filter(Q(pk=order_id) | Q(customer_id=order_id)),),
        slots=(ORDER_SLOT,),
    )
    with pytest.raises(RuntimeError, match="2 parameters, not one"):
        together.read(1)
