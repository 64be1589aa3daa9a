"""/stats for the Department's desk (issue 13 items 1 and 4): the time to decision
(median, 90th percentile, working days) and two PNG charts — applications per week by
status, money paid and forecast per quarter — in the staff language; the parents' ratings
and the application funnel per ISO week (issue 12 item 6, bot/views/feedback.py). handlers/staff.py's
/stats calls these after its counts; the numbers come from bot/usecases/desk_stats.py,
the pictures from bot/views/charts.py."""

from __future__ import annotations

import asyncio

from aiogram.types import BufferedInputFile, Message

from bot.context import AppContext
from bot.i18n import Tr
from bot.usecases.desk_stats import DeskStats, desk_stats
from bot.views.charts import (
    MONEY_TITLE,
    WEEKLY_TITLE,
    decision_lines,
    money_chart,
    money_series,
    weekly_chart,
    weekly_series,
)
from bot.views.feedback import funnel_lines, rating_lines


async def stats_of(app: AppContext) -> DeskStats:
    return await desk_stats(app)


def text_lines(app: AppContext, stats: DeskStats) -> list[str]:
    """The lines /stats adds to its text (HTML-safe: numbers only)."""
    _ = Tr(app.i18n, app.settings.default_locale)
    times = stats.times
    rated = stats.ratings
    return [
        *decision_lines(_, times.days, times.median, times.p90, times.unknown),
        "",
        *rating_lines(_, rated.count, rated.average, rated.comments, rated.skipped),
        "",
        *funnel_lines(_, stats.funnel),
    ]


async def send_charts(message: Message, app: AppContext, stats: DeskStats) -> None:
    """Both charts as photos (drawn off the event loop)."""
    _ = Tr(app.i18n, app.settings.default_locale)
    weekly = await asyncio.to_thread(weekly_chart, weekly_series(stats.submissions, stats.today), _)
    money = await asyncio.to_thread(money_chart, money_series(stats.paid, stats.forecast), _)
    today = stats.today.isoformat()
    await message.answer_photo(
        BufferedInputFile(weekly.png, filename=f"applications-per-week-{today}.png"),
        caption=_(WEEKLY_TITLE),
    )
    await message.answer_photo(
        BufferedInputFile(money.png, filename=f"money-per-quarter-{today}.png"),
        caption=_(MONEY_TITLE),
    )
