"""/apply over the fake Bot API: consent, the wizard, the summary, sending, the staff card."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.db.models import Application, AuditEntry, Consent
from tests.conftest import STAFF_CHAT_ID, RunningBot
from tests.test_apply_support import (
    APPLICANT_IIN,
    CHILD_IIN,
    IBAN,
    LABELS,
    Person,
    answer_all,
    begin,
    joined,
    step_text,
)
from tests.tgfake.server import FakeTelegram


async def applications(running: RunningBot) -> list[Application]:
    async with running.app.context.sessionmaker() as session:
        rows = await session.scalars(
            select(Application)
            .options(selectinload(Application.attachments), selectinload(Application.audit))
            .order_by(Application.id)
        )
        return list(rows)


async def wait_staff_card(tg: FakeTelegram, number: str) -> None:
    def card() -> bool:
        return any(number in (m.text or "") for m in tg.messages(STAFF_CHAT_ID))

    await tg.wait_for(card, what=f"staff card {number}")


EXPECTED = {
    "ru": {
        "consent": ["Согласие на сбор и обработку персональных данных", "статья 8 Закона",
                    "ГУ «Отдел занятости и социальных программ города Алатау»",
                    "/consent", "/deletedata", "ИИН", "IBAN"],
        "first": "Ваша фамилия",
        "summary": ["Пожалуйста, проверьте заявление перед отправкой.", "Фамилия: Әбдіқадырова",
                    "Кем приходится ребёнку: Мать", "Срок окончания инвалидности: 31.12.2027",
                    "Срок справки: с: 09.2025", "Срок справки: по: 05.2026",
                    "Справка из учебного заведения: файлов: 1", "100\xa0656,00\xa0₸"],
        "sent": ["Ваше заявление отправлено. Его номер — ALA-2025-000001.",
                 "Государственную корпорацию «Правительство для граждан»", "eGov", "п.6"],
    },
    "kk": {
        "consent": ["Дербес деректерді жинауға және өңдеуге келісім", "8-бабы",
                    "«Алатау қаласының жұмыспен қамту және әлеуметтік бағдарламалар бөлімі» ММ",
                    "/consent", "/deletedata", "ЖСН", "IBAN"],
        "first": "Тегіңіз",
        "summary": ["Жіберер алдында өтінішіңізді тексеріңіз.", "Тегі: Әбдіқадырова",
                    "Балаға кім болады: Анасы", "Мүгедектіктің аяқталу мерзімі: 31.12.2027",
                    "Оқу орнының анықтамасы: файлдар: 1", "100\xa0656,00\xa0₸"],
        "sent": ["Өтінішіңіз жіберілді. Оның нөмірі — ALA-2025-000001.",
                 "«Азаматтарға арналған үкімет» мемлекеттік корпорациясы", "eGov", "6-тармақ"],
    },
}


@pytest.mark.parametrize("language", ["ru", "kk"])
async def test_full_application_from_start_to_the_staff_card(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    tg.group(STAFF_CHAT_ID, "Staff")
    user = tg.user(2001, "Айгерим", language_code=language)
    labels, expected = LABELS[language], EXPECTED[language]
    from tests.chat import start_in

    await start_in(user, language)
    replies = await user.send("/apply")
    consent = joined(replies)
    for part in expected["consent"]:
        assert part in consent, part
    assert replies[-1].inline_buttons == [[labels["agree"], labels["disagree"]]]

    replies = await user.press(labels["agree"])
    assert step_text(language, 1, 18) in joined(replies)
    assert expected["first"] in replies[-1].text
    assert user.keyboard == [[labels["cancel"]]]

    summary = await answer_all(user, language, Person())
    text = joined(summary)
    for part in expected["summary"]:
        assert part in text, part
    assert "Школа-лицей № 7 <Алатау> & Co" in text  # escaped and shown as typed
    assert summary[-1].inline_buttons[-1] == [labels["send"]]

    replies = await user.press(labels["send"])
    text = joined(replies)
    for part in expected["sent"]:
        assert part in text, part
    assert user.keyboard is not None and [labels["menu_apply"]] != user.keyboard[0]

    rows = await applications(running)
    assert len(rows) == 1
    application = rows[0]
    assert application.number == "ALA-2025-000001"
    assert application.status == "submitted"
    assert application.applicant_iin == APPLICANT_IIN and application.child_iin == CHILD_IIN
    assert application.iban == IBAN and application.phone == "+77012345678"
    assert application.language == language
    assert str(application.estimate_total) == "100656.00"
    assert [a.kind for a in application.attachments] == ["certificate"]
    assert [(e.action, e.old_status, e.new_status, e.actor) for e in application.audit] == [
        ("submit", "draft", "submitted", "parent")
    ]
    # the wizard is over: nothing personal is left in the FSM storage
    keys = await running.app.storage.keys_of_user(user.id)
    for key in keys:
        assert not await running.app.storage.get_data(_key(key))  # data erased after sending

    await wait_staff_card(tg, "ALA-2025-000001")


def _key(text: str):  # type: ignore[no-untyped-def]
    from aiogram.fsm.storage.base import StorageKey

    bot_id, chat_id, user_id, thread, business, destiny = text.split(":")
    return StorageKey(
        bot_id=int(bot_id),
        chat_id=int(chat_id),
        user_id=int(user_id),
        thread_id=int(thread) if thread else None,
        business_connection_id=business or None,
        destiny=destiny,
    )


async def test_consent_is_recorded_with_version_language_and_answer(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(2002, language_code="kk")
    await begin(user, "kk")
    async with running.app.context.sessionmaker() as session:
        consents = list(await session.scalars(select(Consent).where(Consent.user_id == user.id)))
        audit = list(await session.scalars(select(AuditEntry)))
    assert len(consents) == 1
    consent = consents[0]
    assert (consent.text_version, consent.language, consent.answer) == ("2025-11-v1", "kk", "agree")
    assert consent.answered_text == LABELS["kk"]["agree"]
    assert consent.withdrawn_at is None and consent.created_at is not None
    assert audit == []
