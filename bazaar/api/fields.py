from rest_framework import serializers

from bazaar.api.limits import MAX_MONEY


class StrictIntegerField(serializers.IntegerField):
    """An integer that is really an integer: JSON numbers without a fractional part, or strings
    of digits (form posts). `10.5`, `"lots"`, `true` and `1e3` are refused."""

    default_error_messages = {"invalid": "A whole number is required."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, float):
            if not data.is_integer():
                self.fail("invalid")
            data = int(data)
        elif isinstance(data, str):
            text = data.strip()
            if not text.lstrip("-").isascii() or not text.lstrip("-").isdigit() or len(text) > 30:
                self.fail("invalid")
            data = int(text)
        elif not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class MoneyField(StrictIntegerField):
    """Money in the smallest currency unit (SPEC §2, §10): an integer, never a float. Only money
    names the unit in its message; an id or a quantity is just a whole number (SPEC §2)."""

    default_error_messages = {
        "invalid": "A whole number is required (in the smallest currency unit, e.g. rial).",
    }

    def __init__(self, *, min_value: int = 0, max_value: int = MAX_MONEY, **kwargs) -> None:
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)
