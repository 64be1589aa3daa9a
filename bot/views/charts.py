"""The charts of /stats (issue 13 item 4) as PNG pictures for the staff chat, drawn by
matplotlib with the Agg backend (no display needed).

Each chart has a series function that turns the data into the numbers plotted
(`weekly_series`, `money_series`) and a drawing function that plots exactly those
numbers and returns the PNG together with the bar heights read back from the figure
(`Chart.plotted`), so a test compares what was drawn with the data. Titles, labels and
legends are in the staff language; every text is at least 12 pt on a picture of
1080 × 1350 pixels (a phone screen held upright).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from bot.i18n import N_, Tr
from bot.views.formatting import day
from bot.views.status import STATUS_TEXTS
from core.forecast import Forecast, QuarterKey, quarter_key
from core.months import Month
from core.policy import default_policy
from core.status import Status

SIZE = (9.0, 11.25)  # inches
DPI = 120  # → 1080 × 1350 px
FONT = 16.0  # points; ticks and legend 14, never below 12
SMALL = 14.0
WEEKS = 12

WEEKLY_TITLE = N_("Applications per week by status")
WEEKLY_AXIS = N_("Week from")
WEEKLY_COUNT = N_("Applications")
MONEY_TITLE = N_("Money per quarter, ₸")
MONEY_PAID = N_("paid")
MONEY_APPROVED = N_("forecast: approved schedules")
MONEY_PENDING = N_("forecast: not yet decided")
QUARTER_LABEL = N_("Q{quarter}\n{school_year}")

STATUS_COLOURS: Mapping[str, str] = {
    Status.DRAFT: "#bdbdbd",
    Status.SUBMITTED: "#64b5f6",
    Status.IN_REVIEW: "#1976d2",
    Status.DOCUMENTS_REQUESTED: "#ffb300",
    Status.APPROVED: "#43a047",
    Status.REJECTED: "#e53935",
    Status.WITHDRAWN: "#8d6e63",
}


@dataclass(frozen=True)
class Chart:
    """A rendered chart: the PNG and, per series label, the heights it plotted."""

    png: bytes
    plotted: dict[str, tuple[float, ...]]
    smallest_font: float  # points, of every text drawn


# ------------------------------------------------------------- applications per week


@dataclass(frozen=True)
class WeeklySeries:
    """Applications submitted per week (weeks start on Monday), by current status: one
    count per week for each status that occurs, statuses in the machine's order."""

    weeks: tuple[dt.date, ...]
    counts: dict[str, tuple[int, ...]]


def monday(value: dt.date) -> dt.date:
    return value - dt.timedelta(days=value.weekday())


