"""No fixture is shadowed: a name defined in a conftest is not defined again below it (issue 8, point 8).

A fixture redefined in a sub-folder's conftest or in a test module silently replaces the one a reader finds first,
so a test may not be using the data or the client its name promises. Overriding on purpose is allowed only where
listed in OVERRIDES, with the reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent

OVERRIDES = {
    # The broker-outage tests point the shared Celery cluster at a Redis of their own, which they stop and start.
    ("reliability/test_broker_outage.py", "broker_url"),
}


def _is_fixture(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr == "fixture"


def _fixture_name(node: ast.FunctionDef, decorator: ast.expr) -> str:
    if isinstance(decorator, ast.Call):
        for keyword in decorator.keywords:
            if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                return str(keyword.value.value)
    return node.name


def fixtures_of(path: Path) -> dict[str, int]:
    """The fixtures a file defines, by name, with their line (a conftest's imported fixtures count as its own)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if _is_fixture(decorator):
                    found[_fixture_name(node, decorator)] = node.lineno
        elif (
            isinstance(node, ast.ImportFrom) and path.name == "conftest.py" and (node.module or "").endswith("conftest")
        ):
            for alias in node.names:
                found[alias.asname or alias.name] = node.lineno
    return found


def _conftests_above(path: Path) -> list[Path]:
    """The conftests whose fixtures `path` sees: its own folder's (unless it is that conftest) and every parent's."""
    folders = [path.parent, *path.parent.parents]
    found = [folder / "conftest.py" for folder in folders if folder == TESTS or TESTS in folder.parents]
    return [c for c in found if c.exists() and c != path]


def test_no_fixture_shadows_one_of_a_conftest_above_it():
    shadowed = []
    for path in sorted(TESTS.rglob("*.py")):
        if path.name != "conftest.py" and not path.name.startswith("test_"):
            continue
        mine = fixtures_of(path)
        for conftest in _conftests_above(path):
            for name in mine.keys() & fixtures_of(conftest).keys():
                if (str(path.relative_to(TESTS)), name) not in OVERRIDES:
                    shadowed.append(
                        f"{path.relative_to(TESTS)}:{mine[name]} {name} (also in {conftest.relative_to(TESTS)})"
                    )
    assert shadowed == []
