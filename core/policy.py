"""The locality policy: everything decision 11-36 fixes for Alatau, as data.

``core/params/alatau.toml`` holds the department (p.2), the exclusions (p.3), the
channels and documents (p.6, app. 3 of the Rules No. 84), the amount (p.7), the
academic quarters, the payment policy (p.4, p.5, p.7 as read in domain.md §4)
and the refusal grounds (p.8). A second city is a second file, not new code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from core.tomlread import Table, read_toml

__all__ = [
    "APPLIES_TO",
    "DEFAULT_POLICY_FILE",
    "Channel",
    "DocumentItem",
    "LocalityPolicy",
    "PaymentPolicy",
    "QuarterScheme",
    "RefusalGroundInfo",
    "default_policy",
    "documents_for",
    "load_policy",
]

DEFAULT_POLICY_FILE = Path(__file__).resolve().parent / "params" / "alatau.toml"

APPLIES_TO: tuple[str, ...] = ("all", "guardian", "born_abroad")
"""Who a document of app. 3 of the Rules No. 84 applies to (domain.md §3)."""

_CODE = re.compile(r"[a-z][a-z0-9_]*")

_PARENT_LIKE = frozenset({"parent", "mother", "father", "adoptive_parent"})


def _empty_map() -> Mapping[str, str]:
    return MappingProxyType({})


class PaymentPolicy(StrEnum):
    """How a quarter is paid (p.7 "8 MRP per quarter", read in domain.md §4):
    MONTHLY prorates by payable months (default); WHOLE_QUARTER pays the full
    quarter if any of its months is payable (a locality switch)."""

    MONTHLY = "monthly"
    WHOLE_QUARTER = "whole_quarter"


@dataclass(frozen=True)
class QuarterScheme:
    """An academic quarter of p.7 ("per quarter during the school year") as
    calendar month numbers, e.g. Alatau Q1 = (9, 10) (domain.md §4)."""

    number: int
    months: tuple[int, ...]


@dataclass(frozen=True)
class DocumentItem:
    """One document of the checklist (p.6 → app. 3 of the Rules No. 84, domain.md §3);
    ``applies_to`` is "all", "guardian" or "born_abroad"."""

    code: str
    applies_to: str
    source: str


@dataclass(frozen=True)
class Channel:
    """An official channel of p.6: "con" (State Corporation) or "egov" (the portal)."""

    code: str


@dataclass(frozen=True)
class RefusalGroundInfo:
    """A refusal ground of p.8 (1..4), e.g. (1, "p.8(1)", "unreliable_documents")."""

    number: int
    paragraph: str
    code: str


@dataclass(frozen=True)
class LocalityPolicy:
    """The parameters one maslikhat decision fixes (decision 11-36 p.2–p.8 for
    Alatau), loaded from a TOML file; ``references`` maps each parameter to its
    legal reference and ``effective_dates`` to the date it applies from."""

    code: str
    decision: str
    department: Mapping[str, str] = field(hash=False)
    amount_mrp: int
    quarters: tuple[QuarterScheme, ...]
    school_year_start_month: int
    payment_policy: PaymentPolicy
    exclusions: tuple[str, ...]
    documents: tuple[DocumentItem, ...]
    channels: tuple[Channel, ...]
    refusal_grounds: tuple[RefusalGroundInfo, ...]
    references: Mapping[str, str] = field(hash=False)
    name: Mapping[str, str] = field(default_factory=_empty_map, hash=False)
    effective_from: date | None = None
    effective_dates: Mapping[str, date] = field(default_factory=dict, hash=False)
    service_term_days: int | None = None
    _slots: tuple[tuple[QuarterScheme, int] | None, ...] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        slots: list[tuple[QuarterScheme, int] | None] = [None] * 13
        for quarter in self.quarters:
            for position, month in enumerate(quarter.months):
                if 1 <= month <= 12:
                    slots[month] = (quarter, position)
        object.__setattr__(self, "_slots", tuple(slots))

    def quarter_of(self, month: int) -> QuarterScheme | None:
        """The academic quarter containing calendar ``month`` (1..12), or None for a
        month outside the school year (Alatau: June–August; p.7, domain.md §4)."""
        slot = self._slots[month] if 1 <= month <= 12 else None
        return None if slot is None else slot[0]

    def quarter_slot(self, month: int) -> tuple[QuarterScheme, int] | None:
        """The quarter of calendar ``month`` and the month's position in it (p.7)."""
        return self._slots[month] if 1 <= month <= 12 else None

    def school_year_of(self, year: int, month: int) -> int:
        """The calendar year in which the school year containing (year, month) starts
        (p.7 "during the school year"; Alatau: September)."""
        return year if month >= self.school_year_start_month else year - 1

    def school_year_label(self, start_year: int) -> str:
        """ "2025/2026" for a school year spanning two calendar years, "2026" when it
        starts in January (p.7, domain.md §4)."""
        if self.school_year_start_month == 1:
            return f"{start_year}"
        return f"{start_year}/{start_year + 1}"

    def refusal_ground(self, number: int) -> RefusalGroundInfo | None:
        """The p.8 refusal ground with this number (1..4 in decision 11-36), or None."""
        for ground in self.refusal_grounds:
            if ground.number == number:
                return ground
        return None


