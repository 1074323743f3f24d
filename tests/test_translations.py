"""The catalogues are complete (issue 12): every message of the staff pages, e-mails and acknowledgement pages has
a Spanish and a French translation, none fuzzy (a guess msgmerge made), with the same placeholders as the
English."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = ("es", "fr")
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)
    obsolete: bool = False


def read_po(path: Path) -> list[Entry]:
    """A small reader of gettext .po files: flags, msgctxt, msgid, msgid_plural, msgstr and msgstr[n]."""
    entries: list[Entry] = []
    current: Entry | None = None
    key = ""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            current, key = None, ""
            continue
        if line.startswith("#~"):
            if current is None:
                current = Entry(number)
                entries.append(current)
            current.obsolete = True
            continue
        if current is None:
            current = Entry(number)
            entries.append(current)
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current.fields[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            current.fields[key] = ast.literal_eval(value)
    return [e for e in entries if not e.obsolete and e.fields.get("msgid")]


def _placeholders(text: str) -> set[str]:
    return {a or b for a, b in _PLACEHOLDER.findall(text)}


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_empty_or_fuzzy_translation(language):
    entries = read_po(LOCALE / language / "LC_MESSAGES" / "django.po")
    assert len(entries) > 300  # the catalogue was read, not skipped
    problems = []
    for e in entries:
        translations = [v for k, v in e.fields.items() if k.startswith("msgstr")]
        if "fuzzy" in e.flags:
            problems.append(f"line {e.line}: fuzzy: {e.fields['msgid']!r}")
        elif not translations or any(not t for t in translations):
            problems.append(f"line {e.line}: not translated: {e.fields['msgid']!r}")
    assert not problems, f"{len(problems)} problem(s) in {language}:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language):
    problems = []
    for e in read_po(LOCALE / language / "LC_MESSAGES" / "django.po"):
        if "python-format" not in e.flags:
            continue
        wanted = _placeholders(e.fields["msgid"]) | _placeholders(e.fields.get("msgid_plural", ""))
        for key, value in e.fields.items():
            # A singular form may leave the number out ("every month" for "every %(n)d months").
            if key.startswith("msgstr") and value and not _placeholders(value) <= wanted:
                problems.append(f"line {e.line}: {key} {value!r} has placeholders not in {e.fields['msgid']!r}")
    assert not problems, "\n".join(problems)


def test_french_table_headers_are_not_duplicated():
    """The commitment page's deadline table has "Due" and "Deadline" side by side: two different words."""
    fields = {
        e.fields["msgid"]: e.fields.get("msgstr", "") for e in read_po(LOCALE / "fr" / "LC_MESSAGES" / "django.po")
    }
    assert fields["Due"] != fields["Deadline"]
