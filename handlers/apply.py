"""/apply: consent first (Art. 8 of the personal-data law), then the wizard, one
question per step, a summary with "edit" per field, and sending (domain.md §5, §6).

What the parent already told /check and /estimate is offered at its step ("Already
known from /check: Mother" — keep it with one tap, or answer anew: the relation, the end
of the disability, the certificate's term); the date of birth given there is checked
against the child's IIN, residence and home education are shown on the summary as
confirmed in /check (bot.usecases.drafts.prefill). The child's date of birth comes from
the child's IIN, shown in its own message with «Change the date of birth»; an IIN
assigned before the IIN rules gives none, and the date is asked (checked against it).

The draft (answers, files, current step) lives in the FSM data under its own
destiny ("apply"), so other conversations that clear their state never lose
it; the default-destiny state `ApplyStates.wizard` routes the user's messages
here. Both are persisted by the FSM storage: after a restart the user
continues where they stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, Filter, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.context import AppContext
from bot.i18n import N_, _, current
from bot.usecases import consent as consent_service
from bot.usecases import funnel
from bot.usecases.applications import (
    IncompleteDraft,
    OtherApplication,
    carried_answers,
    estimate_of,
    estimate_request,
    existing_claims,
    missing_fields,
    submit,
)
from bot.usecases.drafts import (
    CHECK,
    HOME_EDUCATION,
    KNOWN,
    RESIDENT,
    SUMMARY,
    Answers,
    Draft,
    Relation,
    decode,
    encode,
    known_birth,
    prefill,
)
from bot.usecases.funnel import Milestone
from bot.usecases.privacy import DRAFT_DESTINY
from bot.views import consent as consent_view
from bot.views import official as official_view
from bot.views.draft_notes import claim_lines, zero_lines
from bot.views.fmt import b, fmt, i, join, plain
from bot.views.formatting import day, money
from bot.views.ui import (
    BACK,
    BACK_WORDS,
    CANCEL,
    CANCEL_WORDS,
    MENU_APPLY,
    MENU_ROWS,
    RELATION_LABELS,
    Said,
    main_menu,
    matches,
    step,
)
from handlers._dialog import stale
from handlers._files import Refused, clear_draft_files, file_refusal, kept_fields
from handlers._files import receive as receive_file
from handlers.apply_steps import (
    BY_CODE,
    DONE,
    DONE_WORDS,
    FIELD_LABELS,
    FIELDS_OF,
    FILE_STEPS,
    INDEFINITE_LABEL,
    KEEP,
    KEEP_WORDS,
    MAX_FILES_PER_DOCUMENT,
    REMOVE_FILES,
    REMOVE_FILES_WORDS,
    SHARE_PHONE,
    SKIP,
    STEPS,
    Rejected,
    active_steps,
    display,
    echo,
    first_missing,
    has_value,
    parse_answer,
    parse_file,
    step_number,
    step_of,
    store_answer,
    to_confirm,
)
from handlers.official import filed_keyboard

log = logging.getLogger(__name__)

# Telegram allows 4096 characters per message; keep a margin for the markup.
MESSAGE_LIMIT = 3800

AGREE = N_("✅ I agree")
DISAGREE = N_("❌ I do not agree")
AGREE_WORDS = ("согласен", "согласна", "да", "келісемін", "иә", "ия", "agree", "yes")
DISAGREE_WORDS = ("не согласен", "не согласна", "нет", "келіспеймін", "жоқ", "disagree", "no")
READ_AGAIN = N_("📄 Read the consent again")
SEND = N_("📨 Send the application")
SEND_WORDS = ("отправить", "жіберу", "send")
START_OVER = N_("🔄 Start over")
START_OVER_WORDS = ("заново", "начать заново", "басынан бастау", "start over")
EDIT = N_("✏️ {field}")
CONFIRM_YES = N_("✅ Yes, that is right")
CONFIRM_YES_WORDS = ("да", "верно", "иә", "ия", "дұрыс", "yes")
CONFIRM_NO = N_("✏️ No, correct it")
CONFIRM_NO_WORDS = ("нет", "исправить", "жоқ", "түзету", "no")
# core.consistency RELATION_SEX_MISMATCH: the sex the IIN encodes → the question.
CONFIRM_SEX = {
    "female": N_("By your IIN you are a woman, but you chose «{relation}». Is that right?"),
    "male": N_("By your IIN you are a man, but you chose «{relation}». Is that right?"),
}

SECTIONS = (
    (N_("Applicant"), ("surname", "name", "patronymic", "iin", "phone", "address", "relation")),
    (N_("Child"), ("child_name", "child_iin", "child_birth", "disability_until")),
    (N_("School certificate"), ("school", "cert_number", "cert_date", "cert_from", "cert_to")),
    (N_("Payment"), ("iban",)),
    (N_("Documents"), ("certificate", "guardianship")),
)


class ApplyStates(StatesGroup):
    consent = State()
    wizard = State()


class ConsentAnswer(CallbackData, prefix="consent"):
    answer: str  # yes | no | ask


class EditField(CallbackData, prefix="apply_edit"):
    field: str  # a step code


class ApplyAction(CallbackData, prefix="apply"):
    action: str  # send | restart | birth (change the date of birth the child's IIN gave)


class AnotherChild(CallbackData, prefix="another"):
    """After Send: a new application for another child, the applicant's details kept."""

    application_id: int


