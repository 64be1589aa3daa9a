"""The layer rules of issue 9 that import-linter (`make lint`, pyproject.toml) cannot see:
only core's status machine knows the statuses; handlers run no query; no module of ours
is imported inside a function (the way a cycle used to be hidden)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from core.status import QuarterStatus, Status

ROOT = Path(__file__).resolve().parents[1]
OURS = ("bot", "handlers", "core")
STATUSES = {s.value for s in Status} | {q.value for q in QuarterStatus}
TEXT_CALLS = {"_", "N_", "gettext", "ngettext", "gettext_in"}
# Not a status: the outbox's delivery failure code "rejected" (Telegram answered 400), stored
# in outbox.failure by migration 0004 — the same word, another column.
NOT_STATUSES = {
    ("bot/outbox/store.py", "REJECTED"),
    ("bot/views/notifications.py", "REJECTED"),
}


def sources(*folders: str) -> Iterator[tuple[str, ast.Module]]:
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = str(path.relative_to(ROOT))
            yield name, ast.parse(path.read_text(encoding="utf-8"), filename=name)


def _called(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def status_literals(tree: ast.Module, name: str = "") -> list[tuple[int, str]]:
    """String constants equal to a status, except user texts (gettext calls), docstrings,
    and keys: a subscript, a `.get()` argument, or a key of a dict whose keys are not all
    statuses (a payload that has a field named like a status)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            (name, n.id) in NOT_STATUSES
            for t in node.targets
            for n in ast.walk(t)
            if isinstance(n, ast.Name)
        ):
            skip.update(id(n) for n in ast.walk(node.value))
        if isinstance(node, ast.Call) and _called(node) in TEXT_CALLS | {"get"}:
            skip.update(id(arg) for arg in node.args[:1] if _called(node) == "get")
            if _called(node) != "get":
                skip.update(id(n) for arg in node.args for n in ast.walk(arg))
        elif isinstance(node, ast.Subscript):
            skip.update(id(n) for n in ast.walk(node.slice))
        elif isinstance(node, ast.Dict):
            keys = [k for k in node.keys if k is not None]
            if not all(isinstance(k, ast.Constant) and k.value in STATUSES for k in keys):
                skip.update(id(k) for k in keys)
        elif (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        ):
            skip.add(id(node.body[0].value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in STATUSES
        and id(node) not in skip
    ]


def test_no_status_literal_outside_core() -> None:
    """domain.md §7 lives in core.status: elsewhere a status is a Status/QuarterStatus
    member, and which status allows which action is asked of core (permits, in_payment)."""
    found = [
        f"{name}:{line}: {value!r}"
        for name, tree in sources("bot", "handlers")
        for line, value in status_literals(tree, name)
    ]
    assert found == []


def test_the_status_check_sees_a_literal() -> None:
    """The check above is not blind: the tuple handlers/staff.py used to keep is found."""
    tree = ast.parse('REJECTABLE = ("submitted", "in_review", "documents_requested")\n')
    assert [value for _, value in status_literals(tree)] == [
        "submitted",
        "in_review",
        "documents_requested",
    ]
    assert status_literals(ast.parse('text = _("approved")\n')) == []


def test_handlers_run_no_query() -> None:
    """Handlers parse the update, call a use case, render a view: no SQL, no session."""
    found = []
    for name, tree in sources("handlers"):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called(node) in {"select", "update", "delete"}:
                found.append(f"{name}:{node.lineno}: {_called(node)}(…)")
            if isinstance(node, ast.Call) and _called(node) == "sessionmaker":
                found.append(f"{name}:{node.lineno}: a session opened")
    assert found == []


def test_no_function_level_import_of_our_modules() -> None:
    """Every import of bot/handlers/core is at the top of its module, where import-linter
    and a reader see it (an import inside a function used to hide a cycle)."""
    found = []
    for name, tree in sources(*OURS):
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and inner.level == 0:
                    modules = [inner.module or ""]
                elif isinstance(inner, ast.Import):
                    modules = [alias.name for alias in inner.names]
                else:
                    continue
                if any(m.split(".")[0] in OURS for m in modules):
                    found.append(f"{name}:{inner.lineno}: {ast.unparse(inner)}")
    assert found == []


def test_one_clock() -> None:
    """Every "now" comes from bot/clock.py: the injected Clock for dates and moments the
    user, the staff or the rules see, bot.clock.utcnow for technical stamps. Nothing else
    reads the calendar (datetime.now/utcnow/today, date.today)."""
    found = []
    for name, tree in sources("bot", "handlers"):
        if name == "bot/clock.py":
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"now", "utcnow", "today"}
                and isinstance(node.func.value, ast.Attribute | ast.Name)
                and ast.unparse(node.func.value).split(".")[-1] in {"datetime", "date"}
            ):
                found.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
            if isinstance(node, ast.FunctionDef) and node.name in {"utcnow", "now_utc"}:
                found.append(f"{name}:{node.lineno}: def {node.name}")
    assert found == []
