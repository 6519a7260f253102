"""SPEC §8: Iranian mobile numbers, postal codes and national codes, in any digit set."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Persian (U+06F0-U+06F9) and Arabic-Indic (U+0660-U+0669) digits to ASCII.
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_SEPARATORS = re.compile(r"[\s\-\u200c\u200f\u200e()]")
# [0-9], not \d: Python's \d also matches Devanagari, fullwidth, Bengali ... digits, which would
# then be stored as typed instead of as ASCII (only Persian and Arabic-Indic are translated).
_MOBILE = re.compile(r"^(?:\+98|0098|0)?(9[0-9]{9})\Z")
_TEN_DIGITS = re.compile(r"^[0-9]{10}\Z")


def to_ascii_digits(value: str) -> str:
    return value.translate(_DIGITS)


def normalize_mobile(value: str) -> str:
    """`+98 912-345 6789`, `۰۹۱۲۳۴۵۶۷۸۹`, `9123456789` -> `09123456789`; else ValidationError."""
    if not isinstance(value, str):
        raise ValidationError(_("Enter a valid Iranian mobile number, e.g. 09121234567."))
    compact = _SEPARATORS.sub("", to_ascii_digits(value.strip()))
    match = _MOBILE.match(compact)
    if not match:
        raise ValidationError(
            _("Enter a valid Iranian mobile number, e.g. 09121234567 or +989121234567."),
            code="invalid_mobile",
        )
    return "0" + match.group(1)


def normalize_postal_code(value: str) -> str:
    compact = _SEPARATORS.sub("", to_ascii_digits(str(value).strip()))
    if not _TEN_DIGITS.match(compact):
        raise ValidationError(_("A postal code is 10 digits."), code="invalid_postal_code")
    return compact


def normalize_national_code(value: str) -> str:
    compact = _SEPARATORS.sub("", to_ascii_digits(str(value).strip()))
    if not _TEN_DIGITS.match(compact):
        raise ValidationError(_("A national code is 10 digits."), code="invalid_national_code")
    if not national_code_checksum_ok(compact):
        raise ValidationError(
            _("This national code's check digit is wrong."), code="invalid_national_code"
        )
    return compact


def national_code_checksum_ok(code: str) -> bool:
    """The Iranian national-code check: weights 10..2 over the first nine digits, mod 11."""
    if len(set(code)) == 1:
        return False  # 0000000000, 1111111111 ... pass the arithmetic but are never issued
    check = int(code[9])
    remainder = sum(int(code[i]) * (10 - i) for i in range(9)) % 11
    return check == remainder if remainder < 2 else check == 11 - remainder
