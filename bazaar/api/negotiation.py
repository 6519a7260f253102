"""Content negotiation: `?format=` and `Accept` that no renderer satisfies are clean JSON errors."""

from rest_framework.exceptions import NotFound
from rest_framework.negotiation import DefaultContentNegotiation


class UnsupportedFormat(NotFound):
    """`?format=xml` where the endpoint has no such renderer: a 404, as DRF answers a format
    suffix it does not know (the resource does not exist in that form), but with a message."""

    default_code = "unsupported_format"


class ContentNegotiation(DefaultContentNegotiation):
    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            known = ", ".join(sorted({r.format for r in renderers if r.format}))
            raise UnsupportedFormat(f"Unsupported format '{format}'. Supported: {known}.")
        return matching
