"""The /apply wizard's draft (domain.md §5) as a typed model, and its one codec.

Answers are typed once, when the parent sends them: dates are `datetime.date`,
months `core.months.Month`, the IINs `core.values.Iin`, the IBAN
`core.values.Iban`, the relation a `Relation`, the end of the disability a date
or `INDEFINITE`. Nothing downstream (summary, estimate, submit) parses a string
again.

The FSM storage (a SQL JSON column or Redis) keeps `encode(draft)`: a dict of
JSON scalars only — dates ISO "2025-11-15", months "2025-09", IIN and IBAN as
their digits, "indefinite". `decode` is its inverse and never raises: a value it
cannot read (a damaged or older draft) is dropped, so the wizard asks for it
again instead of failing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from enum import Enum, StrEnum
from typing import Any

from core.months import Month
from core.values import Iban, Iin

log = logging.getLogger(__name__)

SUMMARY = "summary"  # the step after the last question

# FSM data key (default destiny) of the answers /check and /estimate keep for /apply:
# {"check": {...}, "estimate": {...}} with the keys of bot.views.eligibility and
# bot.views.estimates (handlers/_dialog.leave). Erased with the FSM data by /deletedata.
KNOWN = "known"
CHECK, ESTIMATE = "check", "estimate"


class Relation(StrEnum):
    """The applicant's relation to the child (domain.md §5; p.3: a parent or another
    legal representative)."""

    MOTHER = "mother"
    FATHER = "father"
    GUARDIAN = "guardian"
    OTHER = "other"


class Indefinite(Enum):
    """A disability established without an end date (p.5)."""

    INDEFINITE = "indefinite"


INDEFINITE = Indefinite.INDEFINITE

Value = str | Iin | Iban | Relation | dt.date | Month | Indefinite


@dataclass
class Answers:
    """One field per wizard step; None = not answered yet ("" = an optional step skipped)."""

    surname: str | None = None
    name: str | None = None
    patronymic: str | None = None
    iin: Iin | None = None
    phone: str | None = None
    address: str | None = None
    relation: Relation | None = None
    child_name: str | None = None
    child_iin: Iin | None = None
    child_birth: dt.date | None = None
    disability_until: dt.date | Indefinite | None = None
    school: str | None = None
    cert_number: str | None = None
    cert_date: dt.date | None = None
    cert_from: Month | None = None
    cert_to: Month | None = None
    iban: Iban | None = None

    def get(self, code: str) -> Value | None:
        value: Value | None = getattr(self, code)
        return value

    def has(self, code: str) -> bool:
        return getattr(self, code, None) is not None

    def set(self, code: str, value: Value) -> None:
        if code not in _CODECS:
            raise KeyError(code)
        setattr(self, code, value)

    def clear(self, code: str) -> None:
        setattr(self, code, None)

    @property
    def disability_end(self) -> dt.date | None:
        """The end of the disability term; None when indefinite or not answered."""
        value = self.disability_until
        return value if isinstance(value, dt.date) else None


@dataclass(frozen=True)
class FileRecord:
    """A photo or document the parent sent for a document step."""

    kind: str  # certificate | guardianship
    media: str  # photo | document
    file_id: str
    file_unique_id: str | None = None
    mime_type: str | None = None
    file_name: str | None = None
    file_size: int | None = None
    # the Department's checked copy (bot/data/documents.py): hash and draft path
    sha256: str | None = None
    stored: str | None = None


@dataclass
class Draft:
    """The wizard's state: the current step (a step code or SUMMARY; None = no draft),
    the answers, the files and whether a single answer is being edited from the summary.
    `pending` is an answer waiting for the parent's confirmation (step code, value): valid,
    but unusual together with another answer ("father" with a woman's IIN)."""

    step: str | None = None
    answers: Answers = field(default_factory=Answers)
    files: list[FileRecord] = field(default_factory=list)
    editing: bool = False
    pending: tuple[str, Value] | None = None
    # Answers taken from /check or /estimate, not yet confirmed at their step: field → source.
    prefilled: dict[str, str] = field(default_factory=dict)
    # What /check and /estimate told that the wizard does not ask (FACTS): fact → value.
    facts: dict[str, str] = field(default_factory=dict)
    # The funnel's milestones counted for this draft (bot/usecases/funnel.py), by name: not
    # counted again while the draft lives (no statement). Names only, no journey token.
    counted: set[str] = field(default_factory=set)

    def files_of(self, kind: str) -> list[FileRecord]:
        return [item for item in self.files if item.kind == kind]


# ------------------------------------------------------------------ the codec


@dataclass(frozen=True)
class _Codec:
    dump: Callable[[Any], str]
    load: Callable[[Any], Value]


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(type(value).__name__)
    return value


def _day(value: Any) -> dt.date:
    return dt.date.fromisoformat(_text(value))


def _term(value: Any) -> dt.date | Indefinite:
    return INDEFINITE if value == INDEFINITE.value else _day(value)


def _dump_term(value: dt.date | Indefinite) -> str:
    return value.value if isinstance(value, Indefinite) else value.isoformat()


_TEXT = _Codec(str, _text)
_DATE = _Codec(dt.date.isoformat, _day)
_MONTH = _Codec(str, lambda value: Month.parse_iso(_text(value)))
_IIN = _Codec(str, lambda value: Iin(_text(value)))
_CODECS: Mapping[str, _Codec] = {
    "surname": _TEXT,
    "name": _TEXT,
    "patronymic": _TEXT,
    "iin": _IIN,
    "phone": _TEXT,
    "address": _TEXT,
    "relation": _Codec(str, lambda value: Relation(_text(value))),
    "child_name": _TEXT,
    "child_iin": _IIN,
    "child_birth": _DATE,
    "disability_until": _Codec(_dump_term, _term),
    "school": _TEXT,
    "cert_number": _TEXT,
    "cert_date": _DATE,
    "cert_from": _MONTH,
    "cert_to": _MONTH,
    "iban": _Codec(str, lambda value: Iban(_text(value))),
}
assert set(_CODECS) == {item.name for item in fields(Answers)}

_FILE_FIELDS = tuple(item.name for item in fields(FileRecord))


def encode(draft: Draft) -> dict[str, Any]:
    """The draft as JSON-safe data for the FSM storage (strings, numbers, booleans, lists, dicts)."""
    answers = {
        code: codec.dump(value)
        for code, codec in _CODECS.items()
        if (value := getattr(draft.answers, code)) is not None
    }
    files = [{name: getattr(item, name) for name in _FILE_FIELDS} for item in draft.files]
    data: dict[str, Any] = {
        "step": draft.step,
        "answers": answers,
        "files": files,
        "editing": draft.editing,
    }
    if draft.prefilled:
        data["prefilled"] = dict(draft.prefilled)
    if draft.facts:
        data["facts"] = dict(draft.facts)
    if draft.counted:
        data["counted"] = sorted(draft.counted)
    if draft.pending is not None:
        code, value = draft.pending
        data["pending"] = {"code": code, "value": _CODECS[code].dump(value)}
    return data


def decode(data: Mapping[str, Any] | None) -> Draft:
    """The draft kept by `encode` (an empty Draft for no data); unreadable values are dropped."""
    if not data:
        return Draft()
    step = data.get("step")
    draft = Draft(step=step if isinstance(step, str) else None, editing=data.get("editing") is True)
    stored = data.get("answers")
    if isinstance(stored, Mapping):
        for code, codec in _CODECS.items():
            raw = stored.get(code)
            if raw is None:
                continue
            try:
                setattr(draft.answers, code, codec.load(raw))
            except (TypeError, ValueError):
                log.warning("draft answer %s dropped: unreadable", code)
    for name in ("prefilled", "facts"):
        kept = data.get(name)
        if isinstance(kept, Mapping):
            getattr(draft, name).update(
                {k: v for k, v in kept.items() if isinstance(k, str) and isinstance(v, str)}
            )
    counted = data.get("counted")
    if isinstance(counted, list):
        draft.counted.update(name for name in counted if isinstance(name, str))
    pending = data.get("pending")
    if isinstance(pending, Mapping) and pending.get("code") in _CODECS:
        code = str(pending["code"])
        try:
            draft.pending = (code, _CODECS[code].load(pending.get("value")))
        except (TypeError, ValueError):
            log.warning("draft pending answer %s dropped: unreadable", code)
    for item in data.get("files") or ():
        try:
            record = FileRecord(**{name: item.get(name) for name in _FILE_FIELDS})
        except (AttributeError, TypeError):
            continue
        if isinstance(record.file_id, str) and isinstance(record.kind, str):
            draft.files.append(record)
    return draft


def decode_answers(data: Mapping[str, Any]) -> Answers:
    """Answers from their JSON form (as kept in the FSM; used by tests and tools)."""
    return decode({"step": SUMMARY, "answers": data}).answers


# ------------------------------------------------------------------ /check and /estimate

# Facts of /check the wizard has no step for, shown on the summary as confirmed there.
RESIDENT, HOME_EDUCATION = "resident", "home_education"
# The child's date of birth given in /check or /estimate (ISO), and where: checked against
# the child's IIN when it is answered.
BIRTH, BIRTH_FROM = "birth", "birth_from"

_CHECK_RELATIONS = {
    "mother": Relation.MOTHER,
    "father": Relation.FATHER,
    "guardian": Relation.GUARDIAN,
    "other": Relation.OTHER,
}


def _iso_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _iso_month(value: Any) -> Month | None:
    try:
        return Month.parse_iso(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _known_term(value: Any, today: dt.date) -> dt.date | Indefinite | None:
    if value == INDEFINITE.value:
        return INDEFINITE
    day = _iso_date(value)
    return day if day is not None and day >= today else None


def _answers_of(known: Mapping[str, Any], source: str) -> Mapping[str, Any]:
    kept = known.get(source)
    return kept if isinstance(kept, Mapping) else {}


def prefill(draft: Draft, known: Mapping[str, Any], today: dt.date) -> None:
    """Fill a new draft with what the parent answered in /check and /estimate (kept under
    KNOWN): the relation (a mother, a father, a guardian, another representative), the
    end of the disability, the certificate's term — each marked in `prefilled`, to be kept
    or changed with one tap at its step —, the date of birth and the /check facts the
    wizard does not ask (residence in Alatau, home education) in `facts`. A value that is
    unreadable or no longer acceptable (a disability end in the past) is not offered."""
    check = _answers_of(known, CHECK)
    estimate = _answers_of(known, ESTIMATE)
    answers = draft.answers
    relation = _CHECK_RELATIONS.get(str(check.get("relation") or check.get("representative")))
    if relation is not None:
        answers.relation, draft.prefilled["relation"] = relation, CHECK
    for source, kept in ((ESTIMATE, estimate), (CHECK, check)):
        if source == CHECK and kept.get("disability") != "yes":
            continue
        term = _known_term(kept.get("disability_until"), today)
        if term is not None and answers.disability_until is None:
            answers.disability_until, draft.prefilled["disability_until"] = term, source
    first, last = _iso_month(estimate.get("cert_start")), _iso_month(estimate.get("cert_end"))
    if first is not None and last is not None and first <= last:
        answers.cert_from, answers.cert_to = first, last
        draft.prefilled["cert_from"] = draft.prefilled["cert_to"] = ESTIMATE
    for source, kept in ((ESTIMATE, estimate), (CHECK, check)):
        birth = _iso_date(kept.get("birth"))
        if birth is not None and birth <= today and BIRTH not in draft.facts:
            draft.facts[BIRTH], draft.facts[BIRTH_FROM] = birth.isoformat(), source
    for fact in (RESIDENT, HOME_EDUCATION):
        if check.get(fact) == "yes":
            draft.facts[fact] = CHECK


def known_birth(draft: Draft) -> tuple[dt.date, str] | None:
    """The date of birth given in /check or /estimate and where, if any."""
    birth = _iso_date(draft.facts.get(BIRTH))
    return None if birth is None else (birth, draft.facts.get(BIRTH_FROM, ESTIMATE))
