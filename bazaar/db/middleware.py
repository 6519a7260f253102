"""Per request: which database its reads use (SPEC §17).

- GET and HEAD under /api/ read from a replica, and so does any view that opts in with
  `reads_from_replica` (a read-only endpoint called with POST, such as a search or an export);
  a view can opt out with `replica_reads = False`.
- Every other request uses the primary for everything: writes, and every read of a request that
  writes, so that what it validates against is what it writes over.
- Read-your-writes: a successful write marks its token in the shared cache (Redis when REDIS_URL
  is set, else the database cache, on the primary) for READ_YOUR_WRITES_SECONDS; the token's
  reads go to the primary while the mark lasts, whichever process or host serves them.
- A replica that is unreachable or too far behind is skipped (bazaar.db.routing); with none
  usable, reads use the primary. The client sees no difference but freshness.

With no DATABASE_REPLICA_URL the middleware removes itself at start-up (MiddlewareNotUsed):
nothing of this runs per request.
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed

from bazaar.db import routing

logger = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD"})
ROUTED_PREFIX = "/api/"


def reads_from_replica(view):
    """Opt a read-only view (function or class) in to replica reads whatever its method."""
    view.replica_reads = True
    return view


def wrote_key(request) -> str | None:
    """The cache key of the read-your-writes mark of the request's credentials (a hash: the
    token itself never goes into the cache), or None for a request without any."""
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if not authorization:
        return None
    digest = hashlib.sha256(authorization.encode("utf-8", "surrogateescape")).hexdigest()
    return f"bazaar:wrote:{digest[:40]}"


def view_choice(view_func) -> bool | None:
    """The view's own `replica_reads` (a function view's attribute, or a DRF view class's)."""
    choice = getattr(view_func, "replica_reads", None)
    if choice is None:
        choice = getattr(getattr(view_func, "cls", None), "replica_reads", None)
    return choice


def may_read_from_replica(method: str, path: str, view_func) -> bool:
    """Whether a request's reads may go to a replica: the view's own choice, else GET and HEAD
    under /api/ (never the admin, the health checks or a request that writes)."""
    choice = view_choice(view_func)
    if choice is not None:
        return choice
    return method in READ_METHODS and path.startswith(ROUTED_PREFIX)


class ReplicaRoutingMiddleware:
    def __init__(self, get_response) -> None:
        if not routing.replica_aliases():
            raise MiddlewareNotUsed("no DATABASE_REPLICA_URL: every query uses the primary")
        self.get_response = get_response

    def __call__(self, request):
        request._replica_reads = False  # set by process_view when the view reads only
        request._replica_token = None
        try:
            response = self.get_response(request)
        finally:
            if request._replica_token is not None:
                routing.stop_reading_from(request._replica_token)
        if (
            request.method not in READ_METHODS
            and not request._replica_reads  # a read-only POST (an export) wrote nothing
            and response.status_code < 400
        ):
            self.mark_write(request)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not may_read_from_replica(request.method, request.path, view_func):
            return None
        request._replica_reads = True
        if self.wrote_recently(request):
            return None
        alias = routing.choose_replica()
        if alias is not None:
            request._replica_token = routing.start_reading_from(alias)
        return None

    def wrote_recently(self, request) -> bool:
        key = wrote_key(request)
        if key is None:
            return False
        try:
            return cache.get(key) is not None
        except Exception:  # the cache is down: the primary is always fresh
            logger.warning(
                "read-your-writes mark unreadable; reading from the primary", exc_info=True
            )
            return True

    def mark_write(self, request) -> None:
        key = wrote_key(request)
        if key is None:
            return
        try:
            cache.set(key, 1, timeout=settings.READ_YOUR_WRITES_SECONDS)
        except Exception:  # the write is done: failing its answer now would be worse
            logger.warning("read-your-writes mark not recorded", exc_info=True)
