"""Habits of the test suite that a reviewer should not have to check by eye."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def holds_a_test(path: Path) -> bool:
    """A test function or a Test class at the top of the module."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            return True
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            return True
    return False


def test_every_test_module_holds_a_test() -> None:
    """A module named test_*.py is collected as tests and read as tests; shared steps and
    data live in helper modules named for what they hold (tests/staff_kit.py,
    tests/apply_support.py, tests/chat.py) — issue 9 item 7."""
    empty = sorted(
        str(path.relative_to(TESTS)) for path in TESTS.rglob("test_*.py") if not holds_a_test(path)
    )

    assert empty == []
