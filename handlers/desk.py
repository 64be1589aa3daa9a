"""The Department's desk in the staff chat (issue 13 items 2 and 3): /register, /forecast.

`/register 2025/2026 Q3` sends the quarter's payment register as an XLSX file
(bot/usecases/register.py) with a "Mark register paid" button: a confirmation,
then each quarter of the file goes through the ordinary audited transition.
`/forecast` sends the budget forecast (core.forecast) as a short message and a
PNG chart (bot/views/desk.py). Only STAFF_USER_IDS, only in STAFF_CHAT_ID — as
the staff commands of handlers/staff.py.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.callback_answer import CallbackAnswer

from bot.context import AppContext
from bot.i18n import Tr, _
from bot.usecases import forecast as budget
from bot.usecases import register as registers
from bot.views.desk import forecast_chart, forecast_series, forecast_text
from bot.views.fmt import b, fmt, join
from bot.views.formatting import money
from core.forecast import QuarterKey
from handlers._staff import NotAuthorised, member, not_staff, on_refused


class RegisterAction(CallbackData, prefix="dmr"):
    action: str  # ask | yes | no
    year: int
    quarter: int
    digest: str


class RegisterOpen(CallbackData, prefix="dmo"):
    """The button of the staff notice a quarter opens with: "dmo:<start year>:<quarter>"
    (bot.views.term.register_open_markup builds the same data)."""

    year: int
    quarter: int


def _staff_language(app: AppContext) -> str:
    return app.settings.default_locale


def _title(key: QuarterKey, school_year: str) -> str:
    return _("Q{quarter} {school_year}").format(quarter=key.number, school_year=school_year)


async def on_register(message: Message, command: CommandObject, app: AppContext) -> None:
    if await not_staff(message, app):
        return
    try:
        key = registers.parse_quarter(command.args, app.clock.today())
    except registers.BadQuarter:
        await message.reply(
            fmt(
                _(
                    "I did not understand “{value}”. Usage: /register <school year> Q<quarter>, "
                    "e.g. {example}."
                ),
                value=(command.args or "")[:64],
                example="/register 2025/2026 Q3",
            )
        )
        return
    await send_register(message, app, key)


async def send_register(message: Message, app: AppContext, key: QuarterKey) -> None:
    """The quarter's register (XLSX) with its "Mark register paid" button, into the chat of
    `message`: from /register and from the button of the quarter-open notice."""
    register = await registers.build_register(app, key)
    language = app.settings.default_locale
    content = registers.register_xlsx(app, register, _staff_language(app))
    title = _title(key, register.school_year)
    caption = join(
        [
            b(fmt(_("Payment register, {quarter}"), quarter=title)),
            fmt(
                _("To pay: {count} applications, {total}."),
                count=len(register.payees),
                total=money(register.total, language),
            ),
            fmt(
                _("Not paid (second sheet, with the reason): {count}."),
                count=len(register.excluded),
            ),
        ]
    )
    markup = None
    if register.payees:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=_("💰 Mark register paid"),
                        callback_data=RegisterAction(
                            action="ask",
                            year=key.start_year,
                            quarter=key.number,
                            digest=register.digest,
                        ).pack(),
                    )
                ]
            ]
        )
    name = f"register-{key.start_year}-{key.start_year + 1}-Q{key.number}.xlsx"
    await message.answer_document(
        BufferedInputFile(content, filename=name), caption=caption, reply_markup=markup
    )


async def on_register_open(
    query: CallbackQuery, callback_data: RegisterOpen, app: AppContext
) -> None:
    """The button of the notice a quarter opens with (bot.usecases.term): its register."""
    if query.message is None or not isinstance(query.message, Message):
        return
    await send_register(query.message, app, QuarterKey(callback_data.year, callback_data.quarter))


async def on_register_button(
    query: CallbackQuery,
    callback_data: RegisterAction,
    callback_answer: CallbackAnswer,
    app: AppContext,
    bot: Bot,
) -> None:
    key = QuarterKey(callback_data.year, callback_data.quarter)
    language = app.settings.default_locale
    if query.message is None or not isinstance(query.message, Message):
        return
    if callback_data.action == "no":
        callback_answer.text = _("Cancelled: nothing was marked.")
        await query.message.edit_text(_("Cancelled: nothing was marked."))
        return
    if callback_data.action == "ask":
        register = await registers.build_register(app, key)
        if not register.payees:
            callback_answer.text = _("Nothing to mark: this register is already paid.")
            callback_answer.show_alert = True
            return
        if register.digest != callback_data.digest:
            callback_answer.text = _(
                "The register has changed since this file was made: send /register again."
            )
            callback_answer.show_alert = True
            return
        yes = RegisterAction(
            action="yes", year=key.start_year, quarter=key.number, digest=register.digest
        )
        no = RegisterAction(action="no", year=key.start_year, quarter=key.number, digest="-")
        await query.message.reply(
            fmt(
                _(
                    "Mark the register {quarter} paid: {count} applications, {total}? "
                    "Each applicant will be told once."
                ),
                quarter=b(_title(key, register.school_year)),
                count=len(register.payees),
                total=b(money(register.total, language)),
            ),
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(text=_("✅ Yes, paid"), callback_data=yes.pack()),
                        InlineKeyboardButton(text=_("✖️ Cancel"), callback_data=no.pack()),
                    ]
                ]
            ),
        )
        return
    result = await registers.mark_register_paid(
        app, key, callback_data.digest, member(query.from_user)
    )
    if result.nothing:
        callback_answer.text = _("Nothing to mark: this register is already paid.")
        callback_answer.show_alert = True
        return
    if result.changed:
        callback_answer.text = _(
            "The register has changed since this file was made: send /register again."
        )
        callback_answer.show_alert = True
        return
    lines = [
        fmt(
            _("💰 Register {quarter}: {count} applications marked paid ({total}) by {who}."),
            quarter=b(_title(key, "/".join((str(key.start_year), str(key.start_year + 1))))),
            count=len(result.marked),
            total=money(result.amount, language),
            who=query.from_user.full_name,
        )
    ]
    if result.refused:
        lines.append(
            fmt(
                _("Not marked (see their cards): {numbers}."),
                numbers=", ".join(number for number, _code in result.refused),
            )
        )
    callback_answer.text = _("Marked paid.")
    await query.message.edit_text(join(lines))


async def on_forecast(message: Message, app: AppContext) -> None:
    if await not_staff(message, app):
        return
    result = await budget.budget_forecast(app)
    language = _staff_language(app)
    tr = Tr(app.i18n, language)

    await message.answer(forecast_text(result, tr, language))
    chart = forecast_chart(forecast_series(result, tr), tr)
    await message.answer_photo(
        BufferedInputFile(chart.png, filename=f"forecast-{result.today.isoformat()}.png")
    )


def router(settings: Any = None) -> Router:
    """Before the staff router: its catch-all for the staff chat would take the commands."""
    r = Router(name="desk")
    r.callback_query.register(on_refused, RegisterAction.filter(), NotAuthorised())
    r.callback_query.register(on_register_button, RegisterAction.filter())
    r.callback_query.register(on_refused, RegisterOpen.filter(), NotAuthorised())
    r.callback_query.register(on_register_open, RegisterOpen.filter())
    staff_chat = getattr(settings, "staff_chat_id", None)
    if staff_chat is not None:
        in_staff_chat = F.chat.id == staff_chat
        r.message.register(on_register, in_staff_chat, Command("register"))
        r.message.register(on_forecast, in_staff_chat, Command("forecast"))
    return r
