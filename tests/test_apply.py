"""/apply over the fake Bot API: consent, the wizard, the summary, sending, the staff card."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.clock import Clock
from bot.data.models import Application, AuditEntry, Consent, OutboxMessage
from bot.settings import Settings
from tests.apply_support import (
    APPLICANT_IIN,
    CHILD_IIN,
    IBAN,
    LABELS,
    Person,
    answer_all,
    begin,
    joined,
    make_iin,
    step_text,
)
from tests.conftest import FIXED_TODAY, STAFF_CHAT_ID, RunningBot
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
        "consent": [
            "Согласие на сбор и обработку персональных данных",
            "статья 8 Закона",
            "ГУ «Отдел занятости и социальных программ города Алатау»",
            "/consent",
            "/deletedata",
            "ИИН",
            "IBAN",
        ],
        "first": "Кем вы приходитесь ребёнку?",
        "intro": "затем 11 коротких шагов (12 для опекуна или попечителя)",
        "summary": [
            "Пожалуйста, проверьте заявление перед отправкой.",
            "Фамилия: Әбдіқадырова",
            "Кем приходится ребёнку: Мать",
            "Срок окончания инвалидности: 31.12.2027",
            "Срок справки с: 09.2025",
            "Срок справки по: 05.2026",
            "Справка из учебного заведения: файлов: 1",
            "100\xa0656,00\xa0₸",
        ],
        "sent": [
            "Ваше заявление отправлено. Его номер — ALA-2025-000001.",
            "«Возмещение затрат на обучение на дому детей с инвалидностью»",
            "eGov",
            "п. 6",
        ],
    },
    "kk": {
        "consent": [
            "Дербес деректерді жинауға және өңдеуге келісім",
            "8-бабы",
            "«Алатау қаласының жұмыспен қамту және әлеуметтік бағдарламалар бөлімі» ММ",
            "/consent",
            "/deletedata",
            "ЖСН",
            "IBAN",
        ],
        "first": "Сіз балаға кім боласыз?",
        "intro": "содан кейін 11 қысқа қадам (қорғаншы немесе қамқоршы үшін 12)",
        "summary": [
            "Жіберер алдында өтінішіңізді тексеріңіз.",
            "Тегі: Әбдіқадырова",
            "Балаға қатысы: Анасы",
            "Мүгедектіктің аяқталу мерзімі: 31.12.2027",
            "Оқу орнының анықтамасы: файлдар: 1",
            "100\xa0656,00\xa0₸",
        ],
        "sent": [
            "Өтінішіңіз жіберілді. Оның нөмірі — ALA-2025-000001.",
            "«Мүгедектігі бар балаларды үйде оқытуға жұмсалған шығындарды өтеу»",
            "eGov",
            "6-тармақ",
        ],
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
    assert expected["intro"] in joined(replies)
    assert expected["first"] in replies[-1].text  # not numbered: it decides the steps
    assert user.keyboard[-1] == [labels["cancel"]] and [labels["guardian"]] in user.keyboard

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


async def test_guardian_is_asked_for_the_guardianship_document(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(2003, language_code="kk")
    await begin(user, "kk")
    summary = await answer_all(user, "kk", Person(relation="guardian", patronymic=""))
    text = joined(summary)
    assert "Балаға қатысы: Қорғаншы / қамқоршы" in text
    assert "Әкесінің аты: —" in text  # skipped
    assert "Қорғаншылықты (қамқоршылықты) растайтын құжат: файлдар: 1" in text
    replies = await user.press(LABELS["kk"]["send"])
    assert "ALA-2025-000001" in joined(replies)
    application = (await applications(running))[0]
    assert application.relation == "guardian" and application.applicant_patronymic is None
    assert [(a.kind, a.media) for a in application.attachments] == [
        ("certificate", "document"),
        ("guardianship", "photo"),
    ]


async def test_guardian_steps_are_counted(running: RunningBot, tg: FakeTelegram) -> None:
    user = tg.user(2004, language_code="ru")
    await begin(user, "ru")
    replies = await user.send("опекун")  # typed, not pressed
    assert step_text("ru", 1, 12) in joined(replies)
    for answer in ("Иванова Мария", APPLICANT_IIN, "87012345678", "Абая 1"):
        replies = await user.send(answer)
    assert step_text("ru", 5, 12) in joined(replies)


async def test_back_keeps_the_answers_and_offers_to_keep_them(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(2005, language_code="ru")
    labels = LABELS["ru"]
    await begin(user, "ru")
    await user.send(labels["mother"])
    replies = await user.send("Иванова Мария")
    # the full name is shown back split into its parts
    assert "Записано: фамилия Иванова, имя Мария, отчество —." in joined(replies)
    await user.send(APPLICANT_IIN)
    replies = await user.send(labels["back"])
    text = joined(replies)
    assert step_text("ru", 2, 11) in text and f"Ваш ответ сейчас: {APPLICANT_IIN}" in text
    assert [labels["keep"]] in user.keyboard
    replies = await user.send(labels["back"])
    assert "Ваш ответ сейчас: Иванова, Мария" in joined(replies)
    replies = await user.send(labels["back"])
    assert "Ваш ответ сейчас: Мать" in joined(replies)
    assert user.keyboard[-1] == [labels["cancel"]]  # no "Back" on the first question
    await user.send(labels["keep"])
    await user.send(labels["keep"])
    replies = await user.send(labels["keep"])
    assert step_text("ru", 3, 11) in joined(replies)
    await user.send(labels["back"])
    await user.send(labels["back"])
    replies = await user.send("Иванова Анна Петровна")  # a new name
    assert "Записано: фамилия Иванова, имя Анна, отчество Петровна." in joined(replies)
    assert step_text("ru", 2, 11) in joined(replies)


async def test_resume_after_a_restart_of_the_bot(running: RunningBot, tg: FakeTelegram) -> None:
    user = tg.user(2006, language_code="kk")
    labels = LABELS["kk"]
    await begin(user, "kk")
    for answer in (labels["mother"], "Сейітова Әсел", APPLICANT_IIN, "+77011112233"):
        await user.send(answer)
    await running.restart()
    # the wizard state survived: the next answer is taken as step 4
    replies = await user.send("Абай көшесі 5")
    assert step_text("kk", 5, 11) in joined(replies)
    await running.restart()
    replies = await user.send("/apply")
    text = joined(replies)
    assert "Сізде аяқталмаған өтініш бар, 11 қадамның 5-қадамынан жалғастырамыз." in text
    assert replies[0].inline_buttons == [[labels["start_over"]]]
    assert step_text("kk", 5, 11) in text
    for answer in (
        "Сейітов Алмас",
        CHILD_IIN,
        labels["indefinite"],
        "№ 3 мектеп",
        "15, 01.09.2025, 09.2025-05.2026",
    ):
        await user.send(answer)
    await user.send_photo()
    summary = await user.send(IBAN.lower())
    text = joined(summary)
    assert "Тегі: Сейітова" in text and "Телефон: +77011112233" in text
    assert "Мүгедектіктің аяқталу мерзімі: мерзімсіз" in text
    await running.restart()
    replies = await user.send("жіберу")  # typed "send" after another restart
    assert "ALA-2025-000001" in joined(replies)
    application = (await applications(running))[0]
    assert application.disability_until is None and application.iban == IBAN


async def test_cancel_pauses_and_start_over_forgets(running: RunningBot, tg: FakeTelegram) -> None:
    user = tg.user(2007, language_code="ru")
    labels = LABELS["ru"]
    await begin(user, "ru")
    await user.send(labels["mother"])
    await user.send("Иванова Мария")
    await user.send(APPLICANT_IIN)
    replies = await user.send("/cancel")
    text = joined(replies)
    assert "Заполнение заявления приостановлено." in text
    assert "отправьте /apply, чтобы продолжить с шага 3" in text
    # /deletedata withdraws the consent: it is not offered as a way to clear answers
    assert "/deletedata" not in text
    assert (
        "Чтобы стереть эти ответы и начать заново, отправьте /apply и нажмите «🔄 Начать заново»."
        in text
    )
    assert [labels["menu_apply"]] != user.keyboard[0] and any(
        labels["menu_apply"] in row for row in user.keyboard
    )
    # outside the wizard a text is not taken as an answer
    replies = await user.send("Петровна")
    assert "Шаг" not in joined(replies)
    replies = await user.send(labels["menu_apply"])
    assert "продолжаем с шага 3 из 11" in joined(replies)
    replies = await user.press(labels["start_over"])
    text = joined(replies)
    assert "Прежние ответы удалены." in text and "Кем вы приходитесь ребёнку?" in text
    assert "Ваш ответ сейчас" not in text


async def test_edit_from_the_summary_returns_to_the_summary(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(2008, language_code="ru")
    labels = LABELS["ru"]
    await begin(user, "ru")
    summary = await answer_all(user, "ru", Person())
    edit_buttons = [text for row in summary[-1].inline_buttons for text in row]
    assert "✏️ IBAN" in edit_buttons and "✏️ ФИО" in edit_buttons
    for row in summary[-1].reply_markup["inline_keyboard"]:
        for button in row:
            assert len(button["callback_data"].encode()) <= 64
            assert button["callback_data"].isascii()  # never translated text

    replies = await user.press("✏️ Данные справки")
    text = joined(replies)
    assert "Ваш ответ сейчас: 15/2025, 01.09.2025, 09.2025, 05.2026" in text
    replies = await user.send("№ 99 от 01.09.2025, 09.2025 - 05.2026")
    text = joined(replies)
    assert "Пожалуйста, проверьте заявление" in text and "Номер справки: 99" in text

    # relation → guardian: the guardianship document is asked, then the summary again
    await user.press("✏️ Кем приходится ребёнку")
    replies = await user.send(labels["guardian"])
    assert "документ, подтверждающий опеку" in joined(replies)
    replies = await user.send_document("opeka.png", "image/png")
    assert "Документ об опеке (попечительстве): файлов: 1" in joined(replies)

    # a new child IIN gives a new date of birth, not asked
    other_child = make_iin(dt.date(2016, 5, 20), "6", 77)
    await user.press("✏️ ИИН ребёнка")
    replies = await user.send(other_child)
    assert "Дата рождения ребёнка по ИИН: 20.05.2016." in joined(replies)
    assert "Дата рождения ребёнка: 20.05.2016" in joined(replies)

    # back while editing returns to the summary unchanged
    await user.press("✏️ ФИО")
    replies = await user.send(labels["back"])
    assert "Фамилия: Әбдіқадырова" in joined(replies)

    await user.press(labels["send"])
    application = (await applications(running))[0]
    assert application.certificate_number == "99" and application.child_iin == other_child
    assert application.relation == "guardian"
    assert sorted(a.kind for a in application.attachments) == ["certificate", "guardianship"]


async def test_a_long_summary_is_split_and_escaped(running: RunningBot, tg: FakeTelegram) -> None:
    user = tg.user(2009, language_code="kk")
    await begin(user, "kk")
    person = Person(
        address="&" * 299 + "1",
        school="<" * 299 + "2",
        cert_number="&" * 63 + "3",
        surname="А" * 80,
        patronymic="",  # the full name (one answer) keeps within 100 characters
        child_name="Б" * 49 + " " + "Б" * 50,  # a full name: at least two words
    )
    summary = await answer_all(user, "kk", person)
    # two parts (each under the limit, valid HTML: the fake parses it) and the edit buttons
    assert len(summary) == 3
    assert all(len(m.raw_text or "") <= 3800 for m in summary)
    assert summary[0].keyboard_buttons[0] == [LABELS["kk"]["send"]]
    assert summary[-1].inline_buttons[-1] == [LABELS["kk"]["send"]]
    text = joined(summary)
    assert "&" * 299 + "1" in text and "<" * 299 + "2" in text
    assert all(len(m.text or "") <= 4096 for m in summary)
    replies = await user.press(LABELS["kk"]["send"])
    assert "ALA-2025-000001" in joined(replies)


async def test_wizard_on_redis_storage_resumes_and_is_erased(
    tg: FakeTelegram, make_settings: Callable[..., Settings], redis_url: str
) -> None:
    from redis.asyncio import Redis

    user_id = random.randint(10**9, 2 * 10**9)
    running = RunningBot(tg, make_settings(redis_url=redis_url), Clock(fixed=FIXED_TODAY))
    await running.start()
    bot_id = running.app.bot.id
    client = Redis.from_url(redis_url)
    try:
        user = tg.user(user_id, language_code="ru")
        await begin(user, "ru")
        for answer in (LABELS["ru"]["mother"], "Иванова Мария", APPLICANT_IIN):
            await user.send(answer)
        keys = [key.decode() for key in await client.keys(f"fsm:{bot_id}:{user_id}:{user_id}:*")]
        assert any(key.endswith(":apply:data") for key in keys)
        await running.restart()
        replies = await user.send("/apply")
        assert "продолжаем с шага 3 из 11" in joined(replies)
        [question] = await user.send("/deletedata")
        assert await client.keys(f"fsm:{bot_id}:{user_id}:{user_id}:*") != []  # asked, not done yet
        await user.press("✅ Да, удалить мои данные", message=question)
        assert await client.keys(f"fsm:{bot_id}:{user_id}:{user_id}:*") == []
        await user.send("/apply")  # the consent was withdrawn with the data: asked again
        replies = await user.press(LABELS["ru"]["agree"])
        text = joined(replies)
        assert "Кем вы приходитесь ребёнку?" in text and "незавершённое" not in text
    finally:
        await running.stop()
        for key in await client.keys(f"fsm:{bot_id}:{user_id}:{user_id}:*"):
            await client.delete(key)
        await client.aclose()


async def test_double_send_and_stale_buttons_make_one_application(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(2010, language_code="ru")
    labels = LABELS["ru"]
    await begin(user, "ru")
    summary = await answer_all(user, "ru", Person())
    hint = summary[-1]
    # typed edit: the label of a field (or its edit button) opens that step
    replies = await user.send("✏️ IBAN")
    assert "IBAN вашего банковского счёта" in joined(replies)
    await user.send(labels["keep"])
    await user.press(labels["send"], message=hint)
    replies = await user.press(labels["send"], message=hint)  # a second tap on the old message
    assert "ALA-2025-000002" not in joined(replies)
    await user.press("✏️ IBAN", message=hint)
    assert user.callback_answers[-1].text == "Эта кнопка больше не активна."
    replies = await user.send("отправить")
    # no second application; a plain text after Send is offered as a question (issue 12 item 5)
    assert "ALA-2025-000002" not in joined(replies) and "отправлено" not in joined(replies)
    assert [a.number for a in await applications(running)] == ["ALA-2025-000001"]


async def test_a_failed_staff_card_does_not_lose_the_application(
    tg: FakeTelegram, make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    """The card is an outbox row committed with the application (submit's transaction):
    the staff chat being down loses neither; the card and its file come once it is back."""
    running = RunningBot(
        tg,
        make_settings(outbox_poll_interval=0.05, outbox_backoff_base=0.05, outbox_backoff_max=0.2),
        Clock(fixed=FIXED_TODAY),
    )
    await running.start()
    try:
        tg.group(STAFF_CHAT_ID, "Staff")
        tg.inject(
            "sendMessage", 500, chat_id=STAFF_CHAT_ID, times=2
        )  # the staff chat is down for a while
        user = tg.user(2011, language_code="kk")
        await begin(user, "kk")
        await answer_all(user, "kk", Person())
        replies = await user.press(LABELS["kk"]["send"])
        assert "ALA-2025-000001" in joined(replies)
        rows = await applications(running)
        assert len(rows) == 1
        async with running.app.context.sessionmaker() as session:
            card_rows = list(
                await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.kind == "card_publish")
                )
            )
        assert [(r.application_id, r.dedupe_key) for r in card_rows] == [
            (rows[0].id, f"card:{rows[0].id}")
        ]

        await wait_staff_card(tg, "ALA-2025-000001")
        await tg.wait_for(
            lambda: [m for m in tg.messages(STAFF_CHAT_ID) if m.kind == "document"],
            what="the certificate",
        )
        cards = [
            m
            for m in tg.messages(STAFF_CHAT_ID)
            if "ALA-2025-000001" in (m.text or "") and m.kind == "text"
        ]
        assert len(cards) == 1
        (document,) = [m for m in tg.messages(STAFF_CHAT_ID) if m.kind == "document"]
        assert document.reply_to_message_id == cards[0].message_id
        assert all(APPLICANT_IIN not in r.getMessage() for r in caplog.records)
    finally:
        await running.stop()


async def test_without_a_staff_chat_nothing_is_posted(
    tg: FakeTelegram, make_settings: Callable[..., Settings]
) -> None:
    running = RunningBot(tg, make_settings(staff_chat_id=None), Clock(fixed=FIXED_TODAY))
    await running.start()
    try:
        user = tg.user(2012, language_code="ru")
        await begin(user, "ru")
        await answer_all(user, "ru", Person())
        replies = await user.press(LABELS["ru"]["send"])
        assert "ALA-2025-000001" in joined(replies)
        assert all(call.chat_id == user.id for call in tg.sent_calls())
    finally:
        await running.stop()
