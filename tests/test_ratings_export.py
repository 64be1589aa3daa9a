"""Staff read the parents' ratings in /export (issue 12 item 6): the XLSX file's third
sheet, in the staff language (kk, ru), over the fake Bot API — application number,
occasion, score (a number), comment (text, never a formula, empty when none or erased
by /deletedata), the day of the answer (a date, Asia/Almaty); no name, no IIN; a
skipped or unanswered question is no row."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.usecases.transitions import StaffMember, mark_quarter_paid, perform
from core.status import Action
from tests.conftest import RunningBot
from tests.staff_kit import running_staffbot, staff, submit_application, wait_outbox_idle
from tests.test_feedback import WORDING, quarter_ids, rating_questions
from tests.test_privacy import WORDS
from tests.tgfake.people import FakeUser
from tests.tgfake.server import FakeTelegram

MEMBER = StaffMember(501, "Гүлнар")
FORMULA = '=HYPERLINK("http://evil","x")'
ERASED = "Айгерим, мой телефон +77011234567"

SHEET = {
    "ru": {
        "title": "Оценки",
        "headers": ["№ заявления", "Когда спросили", "Оценка (1–5)", "Комментарий", "Дата оценки"],
        "decision": "после решения",
        "payment": "после первой выплаты",
    },
    "kk": {
        "title": "Бағалар",
        "headers": ["Өтініш №", "Қашан сұралды", "Баға (1–5)", "Пікір", "Бағаланған күні"],
        "decision": "шешімнен кейін",
        "payment": "алғашқы төлемнен кейін",
    },
}


@pytest.fixture(params=["kk", "ru"])
async def staffbot(
    request: pytest.FixtureRequest, tg: FakeTelegram, make_settings: Any
) -> AsyncIterator[RunningBot]:
    async with running_staffbot(tg, make_settings, default_locale=request.param) as bot:
        yield bot


async def decided(bot: RunningBot, tg: FakeTelegram, parent: FakeUser, **answers: Any) -> int:
    """An approved application of ``parent``; the rating question has reached the parent."""
    application_id = await submit_application(bot.app, tg, parent, "ru", **answers)
    await perform(bot.app.context, application_id, Action.TAKE, MEMBER)
    await perform(bot.app.context, application_id, Action.APPROVE, MEMBER)
    await wait_outbox_idle(bot.app, tg)
    return application_id


async def score(
    bot: RunningBot, parent: FakeUser, value: str, at: dt.datetime, comment: str | None
) -> None:
    """The parent answers the newest question at ``at`` (Asia/Almaty), then comments or
    presses «No comment»."""
    bot.clock.fixed = at
    replies = await parent.press(value, message=rating_questions(bot.tg, parent.id)[-1])
    if comment is None:
        await parent.press(WORDING["ru"]["no_comment"], message=replies[-1])
    else:
        assert [r.text for r in await parent.send(comment)] == [WORDING["ru"]["stored"]]


async def test_export_has_the_ratings_sheet_with_typed_cells_and_no_erased_comment(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    language = staffbot.settings.default_locale
    words = SHEET[language]
    # application 1: 4 after the decision (answered at 02:00 Almaty: the day before in UTC)
    # with a comment that starts like a formula; 5 after the first payment, no comment
    first = tg.user(7501, language_code="ru")
    one = await decided(staffbot, tg, first)
    await score(staffbot, first, "4", dt.datetime(2025, 11, 16, 2, 0), FORMULA)
    paid = (await quarter_ids(staffbot, one))[0]
    await mark_quarter_paid(staffbot.app.context, paid, MEMBER)
    await wait_outbox_idle(staffbot.app, tg)
    await score(staffbot, first, "5", dt.datetime(2025, 11, 17, 22, 30), None)
    # application 2: 3 with a comment, then the parent deletes their data
    second = tg.user(7502, language_code="ru")
    await decided(staffbot, tg, second, child_iin="160302502002", child_birth="2016-03-02")
    await score(staffbot, second, "3", dt.datetime(2025, 11, 18, 12, 0), ERASED)
    [ask] = await second.send("/deletedata")
    await second.press(WORDS["ru"]["yes_delete"], message=ask)
    # application 3: the question skipped — no row
    third = tg.user(7503, language_code="ru")
    await decided(staffbot, tg, third, child_iin="170302500018", child_birth="2017-03-02")
    await third.press(WORDING["ru"]["skip"], message=rating_questions(tg, third.id)[-1])
    await wait_outbox_idle(staffbot.app, tg)

    replies = await staff(tg).send("/export")
    [xlsx] = [
        r
        for r in replies
        if r.kind == "document" and r.data["document"]["file_name"].endswith(".xlsx")
    ]
    # the caption in the member's language (Russian), the file in the staff language
    caption = "на третьем листе — оценки родителей с их комментариями (3)."
    assert caption in (xlsx.data.get("caption") or "")
    book = load_workbook(io.BytesIO(tg.file(xlsx.data["document"]["file_id"]).read()))
    assert book.sheetnames == ["applications", "audit", words["title"]]
    sheet = book[words["title"]]
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == words["headers"]
    values = [[c.value for c in row] for row in rows[1:]]
    assert values == [
        ["ALA-2025-000001", words["decision"], 4, "'" + FORMULA, dt.datetime(2025, 11, 16)],
        ["ALA-2025-000001", words["payment"], 5, None, dt.datetime(2025, 11, 17)],
        ["ALA-2025-000002", words["decision"], 3, None, dt.datetime(2025, 11, 18)],
    ]
    for number, occasion, rated, comment, day in rows[1:]:
        assert number.data_type == "s" and occasion.data_type == "s"
        assert rated.data_type == "n" and isinstance(rated.value, int)
        assert comment.value is None or comment.data_type == "s"
        assert day.is_date and day.number_format == "DD.MM.YYYY"
    formula_cell = rows[1][3]
    assert formula_cell.data_type == "s"  # text, not a formula ("f")
    assert formula_cell.number_format == "@"
    # no name, no IIN, nothing of the erased comment anywhere in the sheet
    text = " ".join(str(c.value) for row in rows for c in row)
    for personal in ("Омарова", "Айгерим", "900101400122", "150302500123", "+7701"):
        assert personal not in text
