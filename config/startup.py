"""Refusing to start: one message that names every problem, on standard error, and no traceback.

Settings are read before logging is configured, by manage.py, gunicorn and Celery alike; an exception there would
print a Python traceback in front of the message an operator needs. Exit status 3 is also what gunicorn's
arbiter takes as "the worker failed to boot", so gunicorn stops instead of restarting workers in a loop.
"""

from __future__ import annotations

import sys

EXIT_STATUS = 3


def refuse_to_start(problems: list[str], *, production: bool) -> None:
    """Print the problems and leave the process. Never returns."""
    title = "Production settings are incomplete or unsafe" if production else "Malformed settings"
    message = f"{title}; the tracker does not start:\n  - " + "\n  - ".join(problems)
    message += "\n(see README.md, 'Configuration') and docs/deploy.md\n"
    sys.stderr.write(message)
    sys.stderr.flush()
    raise SystemExit(EXIT_STATUS)
