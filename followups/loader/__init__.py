"""Load a dataset file (data/ministerial.json, format in data/README.md) into the tracker.

The folder: `spec` (one spec per record kind: the file's keys, references, how values compare, what the loader
writes and through which service), `check` (the whole file is checked before anything is written), `merge` (the
three-way compare of file, last loaded and tracker: who owns a value), `write` (the records, in one transaction),
`load` (the entry points), `models` (what was last loaded per record and field, and the conflicts), `views` (the
staff page listing the conflicts).

The entry points are imported lazily: `followups.models` re-exports `followups.loader.models`, and the loader
itself needs the models and the services.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT_PATH", "LOADER_ACTOR", "LoadError", "LoadReport", "load_data", "load_file"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from followups.loader import load

        return getattr(load, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
