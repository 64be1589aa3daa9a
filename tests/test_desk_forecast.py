"""/forecast in the staff group (issue 13 item 3): the numbers of a hand-computed case
in the message, and the PNG chart (decodes, its size, and the bars drawn are the
numbers of the data set, taken from the function that builds the series)."""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.i18n import Tr
from bot.usecases.forecast import budget_forecast
from bot.usecases.transitions import StaffMember, perform
from bot.views.desk import MIN_FONT, forecast_chart, forecast_series
from core.forecast import forecast
from core.months import Month
from core.status import Action
from tests.conftest import RunningBot
from tests.staff_kit import running_staffbot, staff, submit_application, wait_outbox_idle
from tests.tgfake.server import FakeTelegram

STAFF = StaffMember(501, "Гүлнар")
NBSP = "\xa0"


@pytest.fixture
async def staffbot(tg: FakeTelegram, make_settings: Any) -> AsyncIterator[RunningBot]:
    async with running_staffbot(tg, make_settings) as bot:
        yield bot


def _money(text: str) -> str:
    return text.replace(" ", NBSP) + NBSP + "₸"


async def test_forecast_hand_computed(staffbot: RunningBot, tg: FakeTelegram) -> None:
    """On 15.11.2025 (MRP 2025 = 3932, 2026 = 4325, 2027 not in the table):
    A approved, certificate 09.2025–05.2026: Q2 8 × 3932 = 31 456.00, Q3 and Q4
    8 × 4325 = 34 600.00 each; B submitted (not yet decided), certificate
    09.2025–12.2026: the same three quarters, then 2026/2027 Q1 8 × 4325 = 34 600.00
    and Q2 34 600.00."""
    app = staffbot.app
    a = await submit_application(app, tg, tg.user(4201, language_code="ru"), "ru")
    await submit_application(app, tg, tg.user(4202, language_code="ru"), "ru", cert_to="2026-12")
    await perform(app.context, a, Action.TAKE, STAFF)
    await perform(app.context, a, Action.APPROVE, STAFF)
    await wait_outbox_idle(app, tg)

    member = staff(tg)
    replies = await member.send("/forecast")
    assert [r.kind for r in replies] == ["text", "photo"]
    text = replies[0].text or ""
    lines = text.splitlines()
    assert lines[0] == "Прогноз бюджета на 15.11.2025"
    assert lines[1] == (
        f"• 2 кв. 2025/2026 (11–12.2025; МРП {_money('3 932')}): "
        f"{_money('31 456,00')} по одобренным, {_money('31 456,00')} без решения"
    )
    assert lines[2] == (
        f"• 3 кв. 2025/2026 (01–03.2026; МРП {_money('4 325')}): "
        f"{_money('34 600,00')} по одобренным, {_money('34 600,00')} без решения"
    )
    assert lines[3].startswith("• 4 кв. 2025/2026 (04–05.2026;")
    assert lines[4] == (
        f"• 1 кв. 2026/2027 (09–10.2026; МРП {_money('4 325')}): "
        f"{_money('0,00')} по одобренным, {_money('34 600,00')} без решения"
    )
    assert lines[6].startswith("• 3 кв. 2026/2027 (01–03.2027; МРП 4\xa0325\xa0₸*)")
    assert (
        f"Итого: {_money('100 656,00')} по одобренным; ещё {_money('169 856,00')}, "
        "если будут одобрены все заявления без решения." in lines
    )
    assert "* МРП на 2027 год ещё не известен" in text

    # The chart: a PNG that decodes, phone-sized, with the series of the data set.
    photo = replies[1].data["photo"][-1]
    png = tg.file(photo["file_id"]).read()
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG" and image.size == (1200, 800)

    tr = Tr(app.context.i18n, "ru")

    result = await budget_forecast(app.context)
    series = forecast_series(result, tr)
    assert series.labels[:2] == ("2 кв. 2025/26", "3 кв. 2025/26")
    assert series.labels[-2:] == ("3 кв. 2026/27*", "4 кв. 2026/27*")
    assert series.approved == tuple(
        Decimal(v) for v in ("31456.00", "34600.00", "34600.00", "0", "0", "0", "0")
    )
    assert series.pending == tuple(
        Decimal(v) for v in ("31456.00", "34600.00", "34600.00", "34600.00", "34600.00", "0", "0")
    )
    chart = forecast_chart(series, tr)
    assert chart.png == png or Image.open(io.BytesIO(chart.png)).size == image.size
    assert chart.plotted["approved"] == tuple(float(v) for v in series.approved)
    assert chart.plotted["pending"] == tuple(float(v) for v in series.pending)


def test_chart_from_a_known_data_set(tmp_path: Path) -> None:
    """A data set built by hand through core.forecast: the bars are its numbers, in kk."""
    from bot.i18n import create_i18n

    i18n = create_i18n("kk")

    tr = Tr(i18n, "kk")

    result = forecast(
        dt.date(2026, 1, 15),
        approved=[(Month(2026, 1), Month(2026, 2), Month(2026, 3)), (Month(2026, 4),)],
        pending=[(Month(2026, 9), Month(2026, 10))],
    )
    series = forecast_series(result, tr)
    assert series.labels[0] == "2025/26, 3-тоқсан"
    assert series.approved[:2] == (Decimal("34600.00"), Decimal("17300.00"))
    assert series.pending[2] == Decimal("34600.00")
    chart = forecast_chart(series, tr)
    image = Image.open(io.BytesIO(chart.png))
    image.load()
    assert (chart.width, chart.height) == image.size == (1200, 800)
    assert chart.plotted == {
        "approved": (34600.0, 17300.0, 0.0, 0.0, 0.0, 0.0),
        "pending": (0.0, 0.0, 34600.0, 0.0, 0.0, 0.0),
    }
    assert chart.smallest_font >= MIN_FONT >= 12
    sample = Path(os.environ.get("DESK_CHART_SAMPLE", tmp_path / "forecast.png"))
    sample.write_bytes(chart.png)
