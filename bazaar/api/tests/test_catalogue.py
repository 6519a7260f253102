"""The Persian catalogue is complete (SPEC §16): every translatable string of the code is in
`bazaar/locale/fa/LC_MESSAGES/django.po`, translated, not fuzzy, with the source's placeholders;
and the compiled catalogue is what Django serves. `make messages` adds new strings."""

import io
import textwrap

import pytest
from babel.messages.pofile import read_po
from django.utils import translation

from bazaar.i18n import (
    LANGUAGES,
    catalogue_problems,
    compile_catalogue,
    mo_path,
    po_path,
    read_catalogue,
    source_catalogue,
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_project_string_is_translated(language):
    assert catalogue_problems(language) == []


def test_the_extractor_finds_the_strings_the_admin_shows():
    """The comparison is only as good as the extraction: Django's gettext keywords, model
    choices, admin descriptions and plurals are all found."""
    found = {message.id for message in source_catalogue()}
    assert {
        "Hold",  # a status label (TextChoices)
        "payment method",  # a model field's verbose_name
        "Mark selected orders as deleted",  # an admin action
        "Create %(resource)s",  # gettext_noop, for the permission codes
        ("%(count)d order marked as deleted.", "%(count)d orders marked as deleted."),
    } <= found


def _source(tmp_path, code: str):
    (tmp_path / "module.py").write_text(textwrap.dedent(code))
    return source_catalogue(tmp_path)


def _po(text: str):
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
    return read_po(io.BytesIO((header + textwrap.dedent(text)).encode()), locale="fa")


def test_a_new_string_that_is_not_in_the_catalogue_fails(tmp_path):
    source = _source(
        tmp_path,
        """
        from django.utils.translation import gettext_lazy as _
        LABEL = _("total")
        NEW = _("A brand-new label")
        """,
    )
    catalogue = _po('msgid "total"\nmsgstr "جمع کل"\n')

    problems = catalogue_problems("fa", catalogue=catalogue, source=source)

    assert problems == ["not in the catalogue: 'A brand-new label' (bazaar/module.py:4)"]


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('msgid "total"\nmsgstr ""\n', "not translated: 'total'"),
        ('#, fuzzy\nmsgid "total"\nmsgstr "جمع"\n', "fuzzy: 'total'"),
    ],
)
def test_an_empty_or_fuzzy_translation_fails(tmp_path, entry, problem):
    source = _source(tmp_path, 'from django.utils.translation import gettext as _\n_("total")\n')
    assert catalogue_problems("fa", catalogue=_po(entry), source=source) == [problem]


def test_a_translation_that_loses_a_placeholder_fails(tmp_path):
    """A msgstr without the msgid's %(name)s would raise a KeyError (a 500) when formatted."""
    source = _source(
        tmp_path,
        'from django.utils.translation import gettext as _\n_("Product %(id)s is inactive.")\n',
    )
    catalogue = _po(
        '#, python-format\nmsgid "Product %(id)s is inactive."\nmsgstr "محصول %(pk)s غیرفعال است."\n'
    )
    problems = catalogue_problems("fa", catalogue=catalogue, source=source)
    assert len(problems) == 1 and "placeholder" in problems[0]


def test_the_compiled_catalogue_is_what_django_serves(tmp_path):
    compile_catalogue("fa", only_if_stale=True)
    assert mo_path("fa").stat().st_mtime >= po_path("fa").stat().st_mtime
    with translation.override("fa"):
        assert translation.gettext("Hold") == read_catalogue("fa").get("Hold").string
        assert translation.gettext("Hold") != "Hold"
    with translation.override("en"):
        assert translation.gettext("Hold") == "Hold"


@pytest.mark.django_db
def test_a_message_shared_with_the_api_follows_the_asked_language(admin_client):
    """The Iranian-number checks raise one message for the admin and the API alike: Persian to a
    client that asks for it (as DRF's own messages already were), English otherwise."""
    url = "/api/customers/"
    persian = admin_client.post(url, {"mobile_number": "12"}, HTTP_ACCEPT_LANGUAGE="fa")
    english = admin_client.post(url, {"mobile_number": "12"})
    assert persian.status_code == english.status_code == 400
    assert "یک شمارهٔ موبایل معتبر ایرانی وارد کنید" in str(persian.json())
    assert "Enter a valid Iranian mobile number" in str(english.json())
