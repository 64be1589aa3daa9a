"""How the bot writes money, dates and months (domain.md §8, Babel)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency

from core.months import Month

# ru_RU renders "KZT"; the _KZ locales give "31 456,00 ₸" (glossary.md).
MONEY_LOCALES = {"kk": "kk_KZ", "ru": "ru_KZ"}


def money(amount: Decimal, language: str) -> str:
    """31 456,00 ₸ — no-break space between thousands, comma before decimals."""
    return format_currency(amount, "KZT", locale=MONEY_LOCALES.get(language, "ru_KZ"))


def day(value: dt.date) -> str:
    """DD.MM.YYYY."""
    return value.strftime("%d.%m.%Y")


def month(value: Month) -> str:
    """MM.YYYY."""
    return f"{value.month:02d}.{value.year}"


def month_name(value: Month, language: str) -> str:
    """'қаңтар 2026' / 'январь 2026'."""
    return format_date(value.first_day(), "LLLL yyyy", locale=language)


def moment(value: dt.datetime) -> str:
    """DD.MM.YYYY HH:MM in Asia/Almaty (UTC+5)."""
    almaty = dt.timezone(dt.timedelta(hours=5))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(almaty).strftime("%d.%m.%Y %H:%M")
