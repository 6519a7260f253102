"""One exception handler: every failure leaves as a DRF-shaped 4xx (or a 503 when the database is
down), never as a stack trace."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from bazaar.api.errors import Conflict, PreconditionFailed, RequestTooLarge, ServiceUnavailable
from bazaar.api.renderers import JSONRenderer

logger = logging.getLogger(__name__)


def protected_message(exc: ProtectedError | RestrictedError) -> str:
    referrers = sorted({obj._meta.verbose_name_plural for obj in exc.protected_objects})
    count = len(exc.protected_objects)
    return (
        f"Cannot delete: still referenced by {count} {' and '.join(str(r) for r in referrers)}. "
        "Remove those references first, or deactivate it instead."
    )


def exception_handler(exc, context):
    if isinstance(exc, (ProtectedError, RestrictedError)):
        exc = Conflict(protected_message(exc))
    elif isinstance(exc, RequestDataTooBig):
        # Django's message names its setting (DATA_UPLOAD_MAX_MEMORY_SIZE); a client needs bytes.
        exc = RequestTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    elif isinstance(exc, IntegrityError):
        # Unique and foreign-key races that slipped past validation: the client can retry.
        logger.warning("integrity error turned into 409: %s", exc)
        exc = Conflict("The request conflicts with data changed at the same time. Retry it.")
    elif isinstance(exc, (OperationalError, InterfaceError)):
        logger.warning("database unavailable: %s", exc)
        exc = ServiceUnavailable()
    elif isinstance(exc, DatabaseError):
        logger.exception("database error turned into 400")
        exc = exceptions.ValidationError({"non_field_errors": ["The database refused this value."]})
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ValidationError({"non_field_errors": [str(exc) or "Suspicious request."]})
    elif isinstance(exc, (Http404, PermissionDenied)):
        pass  # DRF's own handler shapes these.
    request = context.get("request")
    if request is not None and not getattr(request, "accepted_renderer", None):
        # Content negotiation failed (`?format=xml`, an Accept nothing satisfies): DRF would fall
        # back to the view's first renderer, YAML or HTML on the schema and docs views, and
        # render the error's internals in it. Errors are JSON.
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        response["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
    if response is not None and isinstance(exc, PreconditionFailed):
        response["ETag"] = exc.etag
    return response
