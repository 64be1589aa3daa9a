"""Developer tool for the catalogues (several people edit them at once).

    python -m tools.i18n extract            # messages.pot from the code, then update kk/ru .po
    python -m tools.i18n set FILE.json      # {"msgid": {"kk": "...", "ru": "..."}, ...}
    python -m tools.i18n missing            # untranslated or fuzzy ids per language

Plural entries in FILE.json: {"msgid": {"plural": "ids plural", "kk": ["..", ".."],
"ru": ["..", "..", ".."]}}. Every command holds an exclusive lock on locales/.lock.
"""

from __future__ import annotations

import fcntl
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

from bot.catalogues import LANGUAGES, LOCALES_DIR, po_path, read_catalogue, untranslated

ROOT = LOCALES_DIR.parent
STABLE_DATE = datetime(2024, 11, 12, tzinfo=UTC)
SOURCES = ("bot", "handlers")
KEYWORDS = {
    "_": None,
    "N_": None,
    "__": None,
    "gettext": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "lazy_ngettext": (1, 2),
}


@contextmanager
def locked() -> Iterator[None]:
    with (LOCALES_DIR / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _load(language: str) -> Catalog:
    path = po_path(language)
    if path.exists():
        return read_catalogue(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return Catalog(locale=language, domain="messages", project="alatau-bot")


def _save(language: str, catalogue: Catalog) -> None:
    with po_path(language).open("wb") as handle:
        write_po(handle, catalogue, width=0, omit_header=False, sort_output=True, no_location=True)


def extract() -> None:
    # A fixed creation date and no source locations: the catalogues change only when a
    # message changes, so branches that add messages merge without conflicts.
    template = Catalog(project="alatau-bot", domain="messages", creation_date=STABLE_DATE)
    for source in SOURCES:
        for filename, lineno, message, comments, _context in extract_from_dir(
            ROOT / source, keywords=KEYWORDS, comment_tags=("i18n:",)
        ):
            template.add(message, None, [(f"{source}/{filename}", lineno)], auto_comments=comments)
    with (LOCALES_DIR / "messages.pot").open("wb") as handle:
        write_po(handle, template, width=0, sort_output=True, no_location=True)
    for language in LANGUAGES:
        catalogue = _load(language)
        catalogue.update(template, no_fuzzy_matching=True)
        catalogue.obsolete.clear()
        _save(language, catalogue)


def set_translations(path: Path) -> None:
    entries = json.loads(path.read_text(encoding="utf-8"))
    for language in LANGUAGES:
        catalogue = _load(language)
        for msgid, values in entries.items():
            text = values.get(language)
            if text is None:
                continue
            if "plural" in values:
                catalogue[(msgid, values["plural"])] = None
                message = catalogue[msgid]
                message.id = (msgid, values["plural"])
                message.string = tuple(text)
            else:
                existing = catalogue.get(msgid)
                if existing is None:
                    catalogue.add(msgid, text)
                else:
                    existing.string = text
            message = catalogue.get(msgid)
            if message is not None and message.fuzzy:
                message.flags.discard("fuzzy")
        _save(language, catalogue)


def missing() -> int:
    count = 0
    for language in LANGUAGES:
        problems = untranslated(_load(language))
        count += len(problems)
        for msgid in problems:
            print(f"{language}: {msgid!r}")
    return count


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    with locked():
        if argv[0] == "extract":
            extract()
        elif argv[0] == "set" and len(argv) == 2:
            set_translations(Path(argv[1]))
        elif argv[0] == "missing":
            return 1 if missing() else 0
        else:
            print(__doc__)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
