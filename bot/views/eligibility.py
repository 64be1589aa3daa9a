"""Eligibility screening of domain.md §2 for the /check conversation.

The questions are asked one at a time in the order of `core.eligibility.QUESTIONS`
(with "until when?" right after a "yes" on disability). The answers live in the
FSM data as plain strings; `core.eligibility.screen()` decides, this module turns
its reasons into plain words with the paragraph of decision 11-36 they rest on.

Texts are translated with an explicit translator (`bot.i18n.Tr`), so other parts of
the bot (console chat, staff views) can render them outside a handler too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiogram.utils.i18n import I18n

from bot.i18n import N_, Tr
from bot.views.fmt import Html, fmt, join, plain
from bot.views.ui import NO, NOT_SURE, NOT_SURE_WORDS, YES, matches, yes_no_unknown
from core.eligibility import (
    Answer,
    Reason,
    Representative,
    Screening,
    ScreeningAnswers,
    Verdict,
    screen,
)
from core.validators import Invalid, parse_date

_PARAGRAPH = re.compile(r"p\.\s*(\d+)(?:\((\d+)\))?")


def paragraph(tr: Tr, code: str) -> Html:
    """'p.3' → 'п. 3' / '3-тармақ'; 'p.8(4)' → 'пп. 4) п. 8' / '8-тармақтың 4) тармақшасы'."""
    _ = tr
    match = _PARAGRAPH.fullmatch(code.strip())
    if match is None:
        return plain(code)
    number, sub = match.groups()
    if sub:
        return fmt(_("p.{number}({sub})"), number=number, sub=sub)
    return fmt(_("p.{number}"), number=number)


def paragraphs(tr: Tr, codes: str) -> Html:
    """'p.4, p.5' → each one translated."""
    return join((paragraph(tr, code) for code in re.split(r"\s*,\s*", codes) if code), ", ")


# ---------------------------------------------------------------- invalid input

INVALID_TEXTS: Mapping[str, str] = {
    "empty": N_("The answer is empty. Please type it again."),
    "too_long": N_("The answer is too long. Please type it again, shorter."),
    "date_format": N_("Please type the date as DD.MM.YYYY, for example 02.03.2015."),
    "date_impossible": N_(
        "There is no such date in the calendar. Please check the day and the month."
    ),
    "month_format": N_("Please type the month as MM.YYYY, for example 09.2025."),
    "month_impossible": N_(
        "There is no such month. Please type MM.YYYY with a month from 01 to 12."
    ),
    "not_text": N_("Please answer with a text message or with the buttons below."),
    "period_format": N_(
        "Please type the certificate's term as MM.YYYY–MM.YYYY, for example 09.2025–05.2026."
    ),
    "iin_invalid": N_(
        "This IIN is not valid: please check its 12 digits, or type the date of birth as "
        "DD.MM.YYYY."
    ),
    "choice": N_(
        "I did not understand the answer. Please choose one of the buttons below or type its text."
    ),
    "birth_future": N_("The date of birth cannot be in the future. Please check it."),
    "date_before_birth": N_("This date is before the child's date of birth. Please check it."),
}


def invalid_text(tr: Tr, code: str) -> str:
    """A translated reason for an invalid answer (codes of core.validators and our own)."""
    message = INVALID_TEXTS.get(code, INVALID_TEXTS["choice"])
    return tr(message)


# ---------------------------------------------------------------- questions

DISABILITY = "disability"
DISABILITY_UNTIL = "disability_until"
BIRTH = "birth"
HOME_EDUCATION = "home_education"
REPRESENTATIVE = "representative"
RESIDENT = "resident"
STATE_SUPPORT = "state_support"
PARENTAL_RIGHTS = "parental_rights_deprived"
STATE_INSTITUTION = "state_institution"
# The three exclusions of p.3 and p.5 (full state support, deprived parental rights,
# a state institution) are one question: "does any of these apply?". Its answer is
# stored under the three keys above, so the stored answers keep their meaning.
EXCLUSIONS = "exclusions"
EXCLUSION_KEYS = (STATE_SUPPORT, PARENTAL_RIGHTS, STATE_INSTITUTION)

# domain.md §2, in this order; "until when?" follows a "yes" on disability (a date
# typed at the disability question answers both at once).
ORDER = (
    DISABILITY,
    DISABILITY_UNTIL,
    BIRTH,
    HOME_EDUCATION,
    REPRESENTATIVE,
    RESIDENT,
    EXCLUSIONS,
)
TOTAL_STEPS = len(ORDER) - 1  # "until when?" shares step 1 with its question

QUESTION_TEXTS: Mapping[str, str] = {
    DISABILITY: N_(
        "Does the child have an established disability? If it has an end date, you can type "
        "the date at once as DD.MM.YYYY."
    ),
    DISABILITY_UNTIL: N_(
        "Until what date is the disability established? Type the date as DD.MM.YYYY "
        "or choose a button."
    ),
    BIRTH: N_(
        "What is the child's date of birth? Type it as DD.MM.YYYY, for example 02.03.2015, "
        "or choose a button."
    ),
    HOME_EDUCATION: N_(
        "Is the child taught at home on an individual curriculum, and does the school give "
        "a certificate of it (p.2)?"
    ),
    REPRESENTATIVE: N_("Who are you to the child?"),
    RESIDENT: N_("Does your family live in the city of Alatau?"),
    EXCLUSIONS: N_(
        "Does any of these apply to the child?\n"
        "1. The child is on full state support (for example, lives in a state residential "
        "institution).\n"
        "2. The parents have been deprived of parental rights in respect of this child.\n"
        "3. The child is now studying in a state institution (a boarding school, a sanatorium "
        "school).\n"
        "If none of them applies, choose “None of these”."
    ),
}

INDEFINITE = N_("Indefinite")
INDEFINITE_WORDS = ("бессрочно", "бессрочная", "без срока", "мерзімсіз", "indefinite", "∞")

PARENT = N_("Parent")
MOTHER = N_("Mother")
FATHER = N_("Father")
ADOPTIVE_PARENT = N_("Adoptive parent")
GUARDIAN = N_("Guardian or trustee")
OTHER = N_("Other")
# The buttons: a mother or a father answers "parent" for the screening (p.3) and the
# relation the /apply wizard offers to keep (RELATION); "parent" itself is only typed.
REPRESENTATIVE_CHOICES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("mother", MOTHER, ("мать", "мама", "ана", "анасы", "mother", "1")),
    ("father", FATHER, ("отец", "папа", "әке", "әкесі", "father", "2")),
    (
        "adoptive_parent",
        ADOPTIVE_PARENT,
        ("усыновитель", "удочеритель", "асырап алушы", "adoptive", "3"),
    ),
    (
        "guardian",
        GUARDIAN,
        ("опекун", "попечитель", "қорғаншы", "қамқоршы", "guardian", "trustee", "4"),
    ),
    ("other", OTHER, ("другое", "другой", "басқа", "other", "5")),
    ("unknown", NOT_SURE, (*NOT_SURE_WORDS, "6")),
)
TYPED_PARENT: tuple[str, str, tuple[str, ...]] = (
    "parent",
    PARENT,
    ("родитель", "ата-ана", "parent"),
)
# The /apply wizard's relation, kept with the /check answers (mother or father).
RELATION = "relation"
PARENTS = ("mother", "father")
REPRESENTATIVE_LABELS: Mapping[str, str] = {
    code: label for code, label, _w in (*REPRESENTATIVE_CHOICES, TYPED_PARENT)
}
YES_NO_LABELS: Mapping[str, str] = {"yes": YES, "no": NO, "unknown": NOT_SURE}

NONE_OF_THESE = N_("None of these")
FULL_SUPPORT = N_("1. Full state support")
RIGHTS_DEPRIVED = N_("2. Parental rights deprived")
IN_INSTITUTION = N_("3. A state institution")
EXCLUSION_CHOICES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("none", NONE_OF_THESE, ("ничего", "ничего из этого", "ешқайсысы", "none", "0")),
    (STATE_SUPPORT, FULL_SUPPORT, ("1",)),
    (PARENTAL_RIGHTS, RIGHTS_DEPRIVED, ("2",)),
    (STATE_INSTITUTION, IN_INSTITUTION, ("3",)),
    ("unknown", NOT_SURE, NOT_SURE_WORDS),
)


def step_of(question: str) -> int:
    """Step number shown to the user: "until when?" shares step 1 with disability."""
    if question == DISABILITY_UNTIL:
        return 1
    index = ORDER.index(question)
    return index if index > 1 else index + 1


def stored(question: str, value: str) -> dict[str, str]:
    """The answers one reply stores: a date typed for the disability means "yes, until
    that date"; the exclusions question fills its three keys ("none": all "no",
    "unknown": all "unknown", one named: that one "yes", the others not asked)."""
    if question == DISABILITY and value not in ("yes", "no", "unknown"):
        return {DISABILITY: "yes", DISABILITY_UNTIL: value}
    if question == REPRESENTATIVE and value in PARENTS:
        return {REPRESENTATIVE: "parent", RELATION: value}
    if question == EXCLUSIONS:
        if value == "none":
            return dict.fromkeys(EXCLUSION_KEYS, "no")
        if value == "unknown":
            return dict.fromkeys(EXCLUSION_KEYS, "unknown")
        return {value: "yes"}
    return {question: value}


def keys_of(question: str) -> tuple[str, ...]:
    """The answer keys a question fills (to forget them on "Back")."""
    if question == REPRESENTATIVE:
        return (REPRESENTATIVE, RELATION)
    return EXCLUSION_KEYS if question == EXCLUSIONS else (question,)


def choices(question: str) -> tuple[tuple[str, str], ...]:
    """(value, button label msgid) of the question's buttons."""
    if question == REPRESENTATIVE:
        return tuple((code, label) for code, label, _w in REPRESENTATIVE_CHOICES)
    if question == DISABILITY_UNTIL:
        return (("indefinite", INDEFINITE), ("unknown", NOT_SURE))
    if question == BIRTH:
        return (("unknown", NOT_SURE),)
    if question == EXCLUSIONS:
        return tuple((code, label) for code, label, _w in EXCLUSION_CHOICES)
    return (("yes", YES), ("no", NO), ("unknown", NOT_SURE))


