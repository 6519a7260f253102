from django.contrib.auth.models import Group
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from bazaar.accounts.authentication import TokenAuthentication
from bazaar.accounts.codes import ALL_CODES, Block, code_name
from bazaar.accounts.models import User
from bazaar.accounts.serializers import (
    MeSerializer,
    PermissionCodeSerializer,
    RoleSerializer,
    StaffUserSerializer,
    TokenCreateSerializer,
    TokenSerializer,
    code_permissions_queryset,
)
from bazaar.api.errors import Conflict
from bazaar.api.permissions import IsAuthenticatedUser
from bazaar.api.throttling import LoginAddressRateThrottle, LoginFailureThrottle


class TokenView(APIView):
    """POST: log in and get a new token. DELETE: revoke the token used for this request."""

    def get_permissions(self):
        return [] if self.request.method == "POST" else [IsAuthenticatedUser()]

    def get_authenticators(self):
        if self.request is not None and self.request.method == "POST":
            return []
        # DELETE revokes the token sent: an admin session has none to revoke (a 401, not a 500).
        return [TokenAuthentication()]

    def get_throttles(self):
        if self.request.method == "POST":
            return [LoginAddressRateThrottle(), LoginFailureThrottle()]
        return super().get_throttles()

    @extend_schema(request=TokenCreateSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request):
        serializer = TokenCreateSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            LoginFailureThrottle().record_failure(request, self)
            raise ValidationError(serializer.errors)
        _instance, token = AuthToken.objects.create(serializer.validated_data["user"])
        return Response({"token": token})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        request._auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticatedUser]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class PermissionListView(APIView):
    staff_without_code = True  # any staff member may read the catalogue of codes

    @extend_schema(responses=PermissionCodeSerializer(many=True))
    def get(self, request):
        return Response([{"code": code, "name": code_name(code)} for code in ALL_CODES])


def _users_with_codes():
    """Users with their roles and direct code grants, for the users resource's shape."""
    return User.objects.prefetch_related(
        "groups",
        Prefetch(
            "user_permissions", queryset=code_permissions_queryset(), to_attr="code_permissions"
        ),
    )


def _code_prefetch() -> Prefetch:
    return Prefetch("permissions", queryset=code_permissions_queryset(), to_attr="code_permissions")


class RoleViewSet(viewsets.ModelViewSet):
    permission_block = Block.ROLES
    serializer_class = RoleSerializer
    search_fields = ["name"]
    ordering_fields = ["id", "name"]
    ordering = ["name"]

    def get_queryset(self):
        return Group.objects.prefetch_related(_code_prefetch())

    def perform_create(self, serializer):
        serializer.instance = self._refetch(serializer.save())

    def perform_update(self, serializer):
        serializer.instance = self._refetch(serializer.save())

    def _refetch(self, role: Group) -> Group:
        return self.get_queryset().get(pk=role.pk)


class StaffUserViewSet(viewsets.ModelViewSet):
    """Staff members and Admins; customers live at /api/customers/."""

    permission_block = Block.USERS
    serializer_class = StaffUserSerializer
    search_fields = ["username", "first_name", "last_name", "email", "mobile_number"]
    ordering_fields = ["id", "username", "date_joined", "last_name"]
    ordering = ["username"]

    def get_queryset(self):
        return _users_with_codes().filter(is_staff=True).order_by("username")

    def perform_create(self, serializer):
        serializer.instance = self._refetch(serializer.save())

    def perform_update(self, serializer):
        serializer.instance = self._refetch(serializer.save())

    def perform_destroy(self, user: User) -> None:
        if user.is_superuser and not self.request.user.is_superuser:
            raise PermissionDenied("Only an Admin may delete an Admin.")
        if user.pk == self.request.user.pk:
            raise Conflict("You cannot delete your own account.")
        user.delete()

    def _refetch(self, user: User) -> User:
        return _users_with_codes().get(pk=user.pk)
