"""The steps of the application wizard (domain.md §5): questions, validation, display.

Every answer is checked with core.validators; a rejected answer gives an error
code and the code a translated reason (ERRORS). Accepted answers are typed
values of the draft (bot.usecases.drafts: dates, months, Iin, Iban); the FSM
keeps them through the draft's one codec.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from aiogram.types import Message
from aiogram.utils.i18n import I18n

from bot.i18n import N_, _
from bot.usecases.applications import RELATIONS
from bot.usecases.drafts import (
    BIRTH,
    BIRTH_FROM,
    INDEFINITE,
    Answers,
    Draft,
    FileRecord,
    Indefinite,
    Relation,
    Value,
)
from bot.views.formatting import day
from bot.views.ui import RELATION_LABELS, matches
from core.consistency import Problem, applicant_too_young, relation_sex_mismatch
from core.months import Month
from core.validators import (
    Invalid,
    parse_date,
    parse_full_name,
    parse_month,
    parse_phone,
    parse_text,
)
from core.values import Iban, Iin

# Telegram lets bots download files of up to 20 MB (getFile).
MAX_FILE_SIZE = 20 * 1024 * 1024
MAX_FILES_PER_DOCUMENT = 10
ALLOWED_MIME = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
ALLOWED_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png")

# Buttons of the wizard (reply keyboard), each also accepted typed.
SKIP = N_("⏭ Skip")
SKIP_WORDS = ("пропустить", "өткізу", "өткізіп жіберу", "skip", "-", "нет", "жоқ")
KEEP = N_("➡️ Keep this answer")
KEEP_WORDS = ("оставить", "қалдыру", "keep")
INDEFINITE_LABEL = N_("♾ Indefinite")
INDEFINITE_WORDS = ("бессрочно", "бессрочная", "мерзімсіз", "indefinite")
DONE = N_("✅ Done")
DONE_WORDS = ("готово", "дайын", "болды", "done", "всё", "все")
REMOVE_FILES = N_("🗑 Remove the files sent")
REMOVE_FILES_WORDS = ("удалить файлы", "файлдарды жою", "remove files")
SHARE_PHONE = N_("📱 Share my number")
RELATION_WORDS = {
    "mother": ("мать", "мама", "ана", "анасы", "mother"),
    "father": ("отец", "папа", "әке", "әкесі", "father"),
    "guardian": (
        "опекун",
        "попечитель",
        "опекун / попечитель",
        "қорғаншы",
        "қамқоршы",
        "guardian",
        "trustee",
    ),
    "other": ("другой", "законный представитель", "басқа", "заңды өкіл", "other"),
}


@dataclass(frozen=True)
class Step:
    code: str
    label: str  # short name (summary, edit button), N_ msgid
    question: str  # N_ msgid
    kind: str  # full_name | iin | phone | text | relation | date | cert | iban | files
    optional: bool = False
    numbered: bool = True  # shown as "step N of M"
    max_length: int = 200
    only_if: Callable[[Answers], bool] | None = field(default=None, compare=False)


def _is_guardian(answers: Answers) -> bool:
    return answers.relation is Relation.GUARDIAN


def _iin_without_birth(answers: Answers) -> bool:
    """The child's IIN was assigned before the IIN rules: it gives no date of birth."""
    return answers.child_iin is not None and answers.child_iin.known_birth is None


