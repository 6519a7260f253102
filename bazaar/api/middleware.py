import logging

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

from bazaar.api.errors import ServiceUnavailable
from bazaar.api.request_id import HEADER, accepted_request_id, set_current_request_id

logger = logging.getLogger(__name__)


class RequestIdMiddleware:
    """First in MIDDLEWARE: every response (errors, 404s, 429s, 5xx and 503s included) carries
    `X-Request-ID`, and the code handling the request finds it as `request.request_id` and
    `current_request_id()` (which the log filter prints).

    The id is cleared when the response is closed (`request_finished`), not when this middleware
    returns: Django logs a 5xx response after the middleware chain, and that line must show it.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request_id = accepted_request_id(request.headers.get(HEADER))
        request.request_id = request_id
        set_current_request_id(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def clear_request_id(**kwargs) -> None:
    """`request_finished` receiver: a log line written between requests shows no stale id."""
    set_current_request_id(None)


class DatabaseUnavailableMiddleware:
    """Outside DRF views (admin, health), a lost database is a JSON 503, not a stack trace."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.warning("database unavailable: %s", exception)
            return JsonResponse({"detail": str(ServiceUnavailable.default_detail)}, status=503)
        return None
