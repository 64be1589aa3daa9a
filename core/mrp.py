"""The MRP table (Law on the republican budget of each year) and its lookup.

Data: ``core/params/mrp.toml``, loaded once and validated on load.
domain.md §4: the MRP in force on the 1st day of a month prices that month; a day
past the last known year uses the last known amount, flagged ``known=False``.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from core.errors import MrpNotAvailable, PolicyError
from core.tomlread import read_toml

__all__ = [
    "CITATION_LANGUAGES",
    "MRP_FILE",
    "MrpEntry",
    "MrpLookup",
    "cite_law",
    "load_mrp_table",
    "mrp_for_month_index",
    "mrp_on",
    "mrp_table",
]

MRP_FILE = Path(__file__).resolve().parent / "params" / "mrp.toml"

CITATION_LANGUAGES = ("en", "ru", "kk")
"""Languages of a budget Law's title in the MRP table (CLI English; bot kk and ru)."""

_KK_MONTHS_LOCATIVE = (
    "қаңтардағы",
    "ақпандағы",
    "наурыздағы",
    "сәуірдегі",
    "мамырдағы",
    "маусымдағы",
    "шілдедегі",
    "тамыздағы",
    "қыркүйектегі",
    "қазандағы",
    "қарашадағы",
    "желтоқсандағы",
)


@dataclass(frozen=True, slots=True)
class MrpEntry:
    """One row of the MRP table: ``amount`` tenge in force from ``since`` under the
    Law on the republican budget titled ``law_en`` / ``law_ru`` / ``law_kk``,
    adopted in ``law_year`` (and amended in ``amended_year`` when that amendment set
    the amount). ``number``, ``adopted`` and ``article`` are the Law's (or the
    amending Law's) details; they are quoted only when ``verified`` is True (checked
    against the register), see :func:`cite_law` (issue 10 item 11)."""

    since: date
    amount: int
    law_en: str
    law_ru: str
    law_kk: str
    law_year: int
    verified: bool
    number: str | None = None
    adopted: date | None = None
    article: str | None = None
    amended_year: int | None = None

    @property
    def reference(self) -> str:
        """The English citation of the budget Law behind this row (:func:`cite_law`):
        title and year unless its number and date are verified."""
        return cite_law(self, "en")

    def title(self, language: str) -> str:
        """The budget Law's title in ``language`` (en, ru, kk; English otherwise)."""
        return {"ru": self.law_ru, "kk": self.law_kk}.get(language, self.law_en)


def cite_law(entry: MrpEntry, language: str = "en") -> str:
    """How the Law on the republican budget behind an MRP row is cited to users
    (domain.md §4; issue 10 item 11: a citation that may be wrong is never shown).

    Unverified rows: the Law's title and year of adoption only, e.g. 'Law of the
    Republic of Kazakhstan "On the republican budget for 2026–2028" (2025)'.
    Verified rows: also its number, date and article. ``language``: en, ru or kk.
    """
    title = entry.title(language)
    if not entry.verified or entry.number is None or entry.adopted is None:
        if language == "ru":
            amended = (
                f", с изменениями {entry.amended_year} г." if entry.amended_year is not None else ""
            )
            return f"Закон Республики Казахстан «{title}» ({entry.law_year} г.{amended})"
        if language == "kk":
            amended = (
                f" ({entry.amended_year} жылғы өзгерістерімен)"
                if entry.amended_year is not None
                else ""
            )
            return f"Қазақстан Республикасының «{title}» {entry.law_year} жылғы Заңы{amended}"
        amended = f", as amended in {entry.amended_year}" if entry.amended_year is not None else ""
        return f'Law of the Republic of Kazakhstan "{title}" ({entry.law_year}{amended})'
    day = entry.adopted
    number = entry.number
    if language == "ru":
        what = f"о внесении изменений в Закон «{title}»" if entry.amended_year else f"«{title}»"
        article = f", статья {entry.article}" if entry.article else ""
        return f"Закон Республики Казахстан от {day:%d.%m.%Y} № {number} {what}{article}"
    if language == "kk":
        when = f"{day.year} жылғы {day.day} {_KK_MONTHS_LOCATIVE[day.month - 1]} № {number}"
        article = f", {entry.article}-бап" if entry.article else ""
        if entry.amended_year:
            return (
                f"Қазақстан Республикасының «{title}» Заңына өзгерістер енгізу туралы "
                f"{when} Заңы{article}"
            )
        return f"Қазақстан Республикасының «{title}» {when} Заңы{article}"
    what = f'amending the Law "{title}"' if entry.amended_year else f'"{title}"'
    article = f", art. {entry.article}" if entry.article else ""
    return f"Law of the Republic of Kazakhstan No. {number} of {day:%d.%m.%Y} {what}{article}"


