from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from bazaar.api.views import healthz, readyz

API_APPS = [
    "accounts",
    "customers",
    "geo",
    "media",
    "catalog",
    "methods",
    "feed",
    "orders",
    "fulfilment",
    "coupons",
    "webhooks",
]

urlpatterns = [
    re_path(r"^healthz/?$", healthz, name="healthz"),
    re_path(r"^readyz/?$", readyz, name="readyz"),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^api/docs/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    *[path("api/", include(f"bazaar.{app}.urls")) for app in API_APPS],
    path("admin/", admin.site.urls),
]

if settings.SERVE_MEDIA:
    # Uploaded images and thumbnails, downloadable from the URLs the API returns (also under
    # gunicorn, where django.conf.urls.static would serve nothing without DEBUG).
    def media(request, path):
        # MEDIA_ROOT read per request, so a changed setting (tests) is honoured.
        return serve(request, path, document_root=settings.MEDIA_ROOT)

    media_prefix = settings.MEDIA_URL.lstrip("/")
    if media_prefix and "://" not in settings.MEDIA_URL:
        urlpatterns.append(re_path(rf"^{media_prefix}(?P<path>.*)$", media))

handler404 = "bazaar.api.views.not_found"
handler500 = "bazaar.api.views.server_error"