def answer_label(tr: Tr, question: str, value: str) -> str:
    """How a stored answer reads back ("Yes", "02.03.2015", "Guardian or trustee")."""
    for code, label in choices(question):
        if code == value:
            return tr(label)
    if question == REPRESENTATIVE and value in REPRESENTATIVE_LABELS:
        return tr(REPRESENTATIVE_LABELS[value])
    try:
        return dt.date.fromisoformat(value).strftime("%d.%m.%Y")
    except ValueError:
        return plain(value)


@dataclass(frozen=True)
class Parsed:
    """A typed or pressed answer: the stored value, or the code of what is wrong."""

    value: str | None = None
    error: str | None = None


def accept_choice(question: str, value: str) -> Parsed:
    """A pressed button's value, checked against the question's buttons."""
    if any(code == value for code, _label in choices(question)):
        return Parsed(value=value)
    return Parsed(error="choice")


def parse_typed(
    i18n: I18n, question: str, text: str | None, today: dt.date, answers: Mapping[str, str]
) -> Parsed:
    """A typed answer to `question` in any language, or the reason it is not accepted."""
    if text is None:
        return Parsed(error="not_text")
    if not text.strip():
        return Parsed(error="empty")
    if question == REPRESENTATIVE:
        for code, label, words in (*REPRESENTATIVE_CHOICES, TYPED_PARENT):
            if matches(i18n, text, label, words):
                return Parsed(value=code)
        return Parsed(error="choice")
    if question == EXCLUSIONS:
        for code, label, words in EXCLUSION_CHOICES:
            if matches(i18n, text, label, words):
                return Parsed(value=code)
        if len(text) <= 40 and yes_no_unknown(i18n, text) == "no":
            return Parsed(value="none")
        if len(text) <= 40 and yes_no_unknown(i18n, text) == "unknown":
            return Parsed(value="unknown")
        return Parsed(error="choice")
    if question == DISABILITY and len(text) <= 40:
        typed = parse_date(text)
        if not isinstance(typed, Invalid):
            return Parsed(value=typed.isoformat())
    if question in (BIRTH, DISABILITY_UNTIL):
        if matches(i18n, text, NOT_SURE, NOT_SURE_WORDS):
            return Parsed(value="unknown")
        if question == DISABILITY_UNTIL and matches(i18n, text, INDEFINITE, INDEFINITE_WORDS):
            return Parsed(value="indefinite")
        if len(text) > 40:
            return Parsed(error="date_format")
        parsed = parse_date(text)
        if isinstance(parsed, Invalid):
            return Parsed(error=parsed.code)
        if question == BIRTH and parsed > today:
            return Parsed(error="birth_future")
        birth = answers.get(BIRTH)
        if (
            question == DISABILITY_UNTIL
            and birth not in (None, "unknown")
            and parsed < dt.date.fromisoformat(str(birth))
        ):
            return Parsed(error="date_before_birth")
        return Parsed(value=parsed.isoformat())
    answer = yes_no_unknown(i18n, text) if len(text) <= 40 else None
    if answer is None:
        return Parsed(error="choice")
    return Parsed(value=answer)


