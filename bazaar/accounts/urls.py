from django.urls import re_path

from bazaar.accounts import views
from bazaar.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("users", views.StaffUserViewSet, basename="user")
router.register("roles", views.RoleViewSet, basename="role")

urlpatterns = [
    re_path(r"^auth/token/?$", views.TokenView.as_view(), name="auth-token"),
    re_path(r"^auth/me/?$", views.MeView.as_view(), name="auth-me"),
    re_path(r"^auth/permissions/?$", views.PermissionListView.as_view(), name="auth-permissions"),
    *router.urls,
]
