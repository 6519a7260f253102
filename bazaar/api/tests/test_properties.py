"""Property tests (hypothesis) for SPEC §8's input rules: bazaar.accounts.validators.

Random numbers written in Latin, Persian (U+06F0-9) and Arabic-Indic (U+0660-9) digits, with the
separators people type, must normalise to one canonical form; junk must only ever be refused
with Django's ValidationError.
"""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bazaar.accounts.validators import (
    national_code_checksum_ok,
    normalize_mobile,
    normalize_national_code,
    normalize_postal_code,
    to_ascii_digits,
)

PROPERTY = settings(max_examples=100, deadline=None)

LATIN = "0123456789"
PERSIAN = "".join(chr(0x06F0 + i) for i in range(10))
ARABIC_INDIC = "".join(chr(0x0660 + i) for i in range(10))
DIGIT_SETS = [LATIN, PERSIAN, ARABIC_INDIC]
# What people put between digit groups and what the normaliser removes: spaces, dashes,
# parentheses, tabs, the zero-width non-joiner and the direction marks pasted from RTL text.
SEPARATORS = [" ", "-", "(", ")", "\t", "\u200c", "\u200e", "\u200f"]

ascii_digits = st.text(alphabet=LATIN, min_size=1, max_size=1)


def render(ascii_number: str, draw) -> str:
    """`ascii_number` in one random digit set (or a mix), with separators sprinkled between."""
    mixed = draw(st.booleans())
    digit_set = draw(st.sampled_from(DIGIT_SETS))
    out = []
    for char in ascii_number:
        if char.isdigit():
            chosen = draw(st.sampled_from(DIGIT_SETS)) if mixed else digit_set
            out.append(chosen[int(char)])
        else:
            out.append(char)
        if draw(st.integers(0, 3)) == 0:
            out.append(draw(st.sampled_from(SEPARATORS)))
    padding = st.text(alphabet=" \t", max_size=2)
    return draw(padding) + "".join(out) + draw(padding)


@st.composite
def mobile_numbers(draw) -> tuple[str, str]:
    """(as typed, canonical `09xxxxxxxxx`) in every accepted prefix form."""
    subscriber = "9" + draw(st.text(alphabet=LATIN, min_size=9, max_size=9))
    prefix = draw(st.sampled_from(["0", "+98", "0098", ""]))
    typed = render(prefix.lstrip("+") + subscriber, draw)
    if prefix.startswith("+"):
        typed = typed.lstrip(" \t")
        typed = "+" + typed
    return typed, "0" + subscriber


@st.composite
def ten_digit_codes(draw) -> tuple[str, str]:
    code = draw(st.text(alphabet=LATIN, min_size=10, max_size=10))
    return render(code, draw), code


def check_digit(first_nine: str) -> int:
    remainder = sum(int(first_nine[i]) * (10 - i) for i in range(9)) % 11
    return remainder if remainder < 2 else 11 - remainder


@st.composite
def valid_national_codes(draw) -> str:
    first_nine = draw(st.text(alphabet=LATIN, min_size=9, max_size=9))
    code = first_nine + str(check_digit(first_nine))
    if len(set(code)) == 1:  # the all-same-digit codes pass the arithmetic but are never issued
        code = "0084575948"
    return code


# Decimal digits of other scripts (Devanagari, Bengali, fullwidth ...): Python's `\d` matches them,
# SPEC §8 accepts only Latin, Persian and Arabic-Indic ones.
OTHER_DIGITS = st.characters(categories=["Nd"]).filter(
    lambda c: c not in LATIN + PERSIAN + ARABIC_INDIC
)
other_script_numbers = st.builds(
    lambda prefix, digits: prefix + digits,
    st.sampled_from(["", "09", "+989", "9"]),
    st.text(alphabet=st.one_of(OTHER_DIGITS, st.sampled_from(LATIN)), min_size=8, max_size=12),
)

junk = st.one_of(
    other_script_numbers,
    st.text(max_size=40),
    st.text(alphabet=LATIN + PERSIAN + ARABIC_INDIC + "".join(SEPARATORS) + "+", max_size=20),
    st.integers(),
    st.none(),
    st.floats(allow_nan=True),
    st.binary(max_size=20),
    st.lists(st.integers(), max_size=3),
)


# --- digits -------------------------------------------------------------------------------------


@PROPERTY
@given(st.text(alphabet=LATIN, max_size=30), st.sampled_from(DIGIT_SETS))
def test_every_digit_set_maps_to_ascii(number, digit_set):
    written = "".join(digit_set[int(c)] for c in number)
    assert to_ascii_digits(written) == number


# --- mobile numbers -------------------------------------------------------------------------


@PROPERTY
@given(mobile_numbers())
@example(("+98 912-345 6789", "09123456789"))
@example(("۰۹۱۲۳۴۵۶۷۸۹", "09123456789"))
@example(("٠٠٩٨٩١٢٣٤٥٦٧٨٩", "09123456789"))
@example(("9123456789", "09123456789"))
def test_every_valid_mobile_is_accepted_and_normalised(case):
    typed, canonical = case
    assert normalize_mobile(typed) == canonical


@PROPERTY
@given(mobile_numbers())
def test_mobile_normalisation_is_idempotent(case):
    once = normalize_mobile(case[0])
    assert normalize_mobile(once) == once
    assert len(once) == 11 and once.startswith("09") and once.isascii() and once.isdigit()


