"""The Department's desk in the staff chat (issue 13 item 3): the budget forecast as a
short message and as a PNG chart (matplotlib, Agg backend: no display needed).

`forecast_series()` builds the numbers the chart plots from core.forecast's result;
`forecast_chart()` draws exactly those (stacked bars: approved schedules, then the
applications not yet decided) and returns the PNG with the heights it plotted, read
back from the figure. Titles and labels come translated (staff language); every
font is at least 12 pt and the picture is sized for a phone.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure
from matplotlib.text import Text

from bot.i18n import N_
from bot.views.fmt import Html, b, fmt, join
from bot.views.formatting import day, money
from core.forecast import Forecast

Tr = Callable[[str], str]

TITLE = N_("Budget forecast on {date}")
QUARTER_LINE = N_("{quarter} ({months}; MRP {mrp}): {approved} approved, {pending} not yet decided")
QUARTER_LABEL = N_("Q{quarter} {school_year}")
TOTALS = N_(
    "Total: {approved} approved; {pending} more if every undecided application is approved."
)
ARREARS = N_("Unpaid from earlier quarters: {approved} approved, {pending} not yet decided.")
UNKNOWN = N_("* The MRP for {years} is not yet known: computed with the last known MRP ({mrp}).")
SOURCE = N_("Approved schedules (planned quarters) and applications not yet decided; p.7.")
CHART_TITLE = N_("Money due per quarter, ₸")
CHART_APPROVED = N_("Approved")
CHART_PENDING = N_("Not yet decided")
CHART_AXIS = N_("thousand ₸")
CHART_UNKNOWN = N_("* MRP not yet known: last known MRP used")

MIN_FONT = 12.0  # points: readable on a phone


@dataclass(frozen=True)
class ForecastSeries:
    """What the chart plots, per quarter in order: label, approved and pending sums."""

    labels: tuple[str, ...]
    approved: tuple[Decimal, ...]
    pending: tuple[Decimal, ...]
    unknown: tuple[bool, ...]


@dataclass(frozen=True)
class Chart:
    png: bytes
    width: int
    height: int
    plotted: dict[str, tuple[float, ...]]  # series name → bar heights drawn (tenge)
    smallest_font: float  # points, of any text drawn


def _short_year(label: str) -> str:
    """'2025/2026' → '2025/26' (shorter x labels)."""
    first, _, second = label.partition("/")
    return f"{first}/{second[-2:]}" if second else label


def forecast_series(result: Forecast, tr: Tr) -> ForecastSeries:
    """The chart's data from core.forecast's result: one bar per quarter of the window."""
    labels = []
    for q in result.quarters:
        text = tr(QUARTER_LABEL).format(
            quarter=q.key.number, school_year=_short_year(q.school_year)
        )
        labels.append(text + ("*" if not q.mrp_known else ""))
    return ForecastSeries(
        labels=tuple(labels),
        approved=tuple(q.approved for q in result.quarters),
        pending=tuple(q.pending for q in result.quarters),
        unknown=tuple(not q.mrp_known for q in result.quarters),
    )


def _months_text(result: Forecast, index: int) -> str:
    months = result.quarters[index].months
    first, last = months[0].month, months[-1].month
    if first.year == last.year:
        return f"{first.month:02d}–{last.month:02d}.{last.year}"
    return f"{first.display()}–{last.display()}"


def _mrp_text(result: Forecast, index: int, language: str) -> str:
    values = []
    for m in result.quarters[index].months:
        text = money(Decimal(m.mrp), language).replace(",00", "")
        if not m.known:
            text += "*"
        if text not in values:
            values.append(text)
    return " / ".join(values)


def forecast_text(result: Forecast, tr: Tr, language: str) -> Html:
    """The forecast as a short message: one line per quarter, totals, the MRP caveat."""
    lines: list[object] = [b(fmt(tr(TITLE), date=day(result.today)))]
    for index, q in enumerate(result.quarters):
        label = tr(QUARTER_LABEL).format(quarter=q.key.number, school_year=q.school_year)
        lines.append(
            fmt(
                "• " + tr(QUARTER_LINE),
                quarter=b(label),
                months=_months_text(result, index),
                mrp=_mrp_text(result, index, language),
                approved=b(money(q.approved, language)),
                pending=money(q.pending, language),
            )
        )
    lines.append(
        fmt(
            tr(TOTALS),
            approved=b(money(result.approved_total, language)),
            pending=money(result.pending_total, language),
        )
    )
    if result.arrears_approved or result.arrears_pending:
        lines.append(
            fmt(
                tr(ARREARS),
                approved=money(result.arrears_approved, language),
                pending=money(result.arrears_pending, language),
            )
        )
    if result.unknown_years:
        last = next((m.mrp for q in result.quarters for m in q.months if not m.known), None)
        lines.append(
            fmt(
                tr(UNKNOWN),
                years=", ".join(str(y) for y in result.unknown_years),
                mrp=money(Decimal(last or 0), language).replace(",00", ""),
            )
        )
    lines.append(fmt(tr(SOURCE)))
    return join(lines)


def forecast_chart(series: ForecastSeries, tr: Tr) -> Chart:
    """Stacked bars per quarter (approved, then not yet decided), in thousands of tenge
    on the axis, with each bar's total written above it; PNG 1200×800 px."""
    figure = Figure(figsize=(8, 16 / 3), dpi=150)
    axes = figure.add_subplot()
    positions = list(range(len(series.labels)))
    approved = [float(v) for v in series.approved]
    pending = [float(v) for v in series.pending]
    bars_a = axes.bar(
        positions, [v / 1000 for v in approved], color="#2b6cb0", label=tr(CHART_APPROVED)
    )
    bars_p = axes.bar(
        positions,
        [v / 1000 for v in pending],
        bottom=[v / 1000 for v in approved],
        color="#f6ad55",
        hatch="//",
        edgecolor="#c05621",
        linewidth=[1.0 if v else 0.0 for v in pending],
        label=tr(CHART_PENDING),
    )
    for x, (a, p) in enumerate(zip(approved, pending, strict=True)):
        total = a + p
        if total:
            axes.annotate(
                f"{total / 1000:,.1f}".replace(",", " "),
                (x, total / 1000),
                ha="center",
                va="bottom",
                fontsize=MIN_FONT,
                xytext=(0, 3),
                textcoords="offset points",
            )
    axes.set_title(tr(CHART_TITLE), fontsize=16)
    axes.set_ylabel(tr(CHART_AXIS), fontsize=MIN_FONT + 1)
    axes.set_xticks(positions, series.labels, fontsize=MIN_FONT, rotation=30, ha="right")
    axes.tick_params(axis="y", labelsize=MIN_FONT)
    axes.legend(fontsize=MIN_FONT, loc="upper right")
    highest = max((a + p for a, p in zip(approved, pending, strict=True)), default=0.0)
    axes.set_ylim(0, highest / 1000 * 1.35 if highest else 1)
    axes.grid(axis="y", alpha=0.3)
    if any(series.unknown):
        figure.text(0.01, 0.01, tr(CHART_UNKNOWN), fontsize=MIN_FONT, ha="left", va="bottom")
    figure.tight_layout(rect=(0, 0.05 if any(series.unknown) else 0, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    width, height = (int(v) for v in figure.canvas.get_width_height())
    plotted = {
        "approved": tuple(round(bar.get_height() * 1000, 2) for bar in bars_a.patches),
        "pending": tuple(round(bar.get_height() * 1000, 2) for bar in bars_p.patches),
    }
    fonts = [
        float(t.get_fontsize()) for t in figure.findobj(Text) if t.get_visible() and t.get_text()
    ]
    return Chart(buffer.getvalue(), width, height, plotted, min(fonts))
