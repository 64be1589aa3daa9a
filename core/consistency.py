"""Facts that cannot be true together (domain.md §5, issue 10 item 4).

Each answer may be valid on its own (a real date, a valid IIN) and still
contradict another one: a child born after the month of application, a school
certificate that ends before it starts (p.4), an applicant whose IIN is a
child's (p.3: the receiver is a parent or another legal representative), a
"father" whose IIN encodes a woman, a child's full name of a single word
(domain.md §5: the child's full name).

Every check returns ``None`` or a typed :class:`Problem` with a stable ``code``
(the bot words it per code, in the user's language) and a :class:`Severity`:
``REFUSE`` — the answers cannot all be true, ask again; ``CONFIRM`` — unusual
but possible (a typo or a data-entry mix-up is likelier), ask the user to
confirm before going on. :func:`check_facts` runs every check whose facts are
given. The functions never raise on the facts they are given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from core.months import Month
from core.validators import IinInfo, parse_iin

__all__ = [
    "APPLICANT_TOO_YOUNG",
    "BIRTH_AFTER_APPLICATION",
    "CERTIFICATE_END_BEFORE_START",
    "FULL_NAME_ONE_WORD",
    "MIN_APPLICANT_AGE",
    "RELATION_SEX_MISMATCH",
    "Facts",
    "Problem",
    "Severity",
    "age_on",
    "applicant_too_young",
    "birth_after_application",
    "certificate_end_before_start",
    "check_facts",
    "full_name_one_word",
    "refusals",
    "relation_sex_mismatch",
]

BIRTH_AFTER_APPLICATION = "birth_after_application"
CERTIFICATE_END_BEFORE_START = "certificate_end_before_start"
APPLICANT_TOO_YOUNG = "applicant_too_young"
RELATION_SEX_MISMATCH = "relation_sex_mismatch"
FULL_NAME_ONE_WORD = "full_name_one_word"

MIN_APPLICANT_AGE = 16
"""The youngest plausible applicant, in full years (p.3: a parent or another legal
representative). A guardian or trustee must be of age; marriage (and so, as a
rule, parenthood the law reckons with) is possible at the earliest at 16. An
applicant IIN that encodes a younger person is, in practice, the child's IIN
typed in the applicant's field."""

_RELATION_SEX: Mapping[str, str] = {"father": "male", "mother": "female"}


class Severity(StrEnum):
    """What the bot does with a :class:`Problem` (domain.md §5, §8: say what is
    wrong and ask again): refuse the answer, or ask the user to confirm it."""

    REFUSE = "refuse"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class Problem:
    """Answers that do not fit together (domain.md §5). ``code`` is stable (one of
    the module's constants), ``fields`` names the facts involved, the first being
    the one to ask again; ``basis`` is the paragraph or spec section behind the
    rule; ``params`` are strings for the message (dates ISO, months YYYY-MM)."""

    code: str
    severity: Severity
    fields: tuple[str, ...]
    basis: str
    params: Mapping[str, str] = field(default_factory=dict, hash=False)

    def describe(self) -> str:
        """An English sentence for the CLI (the bot translates by ``code``); it cites
        the basis (p.3, p.4 or domain.md §5)."""
        p = self.params
        if self.code == BIRTH_AFTER_APPLICATION:
            return (
                f"the child's birth date {p.get('birth')} is after the month of application "
                f"{p.get('applied')} ({self.basis})"
            )
        if self.code == CERTIFICATE_END_BEFORE_START:
            return (
                f"the certificate ends ({p.get('end')}) before it starts ({p.get('start')}) "
                f"({self.basis})"
            )
        if self.code == APPLICANT_TOO_YOUNG:
            return (
                f"the applicant's IIN is of a person aged {p.get('age')}, younger than "
                f"{p.get('minimum')}: is it the child's IIN? ({self.basis})"
            )
        if self.code == RELATION_SEX_MISMATCH:
            return (
                f"the relation is {p.get('relation')} but the IIN is of a {p.get('sex')} person; "
                f"please confirm ({self.basis})"
            )
        if self.code == FULL_NAME_ONE_WORD:
            return f"a full name needs at least a surname and a name ({self.basis})"
        details = ", ".join(f"{k}={v}" for k, v in sorted(p.items()))
        return f"{self.code} ({details})" if details else self.code


@dataclass(frozen=True)
class Facts:
    """The answers :func:`check_facts` compares (domain.md §5); any may be unknown
    (None). ``applied`` is the day of application (its month counts, p.4); it is
    also the day the applicant's age is taken on. ``relation`` is one of "mother",
    "father", "guardian", "other" (domain.md §5)."""

    applied: date | None = None
    birth: date | None = None
    certificate_start: Month | None = None
    certificate_end: Month | None = None
    applicant_iin: str | None = None
    relation: str | None = None
    child_full_name: str | None = None


