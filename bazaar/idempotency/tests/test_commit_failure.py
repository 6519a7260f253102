"""A keyed write whose COMMIT fails: the answer is the error (not the handler's 201), nothing is
written and nothing stored, and the key may be retried."""

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from bazaar.accounts.models import User
from bazaar.geo.models import State
from bazaar.idempotency.models import StoredResponse

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_commit_that_fails_is_a_409_and_stores_nothing(settings):
    settings.ROOT_URLCONF = "bazaar.idempotency.tests.urls"
    user = User.objects.create_superuser("committer", "c@example.com", "pw-Commit-123")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user)[1]}")

    for _attempt in range(2):
        answer = client.post("/api/test/dangling/", {}, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
        assert answer.status_code == 409, answer.content
        assert set(answer.json()) == {"detail"}
        assert "Idempotent-Replayed" not in answer
    assert not State.objects.exists()
    assert not StoredResponse.objects.exists()
