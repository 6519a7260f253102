from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from bazaar.accounts.codes import ALL_CODES
from bazaar.accounts.models import User
from bazaar.accounts.permissions import (
    CODENAME_PREFIX,
    role_set_codes,
    user_effective_codes,
    user_set_direct_codes,
)
from bazaar.accounts.validators import normalize_mobile
from bazaar.api.errors import Conflict
from bazaar.api.serializers import ModelSerializer, Serializer, UTCDateTimeField


def codes_of(permissions) -> list[int]:
    """Codes among permissions prefetched with `code_permissions_prefetch()`."""
    return sorted(int(p.codename[len(CODENAME_PREFIX) :]) for p in permissions)


class PermissionCodesField(serializers.ListField):
    child = serializers.IntegerField()

    def to_internal_value(self, data):
        codes = super().to_internal_value(data)
        unknown = sorted(set(codes) - set(ALL_CODES))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown permission codes: {', '.join(map(str, unknown))}. "
                "GET /api/auth/permissions/ lists the valid ones."
            )
        return sorted(set(codes))


class MobileNumberField(serializers.CharField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return normalize_mobile(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class TokenCreateSerializer(Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)

    def validate(self, attrs):
        user = authenticate(
            request=self.context.get("request"),
            username=attrs["username"],
            password=attrs["password"],
        )
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to log in with the provided credentials."]}
            )
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class MeSerializer(serializers.ModelSerializer):
    permission_codes = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_superuser",
            "permission_codes",
        ]

    def get_permission_codes(self, user: User) -> list[int]:
        return user_effective_codes(user)


class PermissionCodeSerializer(serializers.Serializer):
    code = serializers.IntegerField()
    name = serializers.CharField()


class RoleSerializer(ModelSerializer):
    permission_codes = PermissionCodesField(required=False)

    class Meta:
        model = Group
        fields = ["id", "name", "permission_codes"]

    def to_representation(self, role: Group):
        data = super().to_representation(role)
        data["permission_codes"] = codes_of(role.code_permissions)
        return data

    def validate_permission_codes(self, codes: list[int]) -> list[int]:
        forbid_codes_beyond_own(self.context["request"].user, set(codes))
        return codes

    @transaction.atomic
    def create(self, validated_data):
        codes = validated_data.pop("permission_codes", [])
        role = Group.objects.create(**validated_data)
        role_set_codes(role=role, codes=codes)
        return role

    @transaction.atomic
    def update(self, role, validated_data):
        codes = validated_data.pop("permission_codes", None)
        role = super().update(role, validated_data)
        if codes is not None:
            role_set_codes(role=role, codes=codes)
        return role


class StaffUserSerializer(ModelSerializer):
    mobile_number = MobileNumberField(required=False, allow_null=True)
    password = serializers.CharField(
        write_only=True, required=False, max_length=4096, trim_whitespace=False
    )
    roles = serializers.PrimaryKeyRelatedField(
        source="groups", many=True, required=False, queryset=Group.objects.all()
    )
    permission_codes = PermissionCodesField(required=False)
    date_joined = UTCDateTimeField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "mobile_number",
            "is_staff",
            "is_superuser",
            "is_active",
            "roles",
            "permission_codes",
            "date_joined",
            "password",
        ]
        extra_kwargs = {"is_staff": {"default": True}}

    def to_representation(self, user: User):
        data = super().to_representation(user)
        data["permission_codes"] = codes_of(user.code_permissions)
        return data

    def validate_mobile_number(self, value):
        if value is None:
            return value
        clash = User.objects.filter(mobile_number=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("A user with this mobile number already exists.")
        return value

    def validate(self, attrs):
        actor: User = self.context["request"].user
        target_is_admin = attrs.get("is_superuser", getattr(self.instance, "is_superuser", False))
        if not actor.is_superuser:
            if target_is_admin or (self.instance is not None and self.instance.is_superuser):
                raise PermissionDenied("Only an Admin may create or edit an Admin.")
            editing_self = self.instance is not None and self.instance.pk == actor.pk
            if editing_self and {"permission_codes", "groups", "is_staff"} & set(attrs):
                raise PermissionDenied(
                    "You cannot change your own roles, permission codes or staff status."
                )
            granted = set(attrs.get("permission_codes", []))
            for role in attrs.get("groups", []):
                granted |= set(codes_of(code_permissions_queryset().filter(group=role)))
            forbid_codes_beyond_own(actor, granted)
        if self.instance is not None and self.instance.pk == actor.pk:
            forbid_self_lockout(self.instance, attrs)
        if "password" in attrs:
            candidate = self.instance or User(
                username=attrs.get("username", ""), email=attrs.get("email", "")
            )
            try:
                password_validation.validate_password(attrs["password"], candidate)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": exc.messages}) from None
        return attrs

    @transaction.atomic
    def create(self, validated_data):
        codes = validated_data.pop("permission_codes", [])
        groups = validated_data.pop("groups", [])
        password = validated_data.pop("password", None)
        user = User(**validated_data)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        user.groups.set(groups)
        user_set_direct_codes(user=user, codes=codes)
        return user

    @transaction.atomic
    def update(self, user, validated_data):
        codes = validated_data.pop("permission_codes", None)
        groups = validated_data.pop("groups", None)
        password = validated_data.pop("password", None)
        for name, value in validated_data.items():
            setattr(user, name, value)
        if password:
            user.set_password(password)
        user.save()
        if groups is not None:
            user.groups.set(groups)
        if codes is not None:
            user_set_direct_codes(user=user, codes=codes)
        return user


def code_permissions_queryset():
    return Permission.objects.filter(
        content_type__app_label="accounts", codename__startswith=CODENAME_PREFIX
    )


def forbid_self_lockout(user: User, attrs: dict) -> None:
    """Like deleting yourself (409), nobody deactivates themselves or drops their own Admin or
    staff status: the account would lock itself out of the back office. Re-sending the current
    values (a GET body sent back with PUT) is fine."""
    if any(
        name in attrs and attrs[name] != getattr(user, name)
        for name in ("is_active", "is_superuser", "is_staff")
    ):
        raise Conflict(
            "You cannot deactivate yourself or change your own Admin or staff status; "
            "ask another Admin."
        )


def forbid_codes_beyond_own(actor: User, codes: set[int]) -> None:
    """A staff member can hand out only codes they hold: no one escalates through a colleague."""
    if actor.is_superuser:
        return
    beyond = sorted(codes - set(user_effective_codes(actor)))
    if beyond:
        raise PermissionDenied(
            f"You cannot grant permission codes you do not hold: {', '.join(map(str, beyond))}."
        )
