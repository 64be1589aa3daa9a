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
    "MRP_FILE",
    "MrpEntry",
    "MrpLookup",
    "load_mrp_table",
    "mrp_for_month_index",
    "mrp_on",
    "mrp_table",
]

MRP_FILE = Path(__file__).resolve().parent / "params" / "mrp.toml"


@dataclass(frozen=True, slots=True)
class MrpEntry:
    """One row of the MRP table: ``amount`` tenge in force from ``since`` under the
    Law on the republican budget named in ``reference``."""

    since: date
    amount: int
    reference: str


@dataclass(frozen=True, slots=True)
class MrpLookup:
    """The MRP in force on a day (budget Law): ``known`` is False when the day's
    year is after the year of the table's last row (domain.md §4: "not yet known")."""

    amount: int
    entry: MrpEntry
    known: bool


def load_mrp_table(path: Path) -> tuple[MrpEntry, ...]:
    """Read and validate an MRP table file (rows of the budget Laws): dates strictly
    increasing, amounts positive, every row with its Law reference."""
    root = read_toml(path)
    rows = root.tables("mrp")
    root.finish()
    entries: list[MrpEntry] = []
    for row in rows:
        entry = MrpEntry(
            since=row.required_day("since"),
            amount=row.integer("amount", 1, 10_000_000),
            reference=row.required_text("reference"),
        )
        row.finish()
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
