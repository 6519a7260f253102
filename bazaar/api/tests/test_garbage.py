"""The collector kept out of requests (bazaar.garbage): the served response lets go of its data,
collections run between requests, and the renderer's fast path still writes every key."""

import gc
from collections.abc import Iterator

import orjson
import pytest
from django.core.handlers.wsgi import WSGIHandler as DjangoWSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from bazaar import garbage
from bazaar.api.renderers import JSONRenderer
from bazaar.orders.models import Order

PAGE = 30


@pytest.fixture
def no_connection_closing() -> Iterator[None]:
    """As Django's test client does: the test's transaction must outlive the request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def gc_state() -> Iterator[None]:
    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    request_finished.disconnect(dispatch_uid="bazaar.garbage")
    if enabled:
        gc.enable()


def _serve(handler, token: str) -> tuple[bytes, int]:
    """One page of orders through `handler` as a WSGI server calls it -> (body, the number of
    objects that only the collector could free once the response was sent and dropped)."""
    environ = (
        RequestFactory()
        .get(f"/api/orders/?limit={PAGE}", HTTP_AUTHORIZATION=f"Token {token}")
        .environ
    )
    gc.collect()
    gc.disable()
    try:
        response = handler(environ, lambda status, headers, exc_info=None: None)
        body = b"".join(response)
        response.close()
        del response
        return body, gc.collect()
    finally:
        gc.enable()


@pytest.mark.usefixtures("no_connection_closing")
def test_the_served_page_is_freed_when_sent_not_left_to_the_collector(admin_client, db):
    Order.objects.bulk_create(Order() for _ in range(PAGE))
    token = admin_client.token
    django_body, django_left = _serve(DjangoWSGIHandler(), token)
    body, left = _serve(garbage.WSGIHandler(), token)

    assert body == django_body
    assert len(orjson.loads(body)["results"]) == PAGE
    # Each order's shape holds several lists (items, payments, shipments, refunds, discounts):
    # in DRF's reference cycle they all waited for the collector.
    assert django_left - left >= 5 * PAGE


@pytest.mark.usefixtures("gc_state", "no_connection_closing")
def test_a_worker_freezes_its_start_up_and_collects_when_a_request_finishes():
    garbage.tune_for_requests()
    assert gc.get_threshold()[0] == garbage.YOUNG_THRESHOLD
    assert gc.get_freeze_count() > 0

    collected: list[int] = []

    def record(phase, info):
        if phase == "start":
            collected.append(info["generation"])

    gc.callbacks.append(record)
    try:
        request_finished.send(sender=DjangoWSGIHandler)
    finally:
        gc.callbacks.remove(record)
    assert collected == [0]


@pytest.mark.usefixtures("gc_state")
def test_the_older_generations_are_collected_every_threshold1_requests():
    gc.set_threshold(garbage.YOUNG_THRESHOLD, 2, 1000)
    collected: list[int] = []

    def record(phase, info):
        if phase == "start":
            collected.append(info["generation"])

    gc.collect()
    gc.callbacks.append(record)
    try:
        for _ in range(6):
            garbage.collect_between_requests()
    finally:
        gc.callbacks.remove(record)

    assert collected == [0, 0, 1, 0, 0, 1]


def test_keys_that_are_not_strings_are_still_written():
    renderer = JSONRenderer()

    assert renderer.render({"a": [1, {"b": None}]}) == b'{"a":[1,{"b":null}]}'
    assert renderer.render({"items": {0: ["Required."]}}) == b'{"items":{"0":["Required."]}}'