class Renew(CallbackData, prefix="renew"):
    """On the certificate-end and 1 September reminders (bot/views/notifications.py builds
    the same "renew:<id>"): a new application from the last one, a new certificate only."""

    application_id: int


ANOTHER_CHILD = N_("👶 Apply for another child")
CHANGE_BIRTH = N_("✏️ Change the date of birth")
# Where an answer offered at its step came from (Draft.prefilled).
KNOWN_FROM = {
    CHECK: N_(
        "Already known from /check: {value}. Press «Keep this answer», or send another answer."
    ),
    "estimate": N_(
        "Already known from /estimate: {value}. Press «Keep this answer», or send another answer."
    ),
}
CONFIRMED_IN_CHECK = {
    RESIDENT: N_("Your family lives in the city of Alatau."),
    HOME_EDUCATION: N_(
        "The child is taught at home on an individual curriculum, with a certificate from the "
        "school."
    ),
}


# ---------------------------------------------------------------- helpers


def draft_context(state: FSMContext) -> FSMContext:
    """The wizard's draft: same chat and user, its own destiny."""
    return FSMContext(
        storage=state.storage, key=dataclasses.replace(state.key, destiny=DRAFT_DESTINY)
    )


@dataclasses.dataclass
class Turn:
    """One update of one user: where to answer and what the handler got."""

    bot: Bot
    chat_id: int
    user_id: int
    app: AppContext
    i18n: I18n
    state: FSMContext

    @property
    def draft(self) -> FSMContext:
        return draft_context(self.state)

    @property
    def language(self) -> str:
        return current().language

    async def say(self, text: str, reply_markup: Any = None) -> None:
        await self.bot.send_message(self.chat_id, text, reply_markup=reply_markup)


def message_turn(
    message: Message, state: FSMContext, app: AppContext, i18n: I18n, bot: Bot
) -> Turn:
    user_id = message.from_user.id if message.from_user else message.chat.id
    return Turn(bot, message.chat.id, user_id, app, i18n, state)


def query_turn(
    query: CallbackQuery, state: FSMContext, app: AppContext, i18n: I18n, bot: Bot
) -> Turn:
    chat_id = query.message.chat.id if query.message else query.from_user.id
    return Turn(bot, chat_id, query.from_user.id, app, i18n, state)


def new_draft(counted: set[str]) -> Draft:
    """A draft at the first step, in the journey whose milestones ``counted`` were counted."""
    return Draft(step=STEPS[0].code, counted=counted)


async def load_draft(turn: Turn) -> Draft:
    draft = decode(await turn.draft.get_data())
    if draft.step is not None and draft.step not in BY_CODE:  # kept before fields were joined
        draft.step = step_of(draft.step)
    child_iin = draft.answers.child_iin
    if child_iin is not None and draft.answers.child_birth is None:
        draft.answers.child_birth = child_iin.known_birth  # derived again (domain.md §5)
    return draft


async def save_draft(turn: Turn, draft: Draft) -> None:
    await turn.draft.set_data(encode(draft))


class FreeText(Filter):
    """A wizard answer: anything but a command or a main-menu button (those belong
    to other conversations, which may take over; the draft stays)."""

    async def __call__(self, message: Message, i18n: I18n) -> bool:
        text = message.text
        if text is None:
            return True
        if text.startswith("/"):
            return False
        return not any(matches(i18n, text, label) for row in MENU_ROWS for label in row)


def consent_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_(AGREE), callback_data=ConsentAnswer(answer="yes").pack()
                ),
                InlineKeyboardButton(
                    text=_(DISAGREE), callback_data=ConsentAnswer(answer="no").pack()
                ),
            ]
        ]
    )


def step_keyboard(code: str, draft: Draft) -> ReplyKeyboardMarkup:
    current = BY_CODE[code]
    rows: list[list[KeyboardButton]] = []
    if current.kind == "relation":
        labels = [_(RELATION_LABELS[key]) for key in Relation]
        rows += [[KeyboardButton(text=labels[0]), KeyboardButton(text=labels[1])]]
        rows += [[KeyboardButton(text=labels[2])], [KeyboardButton(text=labels[3])]]
    if current.kind == "phone":
        rows.append([KeyboardButton(text=_(SHARE_PHONE), request_contact=True)])
    if code == "disability_until":
        rows.append([KeyboardButton(text=_(INDEFINITE_LABEL))])
    child_iin = draft.answers.child_iin
    if code == "child_birth" and child_iin is not None and child_iin.known_birth is not None:
        rows.append([KeyboardButton(text=day(child_iin.known_birth))])  # the IIN's date: one tap
    if current.optional:
        rows.append([KeyboardButton(text=_(SKIP))])
    if current.kind == "files":
        rows.append([KeyboardButton(text=_(DONE))])
        if has_value(code, draft):
            rows.append([KeyboardButton(text=_(REMOVE_FILES))])
    elif has_value(code, draft):
        rows.append([KeyboardButton(text=_(KEEP))])
    last = [KeyboardButton(text=_(CANCEL))]
    if draft.editing or active_steps(draft.answers)[0].code != code:
        last.insert(0, KeyboardButton(text=_(BACK)))
    rows.append(last)
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True)


