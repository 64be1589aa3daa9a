"""Shared pieces of the conversation: the main menu, typed answers, step counter.

Every button can also be typed (architecture.md): `Said` matches a message
against a button label in every language, ignoring case, emoji and spaces.
"""

from __future__ import annotations

import functools
import re

from aiogram.filters import Filter
from aiogram.types import KeyboardButton, Message, ReplyKeyboardMarkup
from aiogram.utils.i18n import I18n

from bot.catalogues import LANGUAGES
from bot.i18n import N_, Tr, _

_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


def normalize(text: str | None) -> str:
    """'  ✅ Проверить право ' → 'проверить право'."""
    return _EDGES.sub("", (text or "").strip()).casefold()


@functools.lru_cache(maxsize=4096)
def label_forms(i18n: I18n, label: str) -> frozenset[str]:
    """Every normalized text that says `label` (its kk and ru translations): computed
    once per label (the catalogues do not change while the bot runs)."""
    return frozenset(normalize(Tr(i18n, language)(label)) for language in LANGUAGES)


@functools.lru_cache(maxsize=1024)
def word_forms(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(normalize(word) for word in words)


class Said(Filter):
    """The message text equals one of these labels in kk or ru, or one of `words`."""

    def __init__(self, *labels: str, words: tuple[str, ...] = ()) -> None:
        self.labels = labels
        self.words = word_forms(tuple(words))

    async def __call__(self, message: Message, i18n: I18n) -> bool:
        if not message.text:
            return False
        text = normalize(message.text)
        return text in self.words or any(text in label_forms(i18n, label) for label in self.labels)


def matches(i18n: I18n, text: str | None, label: str, words: tuple[str, ...] = ()) -> bool:
    """Same test as `Said`, for code that already has the text."""
    value = normalize(text)
    if not value:
        return False
    return value in word_forms(words) or value in label_forms(i18n, label)


# Main menu (reply keyboard): key → label.
MENU_CHECK = N_("✅ Check eligibility")
MENU_ESTIMATE = N_("🧮 Estimate payments")
MENU_DOCUMENTS = N_("📄 Documents")
MENU_APPLY = N_("📝 Apply")
MENU_STATUS = N_("📬 My applications")
MENU_PRIVACY = N_("🔒 Privacy")
MENU_LANGUAGE = N_("🌐 Language")
MENU_ROWS = (
    (MENU_CHECK, MENU_ESTIMATE),
    (MENU_DOCUMENTS, MENU_APPLY),
    (MENU_STATUS, MENU_PRIVACY),
    (MENU_LANGUAGE,),
)


def main_menu() -> ReplyKeyboardMarkup:
    """The persistent menu in the current user's language."""
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=_(label)) for label in row] for row in MENU_ROWS],
        resize_keyboard=True,
        is_persistent=True,
    )


# Yes / no / not sure, typed or pressed.
YES = N_("Yes")
NO = N_("No")
NOT_SURE = N_("Not sure")
YES_WORDS = ("да", "иә", "ия", "иа", "yes", "y", "д", "+")
NO_WORDS = ("нет", "жоқ", "жок", "no", "n", "н", "-")
NOT_SURE_WORDS = ("не знаю", "білмеймін", "не уверен", "не уверена", "?", "unknown")


def yes_no_unknown(i18n: I18n, text: str | None) -> str | None:
    """'yes' | 'no' | 'unknown' | None for a typed answer in any language."""
    if matches(i18n, text, YES, YES_WORDS):
        return "yes"
    if matches(i18n, text, NO, NO_WORDS):
        return "no"
    if matches(i18n, text, NOT_SURE, NOT_SURE_WORDS):
        return "unknown"
    return None


BACK = N_("⬅️ Back")
CANCEL = N_("✖️ Cancel")
BACK_WORDS = ("назад", "артқа", "back")
CANCEL_WORDS = ("отмена", "бас тарту", "cancel", "/cancel")


def step(number: int, total: int) -> str:
    """'Шаг 3 из 9' / '9 қадамның 3-қадамы'."""
    return _("Step {number} of {total}").format(number=number, total=total)


# Relation of the applicant to the child (bot.usecases.applications.RELATIONS; domain.md §5).
RELATION_LABELS = {
    "mother": N_("Mother"),
    "father": N_("Father"),
    "guardian": N_("Guardian / trustee"),
    "other": N_("Other legal representative"),
}