def next_question(answers: Mapping[str, str], after: str | None) -> str | None:
    """The question after `after` (None: the first), skipping "until when?" unless disability is "yes"."""
    index = -1 if after is None else ORDER.index(after)
    for question in ORDER[index + 1 :]:
        if question == DISABILITY_UNTIL and (
            answers.get(DISABILITY) != "yes" or DISABILITY_UNTIL in answers
        ):
            continue
        return question
    return None


# ---------------------------------------------------------------- screening

# Favourable stand-ins for questions not asked yet: only a decisive answer
# already given can make the provisional result "not eligible".
_PROVISIONAL = {
    DISABILITY: "yes",
    HOME_EDUCATION: "yes",
    REPRESENTATIVE: "parent",
    RESIDENT: "yes",
    STATE_SUPPORT: "no",
    PARENTAL_RIGHTS: "no",
    STATE_INSTITUTION: "no",
}


def date_or_none(value: str | None) -> dt.date | None:
    """A stored date answer; None for no answer, "unknown", "indefinite" or anything unreadable."""
    if value in (None, "", "unknown", "indefinite"):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def screening_answers(
    answers: Mapping[str, str], on: dt.date, *, provisional: bool = False
) -> ScreeningAnswers:
    """core's ScreeningAnswers from the stored strings (provisional: unanswered = favourable)."""

    def get(question: str) -> str:
        value = answers.get(question)
        if value is None:
            return _PROVISIONAL[question] if provisional else "unknown"
        return value

    birth: dt.date | None
    if BIRTH in answers or not provisional:
        birth = date_or_none(answers.get(BIRTH))
    else:
        birth = (
            on.replace(year=on.year - 10)
            if not (on.month == 2 and on.day == 29)
            else dt.date(on.year - 10, 2, 28)
        )
    return ScreeningAnswers(
        on=on,
        birth=birth,
        disability=Answer(get(DISABILITY)),
        disability_until=date_or_none(answers.get(DISABILITY_UNTIL)),
        home_education=Answer(get(HOME_EDUCATION)),
        representative=Representative(get(REPRESENTATIVE)),
        resident=Answer(get(RESIDENT)),
        state_support=Answer(get(STATE_SUPPORT)),
        parental_rights_deprived=Answer(get(PARENTAL_RIGHTS)),
        state_institution=Answer(get(STATE_INSTITUTION)),
    )