@PROPERTY
@given(junk)
def test_mobile_junk_is_only_ever_a_validation_error(value):
    try:
        result = normalize_mobile(value)
    except ValidationError:
        return
    # Whatever is accepted is a real mobile number in canonical form.
    assert len(result) == 11 and result.startswith("09") and result.isascii() and result.isdigit()


@PROPERTY
@given(
    st.integers(0, 14).filter(lambda n: n != 9),
    st.data(),
    st.sampled_from(["", "0", "+98", "0098"]),
)
def test_mobile_with_a_wrong_digit_count_is_refused(length, data, prefix):
    rest = data.draw(st.text(alphabet=LATIN, min_size=length, max_size=length))
    with pytest.raises(ValidationError):
        normalize_mobile(prefix + "9" + rest)


@pytest.mark.parametrize(
    "value",
    [
        "09१२३४५६७८९",  # Devanagari
        "0912345678\uff19",  # a fullwidth 9 at the end
        "+98 ৯১২ ৩৪৫ ৬৭৮৯",  # Bengali
        "09123456789\n",  # a trailing newline after the match
    ],
)
def test_regression_mobile_digits_of_other_scripts_are_refused_or_ascii(value):
    """Found by test_mobile_junk_is_only_ever_a_validation_error: `\\d` accepted any script's
    digits and stored them as typed (`09१२३४५६७८९`), not as `09xxxxxxxxx`."""
    try:
        result = normalize_mobile(value)
    except ValidationError:
        return
    assert result == "09123456789"


@pytest.mark.parametrize(
    ("normalise", "value"),
    [
        (normalize_postal_code, "１２３４５６７８９０"),
        (normalize_postal_code, "१२३४५६७८९०"),
        (normalize_national_code, "००८४५७५९४८"),
        (normalize_national_code, "００８４５７５９４８"),
    ],
)
def test_regression_ten_digit_codes_of_other_scripts_are_refused(normalise, value):
    with pytest.raises(ValidationError):
        normalise(value)


# --- postal codes ---------------------------------------------------------------------------


@PROPERTY
@given(ten_digit_codes())
def test_every_ten_digit_postal_code_is_accepted_and_normalised(case):
    typed, canonical = case
    assert normalize_postal_code(typed) == canonical
    assert normalize_postal_code(canonical) == canonical


@PROPERTY
@given(st.text(alphabet=LATIN, max_size=20).filter(lambda s: len(s) != 10))
def test_postal_code_of_another_length_is_refused(digits):
    with pytest.raises(ValidationError):
        normalize_postal_code(digits)


@PROPERTY
@given(junk)
def test_postal_code_junk_is_only_ever_a_validation_error(value):
    try:
        result = normalize_postal_code(value)
    except ValidationError:
        return
    assert len(result) == 10 and result.isascii() and result.isdigit()


# --- national codes -------------------------------------------------------------------------


@PROPERTY
@given(valid_national_codes(), st.data())
@example("0084575948", None)
def test_every_valid_national_code_is_accepted_in_any_digits(code, data):
    typed = render(code, data.draw) if data is not None else code
    assert normalize_national_code(typed) == code
    assert normalize_national_code(code) == code


def remainder(code: str) -> int:
    return sum(int(code[i]) * (10 - i) for i in range(9)) % 11


@PROPERTY
@given(valid_national_codes(), st.integers(0, 9), st.integers(1, 9))
@example("0084575948", 9, 1)
@example("0010000021", 0, 2)  # 2010000021: remainder 1 -> 10, the check digit stays 1
def test_a_single_digit_change_is_refused_unless_remainders_1_and_10_collide(code, position, shift):
    changed = code[:position] + str((int(code[position]) + shift) % 10) + code[position + 1 :]
    # Changing one of the first nine digits moves the weighted sum by weight*delta, never a
    # multiple of 11 (weights 2..10 and deltas 1..9 are coprime to 11), so the remainder always
    # changes. The formula maps remainders 1 and 10 to the same check digit 1, so exactly that
    # swap goes unnoticed; every other single change (including the check digit itself) is caught.
    blind_spot = position < 9 and {remainder(code), remainder(changed)} == {1, 10}
    if code == "0010000021":
        assert blind_spot and changed == "2010000021"
    accepted = blind_spot and len(set(changed)) > 1
    assert national_code_checksum_ok(changed) is accepted
    if accepted:
        assert normalize_national_code(changed) == changed
    else:
        with pytest.raises(ValidationError):
            normalize_national_code(changed)


@PROPERTY
@given(st.sampled_from(LATIN), st.sampled_from(DIGIT_SETS))
def test_all_same_digit_national_codes_are_refused(digit, digit_set):
    with pytest.raises(ValidationError):
        normalize_national_code(digit_set[int(digit)] * 10)


@PROPERTY
@given(st.text(alphabet=LATIN, min_size=10, max_size=10))
def test_national_code_acceptance_matches_the_check_digit_formula(code):
    expected = len(set(code)) > 1 and int(code[9]) == check_digit(code[:9])
    assert national_code_checksum_ok(code) is expected


@PROPERTY
@given(junk)
def test_national_code_junk_is_only_ever_a_validation_error(value):
    try:
        result = normalize_national_code(value)
    except ValidationError:
        return
    assert len(result) == 10 and national_code_checksum_ok(result)
