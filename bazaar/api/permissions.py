from rest_framework import permissions
from rest_framework.exceptions import NotAuthenticated, PermissionDenied

from bazaar.accounts.codes import Action, code_for, code_name
from bazaar.accounts.permissions import user_has_code

# DRF viewset action -> offset within the view's permission block.
ACTION_OFFSETS: dict[str, Action] = {
    "create": Action.CREATE,
    "list": Action.LIST,
    "retrieve": Action.RETRIEVE,
    "update": Action.UPDATE,
    "partial_update": Action.UPDATE,
    "destroy": Action.DELETE,
}


def required_codes(view, request) -> list[int]:
    """The codes a request needs: from the view's `permission_block` and the action, plus any
    `extra_permission_codes(request)` the view declares (e.g. inline items on order create)."""
    codes: list[int] = []
    block = getattr(view, "permission_block", None)
    action = getattr(view, "action", None)
    explicit = getattr(view, "action_permission_codes", {}).get(action)
    if explicit is not None:
        codes.extend(explicit)
    elif block is not None and action in ACTION_OFFSETS:
        codes.append(code_for(block, ACTION_OFFSETS[action]))
    extra = getattr(view, "extra_permission_codes", None)
    if extra is not None:
        codes.extend(extra(request))
    return codes


class HasPermissionCode(permissions.BasePermission):
    """Admins may do everything; staff need the code of the action; everyone else gets 403."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            raise NotAuthenticated()
        if not user.is_active:
            raise PermissionDenied("This account is inactive.")
        if user.is_superuser:
            return True
        if not user.is_staff:
            raise PermissionDenied("Only staff members may use the back-office API.")
        if getattr(view, "staff_without_code", False):
            return True
        codes = required_codes(view, request)
        if not codes and request.method != "OPTIONS":
            raise PermissionDenied("This action is reserved for Admins.")
        missing = [code for code in codes if not user_has_code(user, code)]
        if missing:
            names = ", ".join(f"{code} ({code_name(code)})" for code in missing)
            raise PermissionDenied(f"Missing permission code {names}.")
        return True


class IsAuthenticatedUser(permissions.BasePermission):
    """Any active, authenticated user: for /api/auth/ endpoints about oneself."""

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            raise NotAuthenticated()
        return True
