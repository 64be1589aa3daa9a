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
    """'2026 жылғы қаңтар' / 'январь 2026'.

    Kazakh writes the year first and the month in lower case; Babel's stand-alone
    form is capitalised ('Қаңтар 2026'), its format form is not ('қаңтар')."""
    if language == "kk":
        return f"{value.year} жылғы {format_date(value.first_day(), 'MMMM', locale='kk')}"
    return format_date(value.first_day(), "LLLL yyyy", locale=language)


def moment(value: dt.datetime) -> str:
    """DD.MM.YYYY HH:MM in Asia/Almaty (UTC+5)."""
    almaty = dt.timezone(dt.timedelta(hours=5))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(almaty).strftime("%d.%m.%Y %H:%M")
