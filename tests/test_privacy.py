"""Consent (Art. 8 of the Law "On personal data and their protection"): refusal,
/consent, withdrawal, /deletedata — over the fake Bot API, in kk and ru."""

from __future__ import annotations

from sqlalchemy import select

from bot.data.models import Application, Consent, FsmRecord, OutboxMessage
from tests.chat import start_in
from tests.conftest import STAFF_CHAT_ID, RunningBot
from tests.test_apply_support import APPLICANT_IIN, LABELS, Person, answer_all, begin, joined
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
    assert "Никакие персональные данные не сохранены" in text
    assert "п.8(4)" in text and "статья 8 Закона «О персональных данных и их защите»" in text
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
    assert "Шаг 1 из 18" in joined(replies)
    answers = [(c.answer, c.answered_text) for c in await consents(running, user.id)]
    assert answers == [("disagree", LABELS["ru"]["disagree"]), ("agree", "согласна")]


async def test_typed_refusal_in_kazakh(running: RunningBot, tg: FakeTelegram) -> None:
    user = tg.user(2202, language_code="kk")
    await start_in(user, "kk")
    await user.send(LABELS["kk"]["menu_apply"])
    replies = await user.send("келіспеймін")
    text = joined(replies)
    assert "Ешқандай дербес дерек сақталған жоқ" in text and "8-тармақтың 4) тармақшасы" in text
    replies = await user.send("/apply")  # asked again, nothing agreed
    assert "Дербес деректерді жинауға және өңдеуге келісім" in joined(replies)
    replies = await user.send("что-то")
    assert "«Келісемін» немесе «Келіспеймін»" in joined(replies)


async def test_consent_command_shows_what_was_agreed_and_withdrawal_erases_the_draft(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(2203, language_code="kk")
    await begin(user, "kk")
    for answer in ("Сейітова", "Әсел", LABELS["kk"]["skip"], APPLICANT_IIN):
        await user.send(answer)
    assert APPLICANT_IIN in personal(await fsm_rows(running, user.id))

    replies = await user.send("/consent")
    text = joined(replies)
    assert "15.11.2025" in text and "2025-11-v1" in text and "Қазақша" in text
    assert "Дербес деректерді жинауға және өңдеуге келісім" in text
    assert replies[-1].inline_buttons == [[LABELS["kk"]["withdraw"]], [LABELS["kk"]["delete"]]]

    replies = await user.press(LABELS["kk"]["withdraw"])
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
    assert "18 қадамның 1-қадамы" in text and "аяқталмаған өтініш" not in text


async def test_deletedata_erases_the_draft_at_once(running: RunningBot, tg: FakeTelegram) -> None:
    user = tg.user(2204, language_code="ru")
    await begin(user, "ru")
    for answer in ("Иванова", "Мария", "Петровна", APPLICANT_IIN, "87011234567"):
        await user.send(answer)
    replies = await user.send("/deletedata")
    text = joined(replies)
    assert "Ваш неотправленный черновик и незавершённые ответы удалены." in text
    assert "У вас нет отправленных заявлений." in text
    assert await fsm_rows(running, user.id) == []
    # the wizard is gone: a text is not an answer any more
    replies = await user.send("ул. Абая 1")
    assert "Шаг" not in joined(replies)
    # the consent stays; /apply starts a fresh application
    replies = await user.send("/apply")
    text = joined(replies)
    assert "Шаг 1 из 18" in text and "незавершённое" not in text and "Ваш ответ сейчас" not in text


async def test_after_sending_the_department_keeps_the_application_and_staff_are_told(
    running: RunningBot, tg: FakeTelegram
) -> None:
    tg.group(STAFF_CHAT_ID, "Staff")
    user = tg.user(2205, language_code="ru")
    await begin(user, "ru")
    await answer_all(user, "ru", Person())
    await user.press(LABELS["ru"]["send"])

    replies = await user.send(LABELS["ru"]["delete"])  # typed label
    text = joined(replies)
    assert "Ваши отправленные заявления (ALA-2025-000001) остаются в Отделе" in text
    assert "Сотрудникам сообщено" in text
    await user.send("/deletedata")  # again: the staff are not told twice the same day
    [row] = await outbox_rows(running)
    assert row.chat_id == STAFF_CHAT_ID and "ALA-2025-000001" in row.payload["text"]
    assert "удалить персональные данные" in row.payload["text"]
    assert APPLICANT_IIN not in row.payload["text"]
    notice = await tg.wait_for(
        lambda: next(
            (m for m in tg.messages(STAFF_CHAT_ID) if "попросил удалить" in (m.text or "")), None
        ),
        what="privacy notice in the staff chat",
    )
    assert "ALA-2025-000001" in notice.text

    replies = await user.send("/consent")
    replies = await user.press(LABELS["ru"]["withdraw"])
    text = joined(replies)
    assert "Ваше согласие отозвано." in text and "п.8(4)" in text and "ALA-2025-000001" in text
    rows = await outbox_rows(running)
    assert len(rows) == 2 and "отозвал согласие" in rows[1].payload["text"]
    async with running.app.context.sessionmaker() as session:
        application = await session.scalar(select(Application))
    assert application is not None and application.applicant_iin == APPLICANT_IIN  # kept by law


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
