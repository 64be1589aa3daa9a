"""/estimate: every quarterly payment for the user's dates (domain.md §4, p.4, p.5, p.7).

Three questions, four turns with the command (certificate term "09.2025–05.2026" with
the month of application defaulting to the current month and one tap to change it,
date of birth or the child's IIN, end of the disability term); each button can be
typed; "⬅️ Back" and /cancel work at every step; a bad answer gets its reason and the
same question again. What is stored: see bot.views.estimates (keys kept for /apply).
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.context import AppContext
from bot.i18n import Tr, _, current
from bot.views import estimates as svc
from bot.views.eligibility import Parsed, invalid_text
from bot.views.status import split_blocks
from bot.views.ui import BACK, BACK_WORDS, CANCEL, CANCEL_WORDS, MENU_ESTIMATE, Said, main_menu
from handlers import _dialog as dialog
from handlers.eligibility import KEPT_FOR_APPLY, FreeText, NotText


class EstimateForm(StatesGroup):
    step = State()


class EstimateAnswer(CallbackData, prefix="est"):
    s: str
    v: str


async def _progress(state: FSMContext) -> dict[str, Any]:
    data = await state.get_data()
    return dict(data.get("estimate") or {"s": svc.STEPS[0], "answers": {}})


ANOTHER = "another"


def keyboard(tr: Tr, step: str, today: Any, answers: dict[str, str]) -> InlineKeyboardMarkup:
    suggestions = [
        InlineKeyboardButton(text=text, callback_data=EstimateAnswer(s=step, v=value).pack())
        for value, text in svc.suggestions(tr, step, today, answers)
    ]
    rows = [suggestions] if suggestions else []
    if step == svc.PERIOD:
        rows.append(
            [
                InlineKeyboardButton(
                    text=tr(svc.ANOTHER_MONTH),
                    callback_data=EstimateAnswer(s=step, v=ANOTHER).pack(),
                )
            ]
        )
    rows.append(
        dialog.navigation_row(
            step == svc.STEPS[0], lambda value: EstimateAnswer(s=step, v=value).pack()
        )
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def ask(
    message: Message,
    app: AppContext,
    i18n: I18n,
    progress: dict[str, Any],
    error: str | None = None,
) -> None:
    tr = current()
    step = progress["s"]
    text = svc.question_text(tr, step, progress["answers"])
    if error:
        text = f"{error}\n\n{text}"
    await message.answer(
        text, reply_markup=keyboard(tr, step, app.clock.today(), progress["answers"])
    )


async def on_estimate(message: Message, state: FSMContext, app: AppContext, i18n: I18n) -> None:
    progress = {"s": svc.STEPS[0], "answers": svc.first_answers(app.clock.today())}
    await dialog.begin(state, "estimate", progress, EstimateForm.step, replaces="check")
    await ask(message, app, i18n, progress)


async def handle(
    message: Message, state: FSMContext, app: AppContext, i18n: I18n, parsed: Parsed | svc.StepError
) -> None:
    tr = current()
    progress = await _progress(state)
    if isinstance(parsed, svc.StepError):
        await ask(message, app, i18n, progress, error=svc.error_text(tr, parsed))
        return
    if parsed.value is None:
        await ask(message, app, i18n, progress, error=invalid_text(tr, parsed.error or "choice"))
        return
    step = progress["s"]
    answers = {**progress["answers"], **svc.store(step, parsed.value)}
    position = -1 if step == svc.APPLIED else svc.STEPS.index(step)
    if position + 1 < len(svc.STEPS):
        progress = {"s": svc.STEPS[position + 1], "answers": answers}
        await state.update_data(estimate=progress)
        await ask(message, app, i18n, progress)
        return
    await dialog.leave(state, "estimate", keep=answers)
    today = app.clock.today()
    request = svc.build_request(answers, today)
    result = svc.compute(request)
    if result is None:
        await message.answer(svc.mrp_missing_text(tr), reply_markup=main_menu())
        return
    chunks = split_blocks([*svc.render(tr, result, request, answers), _(KEPT_FOR_APPLY)])
    for number, chunk in enumerate(chunks):
        last = number == len(chunks) - 1
        await message.answer(chunk, reply_markup=main_menu() if last else None)


async def go_back(message: Message, state: FSMContext, app: AppContext, i18n: I18n) -> None:
    progress = await _progress(state)
    previous = svc.previous_step(progress["s"])
    if previous is not None:
        forget = {
            key for step in svc.STEPS[svc.STEPS.index(previous) :] for key in svc.step_keys(step)
        }
        answers = {k: v for k, v in progress["answers"].items() if k not in forget}
        progress = {"s": previous, "answers": answers}
        await state.update_data(estimate=progress)
    await ask(message, app, i18n, progress)


async def stop(message: Message, state: FSMContext) -> None:
    await dialog.stop(message, state, "estimate", _("The estimate is stopped. Nothing was saved."))


async def on_text(message: Message, state: FSMContext, app: AppContext, i18n: I18n) -> None:
    progress = await _progress(state)
    parsed = svc.parse_typed(
        app.i18n, progress["s"], message.text, app.clock.today(), progress["answers"]
    )
    await handle(message, state, app, i18n, parsed)


async def on_not_text(message: Message, state: FSMContext, app: AppContext, i18n: I18n) -> None:
    tr = current()
    await ask(message, app, i18n, await _progress(state), error=invalid_text(tr, "not_text"))


async def on_button(
    query: CallbackQuery,
    callback_data: EstimateAnswer,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    app: AppContext,
    i18n: I18n,
) -> None:
    progress = await _progress(state)
    message = await dialog.pressed(query, callback_answer, callback_data.s, progress["s"])
    if message is None:
        return
    if await dialog.navigated(
        callback_data.v, lambda: stop(message, state), lambda: go_back(message, state, app, i18n)
    ):
        return
    if callback_data.v == ANOTHER and progress["s"] == svc.PERIOD:
        progress = {"s": svc.APPLIED, "answers": progress["answers"]}
        await state.update_data(estimate=progress)
        await ask(message, app, i18n, progress)
        return
    parsed = svc.accept_button(
        callback_data.s, callback_data.v, app.clock.today(), progress["answers"]
    )
    await handle(message, state, app, i18n, parsed)


def router() -> Router:
    r = Router(name="estimate")
    r.message.filter(F.chat.type == "private")
    in_form = StateFilter(EstimateForm.step)
    r.message.register(on_estimate, Command("estimate"))
    r.message.register(
        on_estimate, Said(MENU_ESTIMATE, words=("estimate", "рассчитать", "есептеу"))
    )
    r.message.register(stop, in_form, Command("cancel"))
    r.message.register(stop, in_form, Said(CANCEL, words=CANCEL_WORDS))
    r.message.register(go_back, in_form, Said(BACK, words=BACK_WORDS))
    r.message.register(on_text, in_form, FreeText())
    r.message.register(on_not_text, in_form, NotText())
    r.callback_query.register(on_button, in_form, EstimateAnswer.filter())
    return r