def decided_early(answers: Mapping[str, str], on: dt.date) -> Screening | None:
    """The final screening if the answers so far already exclude the payment."""
    result = screen(screening_answers(answers, on, provisional=True))
    return result if result.result is Verdict.NOT_ELIGIBLE else None


def final_screening(answers: Mapping[str, str], on: dt.date) -> Screening:
    return screen(screening_answers(answers, on))


# ---------------------------------------------------------------- the result in plain words

REASON_TEXTS: Mapping[str, tuple[str, str | None]] = {
    "no_disability": (
        N_("The reimbursement is for children with an established disability."),
        N_("If a disability is established for the child later, check again and apply then."),
    ),
    "adult": (
        N_(
            "The reimbursement is paid until the child turns 18: it stops from the month after the 18th birthday."
        ),
        None,
    ),
    "disability_ended": (
        N_("The term of the disability has ended: the payment stops from the month after it ends."),
        N_(
            "If the disability is established again for a new term, you can apply with the new term."
        ),
    ),
    "not_home_educated": (
        N_(
            "The reimbursement is for a child taught at home on an individual curriculum, "
            "confirmed by a certificate from the school."
        ),
        N_(
            "If the school arranges home education, ask it for the certificate: with it you can apply."
        ),
    ),
    "not_representative": (
        N_(
            "The reimbursement is given to one of the parents or to another legal representative "
            "of the child (guardian, trustee, adoptive parent)."
        ),
        N_("A parent or the child's guardian or trustee may apply."),
    ),
    "not_resident": (
        N_("This reimbursement is paid by the city of Alatau to families who live in Alatau."),
        N_(
            "Families elsewhere are not left out: in your own city or district the order and the "
            "amount of the same reimbursement are set by the decision of its maslikhat. Please ask "
            "the employment and social programmes department of your city or district, or apply "
            "through the State Corporation or the eGov portal: they will direct you there."
        ),
    ),
    "full_state_support": (
        N_("The decision does not cover children with disabilities who are on full state support."),
        N_("If the child leaves full state support and lives with the family, you can apply."),
    ),
    "parental_rights_deprived": (
        N_(
            "The decision does not cover children with disabilities in respect of whom the parents "
            "have been deprived of parental rights, whoever applies."
        ),
        N_("The Department's staff can explain how this applies to your family."),
    ),
    "state_institution": (
        N_(
            "There is no payment for the period when the child studies in a state institution "
            "(a boarding school, a sanatorium school)."
        ),
        N_("When the child returns to home education with a school certificate, you can apply."),
    ),
}

