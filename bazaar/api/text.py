"""Persian-first search text (SPEC §16): one folding function for stored text and queries alike.

`fold()` is the only definition of the rules. The database gets the same function under the name
`bazaar_fold`: on PostgreSQL an immutable SQL function built from the tables below by the
migrations (`postgres_fold_function_sql`), on SQLite this Python function registered on every
connection (`register_sqlite_functions`). Each searchable model stores
`search_text = bazaar_fold(its searchable columns)` as a generated column (`FoldedText`), so the
database keeps it current on every write path (`save`, `bulk_create`, `QuerySet.update`, COPY,
raw SQL) and a search only folds the few characters of its term.

| typed                                          | folded to            |
| ---------------------------------------------- | -------------------- |
| Arabic yeh `ي`, alef maksura `ى`, yeh hamza `ئ` | Persian yeh `ی`      |
| Arabic kaf `ك`                                 | Persian keheh `ک`    |
| teh marbuta `ة`                                | heh `ه`              |
| alef hamza `أ`, `إ`, alef wasla `ٱ`, madda `آ`   | alef `ا`             |
| waw hamza `ؤ`                                  | waw `و`              |
| Persian `۰–۹`, Arabic-Indic `٠–٩` digits        | `0–9`                |
| ZWNJ U+200C, ZWJ U+200D, tatweel `ـ` U+0640     | dropped              |
| Arabic diacritics U+064B–U+065F, U+0670        | dropped              |
| a run of whitespace                            | one space            |
| Latin capitals (any case)                      | lower case           |
"""

import re
from contextlib import suppress

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Func, TextField, Value
from django.db.models.functions import Coalesce

LETTERS = {
    "ي": "ی",
    "ى": "ی",
    "ئ": "ی",
    "ك": "ک",
    "ة": "ه",
    "أ": "ا",
    "إ": "ا",
    "ٱ": "ا",
    "آ": "ا",
    "ؤ": "و",
}
DIGITS = {
    **{chr(0x06F0 + n): str(n) for n in range(10)},  # Persian
    **{chr(0x0660 + n): str(n) for n in range(10)},  # Arabic-Indic
}
DROPPED = "\u200c\u200d\u0640" + "".join(chr(c) for c in range(0x064B, 0x0660)) + "\u0670"
# Exactly the characters Python's str.split() splits on, so that a folded term never holds one
# and PostgreSQL's regular expression (written out below) collapses the same set.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
# The same set as a regular-expression class body, written out so that it means the same in
# Python's `re` and in ECMA-262 (OpenAPI patterns), whose `\s` is another set.
WHITESPACE_CLASS = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

_TABLE = str.maketrans({**LETTERS, **DIGITS, **dict.fromkeys(DROPPED)})
_SPACES = re.compile(f"[{re.escape(WHITESPACE)}]+")


def fold(text: str) -> str:
    """`text` as search compares it (the table above). Idempotent: fold(fold(t)) == fold(t)."""
    return _SPACES.sub(" ", text.lower().translate(_TABLE))


_DIGITS_TABLE = str.maketrans(DIGITS)
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


def parse_whole_number(text: str) -> int:
    """An integer as a query parameter writes it: an optional sign and digits (Latin, Persian or
    Arabic-Indic), spaces around trimmed. ValueError for anything else: `int()` alone also takes
    `5_000` and the digits of every script, and Django's IntegerField `5.0`, none of which is an
    integer where the schema says `integer`."""
    ascii_text = text.strip().translate(_DIGITS_TABLE)
    if not _WHOLE_NUMBER.fullmatch(ascii_text):
        raise ValueError(f"not a whole number: {text!r}")
    return int(ascii_text)


# --- search terms ---------------------------------------------------------------------------------

# A mobile number being typed in an international form: `+98912…`, `0098912…` (after folding,
# so Persian digits count too). The stored form starts `09`.
_MOBILE_PREFIX = re.compile(r"^(?:\+|00)98(9[0-9]{0,9})\Z")


def mobile_term(term: str) -> str | None:
    """The stored `09…` form of a folded term that is a mobile number (or its beginning) in a
    SPEC §8 form other than the stored one, else None: `+98914`, `0098914…` → `0914…`;
    `9141234567`, `0914-123-4567` → `09141234567`."""
    from bazaar.accounts.validators import normalize_mobile

    with suppress(ValidationError):
        full = normalize_mobile(term)
        return None if full == term else full
    match = _MOBILE_PREFIX.match(term)
    return "0" + match.group(1) if match else None


