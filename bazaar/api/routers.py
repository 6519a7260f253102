from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """Every route answers with and without the trailing slash: no redirect, the same response."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"
