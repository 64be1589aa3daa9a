"""/export never hands a spreadsheet a formula (OWASP CSV injection, issue 11.5):
what a parent typed comes back as text, in the applications and the audit file."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import RunningBot
from tests.staff_kit import (
    card_of,
    running_staffbot,
    staff,
    submit_application,
    wait_outbox_idle,
    wait_text,
)
from tests.tgfake.server import FakeTelegram

HYPERLINK = '=HYPERLINK("http://evil","x")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.fixture
async def staffbot(tg: FakeTelegram, make_settings: Any) -> AsyncIterator[RunningBot]:
    async with running_staffbot(tg, make_settings) as bot:
        yield bot


def _rows(tg: FakeTelegram, document: Any) -> list[dict[str, str]]:
    text = tg.file(document.data["document"]["file_id"]).read().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


async def test_export_neutralises_formulas_from_parents(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    parent = tg.user(3101, language_code="ru")
    application_id = await submit_application(
        staffbot.app, tg, parent, "ru", child_name="+1-2 Омаров", surname="\tОмарова"
    )
    member = staff(tg)
    card = await card_of(staffbot.app, tg, application_id)
    await member.reply(card, "Уточните, пожалуйста, адрес.")
    question = await wait_text(tg, parent.id, "Уточните, пожалуйста, адрес.")
    for answer in (HYPERLINK, DDE, "-1+2"):
        await parent.reply(question, answer)
    await wait_outbox_idle(staffbot.app, tg)

    replies = await member.send("/export")
    documents = [
        r
        for r in replies
        if r.kind == "document" and r.data["document"]["file_name"].endswith(".csv")
    ]
    assert len(documents) == 2
    applications, audit = _rows(tg, documents[0]), _rows(tg, documents[1])
    assert [(r["applicant"], r["child"]) for r in applications] == [
        ("'\tОмарова Айгерим Серікқызы", "'+1-2 Омаров")
    ]
    answers = [a["comment"] for a in audit if a["action"] == "answer"]
    assert answers == ["'" + HYPERLINK, "'" + DDE, "'-1+2"]
    # nothing else in either file starts like a formula
    for row in applications + audit:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
