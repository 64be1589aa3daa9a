"""/stats for the Department's desk (issue 13 items 1 and 4): the time to decision in
working days (median, 90th percentile) on a known data set, and the two charts —
applications per week by status, money paid and forecast per quarter — as PNG pictures
whose plotted numbers are the data set's."""

from __future__ import annotations

import datetime as dt
import io
import struct
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from bot.clock import ALMATY
from bot.data.models import PaymentQuarter
from bot.i18n import Tr, create_i18n
from bot.usecases.desk_stats import decision_times, desk_stats
from bot.usecases.transitions import StaffMember, mark_quarter_paid, perform
from bot.views.charts import (
    DPI,
    SIZE,
    Chart,
    money_chart,
    money_series,
    weekly_chart,
    weekly_series,
)
from core.forecast import QuarterKey, forecast
from core.months import Month
from core.status import Action, Status
from tests.conftest import RunningBot
from tests.staff_kit import running_staffbot, staff, submit_application, wait_outbox_idle
from tests.tgfake.server import FakeTelegram

WIDTH, HEIGHT = int(SIZE[0] * DPI), int(SIZE[1] * DPI)  # 1080 × 1350


@pytest.fixture
async def staffbot(tg: FakeTelegram, make_settings: Any) -> AsyncIterator[RunningBot]:
    async with running_staffbot(tg, make_settings) as bot:
        yield bot


def at(day: dt.date, hour: int = 11) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ALMATY)


