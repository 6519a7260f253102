"""The project's translation catalogue (the admin in Persian, SPEC §16), kept with Babel.

English is the source language: strings are wrapped with Django's gettext functions in the code,
and `bazaar/locale/fa/LC_MESSAGES/django.po` holds their Persian. Why Babel and not Django's
makemessages/compilemessages: those need GNU gettext's binaries, which a fresh machine with only
`python3` and `make` lacks; Babel is a pinned Python package, so `make install` compiles the
`.mo` everywhere (the `.mo` is built, never committed).

- `make messages` (`update_catalogue`) adds new source strings to the `.po` and marks removed ones
  obsolete; a translator then fills the empty `msgstr`s.
- `make install` (`compile_catalogue`) writes the `.mo` Django reads.
- `catalogue_problems` is what the test suite checks: every source string is in the `.po`, and
  every entry is translated, not fuzzy, and keeps the source's placeholders.

No Django import here: the Makefile and pytest's start-up use it before Django is set up.
"""

import re
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PACKAGE_DIR = Path(__file__).resolve().parent
LOCALE_DIR = PACKAGE_DIR / "locale"
LANGUAGES = ("fa",)
DOMAIN = "django"

# Django's gettext family, as makemessages passes them to xgettext.
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext_lazy": (1, 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
# Tests and migrations hold no user-facing strings (a migration's verbose_name is a copy).
METHOD_MAP = [
    ("**/tests/**", "ignore"),
    ("**/migrations/**", "ignore"),
    ("locale/**", "ignore"),
    ("**.py", "python"),
]


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(language: str) -> Path:
    return po_path(language).with_suffix(".mo")


def source_catalogue(directory: Path = PACKAGE_DIR) -> Catalog:
    """Every translatable string of the code under `directory`, as makemessages collects it."""
    template = Catalog(domain=DOMAIN, project="Bazaar", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        directory, METHOD_MAP, keywords=KEYWORDS, comment_tags=("Translators:",)
    ):
        template.add(
            message,
            None,
            [(f"bazaar/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    return template


def read_catalogue(language: str) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def update_catalogue(language: str) -> Catalog:
    """`make messages`: the `.po` gains the new source strings (empty, to translate)."""
    path = po_path(language)
    if path.exists():
        catalogue = read_catalogue(language)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalogue = Catalog(locale=language, domain=DOMAIN, project="Bazaar", charset="utf-8")
    source = source_catalogue()
    source.creation_date = catalogue.creation_date  # no header churn when nothing changed
    # No fuzzy matching: a guessed translation of a near string is worse than an empty one.
    catalogue.update(source, no_fuzzy_matching=True, update_header_comment=False)
    with path.open("wb") as handle:
        write_po(handle, catalogue, width=100, sort_output=False, ignore_obsolete=False)
    return catalogue


def compile_catalogue(language: str, *, only_if_stale: bool = False) -> Path:
    """Write the `.mo` Django reads (fuzzy entries left out, as msgfmt does)."""
    po, mo = po_path(language), mo_path(language)
    if only_if_stale and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return mo
    catalogue = read_catalogue(language)
    temporary = mo.with_suffix(".mo.tmp")
    with temporary.open("wb") as handle:
        write_mo(handle, catalogue, use_fuzzy=False)
    temporary.replace(mo)  # a running server never reads a half-written file
    return mo


def _ids(message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def catalogue_problems(
    language: str, *, catalogue: Catalog | None = None, source: Catalog | None = None
) -> list[str]:
    """Why the catalogue is not complete, one line per problem (empty when it is)."""
    catalogue = read_catalogue(language) if catalogue is None else catalogue
    source = source_catalogue() if source is None else source
    problems: list[str] = []
    for message in source:
        if not message.id:
            continue
        known = catalogue.get(message.id, context=message.context)
        where = ", ".join(f"{file}:{line}" for file, line in message.locations)
        if known is None:
            problems.append(f"not in the catalogue: {_ids(message)[0]!r} ({where})")
        elif _ids(known) != _ids(message):
            problems.append(f"plural form differs from the source: {_ids(message)!r} ({where})")
    for message in catalogue:
        if not message.id:
            continue
        strings: Iterable[str] = (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        if message.fuzzy:
            problems.append(f"fuzzy: {_ids(message)[0]!r}")
        elif not all(strings):
            problems.append(f"not translated: {_ids(message)[0]!r}")
        for error in message.check(catalogue):
            problems.append(f"{_ids(message)[0]!r}: {error}")
    return problems


def untranslated_in(text: str, language: str) -> list[str]:
    """The catalogue's English msgids that appear in `text` (a page shown in `language`) as
    standalone words, a msgid's placeholders matching anything: what the page left in English.
    Entries whose translation holds the English itself ("API", "SKU") and ones without a word
    of Latin letters (", ") can't be told apart from translated text, and are not looked for.
    A string never wrapped in gettext is not in the catalogue, so the scan can't see it; the
    labels around it (model, field and status names) are, and `catalogue_problems` keeps every
    wrapped string in the catalogue."""
    found = []
    for message in read_catalogue(language):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid, msgstr in zip(ids, strings, strict=False):
            if not re.search(r"[A-Za-z]{2}", msgid) or msgid in msgstr:
                continue
            parts = re.split(r"%\(\w+\)[sd]", msgid)
            pattern = r".+?".join(re.escape(part) for part in parts)
            if msgid[0].isalpha():  # labels are shown capitalised too ("Amount paid")
                pattern = f"[{msgid[0].lower()}{msgid[0].upper()}]{pattern[1:]}"
            # Standing alone: not a word of a longer English phrase (Django's own "Model name"
            # is not the project's "name" left untranslated).
            if re.search(rf"(?<![A-Za-z])(?<![A-Za-z] ){pattern}(?! ?[A-Za-z])", text):
                found.append(msgid)
    return found
