"""core/ is pure: stdlib only, nothing of the project (architecture.md: "core/ imports
nothing of the project"; no aiogram, no SQLAlchemy, no bot, no handlers)."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.core_testkit import REPO

CORE = REPO / "core"
FORBIDDEN = {
    "aiogram",
    "sqlalchemy",
    "bot",
    "handlers",
    "tests",
    "locales",
    "tools",
    "babel",
    "pydantic",
    "pydantic_settings",
    "redis",
    "aiosqlite",
    "asyncpg",
    "alembic",
    "aiohttp",
}
SOURCES = sorted(CORE.rglob("*.py"))


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(
            node.func, "id", getattr(node.func, "attr", "")
        ) in ("__import__", "import_module"):
            for arg in node.args[:1]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    roots.add(arg.value.split(".")[0])
    return roots


def test_there_are_sources() -> None:
    names = {p.name for p in SOURCES}
    assert {
        "months.py",
        "parameters.py",
        "schedule.py",
        "eligibility.py",
        "status.py",
        "validators.py",
    } <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_imports_are_stdlib_or_core(path: Path) -> None:
    roots = imported_roots(path)
    assert not roots & FORBIDDEN, f"{path.name} imports {roots & FORBIDDEN}"
    foreign = {
        r for r in roots if r != "core" and r not in sys.stdlib_module_names and r != "__future__"
    }
    assert not foreign, f"{path.name} imports non-stdlib {foreign}"


def test_importing_core_loads_nothing_of_the_project() -> None:
    script = (
        "import importlib, json, pkgutil, sys\n"
        "import core\n"
        "for info in pkgutil.walk_packages(core.__path__, 'core.'):\n"
        "    if info.name != 'core.__main__':\n"
        "        importlib.import_module(info.name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded = {name.split(".")[0] for name in json.loads(done.stdout)}
    assert not loaded & FORBIDDEN, loaded & FORBIDDEN
    assert "core.schedule" in json.loads(done.stdout)