def term_spellings(term: str) -> list[str]:
    """The folded strings one search term is looked for as (one, or two for a mobile number)."""
    folded = fold(term)
    mobile = mobile_term(folded)
    return [folded] if mobile is None or mobile == folded else [folded, mobile]


def search_terms(raw: str, max_terms: int) -> list[str]:
    """The terms of a `search` parameter, split on whitespace. A mobile number typed with
    spaces (`+98 912 345 6789`) is one term, not four that would each have to match."""
    from bazaar.accounts.validators import normalize_mobile

    terms = raw.replace("\x00", "").split()  # NUL: PostgreSQL cannot compare it; never matches
    if len(terms) > 1:
        with suppress(ValidationError):
            return [normalize_mobile(" ".join(terms))]
    return terms[:max_terms]


# --- the database side ---------------------------------------------------------------------------


class Fold(Func):
    """`bazaar_fold(expression)`: `fold()` in the database (see the module docstring)."""

    function = "bazaar_fold"
    output_field = TextField()


class FoldedText(Func):
    """The folded search text of several text columns, separated by a space: a search term never
    holds a space, so it never matches across two columns. For `GeneratedField(expression=...)`.
    """

    function = "bazaar_fold"
    output_field = TextField()

    def __init__(self, *fields: str) -> None:
        parts = []
        for index, name in enumerate(fields):
            if index:
                parts.append(Value(" "))
            parts.append(Coalesce(name, Value(""), output_field=TextField()))
        super().__init__(*parts)
        self.fields = fields

    def as_sql(self, compiler, connection, **extra_context):
        # `a || ' ' || b`, not CONCAT(): PostgreSQL's CONCAT is not immutable, and a generated
        # column may only use immutable functions.
        sql_parts, params = [], []
        for part in self.source_expressions:
            sql, part_params = compiler.compile(part)
            sql_parts.append(f"({sql})")
            params.extend(part_params)
        return f"{self.function}({' || '.join(sql_parts)})", params

    def deconstruct(self):
        path = f"{self.__class__.__module__}.{self.__class__.__name__}"
        return path, self.fields, {}


def postgres_fold_function_sql() -> str:
    """`CREATE OR REPLACE FUNCTION bazaar_fold(text)`, the same rules as `fold()`."""
    source = "".join(LETTERS) + "".join(DIGITS) + DROPPED
    target = "".join(LETTERS.values()) + "".join(DIGITS.values())
    spaces = "".join(f"\\u{ord(c):04x}" for c in WHITESPACE)
    return (
        "CREATE OR REPLACE FUNCTION bazaar_fold(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS "
        f"$$ SELECT regexp_replace(translate(lower($1), '{source}', '{target}'), "
        f"'[{spaces}]+', ' ', 'g') $$"
    )


def _sqlite_fold(text: str | None) -> str | None:
    return None if text is None else fold(text)


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: `bazaar_fold` on every SQLite connection. Deterministic,
    as SQLite requires of a function that a generated column uses."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("bazaar_fold", 1, _sqlite_fold, deterministic=True)


def search_text_field(*fields: str) -> models.GeneratedField:
    """`search_text`: the folded text of `fields`, computed by the database on every write
    (stored, so a search reads it and its trigram index instead of folding every row)."""
    return models.GeneratedField(
        expression=FoldedText(*fields),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name="search text",
    )


def create_fold_function(apps, schema_editor) -> None:
    """Migration step: `bazaar_fold` on PostgreSQL, before a generated column uses it (each app's
    search migration runs it, so their order does not matter; SQLite's is registered per
    connection)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(postgres_fold_function_sql())


def create_trigram_index(table: str, column: str = "search_text"):
    """Migration steps (forwards, backwards): a pg_trgm GIN index on a folded column, on
    PostgreSQL only. `contains` on the column is `LIKE '%term%'`, which the index answers."""
    name = f"{table}_{column}_trgm"

    def forwards(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
                f'USING gin ("{column}" gin_trgm_ops)'
            )
            # Statistics for the new column, so that the first searches are planned well.
            schema_editor.execute(f'ANALYZE "{table}"')

    def backwards(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')

    return forwards, backwards
