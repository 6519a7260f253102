from rest_framework.routers import SimpleRouter

from bazaar.idempotency.views import idempotent


class OptionalSlashRouter(SimpleRouter):
    """Every route answers with and without the trailing slash: no redirect, the same response.
    Every view it routes honours `Idempotency-Key` on its writes (bazaar.idempotency)."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"

    def register(self, prefix, viewset, basename=None) -> None:
        super().register(prefix, idempotent(viewset), basename)