STEPS: tuple[Step, ...] = (
    # First and not numbered: the answer decides how many steps follow (a guardian's
    # document), so "step N of M" is right from step 1 on every path.
    Step(
        "relation",
        N_("Relation to the child"),
        N_("Who are you to the child? Choose a button."),
        "relation",
        numbered=False,
    ),
    Step(
        "full_name",
        N_("Full name"),
        N_(
            "Your surname, name and patronymic (you are the applicant) in one message, as in your "
            "identity card, for example Әбдіқадырова Айгерим Серікқызы. No patronymic: surname and "
            "name only."
        ),
        "full_name",
    ),
    Step("iin", N_("IIN"), N_("Your IIN (individual identification number, 12 digits):"), "iin"),
    Step(
        "phone",
        N_("Phone"),
        N_("Your phone number: press «Share my number», or type it, for example +7 701 234 56 78:"),
        "phone",
    ),
    Step(
        "address",
        N_("Address"),
        N_("Your address in Alatau (street, house, flat):"),
        "text",
        max_length=300,
    ),
    Step(
        "child_name",
        N_("Child's full name"),
        N_("The child's full name (surname, name, patronymic):"),
        "full_name",
    ),
    Step(
        "child_iin",
        N_("Child's IIN"),
        N_("The child's IIN (12 digits); the date of birth is taken from it:"),
        "iin",
    ),
    # Asked only when the IIN cannot give the date (assigned before the IIN rules), or to
    # change it («Change the date of birth»), or when /estimate gave another date; not
    # numbered: a follow-up of the IIN step, so "step N of M" stays right on every path.
    Step(
        "child_birth",
        N_("Child's date of birth"),
        N_(
            "The child's date of birth as day.month.year, for example 02.03.2015. It is checked "
            "against the child's IIN."
        ),
        "date",
        numbered=False,
        only_if=_iin_without_birth,
    ),
    Step(
        "disability_until",
        N_("Disability end date"),
        N_(
            "Until what date is the child's disability established? Send the date, for example "
            "31.12.2026, or press «Indefinite»."
        ),
        "date",
    ),
    Step(
        "school",
        N_("School"),
        N_("The name of the school that issued the certificate of home education:"),
        "text",
        max_length=300,
    ),
    Step(
        "cert",
        N_("Certificate details"),
        N_(
            "The school certificate in one message: its number, its date and the term of home "
            "education (first and last month), for example:\n№ 15/2025, 01.09.2025, 09.2025–05.2026"
        ),
        "cert",
    ),
    Step(
        "certificate",
        N_("School certificate"),
        N_(
            "Send the school certificate of home education: a photo, or a PDF, JPG or PNG file of up to "
            "20 MB. Several pages: send them together (or one after another)."
        ),
        "files",
    ),
    Step(
        "iban",
        N_("IBAN"),
        N_(
            "The IBAN of your bank account (KZ and 18 more characters). The account holder must be you, "
            "the applicant: the payment is made only to the applicant's own account."
        ),
        "iban",
    ),
    Step(
        "guardianship",
        N_("Guardianship document"),
        N_(
            "Send the document that confirms guardianship or trusteeship: a photo, or a PDF, JPG or PNG "
            "file of up to 20 MB."
        ),
        "files",
        only_if=_is_guardian,
    ),
)
BY_CODE = {step.code: step for step in STEPS}
FILE_STEPS = ("certificate", "guardianship")
# Answers kept per field but asked as one step (a full name, the certificate's details), or
# derived from another answer (the date of birth from the child's IIN, domain.md §5).
STEP_OF = {
    "surname": "full_name",
    "name": "full_name",
    "patronymic": "full_name",
    "child_birth": "child_iin",
    "cert_number": "cert",
    "cert_date": "cert",
    "cert_from": "cert",
    "cert_to": "cert",
}
FIELDS_OF = {
    "full_name": ("surname", "name", "patronymic"),
    "cert": ("cert_number", "cert_date", "cert_from", "cert_to"),
}
# The summary's label of every field (msgids of the former one-field steps).
FIELD_LABELS = {
    "surname": N_("Surname"),
    "name": N_("Name"),
    "patronymic": N_("Patronymic"),
    "child_birth": N_("Child's date of birth"),
    "cert_number": N_("Certificate number"),
    "cert_date": N_("Certificate date"),
    "cert_from": N_("Certificate term from"),
    "cert_to": N_("Certificate term to"),
}


def step_of(code: str) -> str:
    """The wizard step that asks for the field `code` (a step code stays as it is)."""
    return STEP_OF.get(code, code)


@dataclass(frozen=True)
class Certificate:
    """The school certificate's details given in one answer."""

    number: str
    issued: dt.date
    first: Month
    last: Month

    def encoded(self) -> str:
        return "\t".join((self.number, self.issued.isoformat(), str(self.first), str(self.last)))

    @classmethod
    def decoded(cls, text: str) -> Certificate:
        number, issued, first, last = text.split("\t")
        return cls(
            number, dt.date.fromisoformat(issued), Month.parse_iso(first), Month.parse_iso(last)
        )


