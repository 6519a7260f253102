import logging

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

from bazaar.api.errors import ServiceUnavailable

logger = logging.getLogger(__name__)


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