def question_text(code: str, draft: Draft) -> str:
    current = BY_CODE[code]
    number, total = step_number(code, draft.answers)
    answers = draft.answers
    if code == "cert" and not has_value(code, draft) and answers.cert_from and answers.cert_to:
        question = fmt(
            _(
                "The school certificate's number and date in one message, for example: № 15/2025, "
                "01.09.2025. The term of home education {first}–{last} is known from /estimate; "
                "if the certificate gives another term, add it, for example 09.2025–05.2026."
            ),
            first=b(answers.cert_from.display()),
            last=b(answers.cert_to.display()),
        )
    else:
        question = plain(_(current.question))
    lines = [question]
    if current.numbered:
        lines.insert(0, i(step(number, total)))
    if current.kind == "files":
        count = len(draft.files_of(code))
        if count:
            lines.append(
                fmt(
                    _("Files received so far: {count}. Send more, or press «Done» to go on."),
                    count=count,
                )
            )
    elif has_value(code, draft) and display(code, draft) != "—":
        value = b(display(code, draft))
        source = draft.prefilled.get(code)
        said = KNOWN_FROM.get(source) if source else None
        if said is None:
            said = N_("Your answer now: {value}. Send a new one or press «Keep this answer».")
        lines.append(fmt(_(said), value=value))
    return "\n\n".join(lines)


