"""Python's cyclic garbage collector, kept out of the middle of requests (`bazaar.wsgi`).

A page of 100 orders holds some 20,000 objects while it is built. With CPython's default
threshold (a young collection every 700 net allocations) the collector ran about three times
inside each such request, traversing the page every time; and the page outlived the request
until a later collection, because DRF's response is in a reference cycle (its renderer context
names the view, the view names the response), so refcounting never freed the data it holds.
That was ~1.4 ms of a 9.4 ms request's CPU (docs/performance-analysis.md, issue 19).

Served by a WSGI server, each worker process therefore
- lets go of a response's data once the response is rendered (`WSGIHandler`): refcounting then
  frees the page as soon as it is sent, and the cycle left behind is a few hundred small objects;
- freezes what it loaded at start-up (modules, settings, URL patterns: never garbage), so that
  no collection traverses it again and forked workers keep sharing those memory pages;
- raises the young generation's threshold far above what one request allocates, so that a
  collection inside a request is rare (a request that allocates more still gets one: memory
  stays bounded);
- collects after each response has been sent (`request_finished`), when little is alive: the
  older generations every `threshold1` and `threshold1 * threshold2` of those collections, as
  CPython itself would.
"""

import gc

import django
from django.core.handlers.wsgi import WSGIHandler as DjangoWSGIHandler
from django.core.signals import request_finished

# Net container allocations before an automatic young collection: a page of 100 orders holds
# ~20,000 while it is built and leaves ~1,000 behind (the request's cycle) once it is sent.
YOUNG_THRESHOLD = 100_000


class WSGIHandler(DjangoWSGIHandler):
    def __call__(self, environ, start_response):
        response = super().__call__(environ, start_response)
        # Rendered by now (its bytes are what the server sends); the data would otherwise wait
        # in the response's reference cycle for the collector. The test client keeps it: tests
        # read `response.data`, and they go through Django's handler, not this one.
        vars(response).pop("data", None)
        return response


def collect_between_requests(**_kwargs) -> None:
    _young, middle, old = gc.get_count()
    _threshold0, threshold1, threshold2 = gc.get_threshold()
    if middle >= threshold1:
        gc.collect(2 if old >= threshold2 else 1)
    else:
        gc.collect(0)


def tune_for_requests() -> None:
    """Once per process, after the application is loaded."""
    gc.collect()
    gc.freeze()
    _threshold0, threshold1, threshold2 = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, threshold1, threshold2)
    request_finished.connect(collect_between_requests, dispatch_uid="bazaar.garbage")


def get_wsgi_application() -> WSGIHandler:
    """`django.core.wsgi.get_wsgi_application`, with the handler and the tuning above."""
    django.setup(set_prefix=False)
    handler = WSGIHandler()
    tune_for_requests()
    return handler