def load_policy(path: Path) -> LocalityPolicy:
    """Load and validate a locality policy file (decision 11-36 p.2–p.8 for Alatau).

    Raises PolicyError naming the file and field for any problem.
    """
    root = read_toml(path)
    code = root.required_text("code")
    if not _CODE.fullmatch(code):
        raise root.error("code", f"must be a lower-case identifier, got {code!r}")
    name_table = root.table("name", optional=True)
    name = name_table.string_map() if name_table is not None else {}

    decision_table = root.required_table("decision")
    decision = decision_table.required_text("text")
    decision_reference = decision_table.required_text("reference")
    effective_from = decision_table.required_day("effective_from")
    decision_table.text("effective_from_note", optional=True)
    decision_table.finish()

    references: dict[str, str] = {"decision": decision_reference}
    effective_dates: dict[str, date] = {"decision": effective_from}

    def section(key: str) -> Table:
        table = root.required_table(key)
        references[key] = table.required_text("reference")
        effective_dates[key] = table.day("effective_from", optional=True) or effective_from
        return table

    rules = root.required_table("rules")
    references["rules"] = rules.required_text("reference")
    rules.finish()

    department_table = section("department")
    department = {language: department_table.required_text(language) for language in ("kk", "ru")}
    department_table.finish()

    amount_table = section("amount")
    amount_mrp = amount_table.integer("mrp_per_quarter", 1, 1000)
    amount_table.finish()
    references["amount_mrp"] = references["amount"]
    effective_dates["amount_mrp"] = effective_dates["amount"]

    school_year = section("school_year")
    start_month = school_year.integer("start_month", 1, 12)
    quarters = _quarters(school_year, start_month)
    school_year.finish()

    payment = section("payment")
    policy_value = payment.required_text("policy")
    try:
        payment_policy = PaymentPolicy(policy_value)
    except ValueError:
        allowed = ", ".join(p.value for p in PaymentPolicy)
        raise payment.error("policy", f"must be one of {allowed}, got {policy_value!r}") from None
    payment.finish()
    references["payment_policy"] = references["payment"]
    effective_dates["payment_policy"] = effective_dates["payment"]

    exclusions_table = section("exclusions")
    exclusions = _codes(exclusions_table, "codes")
    exclusions_table.finish()

    documents_table = section("documents")
    documents = _documents(documents_table)
    documents_table.finish()

    channels_table = section("channels")
    channels = tuple(Channel(code) for code in _codes(channels_table, "codes"))
    channels_table.finish()

    grounds_table = section("refusal_grounds")
    refusal_grounds = _grounds(grounds_table)
    grounds_table.finish()

    term_table = root.table("service_term", optional=True)
    service_term_days: int | None = None
    if term_table is not None:  # the state service's term in working days (eGov description)
        references["service_term"] = term_table.required_text("reference")
        service_term_days = term_table.integer("working_days", 1, 365)
        term_table.finish()

    extra = root.table("references", optional=True)
    if extra is not None:
        for key, value in extra.string_map().items():
            if key in references:
                raise extra.error(key, "duplicates a reference given in its own section")
            references[key] = value
    root.finish()

    return LocalityPolicy(
        code=code,
        decision=decision,
        department=MappingProxyType(department),
        amount_mrp=amount_mrp,
        quarters=quarters,
        school_year_start_month=start_month,
        payment_policy=payment_policy,
        exclusions=exclusions,
        documents=documents,
        channels=channels,
        refusal_grounds=refusal_grounds,
        references=MappingProxyType(references),
        name=MappingProxyType(name),
        effective_from=effective_from,
        effective_dates=MappingProxyType(effective_dates),
        service_term_days=service_term_days,
    )