def png_size(data: bytes) -> tuple[int, int]:
    """The size in the PNG's IHDR chunk (after the 8-byte signature)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()  # decodes every pixel: a broken file raises
    return image


# (submitted, decided, decision, working days) — 16.12.2025 is Independence Day.
DECISIONS = [
    (dt.date(2025, 12, 12), dt.date(2025, 12, 15), Action.APPROVE, 1),  # across a weekend
    (dt.date(2025, 12, 12), dt.date(2025, 12, 17), Action.REJECT, 2),  # and the holiday
    (dt.date(2025, 12, 9), dt.date(2025, 12, 22), Action.APPROVE, 8),
    (dt.date(2025, 12, 15), dt.date(2025, 12, 15), Action.APPROVE, 0),  # the same day
    (dt.date(2025, 12, 3), dt.date(2025, 12, 25), Action.APPROVE, 15),
    (dt.date(2025, 12, 1), dt.date(2025, 12, 4), Action.REJECT, 3),
]


async def test_stats_shows_the_median_and_90th_percentile_and_two_charts(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    member = StaffMember(501, "Гүлнар")
    for n, (submitted, decided, action, _days) in enumerate(DECISIONS):
        staffbot.clock.fixed = at(submitted)
        parent = tg.user(6100 + n, language_code="ru")
        application_id = await submit_application(staffbot.app, tg, parent, "ru")
        staffbot.clock.fixed = at(decided)
        await perform(staffbot.app.context, application_id, Action.TAKE, member)
        if action is Action.REJECT:
            await perform(
                staffbot.app.context, application_id, action, member, ground=2, comment="—"
            )
        else:
            await perform(staffbot.app.context, application_id, action, member)
    # one application awaiting a decision is no decision
    staffbot.clock.fixed = at(dt.date(2025, 12, 24))
    await submit_application(staffbot.app, tg, tg.user(6199, language_code="ru"), "ru")
    await wait_outbox_idle(staffbot.app, tg)
    # Q2 2025/2026 of the first approved application (December only: 8 × 3932 / 2) paid
    staffbot.clock.fixed = at(dt.date(2025, 12, 26))
    async with staffbot.app.context.sessionmaker() as session:
        first_q2 = await session.scalar(
            select(PaymentQuarter.id)
            .where(PaymentQuarter.quarter == 2)
            .order_by(PaymentQuarter.application_id)
            .limit(1)
        )
    assert first_q2 is not None
    await mark_quarter_paid(staffbot.app.context, first_q2, member)
    await wait_outbox_idle(staffbot.app, tg)

    # the charts' series are the data set's
    desk = await desk_stats(staffbot.app.context)
    weekly = weekly_series(desk.submissions, desk.today)
    assert weekly.weeks == tuple(dt.date(2025, 12, d) for d in (1, 8, 15, 22))
    assert weekly.counts == {
        "submitted": (0, 0, 0, 1),
        "approved": (1, 2, 1, 0),
        "rejected": (1, 1, 0, 0),
    }
    money = money_series(desk.paid, desk.forecast)
    assert money.quarters[:4] == tuple(QuarterKey(2025, n) for n in (1, 2, 3, 4))
    # 4 approved schedules of 12.2025–05.2026 (Q2: December, 15 728.00; Q3, Q4: 34 600.00
    # each) and 1 undecided application of the same period
    assert money.paid[:4] == (0, Decimal("15728.00"), 0, 0)
    assert money.approved[:4] == (
        0,
        Decimal("47184.00"),
        Decimal("138400.00"),
        Decimal("138400.00"),
    )
    assert money.pending[:4] == (0, Decimal("15728.00"), Decimal("34600.00"), Decimal("34600.00"))
    assert set(money.paid[4:] + money.approved[4:] + money.pending[4:]) == {0}

    replies = await staff(tg).send("/stats")
    # times 0, 1, 2, 3, 8, 15: the median is (2 + 3) / 2, the 90th percentile the
    # ⌈0.9 × 6⌉ = 6th smallest
    text = next(r.text or "" for r in replies if r.kind == "text")
    assert "Срок до решения, рабочих дней: медиана 2,5, 90-й процентиль 15 (решений: 6)." in text
    photos = [r for r in replies if r.kind == "photo"]
    assert [p.text for p in photos] == [
        "Заявления по неделям и статусам",
        "Суммы по кварталам, ₸",
    ]
    for photo in photos:
        data = tg.file(photo.data["photo"][-1]["file_id"]).read()
        assert png_size(data) == (WIDTH, HEIGHT)
        assert decoded(data).size == (WIDTH, HEIGHT)


async def test_stats_before_any_decision(staffbot: RunningBot, tg: FakeTelegram) -> None:
    replies = await staff(tg).send("/stats")
    assert any("Срок до решения: решений пока нет." in (r.text or "") for r in replies)
    assert len([r for r in replies if r.kind == "photo"]) == 2


def test_decision_times_in_working_days() -> None:
    decided = [(s, at(d).astimezone(dt.UTC)) for s, d, _a, _days in DECISIONS]
    times = decision_times(decided)
    assert times.days == (0, 1, 2, 3, 8, 15)
    assert (times.median, times.p90, times.unknown) == (Decimal("2.5"), 15, 0)
    # a decision in a year without a calendar is counted apart, not guessed
    times = decision_times([*decided, (dt.date(2027, 1, 4), at(dt.date(2027, 1, 6)))])
    assert (len(times.days), times.unknown) == (6, 1)
    # ten decisions: the 90th percentile is the 9th smallest
    times = decision_times(
        [(dt.date(2025, 12, 1), at(dt.date(2025, 12, 1 + n))) for n in range(10)]
    )
    assert times.days == (0, 1, 2, 3, 4, 4, 4, 5, 6, 7)
    assert (times.median, times.p90) == (Decimal("4"), 6)


def tr(language: str) -> Tr:
    return Tr(create_i18n(language), language)


def readable_png(chart: Chart) -> None:
    """1080 × 1350 (a phone held upright), decodes, every text at least 12 pt."""
    assert png_size(chart.png) == (WIDTH, HEIGHT)
    assert decoded(chart.png).size == (WIDTH, HEIGHT)
    assert chart.smallest_font >= 12


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_weekly_chart_plots_the_data_set(language: str) -> None:
    submissions = [
        (dt.date(2025, 12, 1), Status.APPROVED.value),  # week of 01.12
        (dt.date(2025, 12, 5), Status.APPROVED.value),
        (dt.date(2025, 12, 3), Status.REJECTED.value),
        (dt.date(2025, 12, 9), Status.SUBMITTED.value),  # week of 08.12
        (dt.date(2025, 12, 24), Status.IN_REVIEW.value),  # week of 22.12
        (dt.date(2025, 9, 1), Status.APPROVED.value),  # older than 12 weeks: left out
    ]
    series = weekly_series(submissions, today=dt.date(2025, 12, 26))
    assert series.weeks[-4:] == (
        dt.date(2025, 12, 1),
        dt.date(2025, 12, 8),
        dt.date(2025, 12, 15),
        dt.date(2025, 12, 22),
    )
    assert len(series.weeks) == 12
    assert series.counts == {
        "submitted": (0,) * 9 + (1, 0, 0),
        "in_review": (0,) * 11 + (1,),
        "approved": (0,) * 8 + (2, 0, 0, 0),
        "rejected": (0,) * 8 + (1, 0, 0, 0),
    }
    _ = tr(language)
    chart = weekly_chart(series, _)
    names = {
        "ru": ("отправлено", "на рассмотрении", "одобрено", "отказано"),
        "kk": ("жіберілді", "қаралуда", "мақұлданды", "бас тартылды"),
    }[language]
    heights = {status: tuple(float(c) for c in counts) for status, counts in series.counts.items()}
    assert chart.plotted == dict(zip(names, heights.values(), strict=True))
    readable_png(chart)


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_money_chart_plots_paid_and_forecast(language: str) -> None:
    # Paid: Q2 2025/2026 of two schedules (31 456.00 each, worked example 1 of domain.md §4).
    paid = [
        ((Month(2025, 11), Month(2025, 12)), Decimal("31456.00")),
        ((Month(2025, 11), Month(2025, 12)), Decimal("31456.00")),
        ((Month(2025, 5),), Decimal("15728.00")),  # the school year before: not charted
    ]
    # Forecast on 26.12.2025: an approved Q3 (01–03.2026) and a pending Q4 (04–05.2026),
    # 8 × 4325 each (MRP 2026 = 4325): 34 600.00.
    ahead = forecast(
        dt.date(2025, 12, 26),
        approved=[(Month(2026, 1), Month(2026, 2), Month(2026, 3))],
        pending=[(Month(2026, 4), Month(2026, 5))],
    )
    series = money_series(paid, ahead)
    assert series.quarters[:4] == (
        QuarterKey(2025, 1),
        QuarterKey(2025, 2),
        QuarterKey(2025, 3),
        QuarterKey(2025, 4),
    )
    assert series.quarters[4:] == tuple(QuarterKey(2026, n) for n in (1, 2, 3, 4))
    zero = (Decimal(0),) * 4
    nothing = (Decimal(0),)  # Q1 2025/2026: no payment, before the forecast's window
    assert series.paid == (*nothing, Decimal("62912.00"), Decimal(0), Decimal(0), *zero)
    assert series.approved == (*nothing, Decimal(0), Decimal("34600.00"), Decimal(0), *zero)
    assert series.pending == (*nothing, Decimal(0), Decimal(0), Decimal("34600.00"), *zero)
    chart = money_chart(series, tr(language))
    assert list(chart.plotted.values()) == [
        tuple(float(v) for v in series.paid),
        tuple(float(v) for v in series.approved),
        tuple(float(v) for v in series.pending),
    ]
    labels = {"ru": "выплачено", "kk": "төленді"}[language]
    assert next(iter(chart.plotted)) == labels
    readable_png(chart)