_CERT_DATE = re.compile(r"(?<![\d.])\d{1,2}\.\d{1,2}\.\d{4}(?![\d.])")
_CERT_MONTH = re.compile(r"(?<![\d./])\d{1,2}\.\d{4}(?![\d./])")
_CERT_FILLER = {
    "от",
    "с",
    "по",
    "до",
    "срок",
    "бастап",
    "дейін",
    "жылғы",
    "мерзімі",
    "номер",
    "нөмірі",
}

# Error code → reason shown to the user (the question is asked again after it).
ERRORS = {
    "empty": N_("The answer is empty. Please type it."),
    "too_long": N_("The answer is too long. Please shorten it."),
    "name_chars": N_(
        "A name may contain only letters (Kazakh, Russian or Latin), spaces, hyphens and apostrophes."
    ),
    "text_chars": N_(
        "The answer contains characters that cannot be used. Please type it as plain text."
    ),
    "text_letters": N_("The answer must contain letters or digits."),
    "iin_format": N_("An IIN consists of exactly 12 digits."),
    "iin_checksum": N_(
        "This IIN has a wrong control digit (the last one). Please check the number in the identity "
        "document."
    ),
    "iin_date": N_(
        "The first six digits of an IIN are the date of birth, and here they are not a real date."
    ),
    "iin_century": N_("The seventh digit of this IIN (century of birth and sex) is not valid."),
    "birth_iin_mismatch": N_(
        "This date does not match the child's IIN: its first six digits give {date}. Please check the "
        "date, or press «Back» to correct the IIN."
    ),
    "birth_iin_digits": N_(
        "This date does not match the child's IIN: its first six digits ({digits}) are the date of "
        "birth as year, month, day. Please check the date, or press «Back» to correct the IIN."
    ),
    "child_iin_same": N_("This is your own IIN. Please enter the child's IIN."),
    "applicant_too_young": N_(
        "By this IIN the applicant is younger than 16. The application is made by a parent or "
        "another legal representative of the child (p.3): is this the child's IIN? Please enter "
        "your own IIN."
    ),
    "cert_parts": N_(
        "Please send all three: the certificate's number, its date and the term of home education, "
        "for example: № 15/2025, 01.09.2025, 09.2025–05.2026."
    ),
    "cert_parts_known": N_(
        "Please send the certificate's number and its date, for example: № 15/2025, 01.09.2025 "
        "(and the term of home education if it is not the one shown, for example 09.2025–05.2026)."
    ),
    "contact_other": N_(
        "This is the contact of another person. Please press «Share my number» to send your own "
        "number, or type it."
    ),
    "full_name_one_word": N_(
        "Please write the full name: the surname and the name (and the patronymic, if any), for "
        "example Әбдіқадыров Нұрлан Серікұлы."
    ),
    "applicant_iin_same": N_("This is the child's IIN. Please enter your own IIN."),
    "phone_format": N_(
        "Please send a Kazakhstan phone number, for example +7 701 234 56 78, or press «Share my number»."
    ),
    "date_format": N_("Please send the date as day.month.year, for example 15.11.2025."),
    "date_impossible": N_(
        "There is no such date in the calendar. Please check the day and the month."
    ),
    "date_future": N_("This date is in the future. Please check it."),
    "date_past": N_(
        "This date has already passed. If the disability was extended, send the new end date from the "
        "new decision."
    ),
    "month_format": N_("Please send the month as month.year, for example 09.2025."),
    "month_impossible": N_("There is no such month: the month must be from 01 to 12."),
    "month_order": N_(
        "The last month cannot be earlier than the first month of the term ({month})."
    ),
    "iban_format": N_("An IBAN consists of Latin letters and digits and starts with KZ."),
    "iban_country": N_("The IBAN must belong to a bank account in Kazakhstan: it starts with KZ."),
    "iban_length": N_("A Kazakhstan IBAN has 20 characters: KZ and 18 more."),
    "iban_checksum": N_(
        "This IBAN has a typing error (its check digits do not match). Please copy it from your bank's "
        "app or contract."
    ),
    "choose_button": N_("Please choose one of the buttons below."),
    "not_text": N_("Please answer with a text message."),
    "not_file": N_("Please send the document as a photo or a file, or press «Done»."),
    "file_type": N_(
        "This kind of file is not accepted. Please send a photo, or a PDF, JPG or PNG file."
    ),
    "file_too_big": N_(
        "The file is too large ({size} MB): a bot can receive files of up to 20 MB. Please send a smaller "
        "scan or a photo."
    ),
    "file_unreadable": N_("I could not download this file from Telegram. Please send it again."),
    "no_files": N_("Please send at least one file first."),
    "too_many_files": N_(
        "That is the maximum number of files for this document ({count}). Press «Done», or remove the "
        "files and send them again."
    ),
    "unknown": N_("Please check the answer and send it again."),
}