def weekly_series(
    submissions: Sequence[tuple[dt.date, str]], today: dt.date, weeks: int = WEEKS
) -> WeeklySeries:
    """The last `weeks` weeks up to today's (fewer when the first application is later)."""
    last = monday(today)
    first = last - dt.timedelta(weeks=weeks - 1)
    if submissions:
        first = max(first, min(monday(d) for d, _status in submissions))
    span = tuple(first + dt.timedelta(weeks=n) for n in range((last - first).days // 7 + 1))
    index = {week: n for n, week in enumerate(span)}
    counts: dict[str, list[int]] = {}
    for applied_on, status in submissions:
        n = index.get(monday(applied_on))
        if n is None:
            continue
        counts.setdefault(status, [0] * len(span))[n] += 1
    order = [s.value for s in Status] + sorted(set(counts) - {s.value for s in Status})
    return WeeklySeries(span, {s: tuple(counts[s]) for s in order if s in counts})


def _figure() -> Figure:
    figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    figure.add_subplot()
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _style(figure: Figure, title: str, ylabel: str) -> None:
    axes = figure.axes[0]
    axes.set_title(title, fontsize=FONT + 2, fontweight="bold")
    axes.set_ylabel(ylabel, fontsize=FONT)
    axes.tick_params(labelsize=SMALL)
    axes.grid(axis="y", alpha=0.3)
    top = max((bar.get_y() + bar.get_height() for c in axes.containers for bar in c), default=0.0)
    axes.set_ylim(0, top * 1.1 if top > 0 else 1)
    figure.legend(fontsize=SMALL, loc="outside lower center", ncols=2)


def _smallest_font(figure: Figure) -> float:
    sizes = [
        float(text.get_fontsize())
        for text in figure.findobj(Text)
        if isinstance(text, Text) and text.get_visible() and text.get_text()
    ]
    return min(sizes, default=0.0)


def _plotted(figure: Figure) -> dict[str, tuple[float, ...]]:
    axes = figure.axes[0]
    return {
        str(container.get_label()): tuple(float(bar.get_height()) for bar in container)
        for container in axes.containers
    }


def weekly_chart(series: WeeklySeries, _: Tr) -> Chart:
    """Stacked bars: one per week, one colour per status."""
    figure = _figure()
    axes = figure.axes[0]
    x = list(range(len(series.weeks)))
    bottom = [0] * len(x)
    for status, counts in series.counts.items():
        label = STATUS_TEXTS.get(status)
        axes.bar(
            x,
            counts,
            bottom=bottom,
            label=_(label) if label else status,
            color=STATUS_COLOURS.get(status, "#9e9e9e"),
        )
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.set_xticks(x, [day(w)[:5] for w in series.weeks], rotation=90)
    axes.set_xlabel(_(WEEKLY_AXIS), fontsize=FONT)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    if not series.counts:
        axes.bar(x, [0] * len(x), label="—")
    _style(figure, _(WEEKLY_TITLE), _(WEEKLY_COUNT))
    return Chart(_png(figure), _plotted(figure), _smallest_font(figure))


# ----------------------------------------------------------- money paid and forecast


@dataclass(frozen=True)
class MoneySeries:
    """Per academic quarter (p.7), in order: money paid (quarters marked paid), and the
    forecast (core.forecast) from approved schedules and from applications not yet
    decided. A quarter outside the forecast's window has a zero forecast."""

    quarters: tuple[QuarterKey, ...]
    labels: tuple[str, ...]  # the school year of each quarter, "2025/2026"
    paid: tuple[Decimal, ...]
    approved: tuple[Decimal, ...]
    pending: tuple[Decimal, ...]


def money_series(
    paid: Sequence[tuple[Sequence[Month], Decimal]], forecast: Forecast
) -> MoneySeries:
    """Paid per quarter (each paid quarter of a schedule by its first month) and the
    forecast's quarters, over every quarter of the current school year and the next one
    (the forecast's window, core.forecast) — earlier school years are history."""
    policy = default_policy()
    sums: dict[QuarterKey, Decimal] = {}
    for months, amount in paid:
        if not months:
            continue
        key = quarter_key(min(months), policy)
        if key is not None:
            sums[key] = sums.get(key, Decimal("0")) + amount
    ahead = {q.key: q for q in forecast.quarters}
    shown = set(sums) | set(ahead)
    if forecast.quarters:  # the current school year, whole, and the next: 8 bars at most
        start = forecast.quarters[0].key.start_year
        shown |= {QuarterKey(start, n) for n in range(1, len(policy.quarters) + 1)}
        shown = {k for k in shown if k.start_year >= start}
    keys = tuple(sorted(shown))
    zero = Decimal("0")
    return MoneySeries(
        quarters=keys,
        labels=tuple(policy.school_year_label(k.start_year) for k in keys),
        paid=tuple(sums.get(k, zero) for k in keys),
        approved=tuple(ahead[k].approved if k in ahead else zero for k in keys),
        pending=tuple(ahead[k].pending if k in ahead else zero for k in keys),
    )


def _short(school_year: str) -> str:
    """ "2025/2026" → "2025/26" (fits under a bar on a phone)."""
    start, _sep, end = school_year.partition("/")
    return f"{start}/{end[-2:]}" if end else school_year


def money_chart(series: MoneySeries, _: Tr) -> Chart:
    """Per quarter: a bar of money paid and, beside it, the forecast (approved schedules
    with the not yet decided applications stacked on top)."""
    figure = _figure()
    axes = figure.axes[0]
    x = list(range(len(series.quarters)))
    width = 0.4
    axes.bar(
        [i - width / 2 for i in x],
        [float(v) for v in series.paid],
        width,
        label=_(MONEY_PAID),
        color="#43a047",
    )
    axes.bar(
        [i + width / 2 for i in x],
        [float(v) for v in series.approved],
        width,
        label=_(MONEY_APPROVED),
        color="#1976d2",
    )
    axes.bar(
        [i + width / 2 for i in x],
        [float(v) for v in series.pending],
        width,
        bottom=[float(v) for v in series.approved],
        label=_(MONEY_PENDING),
        color="#90caf9",
    )
    axes.set_xticks(
        x,
        [
            _(QUARTER_LABEL, quarter=k.number, school_year=_short(label))
            for k, label in zip(series.quarters, series.labels, strict=True)
        ],
    )
    axes.yaxis.set_major_formatter(lambda value, _pos: f"{value:,.0f}".replace(",", " "))
    _style(figure, _(MONEY_TITLE), "₸")
    return Chart(_png(figure), _plotted(figure), _smallest_font(figure))


# ------------------------------------------------------------------ /stats text

DECISION_TIMES = N_(
    "Time to decision, working days: median {median}, 90th percentile {p90} (decisions: {count})."
)
NO_DECISIONS = N_("Time to decision: no decisions yet.")
NOT_COUNTED = N_("Decisions not counted (no working-day calendar for their year): {count}.")


def _number(value: Decimal | int) -> str:
    text = f"{Decimal(value).normalize():f}"
    return text.replace(".", ",")


def decision_lines(
    _: Tr, days: Sequence[int], median: Decimal | None, p90: int | None, unknown: int
) -> list[str]:
    """The /stats lines of the time to decision (bot.usecases.desk_stats)."""
    if median is None or p90 is None:
        lines = [_(NO_DECISIONS)]
    else:
        lines = [_(DECISION_TIMES, median=_number(median), p90=_number(p90), count=len(days))]
    if unknown:
        lines.append(_(NOT_COUNTED, count=unknown))
    return lines
