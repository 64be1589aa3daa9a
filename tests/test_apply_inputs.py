"""Issue 12 item 1: a complete application in few parent inputs, counted over the fake Bot
API (every message and button press of the parent, /apply included), and the "step N of M"
shown right on every path."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from bot.data.models import Application
from tests.apply_support import (
    LABELS,
    Person,
    application_inputs,
    joined,
    make_iin,
)
from tests.chat import start_in
from tests.conftest import RunningBot
from tests.tgfake.models import FakeMessage
from tests.tgfake.people import FakeUser
from tests.tgfake.server import FakeTelegram

FATHER_IIN = make_iin(dt.date(1983, 6, 1), "3", 55)
STEP = {"ru": re.compile(r"Шаг (\d+) из (\d+)"), "kk": re.compile(r"(\d+) қадамның (\d+)-қадамы")}


class Parent:
    """The parent's side of the chat: every input counted, every step marker collected."""

    def __init__(self, user: FakeUser, language: str) -> None:
        self.user, self.language, self.inputs = user, language, 0
        self.steps: list[tuple[int, int]] = []

    def _seen(self, replies: list[FakeMessage]) -> list[FakeMessage]:
        for found in STEP[self.language].finditer(joined(replies)):
            first, second = int(found.group(1)), int(found.group(2))
            # ru "Шаг n из m", kk "m қадамның n-қадамы"
            self.steps.append((first, second) if self.language == "ru" else (second, first))
        return replies

    async def send(self, text: str) -> list[FakeMessage]:
        self.inputs += 1
        return self._seen(await self.user.send(text))

    async def press(self, label: str, **kwargs: Any) -> list[FakeMessage]:
        self.inputs += 1
        return self._seen(await self.user.press(label, **kwargs))

    async def contact(self, phone: str) -> list[FakeMessage]:
        self.inputs += 1
        return self._seen(await self.user.send_contact(phone))

    async def document(self, *args: Any, **kwargs: Any) -> list[FakeMessage]:
        self.inputs += 1
        return self._seen(await self.user.send_document(*args, **kwargs))

    async def photo(self, **kwargs: Any) -> list[FakeMessage]:
        self.inputs += 1
        return self._seen(await self.user.send_photo(**kwargs))


async def full_application(parent: Parent, person: Person) -> list[FakeMessage]:
    """/apply to the number, as a parent does it (the shared description that
    bench/dialog.py replays too)."""
    labels = LABELS[parent.language]
    replies: list[FakeMessage] = []
    for step in application_inputs(parent.language, person):
        if step.kind == "text":
            replies = await parent.send(step.value)
        elif step.kind == "press":
            replies = await parent.press(labels[step.label])
        elif step.kind == "contact":
            replies = await parent.contact(step.value)
        elif step.kind == "document":
            replies = await parent.document(step.value, "application/pdf")
        else:
            replies = await parent.photo(size=300_000)
    return replies


@pytest.mark.parametrize(
    ("language", "relation", "inputs", "total"),
    [("ru", "mother", 15, 11), ("kk", "father", 15, 11), ("ru", "guardian", 16, 12)],
)
async def test_a_full_application_in_few_inputs_with_a_right_step_count(
    running: RunningBot, tg: FakeTelegram, language: str, relation: str, inputs: int, total: int
) -> None:
    user = tg.user(2701 + len(relation) + (language == "kk"), language_code=language)
    await start_in(user, language)
    parent = Parent(user, language)
    person = Person(relation=relation, iin=(FATHER_IIN if relation == "father" else Person().iin))
    replies = await full_application(parent, person)
    assert "ALA-2025-000001" in joined(replies)
    assert parent.inputs == inputs
    assert parent.inputs <= (17 if relation == "guardian" else 15)
    # every question told its place: 1, 2, … M of one M, none skipped or repeated
    assert parent.steps == [(number, total) for number in range(1, total + 1)]
    async with running.app.context.sessionmaker() as session:
        [application] = list(await session.scalars(select(Application)))
    assert application.applicant_surname == person.surname
    assert application.applicant_name == person.name
    assert application.applicant_patronymic == person.patronymic
    assert application.child_birth == dt.date(2015, 3, 2)  # from the child's IIN
    assert application.phone == "+77012345678"
    assert application.certificate_number == "15/2025"
