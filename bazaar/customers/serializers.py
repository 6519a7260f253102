from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from bazaar.accounts.models import User
from bazaar.accounts.serializers import MobileNumberField
from bazaar.api.serializers import ModelSerializer
from bazaar.customers.models import Customer
from bazaar.customers.services import customer_create, customer_update


class CustomerSerializer(ModelSerializer):
    """A customer. Uniqueness is checked against every user (staff included): usernames and
    mobile numbers are shared with staff accounts in one table."""

    username = serializers.CharField(
        required=False,
        max_length=150,
        help_text="Defaults to the normalised mobile number.",
        validators=[
            UnicodeUsernameValidator(),
            UniqueValidator(
                User.objects.all(), message="A user with this username already exists."
            ),
        ],
    )
    mobile_number = MobileNumberField(
        help_text="Iranian mobile number in any common form; stored and returned as 09xxxxxxxxx.",
        validators=[
            UniqueValidator(
                User.objects.all(), message="A user with this mobile number already exists."
            )
        ],
    )
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "username",
            "mobile_number",
            "first_name",
            "last_name",
            "full_name",
            "email",
            "date_joined",
        ]
        read_only_fields = ["date_joined"]

    def validate(self, attrs):
        if self.instance is None and not attrs.get("username") and "mobile_number" in attrs:
            mobile = attrs["mobile_number"]
            if User.objects.filter(username=mobile).exists():
                raise serializers.ValidationError(
                    {
                        "username": [
                            f"The default username {mobile} is taken by another user; "
                            "give a username."
                        ]
                    }
                )
        return attrs

    def create(self, validated_data) -> Customer:
        return customer_create(**validated_data)

    def update(self, instance: Customer, validated_data) -> Customer:
        return customer_update(customer=instance, **validated_data)
