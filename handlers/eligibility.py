"""/check: eligibility screening of domain.md §2, one question at a time.

Seven turns at most on the eligible path (the command included): a date typed at the
disability question answers "until when?" too, the three exclusions are one question,
and the check stops as soon as the verdict is certain. The answers stay in the FSM
data under "check" → "answers" with the keys of bot.views.eligibility (disability,
disability_until, birth, home_education, representative, resident, state_support,
parental_rights_deprived, state_institution; "relation": mother or father): at the
result they are kept under "known" → "check" and the /apply wizard offers them
(bot.usecases.drafts.prefill; /deletedata erases them).

Buttons or typed answers in either language; a bad answer gets a reason and the
same question again; "⬅️ Back" returns to the previous question; /cancel stops.
The decision is core.eligibility.screen() on today's date (Asia/Almaty).
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, Filter, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.context import AppContext
from bot.i18n import N_, _, current
from bot.views import eligibility as svc
from bot.views.ui import (
    BACK,
    BACK_WORDS,
    CANCEL,
    CANCEL_WORDS,
    MENU_CHECK,
    MENU_ROWS,
    Said,
    main_menu,
    matches,
)
from core.eligibility import Verdict
from handlers import _dialog as dialog

KEPT_FOR_APPLY = N_(
    "Your answers are kept for the application: /apply offers them, you only confirm. "
    "/deletedata deletes them."
)


class FreeText(Filter):
    """A text answer: not a command and not a main-menu button (those go to their routers)."""

    async def __call__(self, message: Message, i18n: I18n) -> bool:
        text = message.text
        if text is None or text.startswith("/"):
            return False
        return not any(matches(i18n, text, label) for row in MENU_ROWS for label in row)


class NotText(Filter):
    """A sticker, photo, voice … where a text answer is expected."""

    async def __call__(self, message: Message) -> bool:
        return message.text is None


class Check(StatesGroup):
    question = State()


class CheckAnswer(CallbackData, prefix="chk"):
    q: str
    v: str


def keyboard(question: str, first: bool) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=_(label), callback_data=CheckAnswer(q=question, v=value).pack())
        for value, label in svc.choices(question)
    ]
    rows = [[button] for button in buttons] if len(buttons) > 3 else [buttons]
    if question == svc.REPRESENTATIVE:  # «Mother» and «Father» side by side
        rows = [buttons[:2], *rows[2:]]
    rows.append(dialog.navigation_row(first, lambda value: CheckAnswer(q=question, v=value).pack()))
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def _progress(state: FSMContext) -> dict[str, Any]:
    data = await state.get_data()
    return dict(data.get("check") or {"q": svc.ORDER[0], "answers": {}, "history": []})


async def _save(state: FSMContext, progress: dict[str, Any]) -> None:
    await state.update_data(check=progress)


async def ask(
    message: Message,
    app: AppContext,
    i18n: I18n,
    progress: dict[str, Any],
    error: str | None = None,
) -> None:
    tr = current()
    question = progress["q"]
    text = svc.question_text(tr, question)
    if error:
        text = f"{svc.invalid_text(tr, error)}\n\n{text}"
    await message.answer(text, reply_markup=keyboard(question, first=not progress["history"]))


async def on_check(message: Message, state: FSMContext, app: AppContext, i18n: I18n) -> None:
    progress = {"q": svc.ORDER[0], "answers": {}, "history": []}
    await dialog.begin(state, "check", progress, Check.question, replaces="estimate")
    await message.answer(
        _(
            "Let us check whether you are entitled to the reimbursement: {count} short questions. "
            "“Not sure” is always an allowed answer. /cancel stops."
        ).format(count=svc.TOTAL_STEPS)
    )
    await ask(message, app, i18n, progress)


async def record(
    message: Message, state: FSMContext, app: AppContext, i18n: I18n, value: str
) -> None:
    progress = await _progress(state)
    question = progress["q"]
    answers: dict[str, str] = {**progress["answers"], **svc.stored(question, value)}
    history = [*progress["history"], question]
    today = app.clock.today()
    early = svc.decided_early(answers, today)
    following = None if early is not None else svc.next_question(answers, question)
    if following is None:
        result = early if early is not None else svc.final_screening(answers, today)
        await dialog.leave(state, "check", keep=answers)
        text = svc.render_result(current(), result)
        if result.result is not Verdict.NOT_ELIGIBLE:
            text = f"{text}\n\n{_(KEPT_FOR_APPLY)}"
        await message.answer(text, reply_markup=main_menu())
        return
    progress = {"q": following, "answers": answers, "history": history}
    await _save(state, progress)
    await ask(message, app, i18n, progress)


async def go_back(message: Message, state: FSMContext, app: AppContext, i18n: I18n) -> None:
    progress = await _progress(state)
    history = list(progress["history"])
    if history:
        previous = history.pop()
        answers = dict(progress["answers"])
        for question in svc.ORDER[svc.ORDER.index(previous) :]:
            for key in svc.keys_of(question):
                answers.pop(key, None)
        progress = {"q": previous, "answers": answers, "history": history}
        await _save(state, progress)
    await ask(message, app, i18n, progress)


async def stop(message: Message, state: FSMContext) -> None:
    await dialog.stop(message, state, "check", _("The check is stopped. Nothing was saved."))


async def on_text(message: Message, state: FSMContext, app: AppContext, i18n: I18n) -> None:
    progress = await _progress(state)
    parsed = svc.parse_typed(
        app.i18n, progress["q"], message.text, app.clock.today(), progress["answers"]
    )
    if parsed.value is None:
        await ask(message, app, i18n, progress, error=parsed.error)
        return
    await record(message, state, app, i18n, parsed.value)


async def on_not_text(message: Message, state: FSMContext, app: AppContext, i18n: I18n) -> None:
    await ask(message, app, i18n, await _progress(state), error="not_text")


async def on_button(
    query: CallbackQuery,
    callback_data: CheckAnswer,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    app: AppContext,
    i18n: I18n,
) -> None:
    progress = await _progress(state)
    message = await dialog.pressed(query, callback_answer, callback_data.q, progress["q"])
    if message is None:
        return
    if await dialog.navigated(
        callback_data.v, lambda: stop(message, state), lambda: go_back(message, state, app, i18n)
    ):
        return
    parsed = svc.accept_choice(callback_data.q, callback_data.v)
    if parsed.value is None:
        await ask(message, app, i18n, progress, error=parsed.error)
        return
    await record(message, state, app, i18n, parsed.value)


def router() -> Router:
    r = Router(name="eligibility")
    r.message.filter(F.chat.type == "private")
    in_check = StateFilter(Check.question)
    r.message.register(on_check, Command("check"))
    r.message.register(on_check, Said(MENU_CHECK, words=("check", "проверить", "тексеру")))
    r.message.register(stop, in_check, Command("cancel"))
    r.message.register(stop, in_check, Said(CANCEL, words=CANCEL_WORDS))
    r.message.register(go_back, in_check, Said(BACK, words=BACK_WORDS))
    r.message.register(on_text, in_check, FreeText())
    r.message.register(on_not_text, in_check, NotText())
    r.callback_query.register(on_button, in_check, CheckAnswer.filter())
    return r