def age_on(birth: date, on: date) -> int:
    """Full years of a person born on ``birth`` on day ``on`` (domain.md §5); one
    born on 29 February becomes a year older on 28 February of a non-leap year, as
    for the 18th birthday of p.5. Negative when ``on`` is before the birth."""
    years = on.year - birth.year
    birthday_month_day = (birth.month, birth.day)
    if birthday_month_day == (2, 29) and not _leap(on.year):
        birthday_month_day = (2, 28)
    if (on.month, on.day) < birthday_month_day:
        years -= 1
    return years


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def birth_after_application(birth: date, applied: date | Month) -> Problem | None:
    """p.4: payment runs from the month of application for a child who exists: a
    child born after the last day of the application month cannot be the subject
    of that application (REFUSE; ask the birth date again). A birth within the
    application month is possible and accepted."""
    month = applied if isinstance(applied, Month) else Month.of(applied)
    if birth <= month.last_day():
        return None
    return Problem(
        BIRTH_AFTER_APPLICATION,
        Severity.REFUSE,
        ("birth", "applied"),
        "p.4",
        {"birth": birth.isoformat(), "applied": str(month)},
    )


def certificate_end_before_start(start: Month, end: Month) -> Problem | None:
    """p.2, p.4: the school certificate's term runs from its first month to its last;
    a last month before the first cannot be true (REFUSE; ask the last month again).
    A one-month term (start == end) is accepted."""
    if end >= start:
        return None
    return Problem(
        CERTIFICATE_END_BEFORE_START,
        Severity.REFUSE,
        ("certificate_end", "certificate_start"),
        "p.4",
        {"start": str(start), "end": str(end)},
    )


def applicant_too_young(applicant: IinInfo | date, on: date) -> Problem | None:
    """p.3: the receiver is a parent or another legal representative; an applicant
    younger than :data:`MIN_APPLICANT_AGE` (16) on day ``on`` — by the birth date of
    the IIN (domain.md §5) — is almost surely the child's IIN typed in the
    applicant's field (REFUSE; ask the applicant's IIN again)."""
    birth = applicant.birth if isinstance(applicant, IinInfo) else applicant
    age = age_on(birth, on)
    if age >= MIN_APPLICANT_AGE:
        return None
    return Problem(
        APPLICANT_TOO_YOUNG,
        Severity.REFUSE,
        ("applicant_iin",),
        "p.3",
        {"age": str(max(age, 0)), "minimum": str(MIN_APPLICANT_AGE), "birth": birth.isoformat()},
    )


def relation_sex_mismatch(relation: str, sex: str) -> Problem | None:
    """domain.md §5 (relation to the child) and the IIN's 7th digit (odd male, even
    female): a "father" whose IIN encodes a woman, or a "mother" whose IIN encodes
    a man, is likely a mix-up of the two parents' data but may be true (a registry
    error, a changed record) — CONFIRM, never refuse. Other relations: no check."""
    expected = _RELATION_SEX.get(relation)
    if expected is None or sex not in ("male", "female") or sex == expected:
        return None
    return Problem(
        RELATION_SEX_MISMATCH,
        Severity.CONFIRM,
        ("relation", "applicant_iin"),
        "domain.md §5",
        {"relation": relation, "sex": sex},
    )


def full_name_one_word(full_name: str) -> Problem | None:
    """domain.md §5: the child's full name is at least a surname and a name (the
    patronymic is optional); a single word is refused (ask the name again). Hyphens
    and apostrophes join parts of one word ("Абу-Бакир" is one word). An empty
    name is the validators' concern, not this check's."""
    words = full_name.split()
    if len(words) != 1:
        return None
    return Problem(FULL_NAME_ONE_WORD, Severity.REFUSE, ("child_full_name",), "domain.md §5")


def check_facts(facts: Facts) -> tuple[Problem, ...]:
    """Every problem among the given facts (domain.md §5; p.3, p.4), in the order
    of the questions (application, certificate, birth, applicant, relation, name).
    A check runs only when all its facts are given; an invalid applicant IIN is
    the validators' concern (parse_iin) and skipped here."""
    found: list[Problem | None] = []
    if facts.certificate_start is not None and facts.certificate_end is not None:
        found.append(certificate_end_before_start(facts.certificate_start, facts.certificate_end))
    if facts.birth is not None and facts.applied is not None:
        found.append(birth_after_application(facts.birth, facts.applied))
    info = parse_iin(facts.applicant_iin) if facts.applicant_iin is not None else None
    if isinstance(info, IinInfo):
        if facts.applied is not None:
            found.append(applicant_too_young(info, facts.applied))
        if facts.relation is not None:
            found.append(relation_sex_mismatch(facts.relation, info.sex))
    if facts.child_full_name is not None and facts.child_full_name.strip():
        found.append(full_name_one_word(facts.child_full_name))
    return tuple(problem for problem in found if problem is not None)


def refusals(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """The problems that refuse the answers (Severity.REFUSE, domain.md §5); the
    rest only ask for a confirmation."""
    return tuple(p for p in problems if p.severity is Severity.REFUSE)
