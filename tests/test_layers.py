"""DESIGN.md's layers, enforced: an app imports only from apps below it."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BELOW = {
    "accounts": set(),
    "contacts": {"accounts"},
    "blocklists": {"accounts"},
    "messaging": {"accounts", "contacts", "blocklists"},
    "handoff": {"accounts", "contacts", "blocklists", "messaging"},
}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(BELOW)


@pytest.mark.parametrize("app", sorted(BELOW))
def test_app_imports_only_from_apps_below(app):
    offenders = {}
    for path in (REPO / app).rglob("*.py"):
        wrong = imported_apps(path) - BELOW[app] - {app}
        if wrong:
            offenders[str(path.relative_to(REPO))] = sorted(wrong)
    assert offenders == {}, f"{app} imports from apps above or beside it: {offenders}"


def test_the_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "views.py"
    bad.write_text("from messaging.models import Message\nimport handoff.views\n")
    assert imported_apps(bad) == {"messaging", "handoff"}
