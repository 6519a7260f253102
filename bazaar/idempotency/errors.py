from django.http import HttpResponse
from rest_framework import exceptions, status

from bazaar.api.errors import Conflict
from bazaar.idempotency.keys import INVALID_KEY_MESSAGE
from bazaar.idempotency.models import StoredResponse

REPLAYED_HEADER = "Idempotent-Replayed"


class InvalidKey(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = INVALID_KEY_MESSAGE
    default_code = "invalid_idempotency_key"


class KeyInFlight(Conflict):
    default_detail = (
        "A request with this Idempotency-Key is still being processed. Retry it in a moment to "
        "get its response."
    )
    default_code = "idempotency_key_in_use"


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"

    def __init__(self, stored: StoredResponse) -> None:
        super().__init__(
            f"This Idempotency-Key was already used for another request ({stored.method} "
            f"{stored.path}, or another body). Send a new key with a new request."
        )


class Replay(Exception):
    """Raised by the claim when the same request was already answered; the view sends
    `response()` and runs nothing."""

    def __init__(self, stored: StoredResponse) -> None:
        self.stored = stored

    def response(self) -> HttpResponse:
        stored = self.stored
        response = HttpResponse(
            bytes(stored.body), status=stored.status_code, content_type=stored.content_type or None
        )
        if stored.location:
            response["Location"] = stored.location
        if stored.etag:
            response["ETag"] = stored.etag
        response[REPLAYED_HEADER] = "true"
        return response
