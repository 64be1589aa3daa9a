"""Compile and check the gettext catalogues in locales/ (Babel).

`python -m bot.catalogues` compiles every `.po` into `.mo` (the `.mo` files
are build products, never committed); `check_catalogues()` lists missing and
fuzzy translations.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
LANGUAGES = ("kk", "ru")


def po_path(language: str, locales_dir: Path = LOCALES_DIR) -> Path:
    return locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def compile_catalogues(locales_dir: Path = LOCALES_DIR) -> list[Path]:
    """Write `.mo` next to every `.po` that is newer than its `.mo`."""
    written: list[Path] = []
    for language in LANGUAGES:
        source = po_path(language, locales_dir)
        target = source.with_suffix(".mo")
        if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        catalogue = read_catalogue(source)
        with target.open("wb") as handle:
            write_mo(handle, catalogue, use_fuzzy=False)
        written.append(target)
    return written


def untranslated(catalogue: Catalog) -> list[str]:
    """Message ids with an empty or fuzzy translation."""
    problems: list[str] = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(message.id if isinstance(message.id, str) else message.id[0])
    return problems


def main() -> int:
    for path in compile_catalogues():
        print(f"compiled {path.relative_to(LOCALES_DIR.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
