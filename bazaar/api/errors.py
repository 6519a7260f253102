"""API error types (kept apart from the handler so parsers can raise them without import cycles)."""

from rest_framework import exceptions, status


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, limit: int | None = None, detail: str | None = None) -> None:
        if detail is None:
            detail = (
                f"Request body is larger than the limit of {limit} bytes."
                if limit
                else "Request body is too large."
            )
        super().__init__(detail)


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable or busy. Try again in a few seconds."
    default_code = "database_unavailable"


class PreconditionFailed(exceptions.APIException):
    """`If-Match` named another version of the order (SPEC §13): the answer carries the current
    ETag so the client can re-read and retry."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"

    def __init__(self, etag: str) -> None:
        super().__init__(
            f"The order has changed since it was read (its ETag is now {etag}). "
            "Read it again and retry."
        )
        self.etag = etag
