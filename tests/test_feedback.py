"""The parents' rating of the service (issue 12 item 6), over the fake Bot API in kk and
ru: asked once after the decision and once after the first paid quarter, never a third
time; a score, then an optional comment (stored as written, never logged); «Skip»,
«No comment», a command leaves the comment; staff /stats shows the mean and the count;
/deletedata erases the comment."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.data.models import PaymentQuarter, Rating
from bot.usecases.transitions import StaffMember, mark_quarter_paid, perform
from core.status import Action
from tests.conftest import RunningBot
from tests.staff_kit import (
    messages_with,
    running_staffbot,
    staff,
    submit_application,
    wait_outbox_idle,
    wait_text,
)
from tests.test_privacy import WORDS
from tests.tgfake.server import FakeTelegram

MEMBER = StaffMember(501, "Гүлнар")

WORDING = {
    "ru": {
        "approved": "одобрено",
        "refused": "отказ",
        "paid": "💰 Выплачено",
        "decision": "⭐ Один вопрос о заявлении",
        "payment": "⭐ По заявлению",
        "skip": "⏭ Пропустить",
        "thanks_comment": "Спасибо: 4 из 5. Если хотите, напишите одним сообщением",
        "stored": "Спасибо, ваш комментарий передан в отдел.",
        "skipped": "Хорошо, больше этот вопрос задан не будет.",
        "no_comment": "💬 Без комментария",
        "thanks": "Спасибо!",
        "question": "Отправить это в отдел как вопрос",
    },
    "kk": {
        "approved": "мақұлданды",
        "refused": "бас тарту туралы шешім",
        "paid": "💰 Төленді",
        "decision": "⭐ № ",
        "payment": "бойынша алғашқы төлем жасалды",
        "skip": "⏭ Өткізіп жіберу",
        "thanks_comment": "Рақмет: 5-тен 4. Қаласаңыз, бір хабарламамен",
        "stored": "Рақмет, пікіріңіз Бөлімге жеткізілді.",
        "skipped": "Жақсы, бұл сұрақ енді қойылмайды.",
        "no_comment": "💬 Пікірсіз",
        "thanks": "Рақмет!",
        "question": "сұрақ ретінде бөлімге жіберейін бе",
    },
}


@pytest.fixture
async def staffbot(tg: FakeTelegram, make_settings: Any) -> AsyncIterator[RunningBot]:
    async with running_staffbot(tg, make_settings) as bot:
        yield bot


async def ratings_of(bot: RunningBot, application_id: int) -> dict[str, Rating]:
    async with bot.app.context.sessionmaker() as session:
        rows = await session.scalars(select(Rating).where(Rating.application_id == application_id))
        return {row.occasion: row for row in rows}


async def quarter_ids(bot: RunningBot, application_id: int) -> list[int]:
    async with bot.app.context.sessionmaker() as session:
        return list(
            await session.scalars(
                select(PaymentQuarter.id)
                .where(PaymentQuarter.application_id == application_id)
                .order_by(PaymentQuarter.school_year, PaymentQuarter.quarter)
            )
        )


def rating_questions(tg: FakeTelegram, user_id: int) -> list[Any]:
    return [m for m in tg.messages(user_id) if (m.text or "").startswith("⭐")]


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_a_rating_is_asked_once_after_the_decision_and_once_after_the_first_payment(
    staffbot: RunningBot, tg: FakeTelegram, language: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    words = WORDING[language]
    parent = tg.user(7100 if language == "ru" else 7101, language_code=language)
    application_id = await submit_application(staffbot.app, tg, parent, language)
    context = staffbot.app.context
    await perform(context, application_id, Action.TAKE, MEMBER)
    await perform(context, application_id, Action.APPROVE, MEMBER)
    await wait_outbox_idle(staffbot.app, tg)

    # right after the decision: the question, with 1…5 and «Skip»
    messages = tg.messages(parent.id)
    assert words["approved"] in (messages[-2].text or "")
    question = messages[-1]
    assert (question.text or "").startswith(words["decision"])
    assert "ALA-2025-000001" in (question.text or "")
    assert question.inline_buttons == [["1", "2", "3", "4", "5"], [words["skip"]]]

    replies = await parent.press("4", message=question)
    assert question.inline_buttons == []  # answered once
    assert words["thanks_comment"] in replies[-1].text
    assert replies[-1].inline_buttons == [[words["no_comment"]]]
    comment = "Всё <b>понятно</b> & быстро — Айгерим"
    replies = await parent.send(comment)
    assert [r.text for r in replies] == [words["stored"]]
    rated = (await ratings_of(staffbot, application_id))["decision"]
    assert (rated.score, rated.comment, rated.skipped) == (4, comment, False)
    # the next text is no comment any more
    replies = await parent.send("ещё одно")
    assert words["stored"] not in "\n".join(r.text or "" for r in replies)
    assert (await ratings_of(staffbot, application_id))["decision"].comment == comment

    # the first paid quarter: the second question; «Skip»
    first, second, *_ = await quarter_ids(staffbot, application_id)
    await mark_quarter_paid(context, first, MEMBER)
    await wait_outbox_idle(staffbot.app, tg)
    messages = tg.messages(parent.id)
    assert words["paid"] in (messages[-2].text or "")
    question = messages[-1]
    assert words["payment"] in (question.text or "")
    replies = await parent.press(words["skip"], message=question)
    assert [r.text for r in replies] == [words["skipped"]]
    assert question.inline_buttons == []
    skipped = (await ratings_of(staffbot, application_id))["payment"]
    assert (skipped.score, skipped.skipped, skipped.comment) == (None, True, None)

    # a second paid quarter asks nothing: never a third time
    staffbot.clock.fixed = dt.date(2026, 1, 15)
    await mark_quarter_paid(context, second, MEMBER)
    await wait_outbox_idle(staffbot.app, tg)
    assert len(messages_with(tg, parent.id, words["paid"])) == 2
    assert len(rating_questions(tg, parent.id)) == 2
    assert set(await ratings_of(staffbot, application_id)) == {"decision", "payment"}

    # a forged second answer to the first question changes nothing
    await parent.press_data(f"rate:{application_id}:decision:1")
    assert (await ratings_of(staffbot, application_id))["decision"].score == 4

    # staff /stats: the mean and the count (the staff chat speaks Russian)
    replies = await staff(tg).send("/stats")
    text = next(r.text or "" for r in replies if r.kind == "text")
    assert "Оценки родителей: в среднем 4 из 5 (оценок: 1, с комментарием: 1, пропущено: 1)." in (
        text
    )
    assert comment not in text and "понятно" not in text

    # the comment is never logged
    assert "понятно" not in caplog.text

    # /deletedata erases the comment; the score stays
    [ask] = await parent.send("/deletedata")
    await parent.press(WORDS[language]["yes_delete"], message=ask)
    kept = (await ratings_of(staffbot, application_id))["decision"]
    assert (kept.score, kept.comment) == (4, None)


async def test_a_refusal_is_rated_too_no_comment_and_a_command_leave_the_comment(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    words = WORDING["kk"]
    parent = tg.user(7102, language_code="kk")
    application_id = await submit_application(staffbot.app, tg, parent, "kk")
    context = staffbot.app.context
    await perform(context, application_id, Action.TAKE, MEMBER)
    await perform(context, application_id, Action.REJECT, MEMBER, ground=2, comment="—")
    await wait_outbox_idle(staffbot.app, tg)
    messages = tg.messages(parent.id)
    assert words["refused"] in (messages[-2].text or "")
    question = messages[-1]
    assert (question.text or "").startswith(words["decision"])

    # «No comment» ends it
    replies = await parent.press("5", message=question)
    replies = await parent.press(words["no_comment"], message=replies[-1])
    assert [r.text for r in replies] == [words["thanks"]]
    assert (await ratings_of(staffbot, application_id))["decision"].comment is None

    # a second application: a score, then a command leaves the comment and does its work
    other = await submit_application(
        staffbot.app, tg, parent, "kk", child_iin="160302502002", child_birth="2016-03-02"
    )
    await perform(context, other, Action.TAKE, MEMBER)
    await perform(context, other, Action.APPROVE, MEMBER)
    await wait_outbox_idle(staffbot.app, tg)
    question = rating_questions(tg, parent.id)[-1]
    await parent.press("2", message=question)
    replies = await parent.send("/help")
    assert "/check" in replies[0].text  # the command did what it says
    await parent.send("сұрақ")
    assert (await ratings_of(staffbot, other))["decision"].comment is None
    assert (await ratings_of(staffbot, other))["decision"].score == 2
    await wait_text(tg, parent.id, words["question"])  # free text is a question again
