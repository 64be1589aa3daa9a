"""The application funnel and deep links (issue 12 item 6), over the fake Bot API in kk
and ru: parents who stopped at different steps (started only, consented, reached the
summary, sent), in two ISO weeks, counted in staff /stats per week and per deep-link
source; a repeated /apply counts once; an invalid deep link is ignored (and /start still
works); the first source stays; /deletedata leaves nothing that leads to the parent."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import inspect, select

from bot.data.models import FunnelEvent, FunnelVisitor
from bot.funnel import Counts, funnel_of, parse_source
from bot.usecases.transitions import StaffMember, perform
from core.status import Action
from tests.apply_support import LABELS, Person, answer_all
from tests.chat import start_in
from tests.conftest import RunningBot
from tests.staff_kit import running_staffbot, staff, submit_application, wait_outbox_idle
from tests.test_privacy import WORDS
from tests.tgfake.people import FakeUser
from tests.tgfake.server import FakeTelegram

STATS_HEADING = "Заявления по статусам:"  # the staff chat speaks Russian


@pytest.fixture
async def staffbot(tg: FakeTelegram, make_settings: Any) -> AsyncIterator[RunningBot]:
    async with running_staffbot(tg, make_settings) as bot:
        yield bot


async def visitor(bot: RunningBot, user_id: int) -> FunnelVisitor | None:
    async with bot.app.context.sessionmaker() as session:
        return await session.get(FunnelVisitor, user_id)


async def events(bot: RunningBot) -> list[FunnelEvent]:
    async with bot.app.context.sessionmaker() as session:
        return list(await session.scalars(select(FunnelEvent).order_by(FunnelEvent.id)))


async def open_link(user: FakeUser, source: str, language: str) -> None:
    """The deep link t.me/<bot>?start=<source>: Telegram sends «/start <source>»."""
    [greeting] = await user.send(f"/start {source}")
    assert "Здравствуйте" in greeting.text  # the language is asked first, as for /start
    await start_in(user, language)


async def stats_text(bot: RunningBot, tg: FakeTelegram) -> str:
    """The text of staff /stats. The outbox is idle first (the card of a sent application
    and its attachment are in the staff chat before /stats is sent), and the answer is
    found by its heading: anything else the outbox sender or the scheduler posts to the
    staff chat while /stats is handled (a card, the quarter's register notice on a pass
    at 09:00 by the real time of day) is not taken for it (on a loaded machine it was)."""
    await wait_outbox_idle(bot.app, tg)
    replies = await staff(tg).send("/stats")
    [text] = [
        r.text for r in replies if r.kind == "text" and (r.text or "").startswith(STATS_HEADING)
    ]
    return text


def test_a_deep_link_source_is_1_to_64_characters_of_telegrams_alphabet() -> None:
    assert parse_source("school_7") == "school_7"
    assert parse_source("TSON-Alatau_2") == "TSON-Alatau_2"
    assert parse_source("x" * 64) == "x" * 64
    for invalid in (None, "", "x" * 65, "школа7", "a b", "poster!", "<b>", "a/b", "a.b"):
        assert parse_source(invalid) is None, invalid


def test_the_funnel_counts_per_iso_week_and_source() -> None:
    rows = [
        (dt.date(2025, 11, 10), "started", "school_7", 2),  # Monday of 2025-W46
        (dt.date(2025, 11, 16), "sent", "school_7", 1),  # its Sunday
        (dt.date(2025, 11, 9), "started", None, 1),  # Sunday of 2025-W45
        (dt.date(2025, 9, 1), "started", None, 5),  # before the 8 weeks: left out
    ]
    funnel = funnel_of(rows, dt.date(2025, 11, 15))
    assert [w.label for w in funnel.weeks][-2:] == ["2025-W45", "2025-W46"]
    assert len(funnel.weeks) == 8 and funnel.weeks[0].label == "2025-W39"
    assert funnel.weeks[-1].counts == Counts(started=2, sent=1)
    assert funnel.weeks[-2].counts == Counts(started=1)
    assert funnel.sources == (("school_7", Counts(started=2, sent=1)), (None, Counts(started=1)))


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_the_funnel_counts_in_stats_for_parents_who_stopped_at_different_steps(
    staffbot: RunningBot, tg: FakeTelegram, language: str
) -> None:
    labels = LABELS[language]
    staff(tg)  # the staff group exists
    base = 7200 if language == "ru" else 7300
    # the week before (2025-W45): a parent from a poster who only began
    staffbot.clock.fixed = dt.date(2025, 11, 5)
    early = tg.user(base + 5, language_code=language)
    await open_link(early, "poster_3", language)
    await early.send("/apply")

    staffbot.clock.fixed = dt.date(2025, 11, 14)  # 2025-W46 (10.11–16.11)
    # sent, from a school's link
    sent = tg.user(base + 1, language_code=language)
    await open_link(sent, "school_7", language)
    await sent.send("/apply")
    await sent.press(labels["agree"])
    await answer_all(sent, language, Person())
    replies = await sent.press(labels["send"])
    assert "ALA-2025-000001" in "\n".join(r.text or "" for r in replies)
    await sent.send("/start school_9")  # a later link does not replace the first source
    # started only: the consent is not answered; /apply twice counts once
    started = tg.user(base + 2, language_code=language)
    await start_in(started, language)
    await started.send("/apply")
    await started.send("/apply")
    # consented, one answer given, then gone; came through an invalid link (ignored)
    consented = tg.user(base + 3, language_code=language)
    await open_link(consented, "bad link!", language)
    await consented.send("/apply")
    await consented.press(labels["agree"])
    await consented.send(labels["mother"])
    await consented.send("/apply")  # back to the same draft: no second start
    # reached the summary, did not send; from the ЦОН
    summary = tg.user(base + 4, language_code=language)
    await open_link(summary, "TSON", language)
    await consented_summary(summary, language)

    text = await stats_text(staffbot, tg)  # the staff chat speaks Russian
    assert (
        "Воронка заявлений по неделям (начали / дали согласие / дошли до сводки / отправили):"
        in (text)
    )
    assert "• 2025-W45 (03.11–09.11): 1 / 0 / 0 / 0" in text
    assert "• 2025-W46 (10.11–16.11): 4 / 3 / 2 / 1" in text
    assert "• 2025-W44 (27.10–02.11): 0 / 0 / 0 / 0" in text
    assert "По источникам за эти недели:" in text
    assert "• school_7: 1 / 1 / 1 / 1" in text
    assert "• TSON: 1 / 1 / 1 / 0" in text
    assert "• poster_3: 1 / 0 / 0 / 0" in text
    assert "• без ссылки: 2 / 1 / 0 / 0" in text
    assert "school_9" not in text and "bad" not in text

    # what is stored: counts, a day, a source and a random token — nobody's id or answers
    columns = {c.key for c in inspect(FunnelEvent).columns}
    assert columns == {"id", "journey", "milestone", "day", "source"}
    rows = await events(staffbot)
    stored = " ".join(f"{e.journey} {e.milestone} {e.source}" for e in rows)
    # a random hex token may contain the digits of an id by chance: compare whole values
    values = {str(value) for e in rows for value in (e.journey, e.milestone, e.source)}
    for user in (sent, started, consented, summary, early):
        assert str(user.id) not in values
        assert not any(str(user.id) in str(e.source or "") for e in rows)
    assert "Әбдіқадырова" not in stored and "Айгерим" not in stored
    first = await visitor(staffbot, sent.id)
    assert first is not None and first.source == "school_7"
    invalid = await visitor(staffbot, consented.id)
    assert invalid is not None and invalid.source is None

    # /deletedata: the link to the parent goes, the counts stay
    journey = (await visitor(staffbot, summary.id)).journey  # type: ignore[union-attr]
    [ask] = await summary.send("/deletedata")
    await summary.press(WORDS[language]["yes_delete"], message=ask)
    assert await visitor(staffbot, summary.id) is None
    assert all(e.journey != journey for e in await events(staffbot))
    assert "• 2025-W46 (10.11–16.11): 4 / 3 / 2 / 1" in await stats_text(staffbot, tg)


async def consented_summary(user: FakeUser, language: str) -> None:
    await user.send("/apply")
    await user.press(LABELS[language]["agree"])
    replies = await answer_all(user, language, Person())
    assert any(
        LABELS[language]["send"] in (label for row in r.inline_buttons for label in row)
        for r in replies
    )


async def test_on_postgresql_the_funnel_and_the_rating_count_once(
    tg: FakeTelegram, make_settings: Any, pg_url: str
) -> None:
    """The same upserts (ON CONFLICT DO NOTHING) on PostgreSQL: a repeated /apply and a
    second deep link change nothing; the rating question comes once."""
    async with running_staffbot(tg, make_settings, database_url=pg_url) as bot:
        staff(tg)
        user = tg.user(7401, language_code="ru")
        await open_link(user, "school_7", "ru")
        await user.send("/start school_9")
        await user.send("/apply")
        await user.press(LABELS["ru"]["agree"])
        await user.send("/apply")
        text = await stats_text(bot, tg)
        assert "• 2025-W46 (10.11–16.11): 1 / 1 / 0 / 0" in text
        assert "• school_7: 1 / 1 / 0 / 0" in text

        parent = tg.user(7402, language_code="ru")
        application_id = await submit_application(bot.app, tg, parent, "ru")
        member = StaffMember(501, "Гүлнар")
        await perform(bot.app.context, application_id, Action.TAKE, member)
        await perform(bot.app.context, application_id, Action.APPROVE, member)
        await wait_outbox_idle(bot.app, tg)
        question = tg.messages(parent.id)[-1]
        await parent.press("5", message=question)
        assert "Оценки родителей: в среднем 5 из 5 (оценок: 1" in await stats_text(bot, tg)

        [ask] = await user.send("/deletedata")
        await user.press(WORDS["ru"]["yes_delete"], message=ask)
        assert await visitor(bot, user.id) is None
        assert "• school_7: 1 / 1 / 0 / 0" in await stats_text(bot, tg)


async def test_a_milestone_after_the_visitor_row_is_gone_creates_it_again(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    """A milestone is counted without a read (bot/usecases/funnel.py): when the visitor row
    is missing — /deletedata between the consent question and its answer — the consent
    creates it and is counted in a new journey, linked to nothing of the old one."""
    user = tg.user(7501, language_code="ru")
    await start_in(user, "ru")
    replies = await user.send("/apply")
    [question] = [r for r in replies if LABELS["ru"]["agree"] in str(r.inline_buttons)]
    first = await visitor(staffbot, user.id)
    assert first is not None
    [ask] = await user.send("/deletedata")
    await user.press(WORDS["ru"]["yes_delete"], message=ask)
    assert await visitor(staffbot, user.id) is None

    await user.press(LABELS["ru"]["agree"], message=question)  # the old question answered
    again = await visitor(staffbot, user.id)
    assert again is not None and again.journey != first.journey
    journeys = [(e.journey, e.milestone) for e in await events(staffbot)]
    assert (again.journey, "consented") in journeys and (again.journey, "started") not in journeys
    assert not any(journey == first.journey for journey, _ in journeys)
