"""The wizard's typed draft (bot.usecases.drafts) and its one codec to the FSM storage."""

from __future__ import annotations

import datetime as dt
import json

from aiogram.fsm.storage.base import StorageKey

from bot.usecases.drafts import (
    INDEFINITE,
    SUMMARY,
    Draft,
    FileRecord,
    Relation,
    decode,
    encode,
)
from core.months import Month
from core.values import Iban, Iin
from tests.apply_support import (
    APPLICANT_IIN,
    CHILD_IIN,
    IBAN,
    LABELS,
    Person,
    answer_all,
    begin,
    joined,
)
from tests.conftest import RunningBot
from tests.tgfake.server import FakeTelegram


def test_the_codec_keeps_typed_values_as_json_scalars() -> None:
    draft = Draft(step=SUMMARY, editing=True)
    answers = draft.answers
    answers.surname, answers.patronymic = "Әбдіқадырова", ""
    answers.iin, answers.child_iin = Iin(APPLICANT_IIN), Iin(CHILD_IIN)
    answers.relation = Relation.GUARDIAN
    answers.child_birth, answers.disability_until = dt.date(2015, 3, 2), INDEFINITE
    answers.cert_date = dt.date(2025, 9, 1)
    answers.cert_from, answers.cert_to = Month(2025, 9), Month(2026, 5)
    answers.iban = Iban(IBAN)
    draft.files.append(FileRecord("certificate", "photo", "F1", "U1", "image/jpeg", None, 10))
    draft.pending = ("relation", Relation.FATHER)  # waiting for the parent's confirmation

    stored = encode(draft)
    assert json.loads(json.dumps(stored)) == stored  # what Redis or a JSON column keeps
    assert stored["answers"] == {
        "surname": "Әбдіқадырова",
        "patronymic": "",
        "iin": APPLICANT_IIN,
        "relation": "guardian",
        "child_iin": CHILD_IIN,
        "child_birth": "2015-03-02",
        "disability_until": "indefinite",
        "cert_date": "2025-09-01",
        "cert_from": "2025-09",
        "cert_to": "2026-05",
        "iban": IBAN,
    }
    assert stored["pending"] == {"code": "relation", "value": "father"}
    assert decode(stored) == draft
    assert decode(None) == Draft() and decode({}) == Draft()


def test_unreadable_stored_values_are_dropped_not_fatal() -> None:
    draft = decode(
        {
            "step": "iban",
            "answers": {
                "child_birth": "2015-02-30",  # no such day
                "cert_to": "05.2026",  # not the stored form
                "iin": "123",  # not an IIN
                "relation": "neighbour",
                "iban": IBAN,
            },
            "files": [{"kind": "certificate"}, "junk", {"kind": "certificate", "file_id": "F"}],
        }
    )
    a = draft.answers
    assert (a.child_birth, a.cert_to, a.iin, a.relation) == (None, None, None, None)
    assert a.iban == Iban(IBAN)
    assert [item.file_id for item in draft.files] == ["F"]


async def test_a_damaged_draft_value_is_asked_again(running: RunningBot, tg: FakeTelegram) -> None:
    """A draft whose stored date cannot be read (older format, damage) does not break
    the dialog: /apply asks that answer again, then shows the summary."""
    user = tg.user(2401, language_code="ru")
    await begin(user, "ru")
    await answer_all(user, "ru", Person())
    storage = running.app.storage
    key = StorageKey(bot_id=123456789, chat_id=user.id, user_id=user.id, destiny="apply")
    data = await storage.get_data(key)
    assert data["answers"]["child_birth"] == "2015-03-02"
    data["answers"]["child_birth"] = "2015-02-30"
    assert data["answers"]["cert_to"] == "2026-05"
    data["answers"]["cert_to"] = "05.2026"  # not the stored form
    await storage.set_data(key, data)

    replies = await user.send("/apply")
    text = joined(replies)
    # the certificate's details are asked again; the date of birth comes again from the IIN
    assert "Справка учебного заведения одним сообщением" in text
    assert "Ваш ответ сейчас" not in text
    replies = await user.send("15/2025, 01.09.2025, 09.2025–05.2026")
    text = joined(replies)
    assert "Пожалуйста, проверьте заявление" in text
    assert "Дата рождения ребёнка: 02.03.2015" in text and "Срок справки по: 05.2026" in text
    replies = await user.press(LABELS["ru"]["send"])
    assert "ALA-2025-000001" in joined(replies)
