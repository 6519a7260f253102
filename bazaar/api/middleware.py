import logging
import tempfile

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

from bazaar.api.errors import RequestTooLarge, ServiceUnavailable
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


# Room for the multipart boundaries and the other parts around an uploaded file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
READ_STEP_BYTES = 64 * 1024


def body_limit(content_type: str) -> tuple[int, str]:
    """The most bytes a request body may have, and how a 413 states it: an upload (multipart)
    may carry an image of up to IMAGE_MAX_BYTES, every other body API_MAX_BODY_BYTES (SPEC §10)."""
    if content_type.lower().startswith("multipart/"):
        limit = settings.IMAGE_MAX_BYTES + MULTIPART_OVERHEAD_BYTES
        return limit, (
            f"Request body is larger than the limit of {limit} bytes "
            f"(the limit for images is {settings.IMAGE_MAX_BYTES} bytes)."
        )
    limit = settings.API_MAX_BODY_BYTES
    return limit, str(RequestTooLarge(limit).detail)


class ChunkedBodyMiddleware:
    """A body sent with `Transfer-Encoding: chunked` is read whole, as if it had a Content-Length
    (SPEC §2: however a body is framed, the same result and the same limit).

    gunicorn de-chunks the body and marks the input `wsgi.input_terminated`, but leaves
    CONTENT_LENGTH out, and Django reads a body without one as empty: a chunked POST made an
    empty order and a chunked PATCH changed nothing. Here the body is read up to its limit plus
    one byte and handed on with the Content-Length it turned out to have; a body over the limit
    is a 413 at once.

    Only for servers that say the input ends by itself (`wsgi.input_terminated`): elsewhere
    (runserver) reading past the absent length could block on the socket."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if (
            "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
            and not meta.get("CONTENT_LENGTH")
            and meta.get("wsgi.input_terminated")
        ):
            # In memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, on disk beyond; gone with the request.
            with tempfile.SpooledTemporaryFile(settings.FILE_UPLOAD_MAX_MEMORY_SIZE) as body:
                refused = self.read_whole_body(request, body)
                return refused if refused is not None else self.get_response(request)
        return self.get_response(request)

    def read_whole_body(self, request, body) -> JsonResponse | None:
        """Read the body into `body` and put it in the request's place; or a 413."""
        limit, message = body_limit(request.META.get("CONTENT_TYPE", ""))
        source = request.META["wsgi.input"]
        size = 0
        while size <= limit:
            chunk = source.read(min(READ_STEP_BYTES, limit + 1 - size))
            if not chunk:
                break
            body.write(chunk)
            size += len(chunk)
        if size > limit:
            return JsonResponse({"detail": message}, status=413)
        body.seek(0)
        request._stream = LimitedStream(body, size)
        request.META["CONTENT_LENGTH"] = str(size)
        return None
