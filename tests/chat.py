"""Small steps shared by the chat tests."""

from __future__ import annotations

from tests.tgfake.people import FakeUser

LANGUAGE_BUTTONS = {"kk": "Қазақша", "ru": "Русский"}


async def start_in(user: FakeUser, language: str) -> None:
    """/start, then choose the language (its button may carry a ✓)."""
    await user.send("/start")
    name = LANGUAGE_BUTTONS[language]
    last = user.last
    assert last is not None
    label = next(text for row in last.buttons for text in row if text.endswith(name))
    await user.press(label)


def texts(messages: list) -> str:  # type: ignore[type-arg]
    """All texts of a list of bot messages, one string (for `in` checks)."""
    return "\n".join(m.text or "" for m in messages)
