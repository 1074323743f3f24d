"""The loader's entry points: check a whole file, then write it in one transaction.

The whole file is checked before anything is written: a broken reference, a bad date, an unknown status, kind
or key is reported with the record's id and the reason, and the database is left exactly as it was. Then
everything is written in one transaction, records matched by their dataset id (`ref`). A later load changes
only what nobody changed in the tracker since the last one (followups.loader.merge); conflicts are reported.
The reminders and partners' webhooks of every deadline the load changed are planned once, at its end.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from followups import services
from followups.deadlines import RuleError
from followups.loader.check import Checker, check_file
from followups.loader.fields import LOADER_ACTOR, Context
from followups.loader.records import check_context_lists, check_timeline
from followups.loader.report import LoadError, LoadReport
from followups.loader.spec import SPECS
from followups.loader.write import write_file

DEFAULT_PATH = Path(settings.BASE_DIR) / "data" / "ministerial.json"

# Top-level lists the loader reads besides the record kinds of the spec table, and those data/README.md
# documents as context only (ignored).
TOP_LEVEL_READ = ("meta", "timeline_updates")
TOP_LEVEL_IGNORED = ("scheduled_reminders_next_120_days",)

__all__ = ["DEFAULT_PATH", "LOADER_ACTOR", "LoadError", "LoadReport", "load_data", "load_file"]


def load_file(path: Path | str | None = None) -> LoadReport:
    """Load a dataset file; raises LoadError (database untouched) when anything in it is wrong."""
    path = Path(path) if path else DEFAULT_PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise LoadError([f"{path}: no such file"]) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LoadError([f"{path}: not valid JSON ({exc})"]) from exc
    if not isinstance(data, dict):
        raise LoadError([f"{path}: the top level must be an object with lists such as 'organisations'"])
    return load_data(data)


def check_data(data: dict[str, Any]) -> Checker:
    """Check every record of a parsed file; the returned checker's `problems` lists what is wrong."""
    checker = Checker(data)
    unknown = sorted(set(data) - {s.kind for s in SPECS} - {*TOP_LEVEL_READ, *TOP_LEVEL_IGNORED})
    if unknown:
        checker.problem("file", f"unknown key(s) {', '.join(unknown)} at the top level; see data/README.md")
    check_file(checker, SPECS)
    check_timeline(checker)
    check_context_lists(checker)
    return checker


def load_data(data: dict[str, Any]) -> LoadReport:
    """Check then load a parsed dataset in one transaction.

    Safe to run twice: the second run changes nothing, and never a value staff changed since the last load.
    """
    checker = check_data(data)
    if checker.problems:
        raise LoadError(checker.problems)
    ctx = Context(report=LoadReport(), as_of=checker.as_of, data=data)
    try:
        with transaction.atomic(), services.deadlines_changed_deferred():
            write_file(data, ctx)
    except RuleError as exc:
        raise LoadError([str(exc)]) from exc
    except ValidationError as exc:  # a service refused a value (a date that breaks a rule, a status...)
        raise LoadError([f"{key}: {'; '.join(map(str, errors))}" for key, errors in exc.message_dict.items()]) from exc
    return ctx.report
