"""Counting a parent's own turns over the fake Bot API (issue 12): every message sent and
every button pressed is one turn, the command included."""

from __future__ import annotations

from typing import Any

from tests.tgfake.people import FakeUser


class Turns:
    """A user whose sends and presses are counted in `count`."""

    def __init__(self, user: FakeUser) -> None:
        self.user = user
        self.count = 0

    async def send(self, text: str, **kwargs: Any) -> Any:
        self.count += 1
        return await self.user.send(text, **kwargs)

    async def press(self, label: str, **kwargs: Any) -> Any:
        self.count += 1
        return await self.user.press(label, **kwargs)