def split_message(lines: list[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join lines into messages of at most `limit` characters; a line is never cut
    inside its markup (an over-long line is cut at a space)."""
    parts: list[str] = []
    current = ""
    for line in lines:
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def estimate_line(total: Any, language: str) -> str:
    return fmt(
        _(
            "Estimated total of the payments: {amount} (the Department makes the final calculation)."
        ),
        amount=b(money(total, language)),
    )


def summary_lines(turn: Turn, draft: Draft, others: Sequence[OtherApplication] = ()) -> list[str]:
    """The answers by section, the estimate and what to know before Send: an application
    already sent for this child (p.3, p.7), why the estimate is zero (p.4, p.5)."""
    answers = draft.answers
    active = {item.code for item in active_steps(answers)}
    lines: list[str] = [b(_("Please check your application before sending it."))]
    for title, codes in SECTIONS:
        shown = [code for code in codes if step_of(code) in active]
        if not shown:
            continue
        lines.append("")
        lines.append(b(_(title)))
        for code in shown:
            label = _(FIELD_LABELS.get(code) or BY_CODE[code].label)
            lines.append(fmt("{label}: {value}", label=label, value=b(display(code, draft))))
            child_iin = answers.child_iin
            if code == "child_birth" and child_iin is not None and child_iin.known_birth:
                lines[-1] += " " + plain(_("(from the IIN)"))
    facts = [fact for fact in CONFIRMED_IN_CHECK if draft.facts.get(fact) == CHECK]
    if facts:
        lines += ["", b(_("Confirmed in /check"))]
        lines += [plain(_(CONFIRMED_IN_CHECK[fact])) for fact in facts]
    today = turn.app.clock.today()
    request, result = estimate_request(answers, today), estimate_of(answers, today)
    tr = current()
    if result is not None:
        lines += ["", estimate_line(result.total, turn.language)]
        lines += zero_lines(tr, result, request)
    notes = claim_lines(tr, [(other.number, other.status.value) for other in others])
    if notes:
        lines += ["", *notes]
    return lines


def summary_keyboard(draft: Draft) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            text=_(EDIT).format(field=_(item.label)),
            callback_data=EditField(field=item.code).pack(),
        )
        for item in active_steps(draft.answers)
    ]
    rows = [buttons[index : index + 2] for index in range(0, len(buttons), 2)]
    rows.append(
        [InlineKeyboardButton(text=_(SEND), callback_data=ApplyAction(action="send").pack())]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def summary_reply_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_(SEND))],
            [KeyboardButton(text=_(BACK)), KeyboardButton(text=_(CANCEL))],
        ],
        resize_keyboard=True,
    )


SUMMARY_HINT = N_(
    "To correct an answer, press it below. If everything is right, press «Send the application»."
)


def keeps_answer(turn: Turn, text: str | None, code: str, draft: Draft) -> bool:
    """«Keep» typed at a step that already has an answer."""
    return (
        text is not None and has_value(code, draft) and matches(turn.i18n, text, KEEP, KEEP_WORDS)
    )


def typed_field(i18n: I18n, text: str | None, draft: Draft) -> str | None:
    """The step whose label or edit button ("✏️ IBAN") was typed, in any language."""
    for item in active_steps(draft.answers):
        if matches(i18n, text, item.label):
            return item.code
    return None


async def count_milestone(turn: Turn, draft: Draft, milestone: Milestone) -> None:
    """The funnel's milestone, unless this draft counted it already (bot/usecases/funnel.py):
    remembered in the draft, saved with it by the caller."""
    if milestone.value not in draft.counted:
        await funnel.reached(turn.app, turn.user_id, milestone)
        draft.counted.add(milestone.value)


async def show_summary(turn: Turn, draft: Draft, prefix: str | None = None) -> None:
    await count_milestone(turn, draft, Milestone.SUMMARY)
    others = await existing_claims(turn.app, draft.answers, turn.app.clock.today())
    lines = summary_lines(turn, draft, others)
    if prefix:
        lines = [prefix, "", *lines]
    for index, part in enumerate(split_message(lines)):
        await turn.say(part, reply_markup=summary_reply_keyboard() if index == 0 else None)
    await turn.say(plain(_(SUMMARY_HINT)), reply_markup=summary_keyboard(draft))


async def ask(turn: Turn, code: str, draft: Draft, prefix: str | None = None) -> None:
    """Ask the question of `code` with its keyboard, or show the summary."""
    if code == SUMMARY:
        await show_summary(turn, draft, prefix)
        return
    text = question_text(code, draft)
    if prefix:
        text = f"{prefix}\n\n{text}"
    await turn.say(text, reply_markup=step_keyboard(code, draft))


async def ask_again(turn: Turn, code: str, draft: Draft, rejected: Rejected) -> None:
    """The same question again, after the reason the answer was not accepted."""
    await ask(turn, code, draft, prefix="❗ " + plain(rejected.text()))


async def save_and_ask(turn: Turn, draft: Draft, code: str, prefix: str | None = None) -> None:
    draft.step = code
    if code == SUMMARY:  # counted before the draft is saved: it remembers that
        await count_milestone(turn, draft, Milestone.SUMMARY)
    await save_draft(turn, draft)
    await ask(turn, code, draft, prefix)


async def advance(turn: Turn, draft: Draft, prefix: str | None = None) -> None:
    """After an accepted answer: the next step, or back to the summary when editing.
    The answer is shown back as understood (a full name split, the date of birth by the
    child's IIN, the certificate's details) above the next question."""
    code = draft.step
    for field in FIELDS_OF.get(code or "", (code or "",)):
        draft.prefilled.pop(field, None)  # confirmed or changed at its step
    if code == "child_iin":
        said = await birth_from_iin(turn, draft)
        if said is None:  # /estimate or /check gave another date: asked at once
            return
    else:
        said = plain(echo(code, draft) or "") if code in BY_CODE else ""
    if said:
        prefix = join([part for part in (prefix, said) if part], "\n\n")
    if draft.editing:
        following = first_missing(draft)
        if following is None:
            draft.editing = False
            following = SUMMARY
        await save_and_ask(turn, draft, following, prefix)
        return
    codes = [
        item.code
        for item in active_steps(draft.answers)
        if item.code == code or item.code != "child_birth" or not has_value(item.code, draft)
    ]  # a date of birth already given agrees with the IIN: not asked again
    index = codes.index(code) if code in codes else len(codes) - 1
    following = codes[index + 1] if index + 1 < len(codes) else (first_missing(draft) or SUMMARY)
    await save_and_ask(turn, draft, following, prefix)


def birth_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_(CHANGE_BIRTH), callback_data=ApplyAction(action="birth").pack()
                )
            ]
        ]
    )


async def birth_from_iin(turn: Turn, draft: Draft) -> str | None:
    """After the child's IIN (domain.md §5): the date of birth it gives is said in its own
    message with «Change the date of birth» (Send on the summary confirms it); a date given
    in /estimate or /check is checked against it. Returns the prefix of the next question,
    or None when the date is asked now (another date in /estimate or /check)."""
    answers = draft.answers
    iin = answers.child_iin
    if iin is None:
        return ""
    given = known_birth(draft)
    birth = iin.known_birth
    if birth is None:  # assigned before the IIN rules: the date is asked, unless given
        if given is not None and iin.agrees_with(given[0]):
            answers.child_birth = given[0]
            text = fmt(
                _(
                    "This IIN was assigned before the IIN rules and does not give the date of "
                    "birth; the date from /{source}, {date}, agrees with it."
                ),
                source=given[1],
                date=b(day(given[0])),
            )
            await turn.say(text, reply_markup=birth_keyboard())
            return ""
        return plain(
            _("This IIN was assigned before the IIN rules: it does not give the date of birth.")
        )
    if given is not None and given[0] != birth:
        prefix = "❗ " + fmt(
            _(
                "By the child's IIN the date of birth is {iin_date}, but in /{source} it was "
                "{given}. If the IIN is right, press {iin_date}; if not, press «Back» and correct "
                "the IIN."
            ),
            iin_date=b(day(birth)),
            source=given[1],
            given=b(day(given[0])),
        )
        await save_and_ask(turn, draft, "child_birth", prefix)
        return None
    await turn.say(
        fmt(_("The child's date of birth from the IIN: {date}."), date=b(day(birth))),
        reply_markup=birth_keyboard(),
    )
    return ""


async def change_birth(turn: Turn, draft: Draft) -> None:
    """«Change the date of birth»: the date is asked (checked against the child's IIN),
    then the wizard goes on where it was."""
    await save_and_ask(turn, draft, "child_birth")


def earlier_file_step(draft: Draft) -> str | None:
    """The document step just before the current step (the last one before the summary):
    another page sent after the wizard went on belongs to it."""
    codes = [item.code for item in active_steps(draft.answers)]
    current = draft.step
    before = codes[: codes.index(current)] if current in codes else codes
    if not before or before[-1] not in FILE_STEPS:
        return None
    return before[-1]


async def go_back(turn: Turn, draft: Draft) -> None:
    codes = [item.code for item in active_steps(draft.answers)]
    current = draft.step
    if draft.editing:
        draft.editing = False
        await save_and_ask(turn, draft, SUMMARY)
        return
    if current == SUMMARY:
        await save_and_ask(turn, draft, codes[-1])
        return
    if current == "child_birth":  # a follow-up of the IIN: back to the IIN
        await save_and_ask(turn, draft, "child_iin")
        return
    index = codes.index(current) if current in codes else 0
    await save_and_ask(turn, draft, codes[max(index - 1, 0)])


async def pause(turn: Turn, draft: Draft) -> None:
    """/cancel: leave the wizard; the draft stays saved for /apply."""
    await turn.state.set_state(None)
    code = draft.step
    if code in BY_CODE:
        number, _total = step_number(step_of(code), draft.answers)
        where = fmt(
            _("Your answers are saved: send /apply to continue at step {number}."), number=number
        )
    else:
        where = plain(
            _("Your answers are saved: send /apply to come back to the summary and send it.")
        )
    lines = [
        plain(_("The application is paused.")),
        where,
        # not /deletedata: that withdraws the consent and is not a way to clear answers
        fmt(
            _("To clear these answers and begin again, send /apply and press «{button}»."),
            button=_(START_OVER),
        ),
    ]
    await turn.say("\n".join(lines), reply_markup=main_menu())


# ---------------------------------------------------------------- consent


async def ask_consent(turn: Turn) -> None:
    await turn.state.set_state(ApplyStates.consent)
    text = consent_view.consent_text(turn.i18n, turn.language)
    await turn.say(text, reply_markup=consent_keyboard())


async def consent_missing(turn: Turn) -> bool:
    """Whether the user has no active consent; if so, it is asked for."""
    if await consent_service.active_consent(turn.app, turn.user_id) is None:
        await ask_consent(turn)
        return True
    return False


async def consent_given(turn: Turn, answered: str) -> None:
    await consent_service.record_answer(
        turn.app,
        user_id=turn.user_id,
        language=turn.language,
        agreed=True,
        answered_text=answered,
        now=turn.app.clock.now(),
    )
    await turn.say(
        plain(
            _("Thank you, your consent is recorded. You can withdraw it at any time with /consent.")
        )
    )
    await resume_or_start(turn)


async def consent_refused(turn: Turn, answered: str) -> None:
    await consent_service.record_answer(
        turn.app,
        user_id=turn.user_id,
        language=turn.language,
        agreed=False,
        answered_text=answered,
        now=turn.app.clock.now(),
    )
    await turn.state.set_state(None)
    text = "\n\n".join(
        plain(part)
        for part in (
            _("Understood. Nothing of the application has been stored."),
            _(
                "Without your consent the application cannot be sent: the Department would have to refuse "
                "it on ground p.8(4) — no consent to the collection and processing of personal data "
                '(Article 8 of the Law "On personal data and their protection").'
            ),
            _(
                "You can still check the eligibility (/check) and estimate the payments (/estimate) without "
                "giving your name, IIN or contacts. If you change your mind, press the button below or "
                "send /apply."
            ),
        )
    )
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_(READ_AGAIN), callback_data=ConsentAnswer(answer="ask").pack()
                )
            ]
        ]
    )
    await turn.say(text, reply_markup=keyboard)


async def resume_or_start(turn: Turn, draft: Draft | None = None) -> None:
    """Continue the saved draft (``draft`` when the caller has loaded it) at its step, or
    begin a new one."""
    if draft is None:
        draft = await load_draft(turn)
    await count_milestone(turn, draft, Milestone.CONSENTED)
    await turn.state.set_state(ApplyStates.wizard)
    if draft.step in (*BY_CODE, SUMMARY):
        draft.editing, draft.pending = False, None
        code = draft.step
        if code != SUMMARY and code not in {item.code for item in active_steps(draft.answers)}:
            code = first_missing(draft) or SUMMARY
        elif code == SUMMARY and (missing := first_missing(draft)) is not None:
            code, draft.editing = missing, True  # an answer was lost: ask it, then the summary
        if code == SUMMARY:
            note = _(
                "You have an unfinished application: everything is filled in, here is the summary."
            )
        else:
            number, total = step_number(step_of(code), draft.answers)
            note = _(
                "You have an unfinished application, continuing at step {number} of {total}."
            ).format(number=number, total=total)
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=_(START_OVER), callback_data=ApplyAction(action="restart").pack()
                    )
                ]
            ]
        )
        await turn.say(
            join([note, _("To delete these answers and begin again, press «Start over».")]),
            reply_markup=keyboard,
        )
        await save_and_ask(turn, draft, code)
        return
    draft = new_draft(draft.counted)
    prefill(draft, (await turn.state.get_data()).get(KNOWN) or {}, turn.app.clock.today())
    parent = step_number(STEPS[0].code, Answers(relation=Relation.MOTHER))[1]
    guardian = step_number(STEPS[0].code, Answers(relation=Relation.GUARDIAN))[1]
    intro = fmt(
        _(
            "Let us fill in the application: first who you are to the child, then {total} short "
            "steps ({guardian} for a guardian or trustee), one question at a time. Every answer is "
            "checked at once. Send /cancel to pause: your answers are kept."
        ),
        total=parent,
        guardian=guardian,
    )
    await save_and_ask(turn, draft, STEPS[0].code, prefix=intro)


async def start_over(turn: Turn) -> None:
    counted = (await load_draft(turn)).counted  # the same journey: its milestones stay counted
    await turn.draft.set_data({})
    await clear_draft_files(turn.app, turn.user_id)  # the kept copies of its files too
    await turn.state.set_state(ApplyStates.wizard)
    prefix = plain(_("The previous answers are deleted. Let us begin again."))
    await save_and_ask(turn, new_draft(counted), STEPS[0].code, prefix=prefix)


# ---------------------------------------------------------------- sending


async def no_application_in_progress(turn: Turn) -> None:
    """The draft is gone (sent, deleted or never begun): leave the wizard, point to /apply."""
    await turn.state.set_state(None)
    await turn.say(
        plain(_("There is no application in progress. Send /apply to start one.")),
        reply_markup=main_menu(),
    )


async def ask_missing(turn: Turn, draft: Draft, code: str) -> None:
    """Send was pressed with an answer missing: ask for it, then back to the summary."""
    draft.editing = True
    prefix = plain(_("Some answers are still missing."))
    await save_and_ask(turn, draft, step_of(code), prefix=prefix)


async def send_application(turn: Turn) -> None:
    draft = await load_draft(turn)
    if not draft.step:
        await no_application_in_progress(turn)
        return
    if await consent_missing(turn):
        return
    missing = missing_fields(draft.answers, draft.files)
    if missing:
        await ask_missing(turn, draft, missing[0])
        return
    try:
        result = await submit(
            turn.app,
            user_id=turn.user_id,
            language=turn.language,
            answers=draft.answers,
            files=draft.files,
        )
    except IncompleteDraft as error:
        await ask_missing(turn, draft, error.missing[0])
        return
    # The draft's personal data now live in the application only.  The FSM rows are
    # cleared together (one batch of upserts, bot/data/fsm_storage.py), not one after another.
    await asyncio.gather(
        turn.draft.set_data({}),
        turn.draft.set_state(None),
        turn.state.set_state(None),
        turn.state.set_data({}),
    )
    department = consent_view.department_name(turn.language)
    lines: list[str] = [
        fmt(_("✅ Your application is sent. Its number is {number}."), number=b(result.number)),
        fmt(
            _(
                "What happens next: the staff of {department} check the application and the documents. "
                "I will write to you here when its status changes; you can also follow it with /status."
            ),
            department=department,
        ),
    ]
    if result.estimate_total is not None:
        lines.append(estimate_line(result.estimate_total, turn.language))
    # The staff card was queued by submit() in the application's own transaction.
    await turn.say("\n\n".join(lines), reply_markup=main_menu())
    await turn.say(
        plain(_("Another child of yours with a disability is taught at home? Your details stay.")),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=_(ANOTHER_CHILD),
                        callback_data=AnotherChild(application_id=result.application_id).pack(),
                    )
                ]
            ]
        ),
    )
    # The hand-over to the official channel (p.6), with the button for its number.
    tr = current()
    await turn.say(
        official_view.how_to_file(tr), reply_markup=filed_keyboard(result.application_id)
    )


async def start_from(turn: Turn, application_id: int, *, renewal: bool) -> None:
    """A new draft from the user's sent application (issue 12 item 3): another child keeps
    the applicant's details and the IBAN; a renewal keeps the child's too and asks for the
    new school certificate. Only the missing answers are asked, then the summary, where
    everything kept can be corrected. It is sent as a new application (own number, card,
    audit)."""
    current_draft = await load_draft(turn)
    await count_milestone(turn, current_draft, Milestone.STARTED)
    if await consent_missing(turn):
        return
    if current_draft.step:  # an unfinished application first
        await resume_or_start(turn, current_draft)
        return
    await count_milestone(turn, current_draft, Milestone.CONSENTED)
    carried = await carried_answers(
        turn.app, application_id=application_id, user_id=turn.user_id, renewal=renewal
    )
    if carried is None:
        await no_application_in_progress(turn)
        return
    draft = Draft(answers=carried.answers, editing=True, counted=current_draft.counted)
    await turn.state.set_state(ApplyStates.wizard)
    if renewal:
        intro = fmt(
            _(
                "A new application from application {number}: your details, the child's and the "
                "IBAN are kept. Only the new school certificate is needed. On the summary, check "
                "the disability term and the address: they may have changed."
            ),
            number=carried.number,
        )
    else:
        intro = fmt(
            _(
                "A new application for another child. Kept from application {number}: {name}, "
                "IIN, phone, address and IBAN {iban}; you can correct them on the summary. Now "
                "the child's details and certificate."
            ),
            number=carried.number,
            name=display("full_name", draft),
            iban=display("iban", draft),
        )
    await save_and_ask(turn, draft, first_missing(draft) or SUMMARY, prefix=intro)


async def on_another_child(
    query: CallbackQuery,
    callback_data: AnotherChild,
    state: FSMContext,
    app: AppContext,
    i18n: I18n,
    bot: Bot,
) -> None:
    turn = query_turn(query, state, app, i18n, bot)
    await start_from(turn, callback_data.application_id, renewal=False)


async def on_renew(
    query: CallbackQuery,
    callback_data: Renew,
    state: FSMContext,
    app: AppContext,
    i18n: I18n,
    bot: Bot,
) -> None:
    turn = query_turn(query, state, app, i18n, bot)
    await start_from(turn, callback_data.application_id, renewal=True)


# ---------------------------------------------------------------- handlers


async def on_apply(
    message: Message, state: FSMContext, app: AppContext, i18n: I18n, bot: Bot
) -> None:
    turn = message_turn(message, state, app, i18n, bot)
    draft = await load_draft(turn)
    await count_milestone(turn, draft, Milestone.STARTED)
    if await consent_missing(turn):
        return
    await resume_or_start(turn, draft)


async def on_consent_button(
    query: CallbackQuery,
    callback_data: ConsentAnswer,
    state: FSMContext,
    app: AppContext,
    i18n: I18n,
    bot: Bot,
) -> None:
    turn = query_turn(query, state, app, i18n, bot)
    if callback_data.answer == "ask":
        await ask_consent(turn)
        return
    if callback_data.answer not in ("yes", "no"):
        return
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):  # "message is not modified" and the like
            await query.message.edit_reply_markup(reply_markup=None)
    if callback_data.answer == "yes":
        await consent_given(turn, _(AGREE))
    else:
        await consent_refused(turn, _(DISAGREE))


async def on_consent_typed(
    message: Message, state: FSMContext, app: AppContext, i18n: I18n, bot: Bot
) -> None:
    turn = message_turn(message, state, app, i18n, bot)
    text = message.text
    if text is not None and matches(i18n, text, CANCEL, CANCEL_WORDS):
        await on_cancel_consent(message, state)
    elif text is not None and matches(i18n, text, DISAGREE, DISAGREE_WORDS):
        await consent_refused(turn, text)
    elif text is not None and matches(i18n, text, AGREE, AGREE_WORDS):
        await consent_given(turn, text)
    else:
        await message.answer(
            plain(_("Please answer with a button: «I agree» or «I do not agree».")),
            reply_markup=consent_keyboard(),
        )


async def on_cancel_consent(message: Message, state: FSMContext) -> None:
    await state.set_state(None)
    await message.answer(
        plain(_("Stopped. Nothing of the application has been stored.")), reply_markup=main_menu()
    )


async def on_cancel(
    message: Message, state: FSMContext, app: AppContext, i18n: I18n, bot: Bot
) -> None:
    turn = message_turn(message, state, app, i18n, bot)
    await pause(turn, await load_draft(turn))


async def on_restart(
    query: CallbackQuery, state: FSMContext, app: AppContext, i18n: I18n, bot: Bot
) -> None:
    turn = query_turn(query, state, app, i18n, bot)
    if await consent_missing(turn):
        return
    await start_over(turn)


async def on_edit(
    query: CallbackQuery,
    callback_data: EditField,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    app: AppContext,
    i18n: I18n,
    bot: Bot,
) -> None:
    turn = query_turn(query, state, app, i18n, bot)
    draft = await load_draft(turn)
    if not draft.step or callback_data.field not in {
        item.code for item in active_steps(draft.answers)
    }:
        stale(callback_answer)
        return
    draft.editing, draft.pending = True, None
    await save_and_ask(turn, draft, callback_data.field)


async def on_change_birth(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    app: AppContext,
    i18n: I18n,
    bot: Bot,
) -> None:
    turn = query_turn(query, state, app, i18n, bot)
    draft = await load_draft(turn)
    if not draft.step or draft.answers.child_iin is None or draft.pending is not None:
        stale(callback_answer)
        return
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):
            await query.message.edit_reply_markup(reply_markup=None)
    await change_birth(turn, draft)


async def on_send_button(
    query: CallbackQuery, state: FSMContext, app: AppContext, i18n: I18n, bot: Bot
) -> None:
    await send_application(query_turn(query, state, app, i18n, bot))


async def on_wizard_message(
    message: Message, state: FSMContext, app: AppContext, i18n: I18n, bot: Bot
) -> None:
    turn = message_turn(message, state, app, i18n, bot)
    draft = await load_draft(turn)
    code = draft.step
    if code is None or code not in (*BY_CODE, SUMMARY):
        await no_application_in_progress(turn)
        return
    text = message.text
    if text is not None and matches(i18n, text, CANCEL, CANCEL_WORDS):
        await pause(turn, draft)
        return
    if text is not None and matches(i18n, text, START_OVER, START_OVER_WORDS):
        await start_over(turn)
        return
    if draft.pending is not None:
        await on_confirmation(turn, text, draft)
        return
    if text is not None and matches(i18n, text, BACK, BACK_WORDS):
        await go_back(turn, draft)
        return
    earlier = earlier_file_step(draft)
    if earlier is not None and (message.photo or message.document):
        await on_file(turn, message, draft, earlier)  # another page of the document just sent
        return
    if earlier is not None and text is not None and matches(i18n, text, DONE, DONE_WORDS):
        await ask(turn, code, draft)  # «Done» after the last page: the wizard has gone on
        return
    if code == SUMMARY:
        if text is not None and matches(i18n, text, SEND, SEND_WORDS):
            await send_application(turn)
            return
        typed = typed_field(i18n, text, draft)
        if typed is not None:  # an edit button typed: "IBAN", "✏️ Фамилия"
            draft.editing = True
            await save_and_ask(turn, draft, typed)
            return
        await turn.say(
            plain(_("Please press «Send the application», or choose an answer to correct.")),
            reply_markup=summary_keyboard(draft),
        )
        return
    current = BY_CODE[code]
    if current.kind == "files":
        await on_file(turn, message, draft, code)
        return
    if keeps_answer(turn, text, code, draft):
        await advance(turn, draft)
        return
    value = parse_answer(current, message, draft.answers, i18n, app.clock.today())
    if isinstance(value, Rejected):
        await ask_again(turn, code, draft, value)
        return
    if to_confirm(code, value, draft.answers) is not None:
        draft.pending = (code, value)
        await save_draft(turn, draft)
        await ask_confirmation(turn, draft)
        return
    store_answer(code, value, draft)
    await advance(turn, draft)


async def ask_confirmation(turn: Turn, draft: Draft, prefix: str | None = None) -> None:
    """An answer unusual with another one (core.consistency): keep it or correct it."""
    assert draft.pending is not None
    code, value = draft.pending
    problem = to_confirm(code, value, draft.answers)
    params = problem.params if problem is not None else {}
    relation = RELATION_LABELS.get(params.get("relation", ""), "")
    question = CONFIRM_SEX.get(params.get("sex", ""), CONFIRM_SEX["female"])
    lines = [
        "❓ " + fmt(_(question), relation=_(relation) if relation else "—"),
        plain(
            _("Press «Yes, that is right» to keep the answer, or «No, correct it» to change it.")
        ),
    ]
    if prefix:
        lines.insert(0, prefix)
    keyboard = ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_(CONFIRM_YES))],
            [KeyboardButton(text=_(CONFIRM_NO))],
            [KeyboardButton(text=_(CANCEL))],
        ],
        resize_keyboard=True,
    )
    await turn.say("\n\n".join(lines), reply_markup=keyboard)


async def on_confirmation(turn: Turn, text: str | None, draft: Draft) -> None:
    """The answer to ask_confirmation: Yes keeps the pending answer, No (or Back) asks
    the question again; anything else repeats the question."""
    assert draft.pending is not None
    code, value = draft.pending
    if text is not None and matches(turn.i18n, text, CONFIRM_YES, CONFIRM_YES_WORDS):
        draft.pending = None
        store_answer(code, value, draft)
        await advance(turn, draft)
    elif text is not None and (
        matches(turn.i18n, text, CONFIRM_NO, CONFIRM_NO_WORDS)
        or matches(turn.i18n, text, BACK, BACK_WORDS)
    ):
        draft.pending = None
        await save_and_ask(turn, draft, code)
    else:
        await ask_confirmation(turn, draft, "❗ " + plain(Rejected("choose_button").text()))


async def on_file(turn: Turn, message: Message, draft: Draft, code: str) -> None:
    text = message.text
    mine = draft.files_of(code)
    if text is not None and matches(turn.i18n, text, DONE, DONE_WORDS):
        if not mine:
            await ask_again(turn, code, draft, Rejected("no_files"))
            return
        await advance(turn, draft)
        return
    if text is not None and matches(turn.i18n, text, REMOVE_FILES, REMOVE_FILES_WORDS):
        draft.files = [item for item in draft.files if item.kind != code]
        await save_draft(turn, draft)
        await ask(turn, code, draft, prefix=plain(_("The files of this document are removed.")))
        return
    if keeps_answer(turn, text, code, draft):
        await advance(turn, draft)
        return
    if len(mine) >= MAX_FILES_PER_DOCUMENT and (message.photo or message.document):
        rejected = Rejected("too_many_files", {"count": str(MAX_FILES_PER_DOCUMENT)})
        await ask_again(turn, code, draft, rejected)
        return
    result = parse_file(message, code)
    if isinstance(result, Rejected):
        await ask_again(turn, code, draft, result)
        return
    try:  # the Department's own copy, checked by content (the declared type is not trusted)
        kept = await receive_file(
            turn.bot, turn.app, result.file_id, result.file_size, draft_of=turn.user_id
        )
    except Refused as refused:
        await ask_again(turn, code, draft, file_refusal(refused))
        return
    draft.files.append(dataclasses.replace(result, **kept_fields(kept)))
    received = fmt(
        _("File received ({count} in total). Another page: just send it too."),
        count=len(mine) + 1,
    )
    if code == draft.step:  # the wizard goes on: one file is enough, more pages still welcome
        await advance(turn, draft, received)
        return
    await save_draft(turn, draft)
    if draft.step == SUMMARY:
        await turn.say(received, reply_markup=summary_reply_keyboard())
        return
    await ask(turn, draft.step or code, draft, prefix=received)


def router() -> Router:
    r = Router(name="apply")
    r.message.filter(F.chat.type == "private")
    r.callback_query.filter(F.message.chat.type == "private")
    r.message.register(on_apply, Command("apply"))
    r.message.register(
        on_apply, Said(MENU_APPLY, words=("apply", "подать заявление", "өтініш беру"))
    )
    r.callback_query.register(on_consent_button, ConsentAnswer.filter())
    r.message.register(on_cancel_consent, StateFilter(ApplyStates.consent), Command("cancel"))
    r.message.register(on_consent_typed, StateFilter(ApplyStates.consent), FreeText())
    r.message.register(on_cancel, StateFilter(ApplyStates.wizard), Command("cancel"))
    r.callback_query.register(on_restart, ApplyAction.filter(F.action == "restart"))
    r.callback_query.register(on_another_child, AnotherChild.filter())
    r.callback_query.register(on_renew, Renew.filter())
    r.callback_query.register(on_edit, StateFilter(ApplyStates.wizard), EditField.filter())
    r.callback_query.register(
        on_send_button, StateFilter(ApplyStates.wizard), ApplyAction.filter(F.action == "send")
    )
    r.callback_query.register(
        on_change_birth, StateFilter(ApplyStates.wizard), ApplyAction.filter(F.action == "birth")
    )
    r.message.register(on_wizard_message, StateFilter(ApplyStates.wizard), FreeText())
    return r
