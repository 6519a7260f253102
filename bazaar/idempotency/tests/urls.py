"""The project's URLs plus a few views that exist only to test what no real endpoint does on
purpose: a write followed by a refusal, a crash after a write, a log line inside a request."""

import logging

from django.urls import include, path
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from bazaar.api.request_id import current_request_id
from bazaar.geo.models import Country, State
from bazaar.idempotency.views import idempotent

logger = logging.getLogger("bazaar.tests.request_id")


class PartialWriteView(APIView):
    """Writes a row, then refuses (400) or crashes (500), as `?fail=` says."""

    permission_classes = [IsAuthenticated]

    def post(self, request):
        Country.objects.create(name="Half-written", code="HW")
        if request.query_params.get("fail") == "crash":
            raise RuntimeError("crash after a write")
        raise ValidationError({"name": ["Refused after the row was written."]})


class DanglingReferenceView(APIView):
    """Writes a row whose foreign key points at nothing: both databases check such keys at
    COMMIT (Django makes them deferrable), so the write fails only when it is committed."""

    permission_classes = [IsAuthenticated]

    def post(self, request):
        State.objects.create(country_id=2**62, name="Nowhere", code="NW")
        return Response({"written": True}, status=201)


class RequestIdView(APIView):
    """Logs one line and answers with the request id the code handling the request sees."""

    permission_classes = [IsAuthenticated]

    def get(self, request):
        logger.warning("handling the request")
        return Response({"request_id": request.request_id, "current": current_request_id()})


urlpatterns = [
    path("api/test/partial-write/", idempotent(PartialWriteView).as_view()),
    path("api/test/dangling/", idempotent(DanglingReferenceView).as_view()),
    path("api/test/request-id/", RequestIdView.as_view()),
    path("", include("bazaar.urls")),
]

handler404 = "bazaar.api.views.not_found"
handler500 = "bazaar.api.views.server_error"