@dataclass(frozen=True)
class Rejected:
    code: str
    params: Mapping[str, str] = field(default_factory=dict)

    def text(self) -> str:
        message = _(ERRORS.get(self.code, ERRORS["unknown"]))
        return message.format(**self.params) if self.params else message


def active_steps(answers: Answers) -> list[Step]:
    return [step for step in STEPS if step.only_if is None or step.only_if(answers)]


def step_number(code: str, answers: Answers) -> tuple[int, int]:
    """N and M of "step N of M": the numbered active steps (the relation, asked first, is
    not one of them; before it is answered, N is 1)."""
    codes = [step.code for step in active_steps(answers) if step.numbered]
    return (
        codes.index(code) + 1 if code in codes else 1 if code == "relation" else len(codes),
        len(codes),
    )


def has_value(code: str, draft: Draft) -> bool:
    if code in FILE_STEPS:
        return bool(draft.files_of(code))
    if code in FIELDS_OF:
        return all(draft.answers.has(field) for field in FIELDS_OF[code])
    return draft.answers.has(code)


def display(code: str, draft: Draft) -> str:
    """The answer as the user should read it (not escaped)."""
    if code in FILE_STEPS:
        return _("files: {count}").format(count=len(draft.files_of(code)))
    if code in FIELDS_OF:
        shown = [display(field, draft) for field in FIELDS_OF[code] if draft.answers.get(field)]
        return ", ".join(shown) if shown else "—"
    value = draft.answers.get(code)
    if value is None or value == "":
        return "—"
    if isinstance(value, Relation):
        return _(RELATION_LABELS[value])
    if isinstance(value, Indefinite):
        return _("indefinite")
    if isinstance(value, dt.date):
        return day(value)
    if isinstance(value, Month):
        return value.display()
    return str(value)


def name_parts(full: str) -> tuple[str, str, str]:
    """Surname, name and patronymic ("" if none) of a full name of at least two words."""
    words = full.split()
    return words[0], words[1], " ".join(words[2:])


def echo(code: str, draft: Draft) -> str | None:
    """An accepted answer shown back as it was understood (not escaped): the parts of a full
    name, the certificate's details (the date of birth the child's IIN gives has its own
    message, handlers/apply.birth_from_iin)."""
    answers = draft.answers
    if code == "full_name" and answers.surname and answers.name:
        parts = (answers.surname, answers.name, answers.patronymic or "—")
    elif code == "child_name" and answers.child_name:
        parts = name_parts(answers.child_name)
        parts = (parts[0], parts[1], parts[2] or "—")
    elif code == "cert" and has_value("cert", draft):
        return _("Recorded: certificate № {number} of {date}, term {first}–{last}.").format(
            number=answers.cert_number,
            date=display("cert_date", draft),
            first=display("cert_from", draft),
            last=display("cert_to", draft),
        )
    else:
        return None
    return _(
        "Recorded: surname {surname}, name {name}, patronymic {patronymic}. If it is wrong, "
        "press «Back»."
    ).format(surname=parts[0], name=parts[1], patronymic=parts[2])


def _letters_check(value: str) -> Rejected | None:
    if not any(char.isalnum() for char in value):
        return Rejected("text_letters")
    return None


def _valid(result: str | Invalid) -> str | Rejected:
    """A validator's value, or its refusal as the wizard's Rejected."""
    return Rejected(result.code) if isinstance(result, Invalid) else result


