"""Consent (Art. 8 of the Law "On personal data and their protection"): refusal,
/consent, withdrawal, /deletedata — over the fake Bot API, in kk and ru."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, update

from bot.data.models import Application, Attachment, AuditEntry, Consent, FsmRecord, OutboxMessage
from bot.usecases import documents
from bot.usecases.privacy import PERSONAL_FIELDS
from tests.apply_support import APPLICANT_IIN, LABELS, Person, answer_all, begin, joined
from tests.chat import start_in
from tests.conftest import STAFF_CHAT_ID, RunningBot
from tests.staff_kit import (
    card_of,
    running_staffbot,
    staff,
    submit_application,
    wait_outbox_idle,
    wait_text,
)
from tests.tgfake.server import FakeTelegram


async def consents(running: RunningBot, user_id: int) -> list[Consent]:
    async with running.app.context.sessionmaker() as session:
        return list(
            await session.scalars(
                select(Consent).where(Consent.user_id == user_id).order_by(Consent.id)
            )
        )


async def fsm_rows(running: RunningBot, user_id: int) -> list[FsmRecord]:
    async with running.app.context.sessionmaker() as session:
        return list(await session.scalars(select(FsmRecord).where(FsmRecord.user_id == user_id)))


async def outbox_rows(running: RunningBot) -> list[OutboxMessage]:
    async with running.app.context.sessionmaker() as session:
        return list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "privacy_withdrawal")
            )
        )


WORDS = {
    "ru": {
        "yes_withdraw": "✅ Да, отозвать согласие",
        "yes_delete": "✅ Да, удалить мои данные",
        "keep": "↩️ Нет, ничего не менять",
    },
    "kk": {
        "yes_withdraw": "✅ Иә, келісімді кері қайтарып алу",
        "yes_delete": "✅ Иә, деректерімді жою",
        "keep": "↩️ Жоқ, ештеңені өзгертпеу",
    },
}


def personal(rows: list[FsmRecord]) -> str:
    return " ".join(str(row.data) for row in rows)


async def test_refusal_stores_nothing_personal_and_can_be_reconsidered(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(2201, language_code="ru")
    await start_in(user, "ru")
    await user.send("/apply")
    replies = await user.press(LABELS["ru"]["disagree"])
    text = joined(replies)
    assert "Ничего из заявления не сохранено" in text
    assert "не сообщая ФИО, ИИН и контактов" in text
    assert "пп. 4) п. 8" in text and "статья 8 Закона «О персональных данных и их защите»" in text
    assert replies[0].inline_buttons == [["📄 Прочитать согласие ещё раз"]]
    [record] = await consents(running, user.id)
    assert (record.answer, record.language, record.text_version) == ("disagree", "ru", "2025-11-v1")
    assert record.answered_text == LABELS["ru"]["disagree"]
    # a name typed now is not an answer of any wizard and is stored nowhere
    await user.send("Әбдіқадырова")
    assert "Әбдіқадырова" not in personal(await fsm_rows(running, user.id))
    # /consent tells what was answered
    replies = await user.send("/consent")
    assert "15.11.2025" in joined(replies) and "вы не дали согласия" in joined(replies)
    # reconsider: the consent text again, then agree by typing
    replies = await user.press("📄 Прочитать согласие ещё раз")
    assert "Согласие на сбор и обработку персональных данных" in joined(replies)
    replies = await user.send("согласна")
    assert "Кем вы приходитесь ребёнку?" in joined(replies)
    answers = [(c.answer, c.answered_text) for c in await consents(running, user.id)]
    assert answers == [("disagree", LABELS["ru"]["disagree"]), ("agree", "согласна")]


async def test_typed_refusal_in_kazakh(running: RunningBot, tg: FakeTelegram) -> None:
    user = tg.user(2202, language_code="kk")
    await start_in(user, "kk")
    await user.send(LABELS["kk"]["menu_apply"])
    replies = await user.send("келіспеймін")
    text = joined(replies)
    assert "Өтініштен ештеңе сақталған жоқ" in text and "8-тармақтың 4) тармақшасы" in text
    replies = await user.send("/apply")  # asked again, nothing agreed
    assert "Дербес деректерді жинауға және өңдеуге келісім" in joined(replies)
    replies = await user.send("что-то")
    assert "«Келісемін» немесе «Келіспеймін»" in joined(replies)


async def test_consent_command_shows_what_was_agreed_and_withdrawal_asks_first(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(2203, language_code="kk")
    await begin(user, "kk")
    for answer in (LABELS["kk"]["mother"], "Сейітова Әсел", APPLICANT_IIN):
        await user.send(answer)
    assert APPLICANT_IIN in personal(await fsm_rows(running, user.id))

    replies = await user.send("/consent")
    text = joined(replies)
    assert "15.11.2025" in text and "2025-11-v1" in text and "Қазақша" in text
    assert "Дербес деректерді жинауға және өңдеуге келісім" in text
    assert replies[-1].inline_buttons == [[LABELS["kk"]["withdraw"]], [LABELS["kk"]["delete"]]]

    # the button only asks: what will happen, then Yes / No — nothing is erased yet
    replies = await user.press(LABELS["kk"]["withdraw"])
    [question] = replies
    assert "Растамас бұрын: келісімді кері қайтарып алу мыналарға әкеледі:" in question.text
    assert "Жіберілмеген жобаңыз бен аяқталмаған жауаптарыңыз (болса) бірден жойылады." in (
        question.text
    )
    assert "келісіміңіз кері қайтарып алынады" in question.text
    assert "Сізде жіберілген өтініштер жоқ." in question.text
    assert question.inline_buttons == [[WORDS["kk"]["yes_withdraw"]], [WORDS["kk"]["keep"]]]
    assert APPLICANT_IIN in personal(await fsm_rows(running, user.id))
    [record] = await consents(running, user.id)
    assert record.withdrawn_at is None

    # "No": nothing changes, the wizard goes on where it was
    replies = await user.press(WORDS["kk"]["keep"], message=question)
    assert "Ештеңе өзгертілген жоқ." in joined(replies) and question.inline_buttons == []
    assert APPLICANT_IIN in personal(await fsm_rows(running, user.id))
    assert (await consents(running, user.id))[0].withdrawn_at is None

    # again, and "Yes"
    [question] = await user.press(LABELS["kk"]["withdraw"])
    replies = await user.press(WORDS["kk"]["yes_withdraw"], message=question)
    text = joined(replies)
    assert "Келісіміңіз кері қайтарып алынды." in text
    assert "Жіберілмеген жобаңыз бен аяқталмаған жауаптарыңыз жойылды." in text
    assert await fsm_rows(running, user.id) == []
    [record] = await consents(running, user.id)
    assert record.withdrawn_at is not None
    assert await outbox_rows(running) == []  # nothing was sent, staff have nothing to know

    replies = await user.send("/consent")
    assert "келісіміңізді" in joined(replies) and "кері қайтарып алдыңыз" in joined(replies)
    # /apply asks the consent again and starts from scratch
    replies = await user.send("/apply")
    assert "Осы дербес деректерді жинауға және өңдеуге келісесіз бе?" in joined(replies)
    replies = await user.press(LABELS["kk"]["agree"])
    text = joined(replies)
    assert "Сіз балаға кім боласыз?" in text and "аяқталмаған өтініш" not in text


async def test_the_consent_is_remembered_until_a_withdrawal_or_deletedata(
    running: RunningBot, tg: FakeTelegram
) -> None:
    """One process without REDIS_URL remembers each user's consent answer
    (bot/usecases/consent.py): /apply reads the consents table once, and a withdrawal and
    /deletedata are seen at the very next /apply, which asks for the consent again."""
    reads: list[str] = []

    def counted(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        if statement.startswith("SELECT") and "FROM consents" in statement:
            reads.append(statement)

    engine = running.app.engine.sync_engine
    event.listen(engine, "before_cursor_execute", counted)
    try:
        user = tg.user(2211, language_code="ru")
        await begin(user, "ru")
        for _ in range(2):
            replies = await user.send("/apply")  # the draft goes on: no question
            assert "продолжаем с шага 1" in joined(replies), joined(replies)
        assert len(reads) == 1  # the first /apply; the answer and the rest: remembered

        await user.send("/consent")
        [question] = await user.press(LABELS["ru"]["withdraw"])
        await user.press(WORDS["ru"]["yes_withdraw"], message=question)
        replies = await user.send("/apply")
        assert "Вы согласны на сбор" in joined(replies) and "продолжаем" not in joined(replies)
        replies = await user.press(LABELS["ru"]["agree"])
        assert "Кем вы приходитесь ребёнку?" in joined(replies)

        [question] = await user.send("/deletedata")
        await user.press(WORDS["ru"]["yes_delete"], message=question)
        replies = await user.send("/apply")
        assert "Вы согласны на сбор" in joined(replies) and "продолжаем" not in joined(replies)
    finally:
        event.remove(engine, "before_cursor_execute", counted)


async def test_deletedata_asks_first_then_erases_the_draft(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(2204, language_code="ru")
    await begin(user, "ru")
    for answer in (LABELS["ru"]["mother"], "Иванова Мария Петровна", APPLICANT_IIN):
        await user.send(answer)
    [question] = await user.send("/deletedata")
    assert "вот что произойдёт при удалении ваших данных" in question.text
    assert "Ваш неотправленный черновик и незавершённые ответы (если есть) сразу удаляются." in (
        question.text
    )
    assert "Ваше согласие на обработку персональных данных отзывается" in question.text
    assert "У вас нет отправленных заявлений." in question.text
    assert question.inline_buttons == [[WORDS["ru"]["yes_delete"]], [WORDS["ru"]["keep"]]]
    assert APPLICANT_IIN in personal(await fsm_rows(running, user.id))  # asked, not done

    replies = await user.press(WORDS["ru"]["yes_delete"], message=question)
    text = joined(replies)
    assert "Ваш неотправленный черновик и незавершённые ответы удалены." in text
    assert "Ваше согласие отозвано." in text
    assert question.inline_buttons == []  # a question is answered once
    assert await fsm_rows(running, user.id) == []
    # the wizard is gone: a text is not an answer any more
    replies = await user.send("ул. Абая 1")
    assert "Шаг" not in joined(replies)
    # erasure includes the withdrawal: /apply asks the consent again, then starts afresh
    replies = await user.send("/apply")
    assert "Вы согласны на сбор" in joined(replies) and "незавершённое" not in joined(replies)
    replies = await user.press(LABELS["ru"]["agree"])
    assert "Кем вы приходитесь ребёнку?" in joined(replies) and "Ваш ответ сейчас" not in joined(
        replies
    )


async def test_a_sent_application_is_kept_and_the_parent_is_told_so_before_confirming(
    running: RunningBot, tg: FakeTelegram
) -> None:
    tg.group(STAFF_CHAT_ID, "Staff")
    user = tg.user(2205, language_code="ru")
    await begin(user, "ru")
    await answer_all(user, "ru", Person())
    await user.press(LABELS["ru"]["send"])

    await user.send("/consent")
    [question] = await user.press(LABELS["ru"]["withdraw"])
    assert "вот что произойдёт при отзыве согласия" in question.text
    assert (
        "ALA-2025-000001 (отправлено) остаётся в Отделе: он хранит то, что требует закон. "
        "Сотрудникам сообщат, что вы отозвали согласие. Без согласия Отдел может отказать по "
        "этому заявлению по основанию пп. 4) п. 8." in question.text
    )
    assert await outbox_rows(running) == []  # the staff are told only after "Yes"

    replies = await user.press(WORDS["ru"]["yes_withdraw"], message=question)
    text = joined(replies)
    assert "Ваше согласие отозвано." in text and "пп. 4) п. 8" in text and "ALA-2025-000001" in text
    [row] = await outbox_rows(running)
    assert "отозвал согласие" in row.payload["text"] and "пп. 4) п. 8" in row.payload["text"]

    # /deletedata (typed label): the same application is kept, not erased — said before
    [question] = await user.send(LABELS["ru"]["delete"])
    assert (
        "ALA-2025-000001 (отправлено) остаётся в Отделе: заявление на рассмотрении хранится, как "
        "требует закон, и не удаляется. Сотрудникам сообщат, что вы попросили удалить ваши данные"
        in question.text
    )
    assert "по основанию пп. 4) п. 8" in question.text
    replies = await user.press(WORDS["ru"]["yes_delete"], message=question)
    text = joined(replies)
    assert "Ваши отправленные заявления (ALA-2025-000001) остаются в Отделе" in text
    assert "Сотрудникам сообщено" in text
    [question] = await user.send("/deletedata")  # again: the staff are not told twice a day
    await user.press(WORDS["ru"]["yes_delete"], message=question)
    rows = await outbox_rows(running)
    assert len(rows) == 2 and "попросил удалить персональные данные" in rows[1].payload["text"]
    assert all(APPLICANT_IIN not in row.payload["text"] for row in rows)
    notice = await tg.wait_for(
        lambda: next(
            (m for m in tg.messages(STAFF_CHAT_ID) if "попросил удалить" in (m.text or "")), None
        ),
        what="privacy notice in the staff chat",
    )
    assert "ALA-2025-000001" in notice.text

    # kept by law: the database still holds the application; the request is on record
    async with running.app.context.sessionmaker() as session:
        application = await session.scalar(select(Application))
        assert application is not None
        actions = list(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.application_id == application.id)
            )
        )
    assert application.applicant_iin == APPLICANT_IIN and application.iban
    assert application.personal_data_erased_at is None
    # every request is on record (the staff notice is once a day)
    assert actions == ["submit", "consent_withdrawn", "erasure_requested", "erasure_requested"]
    # the card says it
    card = await tg.wait_for(
        lambda: next(
            (
                m
                for m in tg.messages(STAFF_CHAT_ID)
                if "ALA-2025-000001" in (m.text or "") and "заявление хранится" in (m.text or "")
            ),
            None,
        ),
        what="the card with the privacy line",
    )
    assert "попросил удалить персональные данные и отозвал согласие" in card.text
    assert "Применяется основание для отказа — пп. 4) п. 8." in card.text


async def test_consent_command_before_any_answer(running: RunningBot, tg: FakeTelegram) -> None:
    user = tg.user(2206, language_code="kk")
    await start_in(user, "kk")
    replies = await user.send("/consent")
    assert "Сіз әлі келісім берген жоқсыз" in joined(replies)
    assert replies[-1].inline_buttons == [[LABELS["kk"]["delete"]]]
    replies = await user.send("🔒 Дербес деректер")  # the menu button
    assert "Сіз әлі келісім берген жоқсыз" in joined(replies)


async def test_consent_time_is_shown_in_almaty_time(running: RunningBot, tg: FakeTelegram) -> None:
    import datetime as dt
    import re

    user = tg.user(2207, language_code="ru")
    await begin(user, "ru")
    replies = await user.send("/consent")
    found = re.search(r"(\d\d\.\d\d\.\d{4}) (\d\d):(\d\d)", joined(replies))
    assert found is not None and found.group(1) == "15.11.2025"
    now = running.clock.now()  # Asia/Almaty
    shown = now.replace(hour=int(found.group(2)), minute=int(found.group(3)))
    assert abs((now - shown).total_seconds()) < 120 or abs((now - shown).total_seconds()) > 86000
    assert now.utcoffset() == dt.timedelta(hours=5)


async def test_deletedata_erases_a_withdrawn_application_and_says_so_first(
    tg: FakeTelegram, make_settings: Any
) -> None:
    """Issue 11 item 8: /deletedata erases the personal fields and documents of a
    withdrawn application (no decision, nothing paid) and sets personal_data_erased_at;
    the staff card says the same. A confirmation given for another state is not taken."""
    async with running_staffbot(tg, make_settings) as bot:
        parent = tg.user(2208, language_code="ru")
        await start_in(parent, "ru")
        application_id = await submit_application(bot.app, tg, parent, "ru")
        card = await card_of(bot.app, tg, application_id)
        assert "900101400122" in card.text
        # its certificate, kept by the Department (as the wizard keeps it)
        certificate = await documents.keep(bot.app.context, b"%PDF-1.7\n% certificate\n")
        async with bot.app.context.sessionmaker() as session, session.begin():
            await session.execute(
                update(Attachment)
                .where(Attachment.application_id == application_id)
                .values(sha256=certificate.sha256, storage_path=certificate.path)
            )
        copy = Path(bot.settings.documents_dir) / certificate.path
        assert copy.exists()

        # a question asked while the application was still submitted…
        [early] = await parent.send("/deletedata")
        assert "ALA-2025-000001 (отправлено) остаётся в Отделе" in early.text
        # …then the parent withdraws it (/status → Withdraw → Yes)
        [status] = await parent.send("/status")
        [confirm] = await parent.press("↩️ Отозвать заявление ALA-2025-000001", message=status)
        await parent.press("Да, отозвать", message=confirm)
        await wait_text(tg, parent.id, "↩️ Ваше заявление ALA-2025-000001 отозвано.")  # outbox
        # the old "Yes" is not taken: the plan changed, the new one is shown and asked again
        replies = await parent.press(WORDS["ru"]["yes_delete"], message=early)
        [question] = replies
        assert "С момента вопроса кое-что изменилось" in question.text
        assert (
            "ALA-2025-000001 (отозвано): его персональные данные и документы удаляются; остаются "
            "только номер, даты и история статусов. Сотрудникам сообщат." in question.text
        )
        kept = await stored(bot, application_id)
        assert kept.applicant_iin == "900101400122" and kept.personal_data_erased_at is None

        replies = await parent.press(WORDS["ru"]["yes_delete"], message=question)
        assert (
            "Персональные данные и документы ваших отозванных заявлений (ALA-2025-000001) удалены"
            in joined(replies)
        )
        erased = await stored(bot, application_id)
        assert erased.personal_data_erased_at is not None
        assert {name: getattr(erased, name) for name in PERSONAL_FIELDS} == dict.fromkeys(
            PERSONAL_FIELDS
        )
        assert (erased.number, erased.status) == ("ALA-2025-000001", "withdrawn")
        async with bot.app.context.sessionmaker() as session:
            files = await session.scalar(
                select(func.count())
                .select_from(Attachment)
                .where(Attachment.application_id == application_id)
            )
            actions = list(
                await session.scalars(
                    select(AuditEntry.action)
                    .where(AuditEntry.application_id == application_id)
                    .order_by(AuditEntry.id)
                )
            )
        assert files == 0 and not copy.exists()  # the row and the kept copy
        assert actions == ["submit", "withdraw", "personal_data_erased"]

        # the card in the staff chat is edited: no personal data, the erasure stated
        await tg.wait_for(
            lambda: "Персональные данные и документы удалены по просьбе заявителя" in card.text,
            what="the card edited after the erasure",
        )
        assert "900101400122" not in card.text and "KZ86125KZT5004100100" not in card.text
        assert "Омарова" not in card.text and "ALA-2025-000001" in card.text
        await wait_text(tg, STAFF_CHAT_ID, "персональные данные и документы этого отозванного")

        # asked again: nothing left to erase, and said so
        [again] = await parent.send("/deletedata")
        assert "ALA-2025-000001 (отозвано): его персональные данные уже удалены." in again.text


async def stored(bot: RunningBot, application_id: int) -> Application:
    async with bot.app.context.sessionmaker() as session:
        row = await session.get(Application, application_id)
        assert row is not None
        return row


async def test_a_decided_application_is_kept_and_no_refusal_is_announced_kk(
    tg: FakeTelegram, make_settings: Any
) -> None:
    """Consent withdrawal with an approved application, in Kazakh: the preview says it is
    kept (a decided application), what the staff will be told, and nothing about p.8(4)."""
    async with running_staffbot(tg, make_settings) as bot:
        parent = tg.user(2209, language_code="kk")
        await start_in(parent, "kk")
        await consent_to(bot, parent.id)
        application_id = await submit_application(bot.app, tg, parent, "kk")
        card = await card_of(bot.app, tg, application_id)
        member = staff(tg)
        await member.press("🔎 Взять в работу", message=card)
        await member.press("✅ Одобрить", message=card)
        await member.press("✅ Да, одобрить", message=tg.messages(STAFF_CHAT_ID)[-1])
        await wait_text(tg, STAFF_CHAT_ID, "одобрено")
        await wait_outbox_idle(bot.app, tg)  # the parent's notification is not a reply below

        await parent.send("/consent")
        [question] = await parent.press(LABELS["kk"]["withdraw"])
        assert (
            "ALA-2025-000001 (мақұлданды) бөлімде қалады: шешім қабылданған өтініш заң талап "
            "еткендей сақталады. Қызметкерлерге келісіміңізді кері қайтарып алғаныңыз хабарланады."
            in question.text
        )
        assert "8-тармақтың 4)" not in question.text
        replies = await parent.press(WORDS["kk"]["yes_withdraw"], message=question)
        assert "Келісіміңіз кері қайтарып алынды." in joined(replies)
        assert "8-тармақтың 4)" not in joined(replies)
        notice = await wait_text(tg, STAFF_CHAT_ID, "отозвал согласие")
        assert "Заявление, по которому принято решение, хранится" in notice.text
        kept = await stored(bot, application_id)
        assert kept.status == "approved" and kept.applicant_iin is not None
        assert kept.personal_data_erased_at is None


async def consent_to(bot: RunningBot, user_id: int) -> None:
    """An agreement on record (submit_application skips the wizard's consent step)."""
    from bot.usecases.consent import record_answer

    await record_answer(
        bot.app.context,
        user_id=user_id,
        language="kk",
        agreed=True,
        answered_text="Келісемін",
        now=bot.clock.now(),
    )
