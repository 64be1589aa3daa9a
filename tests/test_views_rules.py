"""Rules of issue 9 item 1 that keep the views honest (an AST check, like tests/test_layers.py):

- HTML is built by construction: no view or handler escapes by hand — only bot/views/fmt.py
  calls `html.escape`; everything else uses fmt / plain / b / i / code / link / join.
- One translator: `bot.i18n.Tr` is the only class that translates, defined once; no module
  takes gettext from aiogram's context, and the old helpers (gettext_in, make_tr, tr_for)
  are gone. Only bot/i18n.py asks the catalogues (`I18n.gettext`) itself.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FMT = "bot/views/fmt.py"
I18N = "bot/i18n.py"
OLD_TRANSLATORS = {"gettext_in", "make_tr", "tr_for", "all_translations"}


def sources(*folders: str) -> Iterator[tuple[str, ast.Module]]:
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            yield name, ast.parse(path.read_text(encoding="utf-8"), filename=name)


def hand_escapes(tree: ast.Module) -> list[int]:
    """Lines that escape HTML by hand: html.escape(...), escape(...), `from html import …`."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "escape":
                lines.append(node.lineno)
        elif (isinstance(node, ast.ImportFrom) and node.module == "html") or (
            isinstance(node, ast.Import) and any(a.name == "html" for a in node.names)
        ):
            lines.append(node.lineno)
    return lines


def test_no_view_or_handler_escapes_html_by_hand() -> None:
    found = {
        name: lines
        for name, tree in sources("bot/views", "handlers")
        if name != FMT and (lines := hand_escapes(tree))
    }
    assert found == {}, "build HTML with bot/views/fmt.py (fmt, plain, b, link, join)"


def test_the_rule_sees_a_hand_escape() -> None:
    tree = ast.parse("import html\nx = html.escape(name)\nfrom html import escape\ny = escape(z)")
    assert sorted(hand_escapes(tree)) == [1, 2, 3, 4]


def translators(tree: ast.Module) -> list[tuple[int, str]]:
    """What translates outside the one translator: aiogram's context gettext, the old
    helpers, a catalogue asked directly (`….gettext(…, locale=…)`), another `Tr` class."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "aiogram.utils.i18n"
        ):
            for alias in node.names:
                if alias.name not in ("I18n", "I18nMiddleware"):
                    found.append((node.lineno, f"aiogram {alias.name}"))
        elif isinstance(node, ast.ClassDef) and node.name == "Tr":
            found.append((node.lineno, "class Tr"))
        elif isinstance(node, ast.FunctionDef) and node.name in OLD_TRANSLATORS:
            found.append((node.lineno, node.name))
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in OLD_TRANSLATORS:
                found.append((node.lineno, name))
            elif name in ("gettext", "ngettext") and any(k.arg == "locale" for k in node.keywords):
                found.append((node.lineno, f"catalogue {name}"))
    return found


def test_the_rule_sees_another_translator() -> None:
    tree = ast.parse(
        "from aiogram.utils.i18n import gettext as _\n"
        "class Tr: ...\n"
        "x = gettext_in(i18n, 'kk', M)\n"
        "y = i18n.gettext(M, locale='kk')\n"
    )
    assert sorted(what for _, what in translators(tree)) == [
        "aiogram gettext",
        "catalogue gettext",
        "class Tr",
        "gettext_in",
    ]


def test_one_translator() -> None:
    found = {
        name: lines for name, tree in sources("bot", "handlers") if (lines := translators(tree))
    }
    # bot/i18n.py: the class itself asks the catalogues (gettext and its plural form)
    assert sorted(what for _, what in found.pop(I18N, [])) == [
        "catalogue gettext",
        "catalogue gettext",
        "class Tr",
    ]
    assert found == {}, "translate with bot.i18n.Tr (a handler's `tr`, or `_` of bot.i18n)"