CLARIFY_TEXTS: Mapping[str, str] = {
    DISABILITY: N_("whether the child has an established disability, and until when"),
    DISABILITY_UNTIL: N_("until when the disability is established"),
    BIRTH: N_("the child's date of birth (the payment is made until the child turns 18)"),
    HOME_EDUCATION: N_("home education on an individual curriculum and the school certificate"),
    REPRESENTATIVE: N_("who you are to the child (a parent or another legal representative)"),
    RESIDENT: N_("where your family lives"),
    STATE_SUPPORT: N_("whether the child is on full state support"),
    PARENTAL_RIGHTS: N_("whether the parents have been deprived of parental rights"),
    STATE_INSTITUTION: N_("whether the child studies in a state institution"),
}


def _reason_line(tr: Tr, reason: Reason) -> str:
    text, remedy = REASON_TEXTS.get(reason.code, (None, None))
    cited = paragraph(tr, reason.paragraph)
    sentence = tr(text) if text else plain(reason.code)
    stem, end = (sentence[:-1], ".") if sentence.endswith(".") else (sentence, "")
    line = f"• {stem} ({cited}){end}"
    if remedy is not None:
        line += "\n  " + tr(remedy)
    return line


def _clarify_line(tr: Tr, reason: Reason) -> str:
    question = reason.code.removeprefix("unknown_")
    text = CLARIFY_TEXTS.get(question)
    cited = paragraph(tr, reason.paragraph)
    return fmt("• {text} ({cited})", text=tr(text) if text else question, cited=cited)


def render_result(tr: Tr, screening: Screening) -> str:
    """The result of /check: verdict, reasons with their paragraph, what to do next (HTML)."""
    _ = tr
    decisive = [r for r in screening.reasons if not r.code.startswith("unknown_")]
    unknown = [r for r in screening.reasons if r.code.startswith("unknown_")]
    income = _(
        "Family income does not matter: the reimbursement is given regardless of family income ({paragraph}).",
        paragraph=paragraph(tr, "p.3"),
    )
    footnote = _(
        "“p. N” is paragraph N of the decision of the Alatau city maslikhat No. 11-36 of "
        "12.11.2024. This is a preliminary check: the decision is made by the Department."
    )
    parts: list[str]
    if screening.result is Verdict.ELIGIBLE:
        parts = [
            "<b>" + _("✅ By your answers, you are entitled to the reimbursement.") + "</b>",
            _(
                "It is 8 MRP per quarter of the school year for each child ({paragraph}).",
                paragraph=paragraph(tr, "p.7"),
            ),
            income,
            _(
                "What next:\n/estimate — estimate the payments\n/documents — the documents and where "
                "to apply\n/apply — fill in an application"
            ),
        ]
    elif screening.result is Verdict.NEEDS_CHECK:
        parts = [
            "<b>" + _("❓ The Department's staff will check some of your answers.") + "</b>",
            _("Please find out or prepare:")
            + "\n"
            + "\n".join(_clarify_line(tr, r) for r in unknown),
            income,
            _(
                "“Not sure” is not a refusal: you can still apply, and the staff will check these points.\n"
                "/documents — the documents and where to apply\n/apply — fill in an application"
            ),
        ]
    else:
        parts = [
            "<b>" + _("ℹ️ By your answers, the reimbursement cannot be paid.") + "</b>",
            "\n".join(_reason_line(tr, r) for r in decisive),
            income,
            _(
                "If something changes or an answer was wrong, send /check again. The documents: /documents"
            ),
        ]
    parts.append("<i>" + footnote + "</i>")
    return "\n\n".join(parts)


def question_text(tr: Tr, question: str) -> str:
    _ = tr
    number = step_of(question)
    header = _("Step {number} of {total}", number=number, total=TOTAL_STEPS)
    return f"{header}\n{tr(QUESTION_TEXTS[question])}"


def data_answers(data: Mapping[str, Any]) -> dict[str, str]:
    """The /check answers stored in the FSM data."""
    stored = data.get("check") or {}
    return dict(stored.get("answers") or {})
