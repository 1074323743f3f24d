"""The admin in Spanish and French names every model and field in the clerk's language: no column header, field
label, filter or inline title is left as the English that Django derives from a field's name ("Due on",
"Commitment owners"). The English pages keep those words exactly."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import override
from django_stubs_ext import StrOrPromise

from tests.test_translations import LOCALE, read_po

LANGUAGES = ("es", "fr")

# Names whose translation is the same word: each is in the catalogue, the word is simply the same.
SAME_WORD = {
    "es": set(),
    "fr": {
        "date",
        "description",
        "note",
        "notes",
        "organisation",
        "organisations",
        "parties",
        "source",
        "sources",
    },
}


def admin_models() -> list[type[models.Model]]:
    """The models the clerks see in the admin: the registered ones of our apps and those of their inlines."""
    found: list[type[models.Model]] = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in ("agreements", "followups"):
            continue
        for shown in [model, *(inline.model for inline in model_admin.inlines)]:
            if shown not in found:
                found.append(shown)
    return found


def names_of(model: type[models.Model]) -> dict[str, StrOrPromise | None]:
    """The model's names and those of its fields a clerk reads (concrete fields, not the automatic key)."""
    opts = model._meta
    names: dict[str, StrOrPromise | None] = {
        f"{opts.label} (name)": opts.verbose_name,
        f"{opts.label} (plural)": opts.verbose_name_plural,
    }
    for field in opts.get_fields(include_parents=False):
        if field.concrete and not field.auto_created:
            names[f"{opts.label}.{field.name}"] = field.verbose_name
    return names


def english_names() -> set[str]:
    with override("en"):
        words = {str(name).lower() for model in admin_models() for name in names_of(model).values()}
    return words | {"agreements", "follow-ups"}  # the apps' names on the index


def _msgids(language: str) -> set[tuple[str | None, str]]:
    entries = read_po(LOCALE / language / "LC_MESSAGES" / "django.po")
    return {(e.fields.get("msgctxt"), e.fields["msgid"]) for e in entries}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_model_and_field_name_is_translated(language):
    catalogue = _msgids(language)
    problems = []
    for model in admin_models():
        for where, name in names_of(model).items():
            if not isinstance(name, Promise):
                problems.append(f"{where}: {name!r} is not marked for translation")
                continue
            with override("en"):
                english = str(name)
            with override(language):
                translated = str(name)
            args = name._args
            key = (args[0], args[1]) if len(args) == 2 else (None, args[0])
            if key not in catalogue:
                problems.append(f"{where}: {english!r} is not in the {language} catalogue")
            elif translated.lower() == english.lower() and english.lower() not in SAME_WORD[language]:
                problems.append(f"{where}: {english!r} stays English in {language}")
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_the_same_word_list_holds_only_words_that_are_the_same():
    """An entry of SAME_WORD that has come to differ (or is no longer a name) is dropped, not kept as a loophole."""
    with override("en"):
        english = {str(n).lower(): n for model in admin_models() for n in names_of(model).values()}
    for language, words in SAME_WORD.items():
        for word in words:
            assert word in english, word
            with override(language):
                assert str(english[word]).lower() == word, (language, word)


class _Labels(HTMLParser):
    """What names a model or a field on an admin page: column headers, labels, captions, inline and filter titles."""

    TAGS = ("th", "label", "caption", "h2", "summary")

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._open: list[tuple[str, list[str] | None]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in self.TAGS:
            # A list's row header (<th class="field-ref">) is a record's value, data rather than a name.
            is_data = tag == "th" and (a.get("class") or "").startswith("field-")
            self._open.append((tag, None if is_data else []))
        if a.get("data-filter-title"):
            self.texts.append(a["data-filter-title"])

    def handle_endtag(self, tag):
        if tag in self.TAGS and self._open:
            _, parts = self._open.pop()
            if parts is not None:
                self.texts.append("".join(parts))

    def handle_data(self, data):
        for _, parts in self._open:
            if parts is not None:
                parts.append(data)


def labels_on(html: str) -> set[str]:
    parser = _Labels()
    parser.feed(html)
    # "Ref:", "By status" / "Por estado" / "Par statut" (a filter's heading): the name alone.
    clean = (
        re.sub(r"^(by|por|par) ", "", re.sub(r"\s+", " ", t).strip().rstrip(":").strip(), flags=re.I)
        for t in parser.texts
    )
    return {t.lower() for t in clean if t}


def admin_pages(client) -> list[str]:
    """The admin's index and, for every model of our apps, its list, its add form and one change form."""
    urls = [reverse("admin:index"), reverse("admin:app_list", args=["agreements"])]
    for model in admin.site._registry:
        opts = model._meta
        if opts.app_label not in ("agreements", "followups"):
            continue
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk]))
    return urls


@pytest.fixture
def pages(ministerial, db, admin_client):
    """The real dataset, seen by a superuser (who may open every model, the security records included)."""
    return admin_client, admin_pages(admin_client)


def _walk(client, urls: list[str], language: str) -> dict[str, set[str]]:
    client.cookies["django_language"] = language
    english = english_names()
    found: dict[str, set[str]] = {}
    for url in urls:
        response = client.get(url)
        if response.status_code == 403:  # an add form the model admin refuses (records written by the tracker)
            continue
        assert response.status_code == 200, url
        hits = (labels_on(response.content.decode()) & english) - SAME_WORD.get(language, set())
        if hits:
            found[url] = hits
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_admin_page_shows_an_english_model_or_field_name(pages, language):
    client, urls = pages
    found = _walk(client, urls, language)
    assert not found, "\n".join(f"{url}: {sorted(words)}" for url, words in found.items())


def test_in_english_the_same_pages_show_those_names(pages):
    """The check above can fail: in English the walk finds the names, as Django derived them before."""
    client, urls = pages
    found = set().union(*_walk(client, urls, "en").values())
    for name in ("ref", "due on", "commitment owners", "signed on", "is active", "lead days", "party clocks"):
        assert name in found, name