def parse_answer(
    step: Step, message: Message, answers: Answers, i18n: I18n, today: dt.date
) -> Value | Rejected:
    """The typed value to keep for a text step, or Rejected."""
    text = message.text
    if step.kind == "phone" and message.contact is not None:
        sender = message.from_user.id if message.from_user else None
        if message.contact.user_id is None or message.contact.user_id != sender:
            return Rejected("contact_other")  # someone else's card, not the applicant's number
        text = message.contact.phone_number or ""
        if text and not text.startswith(("+", "8")):
            text = "+" + text
    if text is None:
        return Rejected("not_text")
    if step.optional and matches(i18n, text, SKIP, SKIP_WORDS):
        return ""
    code = step.code
    if step.kind == "full_name":
        return _valid(parse_full_name(text))
    if step.kind == "cert":
        first, last = answers.cert_from, answers.cert_to
        term = (first, last) if first is not None and last is not None else None
        return parse_certificate(text, today, term)
    if step.kind == "iin":
        iin = Iin.parse(text, pre_rules=code == "child_iin")
        if isinstance(iin, Invalid):
            return Rejected(iin.code)
        if iin == (answers.iin if code == "child_iin" else answers.child_iin):
            return Rejected("child_iin_same" if code == "child_iin" else "applicant_iin_same")
        if code == "iin" and applicant_too_young(iin.birth, today) is not None:
            return Rejected("applicant_too_young")  # p.3: most likely the child's IIN
        return iin
    if step.kind == "phone":
        return _valid(parse_phone(text))
    if step.kind == "text":
        if code == "cert_number":  # "№ 15/2025" → "15/2025": the card adds its own "No."
            text = text.strip().lstrip("№#").strip()
        result = parse_text(text, max_length=step.max_length)
        if isinstance(result, Invalid):
            return Rejected(result.code)
        return _letters_check(result) or result
    if step.kind == "relation":
        for relation in RELATIONS:
            if matches(i18n, text, RELATION_LABELS[relation], RELATION_WORDS[relation]):
                return relation
        return Rejected("choose_button")
    if step.kind == "date":
        if code == "disability_until" and matches(i18n, text, INDEFINITE_LABEL, INDEFINITE_WORDS):
            return INDEFINITE
        parsed = parse_date(text)
        if isinstance(parsed, Invalid):
            return Rejected(parsed.code)
        if code in ("child_birth", "cert_date") and parsed > today:
            return Rejected("date_future")
        if code == "disability_until" and parsed < today:
            return Rejected("date_past")
        child_iin = answers.child_iin
        if code == "child_birth" and child_iin is not None and not child_iin.agrees_with(parsed):
            if child_iin.known_birth is None:
                return Rejected("birth_iin_digits", {"digits": str(child_iin)[:6]})
            return Rejected("birth_iin_mismatch", {"date": day(child_iin.known_birth)})
        return parsed
    if step.kind == "month":
        month = parse_month(text)
        if isinstance(month, Invalid):
            return Rejected(month.code)
        first = answers.cert_from
        if code == "cert_to" and first is not None and month < first:
            return Rejected("month_order", {"month": first.display()})
        return month
    if step.kind == "iban":
        iban = Iban.parse(text)
        return Rejected(iban.code) if isinstance(iban, Invalid) else iban
    return Rejected("unknown")


def parse_certificate(
    text: str, today: dt.date, term: tuple[Month, Month] | None = None
) -> Value | Rejected:
    """The certificate's number, date and term in one answer ("№ 15/2025, 01.09.2025,
    09.2025–05.2026"), each part checked as it was when asked alone; kept as a canonical
    text that store_answer splits again. With a known `term` (from /estimate, or the answer
    being corrected) the number and the date are enough; a term given replaces it."""
    dates = _CERT_DATE.findall(text)
    rest = _CERT_DATE.sub(" ", text)
    months = _CERT_MONTH.findall(rest)
    rest = _CERT_MONTH.sub(" ", rest)
    if len(dates) != 1 or len(months) not in ((0, 2) if term is not None else (2,)):
        return Rejected("cert_parts_known" if term is not None else "cert_parts")
    issued = parse_date(dates[0])
    if isinstance(issued, Invalid):
        return Rejected(issued.code)
    if issued > today:
        return Rejected("date_future")
    if not months and term is not None:
        months = [term[0].display(), term[1].display()]
    first, last = parse_month(months[0]), parse_month(months[1])
    if isinstance(first, Invalid):
        return Rejected(first.code)
    if isinstance(last, Invalid):
        return Rejected(last.code)
    if last < first:
        return Rejected("month_order", {"month": first.display()})
    words = re.sub(r"[,;–—]|\s-\s|-\s*$|^\s*-", " ", rest).split()
    number = " ".join(word for word in words if word.lower() not in _CERT_FILLER)
    number = number.strip().lstrip("№#").strip()  # "№ 15/2025" → "15/2025": the card adds "No."
    if not number:
        return Rejected("cert_parts")
    checked = parse_text(number, max_length=64)
    if isinstance(checked, Invalid):
        return Rejected(checked.code)
    return _letters_check(checked) or Certificate(checked, issued, first, last).encoded()


