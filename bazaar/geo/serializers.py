from django.core.validators import RegexValidator
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from bazaar.api.serializers import ModelSerializer
from bazaar.geo.models import City, Country, State


class CodeField(serializers.CharField):
    """Codes are stored trimmed and upper-case, so `ir` and `IR` are one code."""

    def to_internal_value(self, data):
        return super().to_internal_value(data).upper()


class CountrySerializer(ModelSerializer):
    """`{id, name, code}`; the code is unique."""

    code = CodeField(
        max_length=3,
        help_text="ISO 3166-1 alpha-2 (or alpha-3) code, e.g. IR; stored upper-case.",
        validators=[
            RegexValidator(r"^[A-Z]{2,3}$", "A country code is 2 or 3 letters, e.g. IR."),
            UniqueValidator(
                Country.objects.all(), message="A country with this code already exists."
            ),
        ],
    )

    class Meta:
        model = Country
        fields = ["id", "name", "code"]


class StateSerializer(ModelSerializer):
    """`{id, name, code, country}`; the code is unique within its country."""

    code = CodeField(
        max_length=10,
        help_text="Unique within the country; stored upper-case.",
        validators=[
            RegexValidator(
                r"^[A-Z0-9][A-Z0-9_-]*$", "A state code is letters, digits, '-' or '_', e.g. EA."
            )
        ],
    )

    class Meta:
        model = State
        fields = ["id", "name", "code", "country"]
        validators = []  # the (country, code) rule is checked in validate() with a clear message
        extra_kwargs = {
            "country": {
                "error_messages": {"does_not_exist": "No country with id {pk_value}."},
            }
        }

    def validate(self, attrs):
        country = attrs.get("country", getattr(self.instance, "country", None))
        code = attrs.get("code", getattr(self.instance, "code", None))
        clash = State.objects.filter(country=country, code=code)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(
                {"code": [f"{country} already has a state with code {code}."]}
            )
        return attrs


class CitySerializer(ModelSerializer):
    """`{id, name, state}`; the name is unique within its state."""

    class Meta:
        model = City
        fields = ["id", "name", "state"]
        validators = []  # the (state, name) rule is checked in validate() with a clear message
        extra_kwargs = {
            "state": {"error_messages": {"does_not_exist": "No state with id {pk_value}."}},
        }

    def validate(self, attrs):
        state = attrs.get("state", getattr(self.instance, "state", None))
        name = attrs.get("name", getattr(self.instance, "name", None))
        clash = City.objects.filter(state=state, name=name)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(
                {"name": [f"{state} already has a city named {name}."]}
            )
        return attrs