def _quarters(table: Table, start_month: int) -> tuple[QuarterScheme, ...]:
    """Quarters numbered 1..n, months consecutive in school-year order, no month
    twice, quarter 1 starting at the school year's first month (p.7)."""
    rows = table.tables("quarters")
    quarters: list[QuarterScheme] = []
    previous_offset = -1
    for position, row in enumerate(rows):
        number = row.integer("number", 1, 12)
        if number != position + 1:
            raise row.error(
                "number",
                f"quarters must be numbered 1, 2, … in order; expected {position + 1}, got {number}",
            )
        months = row.integers("months", 1, 12)
        row.finish()
        for month in months:
            offset = (month - start_month) % 12
            if position == 0 and previous_offset == -1 and offset != 0:
                raise row.error(
                    "months",
                    f"quarter 1 must start with the school year's first month {start_month}, got {month}",
                )
            if offset <= previous_offset:
                raise row.error(
                    "months",
                    f"month {month} repeats or is out of school-year order (school year starts in month {start_month})",
                )
            if months.index(month) > 0 and offset != previous_offset + 1:
                raise row.error(
                    "months",
                    f"months of a quarter must be consecutive; {month} does not follow the previous one",
                )
            previous_offset = offset
        quarters.append(QuarterScheme(number, months))
    return tuple(quarters)


def _codes(table: Table, key: str) -> tuple[str, ...]:
    codes = table.texts(key)
    for code in codes:
        if not _CODE.fullmatch(code):
            raise table.error(key, f"{code!r} is not a lower-case identifier")
    if len(set(codes)) != len(codes):
        raise table.error(key, "contains a code twice")
    return codes


def _documents(table: Table) -> tuple[DocumentItem, ...]:
    """The checklist of app. 3 of the Rules No. 84 (p.6), each item with its source."""
    table.required_text("source")
    items: list[DocumentItem] = []
    for row in table.tables("items"):
        code = row.required_text("code")
        if not _CODE.fullmatch(code):
            raise row.error("code", f"{code!r} is not a lower-case identifier")
        applies_to = row.required_text("applies_to")
        if applies_to not in APPLIES_TO:
            raise row.error(
                "applies_to", f"must be one of {', '.join(APPLIES_TO)}, got {applies_to!r}"
            )
        source = row.required_text("source")
        row.finish()
        if any(item.code == code for item in items):
            raise row.error("code", f"document {code!r} is listed twice")
        items.append(DocumentItem(code, applies_to, source))
    return tuple(items)


def _grounds(table: Table) -> tuple[RefusalGroundInfo, ...]:
    """The refusal grounds of p.8, numbered 1..n in order."""
    grounds: list[RefusalGroundInfo] = []
    for position, row in enumerate(table.tables("items")):
        number = row.integer("number", 1, 99)
        if number != position + 1:
            raise row.error(
                "number",
                f"grounds must be numbered 1, 2, … in order; expected {position + 1}, got {number}",
            )
        paragraph = row.required_text("paragraph")
        code = row.required_text("code")
        if not _CODE.fullmatch(code):
            raise row.error("code", f"{code!r} is not a lower-case identifier")
        row.finish()
        grounds.append(RefusalGroundInfo(number, paragraph, code))
    return tuple(grounds)


@lru_cache(maxsize=1)
def default_policy() -> LocalityPolicy:
    """The Alatau policy of decision 11-36, p.2–p.8 (core/params/alatau.toml), loaded once."""
    return load_policy(DEFAULT_POLICY_FILE)


def documents_for(
    policy: LocalityPolicy, representative: str, born_abroad: bool = False
) -> tuple[DocumentItem, ...]:
    """The documents to bring (p.6, app. 3 of the Rules No. 84, domain.md §3), adapted
    to the applicant: the guardianship document only for a representative who is not
    a parent or adoptive parent (also when unknown, to be safe); the birth
    certificate only for a child born abroad."""
    parent = str(representative).strip().lower() in _PARENT_LIKE
    chosen: list[DocumentItem] = []
    for item in policy.documents:
        if item.applies_to == "guardian" and parent:
            continue
        if item.applies_to == "born_abroad" and not born_abroad:
            continue
        chosen.append(item)
    return tuple(chosen)