def to_confirm(code: str, value: Value, answers: Answers) -> Problem | None:
    """An accepted answer that is unusual with another one and is kept only once the parent
    confirms it (core.consistency): "father" with a woman's IIN, "mother" with a man's."""
    relation = value if code == "relation" else answers.relation
    iin = value if code == "iin" else answers.iin
    if code not in ("relation", "iin") or not isinstance(relation, Relation):
        return None
    if not isinstance(iin, Iin):
        return None
    return relation_sex_mismatch(relation.value, iin.sex)


def store_answer(code: str, value: Value, draft: Draft) -> None:
    """Keep `value` and drop the answers it makes inconsistent (they are asked again)."""
    answers = draft.answers
    if code == "full_name" and isinstance(value, str):
        answers.surname, answers.name, answers.patronymic = name_parts(value)
        return
    if code == "cert" and isinstance(value, str):
        cert = Certificate.decoded(value)
        answers.cert_number, answers.cert_date = cert.number, cert.issued
        answers.cert_from, answers.cert_to = cert.first, cert.last
        return
    answers.set(code, value)
    if code == "child_iin" and isinstance(value, Iin):
        # domain.md §5: the IIN's first six digits and century; an IIN assigned before the
        # IIN rules gives none, the date is asked (the child_birth step)
        answers.child_birth = value.known_birth
    if code == "child_birth":
        draft.facts.pop(BIRTH, None)  # the date now agrees with the IIN: nothing to compare
        draft.facts.pop(BIRTH_FROM, None)
    if code == "relation" and value is not Relation.GUARDIAN:
        draft.files = [item for item in draft.files if item.kind != "guardianship"]


def first_missing(draft: Draft) -> str | None:
    """The first active step without an answer (optional steps count as answered when skipped),
    or with an answer taken from /check or /estimate and not yet kept at its step."""
    for step in active_steps(draft.answers):
        fields = FIELDS_OF.get(step.code, (step.code,))
        if not has_value(step.code, draft) or any(item in draft.prefilled for item in fields):
            return step.code
    return None


def parse_file(message: Message, kind: str) -> FileRecord | Rejected:
    """A photo or an accepted document of at most 20 MB, as an attachment record."""
    if message.photo:
        photo = message.photo[-1]
        if photo.file_size and photo.file_size > MAX_FILE_SIZE:
            return Rejected("file_too_big", {"size": _megabytes(photo.file_size)})
        return FileRecord(
            kind=kind,
            media="photo",
            file_id=photo.file_id,
            file_unique_id=photo.file_unique_id,
            mime_type="image/jpeg",
            file_name=None,
            file_size=photo.file_size,
        )
    document = message.document
    if document is not None:
        mime = (document.mime_type or "").lower()
        name = (document.file_name or "").lower()
        if mime in ALLOWED_MIME:
            accepted = True
        elif mime in ("", "application/octet-stream"):
            accepted = name.endswith(ALLOWED_EXTENSIONS)
        else:
            accepted = False
        if not accepted:
            return Rejected("file_type")
        if document.file_size and document.file_size > MAX_FILE_SIZE:
            return Rejected("file_too_big", {"size": _megabytes(document.file_size)})
        return FileRecord(
            kind=kind,
            media="document",
            file_id=document.file_id,
            file_unique_id=document.file_unique_id,
            mime_type=document.mime_type,
            file_name=(document.file_name or "")[:255] or None,
            file_size=document.file_size,
        )
    if message.text is not None:
        return Rejected("not_file")
    return Rejected("file_type")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")
