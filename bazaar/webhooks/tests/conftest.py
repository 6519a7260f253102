import pytest

from bazaar.webhooks.tests.receiver import running_receiver


@pytest.fixture
def loopback(settings):
    """Webhooks may point at this machine over plain http (the receivers of these tests)."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_ALLOW_HTTP = True


@pytest.fixture
def receiver(loopback):
    with running_receiver() as receiver:
        yield receiver
