"""Eligibility screening (domain.md §2): who may receive the reimbursement.

p.1 (children with a disability taught at home in Alatau), p.2 (school certificate
of home education), p.3 (a parent or other legal representative, regardless of
family income — income is never asked; exclusions: full state support, parents
deprived of parental rights), p.5 (18th birthday, end of the disability term,
study in a state institution). "Not sure" never refuses: it asks staff to check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from core.termination import eighteenth_birthday

__all__ = [
    "PARAGRAPHS",
    "QUESTIONS",
    "REMEDIES",
    "Answer",
    "Reason",
    "Representative",
    "Screening",
    "ScreeningAnswers",
    "Verdict",
    "screen",
]

QUESTIONS: tuple[str, ...] = (
    "disability",
    "birth",
    "home_education",
    "representative",
    "resident",
    "state_support",
    "parental_rights_deprived",
    "state_institution",
)
"""The screening questions in the order of domain.md §2 (p.1, p.5, p.2, p.3, p.1, p.3, p.3, p.5)."""

PARAGRAPHS: dict[str, str] = {
    "no_disability": "p.1",
    "adult": "p.5",
    "disability_ended": "p.5",
    "not_home_educated": "p.2",
    "not_representative": "p.3",
    "not_resident": "p.1",
    "full_state_support": "p.3",
    "parental_rights_deprived": "p.3",
    "state_institution": "p.5",
    "unknown_disability": "p.1",
    "unknown_birth": "p.5",
    "unknown_home_education": "p.2",
    "unknown_representative": "p.3",
    "unknown_resident": "p.1",
    "unknown_state_support": "p.3",
    "unknown_parental_rights_deprived": "p.3",
    "unknown_state_institution": "p.5",
}
"""Each reason code and the paragraph of decision 11-36 behind it."""


REMEDIES: dict[str, str | None] = {
    "no_disability": None,
    "adult": None,
    "disability_ended": "new_disability_term",
    "not_home_educated": "school_certificate_of_home_education",
    "not_representative": "parent_or_guardian_may_apply",
    "not_resident": "own_city_maslikhat_decides",
    "full_state_support": "staff_can_explain",
    "parental_rights_deprived": "staff_can_explain",
    "state_institution": "payable_again_after_leaving",
}
"""What can change a "not eligible" reason (domain.md §2: "names the paragraph and,
where one exists, what can change it"); None where nothing can (p.1, p.5)."""


class Answer(StrEnum):
    """A yes / no / not-sure answer to a screening question (domain.md §2, p.1–p.5)."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class Representative(StrEnum):
    """Who applies (p.3: one of the parents or another legal representative)."""

    PARENT = "parent"
    ADOPTIVE_PARENT = "adoptive_parent"
    GUARDIAN = "guardian"
    OTHER = "other"
    UNKNOWN = "unknown"


class Verdict(StrEnum):
    """The screening result: eligible, not eligible (a paragraph of p.1–p.5 excludes),
    or needs a staff check (some answer was "not sure")."""

    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    NEEDS_CHECK = "needs_check"


@dataclass(frozen=True)
class ScreeningAnswers:
    """The answers of domain.md §2 on day ``on``; ``birth`` None = unknown,
    ``disability_until`` None = indefinite or unknown (p.1, p.2, p.3, p.5)."""

    on: date
    birth: date | None
    disability: Answer
    disability_until: date | None
    home_education: Answer
    representative: Representative
    resident: Answer
    state_support: Answer
    parental_rights_deprived: Answer
    state_institution: Answer


@dataclass(frozen=True)
class Reason:
    """Why a screening is not plain "eligible": a code of architecture.md and the
    paragraph of decision 11-36 it rests on (e.g. "full_state_support", "p.3")."""

    code: str
    paragraph: str

    @property
    def remedy(self) -> str | None:
        """What can change this reason (REMEDIES, domain.md §2), e.g. "a guardian may
        apply" for not_representative (p.3); "staff_will_check" for unknown_*."""
        if self.needs_check:
            return "staff_will_check"
        return REMEDIES.get(self.code)

    @property
    def needs_check(self) -> bool:
        """True for an ``unknown_<question>`` reason (staff will check, domain.md §2)."""
        return self.code.startswith("unknown_")


@dataclass(frozen=True)
class Screening:
    """The result of ``screen``: the verdict and every reason, those that make the
    answer "not eligible" first (p.1, p.2, p.3, p.5), then the "staff will check" ones."""

    result: Verdict
    reasons: tuple[Reason, ...]


def _reason(code: str) -> Reason:
    return Reason(code, PARAGRAPHS[code])


def _yes_no(answer: Answer, question: str, code_if: Answer, code: str) -> str | None:
    if answer is Answer.UNKNOWN:
        return f"unknown_{question}"
    if answer is code_if:
        return code
    return None


def screen(answers: ScreeningAnswers) -> Screening:
    """Screen the answers of domain.md §2 against p.1, p.2, p.3 and p.5.

    Never asks about income (p.3: "regardless of family income"). A parent, adoptive
    parent or guardian may apply; another person may not (p.3). The child is an adult
    from the 18th birthday (on or before ``on``; p.5). A disability term ending before
    ``on`` ends eligibility (p.5). Any "not sure" answer makes the result
    ``needs_check`` unless another reason already makes it ``not_eligible``.
    """
    found: list[str] = []

    disability = _yes_no(Answer(answers.disability), "disability", Answer.NO, "no_disability")
    if disability is not None:
        found.append(disability)
    elif answers.disability_until is not None and answers.disability_until < answers.on:
        found.append("disability_ended")

    if answers.birth is None:
        found.append("unknown_birth")
    elif eighteenth_birthday(answers.birth) <= answers.on:
        found.append("adult")

    home = _yes_no(Answer(answers.home_education), "home_education", Answer.NO, "not_home_educated")
    if home is not None:
        found.append(home)

    representative = Representative(answers.representative)
    if representative is Representative.UNKNOWN:
        found.append("unknown_representative")
    elif representative is Representative.OTHER:
        found.append("not_representative")

    for question, bad, code in (
        ("resident", Answer.NO, "not_resident"),
        ("state_support", Answer.YES, "full_state_support"),
        ("parental_rights_deprived", Answer.YES, "parental_rights_deprived"),
        ("state_institution", Answer.YES, "state_institution"),
    ):
        hit = _yes_no(Answer(getattr(answers, question)), question, bad, code)
        if hit is not None:
            found.append(hit)

    reasons = [_reason(code) for code in found]
    blocking = [r for r in reasons if not r.needs_check]
    unsure = [r for r in reasons if r.needs_check]
    if blocking:
        result = Verdict.NOT_ELIGIBLE
    elif unsure:
        result = Verdict.NEEDS_CHECK
    else:
        result = Verdict.ELIGIBLE
    return Screening(result, tuple(blocking + unsure))
