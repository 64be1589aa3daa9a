"""Shared data and steps of the /apply chat tests (no tests here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from core.iban import iban_mod97
from core.iin import iin_control_digit
from tests.chat import start_in
from tests.tgfake.models import FakeMessage
from tests.tgfake.people import FakeUser


def make_iin(birth: dt.date, century_sex: str, serial: int = 1) -> str:
    """A valid IIN for `birth` (7th digit `century_sex`), the first serial with a control digit."""
    for number in range(serial, serial + 100):
        first11 = f"{birth:%y%m%d}{century_sex}{number:04d}"
        control = iin_control_digit(first11)
        if control is not None:
            return f"{first11}{control}"
    raise AssertionError("no valid IIN")


def make_iban(bank_and_account: str = "125KZT5004100100") -> str:
    """A valid Kazakh IBAN (16 characters after the check digits)."""
    for check in range(100):
        candidate = f"KZ{check:02d}{bank_and_account}"
        if iban_mod97(candidate) == 1:
            return candidate
    raise AssertionError("no valid IBAN")


def spaced(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


LABELS = {
    "ru": {
        "agree": "✅ Согласен(на)",
        "disagree": "❌ Не согласен(на)",
        "skip": "⏭ Пропустить",
        "keep": "➡️ Оставить этот ответ",
        "indefinite": "♾ Бессрочно",
        "done": "✅ Готово",
        "remove": "🗑 Удалить отправленные файлы",
        "send": "📨 Отправить заявление",
        "start_over": "🔄 Начать заново",
        "back": "⬅️ Назад",
        "cancel": "✖️ Отмена",
        "mother": "Мать",
        "father": "Отец",
        "guardian": "Опекун / попечитель",
        "step": "Шаг {n} из {m}",
        "menu_apply": "📝 Подать заявление",
        "withdraw": "🚫 Отозвать согласие",
        "delete": "🗑 Удалить мои данные",
        "edit": "✏️ {label}",
    },
    "kk": {
        "agree": "✅ Келісемін",
        "disagree": "❌ Келіспеймін",
        "skip": "⏭ Өткізу",
        "keep": "➡️ Осы жауапты қалдыру",
        "indefinite": "♾ Мерзімсіз",
        "done": "✅ Дайын",
        "remove": "🗑 Жіберілген файлдарды өшіру",
        "send": "📨 Өтінішті жіберу",
        "start_over": "🔄 Басынан бастау",
        "back": "⬅️ Артқа",
        "cancel": "✖️ Болдырмау",
        "mother": "Анасы",
        "father": "Әкесі",
        "guardian": "Қорғаншы / қамқоршы",
        "step": "{m} қадамның {n}-қадамы",
        "menu_apply": "📝 Өтініш беру",
        "withdraw": "🚫 Келісімді кері қайтарып алу",
        "delete": "🗑 Деректерімді жою",
        "edit": "✏️ {label}",
    },
}

APPLICANT_BIRTH = dt.date(1985, 3, 15)
CHILD_BIRTH = dt.date(2015, 3, 2)
APPLICANT_IIN = make_iin(APPLICANT_BIRTH, "4", 1234)
CHILD_IIN = make_iin(CHILD_BIRTH, "5", 4321)
IBAN = make_iban()


@dataclass
class Person:
    """Answers of one parent; every value is recognisable in logs and cards."""

    surname: str = "Әбдіқадырова"
    name: str = "Айгерим"
    patronymic: str = "Серікқызы"
    iin: str = APPLICANT_IIN
    phone: str = "+7 701 234 56 78"
    address: str = "ул. Абая 10, кв. 5"
    relation: str = "mother"
    child_name: str = "Әбдіқадыров Нұрлан Серікұлы"
    child_iin: str = CHILD_IIN
    child_birth: str = "02.03.2015"
    disability_until: str = "31.12.2027"
    school: str = "Школа-лицей № 7 <Алатау> & Co"
    cert_number: str = "№ 15/2025"
    cert_date: str = "01.09.2025"
    cert_from: str = "09.2025"
    cert_to: str = "05.2026"
    iban: str = field(default_factory=lambda: spaced(IBAN))


def step_text(language: str, n: int, m: int) -> str:
    return LABELS[language]["step"].format(n=n, m=m)


async def begin(user: FakeUser, language: str) -> list[FakeMessage]:
    """/start in `language`, /apply, agree to the consent: the first question is asked."""
    await start_in(user, language)
    await user.send("/apply")
    return await user.press(LABELS[language]["agree"])


def full_name(person: Person) -> str:
    """The applicant's surname, name and patronymic as one answer."""
    return " ".join(part for part in (person.surname, person.name, person.patronymic) if part)


def certificate_details(person: Person) -> str:
    """The certificate's number, date and term as one answer."""
    return f"{person.cert_number}, {person.cert_date}, {person.cert_from}–{person.cert_to}"


@dataclass(frozen=True)
class Input:
    """One parent input of the wizard: a typed text, an inline button (pressed by its visible
    label in tests, by its callback-data prefix in bench/dialog.py), a shared contact, a file."""

    kind: Literal["text", "press", "contact", "document", "photo"]
    value: str = ""  # the text, the callback-data prefix of the button, the phone
    label: str = ""  # for a press: the key of the button's label in LABELS


def application_inputs(language: str, person: Person) -> list[Input]:
    """/apply to «Send», as a parent does it: buttons where there are buttons.

    The one description of a full application: tests/test_apply_inputs.py counts it and
    bench/dialog.py replays it for 200 parents, so a wizard change shows here first."""
    labels = LABELS[language]
    inputs = [
        Input("text", "/apply"),
        Input("press", "consent:yes", label="agree"),
        Input("text", labels[person.relation]),  # a reply button; it decides the steps
        Input("text", full_name(person)),
        Input("text", person.iin),
        Input("contact", "77012345678"),  # «Share my number»: one tap
        Input("text", person.address),
        Input("text", person.child_name),
        Input("text", person.child_iin),  # the date of birth comes from it
        Input("text", person.disability_until),
        Input("text", person.school),
        Input("text", certificate_details(person)),
        Input("document", "certificate.pdf"),
        Input("text", person.iban),
    ]
    if person.relation == "guardian":
        inputs.append(Input("photo"))
    inputs.append(Input("press", "apply:send", label="send"))
    return inputs


async def answer_all(user: FakeUser, language: str, person: Person) -> list[FakeMessage]:
    """Answer every step after the consent up to the summary; returns the summary messages.
    The relation comes first (it decides the steps); the child's date of birth is not asked:
    it comes from the child's IIN."""
    labels = LABELS[language]
    await user.send(labels[person.relation])
    await user.send(full_name(person))
    await user.send(person.iin)
    await user.send(person.phone)
    await user.send(person.address)
    await user.send(person.child_name)
    await user.send(person.child_iin)
    await user.send(person.disability_until)
    await user.send(person.school)
    await user.send(certificate_details(person))
    await user.send_document("certificate.pdf", "application/pdf")
    replies = await user.send(person.iban)
    if person.relation == "guardian":
        replies = await user.send_photo(size=300_000)
    return replies


def joined(messages: list[FakeMessage]) -> str:
    return "\n".join(m.text or "" for m in messages)