@dataclass(frozen=True, slots=True)
class MrpLookup:
    """The MRP in force on a day (budget Law): ``known`` is False when the day's
    year is after the year of the table's last row (domain.md §4: "not yet known")."""

    amount: int
    entry: MrpEntry
    known: bool


def load_mrp_table(path: Path) -> tuple[MrpEntry, ...]:
    """Read and validate an MRP table file (rows of the budget Laws): dates strictly
    increasing, amounts positive, every row with its Law's title (en, ru, kk) and
    year; a row marked ``verified = true`` must give the number and the date of
    adoption, in the year given (issue 10 item 11)."""
    root = read_toml(path)
    rows = root.tables("mrp")
    root.finish()
    entries: list[MrpEntry] = []
    for row in rows:
        since = row.required_day("since")
        amount = row.integer("amount", 1, 10_000_000)
        law = row.required_table("law")
        titles = {language: law.required_text(language) for language in CITATION_LANGUAGES}
        law.finish()
        law_year = row.integer("law_year", 1991, 2100)
        amended_year = row.integer("amended_year", 1991, 2100) if row.has("amended_year") else None
        verified = row.boolean("verified")
        number = row.text("number", optional=True)
        adopted = row.day("adopted", optional=True)
        article = row.text("article", optional=True)
        row.finish()
        if law_year >= since.year + 1 or (amended_year is not None and amended_year < law_year):
            raise row.error("law_year", f"{law_year} does not fit a row in force from {since}")
        if verified and (number is None or adopted is None):
            raise row.error("verified", "a verified row needs its 'number' and 'adopted' date")
        act_year = amended_year if amended_year is not None else law_year
        if verified and adopted is not None and adopted.year != act_year:
            raise row.error("adopted", f"must be in {act_year}, got {adopted.isoformat()}")
        entry = MrpEntry(
            since=since,
            amount=amount,
            law_en=titles["en"],
            law_ru=titles["ru"],
            law_kk=titles["kk"],
            law_year=law_year,
            verified=verified,
            number=number,
            adopted=adopted,
            article=article,
            amended_year=amended_year,
        )
        if entries and entry.since <= entries[-1].since:
            raise PolicyError(
                f"{path.name}: mrp rows must be in increasing order of 'since': "
                f"{entry.since.isoformat()} follows {entries[-1].since.isoformat()}"
            )
        entries.append(entry)
    return tuple(entries)


@lru_cache(maxsize=1)
def mrp_table() -> tuple[MrpEntry, ...]:
    """The MRP table of the budget Laws (core/params/mrp.toml), loaded once."""
    return load_mrp_table(MRP_FILE)


@lru_cache(maxsize=1)
def _since_ordinals() -> tuple[int, ...]:
    return tuple(entry.since.toordinal() for entry in mrp_table())


@lru_cache(maxsize=4096)
def mrp_on(day: date) -> MrpLookup:
    """The MRP in force on ``day`` per the Law on the republican budget (domain.md §4).

    A day after the last known year uses the last row with ``known=False``; a day
    before the first row raises MrpNotAvailable.
    """
    table = mrp_table()
    position = bisect_right(_since_ordinals(), day.toordinal()) - 1
    if position < 0:
        raise MrpNotAvailable(f"the MRP before {table[0].since.isoformat()} is not in the table")
    entry = table[position]
    return MrpLookup(entry.amount, entry, day.year <= table[-1].since.year)


@lru_cache(maxsize=4096)
def mrp_for_month_index(index: int) -> MrpLookup:
    """The MRP on the 1st day of the month ``index`` (year*12 + month-1): the price of
    that month under domain.md §4 (budget Law in force on the 1st)."""
    year, zero_based = divmod(index, 12)
    return mrp_on(date(year, zero_based + 1, 1))
