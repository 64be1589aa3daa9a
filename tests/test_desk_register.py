"""The quarterly payment register in the staff group (issue 13 item 2) and the XLSX
export (item 5), over the fake Bot API: `/register 2025/2026 Q3` sends an XLSX file,
downloaded here and checked cell by cell against core's schedule (Q3 = January–March
2026, across the new year, with a termination in February); terminated, refused,
withdrawn and unreachable applications are on the second sheet with the reason;
"Mark register paid" marks each quarter once (audit rows and parent messages
counted), pressing it again does nothing; a formula typed as a parent's name comes
back as text in every exported file (register XLSX, export CSV and XLSX)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from bot.data.models import Application, AuditEntry, PaymentQuarter
from bot.usecases.transitions import StaffMember, perform, record_termination
from core.months import Month
from core.schedule import EstimateRequest, Stop, StopReason, estimate
from core.status import Action, Actor
from tests.conftest import STAFF_CHAT_ID, RunningBot
from tests.staff_kit import running_staffbot, staff, submit_application, wait_outbox_idle
from tests.tgfake.models import FakeMessage
from tests.tgfake.server import FakeTelegram

EVIL = '=HYPERLINK("http://evil","x")'
FORMULA = ("=", "+", "-", "@", "\t", "\r")
STAFF = StaffMember(501, "Гүлнар")
Q3_PAID_RU = "💰 Выплачено: 3-й квартал 2025/2026 учебного года"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> dict[str, str]:
    """The register runs on SQLite and on PostgreSQL (row locks, guarded updates)."""
    if request.param == "sqlite":
        return {}
    url: str = request.getfixturevalue("pg_url")
    return {"database_url": url}


@pytest.fixture
async def staffbot(
    tg: FakeTelegram, make_settings: Any, database: dict[str, str]
) -> AsyncIterator[RunningBot]:
    async with running_staffbot(tg, make_settings, **database) as bot:
        yield bot


async def _approve(bot: RunningBot, application_id: int) -> None:
    await perform(bot.app.context, application_id, Action.TAKE, STAFF)
    await perform(bot.app.context, application_id, Action.APPROVE, STAFF)


async def _setup(bot: RunningBot, tg: FakeTelegram) -> dict[str, int]:
    """On 15.11.2025 (certificate 09.2025–05.2026): A approved (its parent's surname is a
    formula), B approved then terminated on 10.02.2026 (Q3 keeps January and
    February), C approved then terminated on 15.12.2025 (Q3 cancelled), D refused
    (p.8(2)), E withdrawn, F approved with an unreachable parent."""
    app = bot.app
    ids: dict[str, int] = {}
    for index, name in enumerate("ABCDEF"):
        extra: dict[str, Any] = {"surname": EVIL} if name == "A" else {}
        ids[name] = await submit_application(
            app, tg, tg.user(4101 + index, language_code="ru"), "ru", **extra
        )
    for name in "ABCF":
        await _approve(bot, ids[name])
    await perform(app.context, ids["D"], Action.TAKE, STAFF)
    await perform(app.context, ids["D"], Action.REJECT, STAFF, ground=2, comment="нет")
    await perform(app.context, ids["E"], Action.WITHDRAW, StaffMember(4105), actor=Actor.PARENT)
    async with app.context.sessionmaker() as session, session.begin():
        await session.execute(
            update(Application).where(Application.id == ids["F"]).values(parent_unreachable=True)
        )
    bot.clock.fixed = dt.date(2025, 12, 20)
    await record_termination(
        app.context, ids["C"], StopReason.STATE_INSTITUTION, dt.date(2025, 12, 15), STAFF
    )
    await wait_outbox_idle(app, tg)
    return ids


def _download(tg: FakeTelegram, message: FakeMessage) -> bytes:
    return tg.file(message.data["document"]["file_id"]).read()


def _expected_q3(stops: tuple[Stop, ...] = ()) -> Any:
    result = estimate(
        EstimateRequest(
            applied=dt.date(2025, 11, 15),
            certificate_end=Month(2026, 5),
            birth=dt.date(2015, 3, 2),
            certificate_start=Month(2025, 9),
            stops=stops,
        )
    )
    return next(q for q in result.quarters if (q.school_year, q.quarter) == ("2025/2026", 3))


def _no_formula(book: Any) -> None:
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA), (ws.title, cell.coordinate)


async def _count(bot: RunningBot, action: str) -> int:
    async with bot.app.context.sessionmaker() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
            )
            or 0
        )


async def _register(member: Any, args: str) -> FakeMessage:
    replies = await member.send(f"/register {args}")
    documents = [r for r in replies if r.kind == "document"]
    assert len(documents) == 1, [r.text for r in replies]
    return documents[0]


async def test_register_q3_cell_by_cell_and_marked_paid_once(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    ids = await _setup(staffbot, tg)
    member = staff(tg)

    # Q2 first (quarters are paid in order, p.7): its register marked paid in December.
    q2 = await _register(member, "2025/2026 Q2")
    replies = await member.press("💰 Отметить реестр выплаченным", message=q2)
    await member.press("✅ Да, выплачено", message=replies[-1])
    await wait_outbox_idle(staffbot.app, tg)

    # February 2026: B's child goes to a state institution on 10.02.2026 (p.5).
    staffbot.clock.fixed = dt.date(2026, 2, 20)
    await record_termination(
        staffbot.app.context, ids["B"], StopReason.STATE_INSTITUTION, dt.date(2026, 2, 10), STAFF
    )
    await wait_outbox_idle(staffbot.app, tg)

    document = await _register(member, "2025/2026 Q3")
    assert document.data["document"]["file_name"] == "register-2025-2026-Q3.xlsx"
    assert "57\xa0666,67\xa0₸" in (document.text or "")
    book = load_workbook(io.BytesIO(_download(tg, document)))
    assert book.sheetnames == ["Реестр 2025-2026, 3 кв.", "Не выплачивается"]
    ws = book.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header == [
        "№ заявления",
        "Получатель (ФИО)",
        "ИИН",
        "IBAN",
        "Оплачиваемые месяцы",
        "Число месяцев",
        "МРП за месяц, ₸",
        "Сумма, ₸",
    ]
    full = _expected_q3()
    cut = _expected_q3((Stop(StopReason.STATE_INSTITUTION, dt.date(2026, 2, 10)),))
    assert (full.amount, cut.amount) == (Decimal("34600.00"), Decimal("23066.67"))
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert rows[:2] == [
        [
            "ALA-2025-000001",
            "'" + EVIL + " Айгерим Серікқызы",
            "900101400122",
            "KZ86125KZT5004100100",
            "01.2026, 02.2026, 03.2026",
            3,
            4325,
            34600,
        ],
        [
            "ALA-2025-000002",
            "Омарова Айгерим Серікқызы",
            "900101400122",
            "KZ86125KZT5004100100",
            "01.2026, 02.2026",
            2,
            4325,
            23066.67,
        ],
    ]
    # the same numbers as core's schedule
    assert [m.display() for m in full.months] == rows[0][4].split(", ")
    assert [m.display() for m in cut.months] == rows[1][4].split(", ")
    assert Decimal(str(rows[0][7])) == full.amount and Decimal(str(rows[1][7])) == cut.amount
    assert list(full.mrp) == [rows[0][6]] * 3
    total = rows[2]
    assert total[0] == "Итого" and Decimal(str(total[7])) == full.amount + cut.amount
    assert len(rows) == 3
    # typed cells: money as numbers with the tenge format, IIN/IBAN as text
    assert ws["H2"].data_type == "n" and "₸" in ws["H2"].number_format
    assert ws["C2"].data_type == "s" and ws["C2"].number_format == "@"
    assert ws["D2"].data_type == "s" and ws["F2"].data_type == "n"
    excluded = [[c.value for c in row] for row in book.worksheets[1].iter_rows(min_row=2)]
    assert [(r[0], r[3]) for r in excluded] == [
        (
            "ALA-2025-000003",
            "Выплата прекращена (п. 5): обучение в государственном учреждении, 15.12.2025",
        ),
        ("ALA-2025-000004", "Отказано по основанию пп. 2) п. 8"),
        ("ALA-2025-000005", "Отозвано заявителем"),
        (
            "ALA-2025-000006",
            "Заявитель недоступен (сообщения не доставлены): сначала проверьте контакт",
        ),
    ]
    assert [Decimal(str(r[2])) for r in excluded] == [full.amount] * 4
    _no_formula(book)

    # Mark register paid: confirmation, then one transition per application.
    paid_before = await _count(staffbot, "quarter_paid")
    replies = await member.press("💰 Отметить реестр выплаченным", message=document)
    confirm = replies[-1]
    assert "заявлений — 2, сумма 57\xa0666,67\xa0₸" in (confirm.text or "")
    assert await _count(staffbot, "quarter_paid") == paid_before  # nothing before "yes"
    yes = confirm.find_button("✅ Да, выплачено")
    assert yes is not None
    await member.press("✅ Да, выплачено", message=confirm)
    await wait_outbox_idle(staffbot.app, tg)
    assert await _count(staffbot, "quarter_paid") == paid_before + 2
    told = {
        name: [m for m in tg.messages(4101 + i) if Q3_PAID_RU in (m.text or "")]
        for i, name in enumerate("ABCDEF")
    }
    assert {name: len(found) for name, found in told.items()} == {
        "A": 1,
        "B": 1,
        "C": 0,
        "D": 0,
        "E": 0,
        "F": 0,
    }
    async with staffbot.app.context.sessionmaker() as session:
        statuses = dict(
            (
                await session.execute(
                    select(PaymentQuarter.application_id, PaymentQuarter.status).where(
                        PaymentQuarter.quarter == 3
                    )
                )
            ).all()
        )
    assert statuses[ids["A"]] == statuses[ids["B"]] == "paid"
    assert statuses[ids["F"]] == "planned"

    # Twice: the same "yes" and the file's button again change nothing.
    await member.press_data(str(yes["callback_data"]), message=confirm)
    await member.press("💰 Отметить реестр выплаченным", message=document)
    await wait_outbox_idle(staffbot.app, tg)
    assert await _count(staffbot, "quarter_paid") == paid_before + 2
    for i in range(2):
        assert len([m for m in tg.messages(4101 + i) if Q3_PAID_RU in (m.text or "")]) == 1
    assert member.callback_answers[-1].text == "Нечего отмечать: этот реестр уже выплачен."

    # A new register of Q3 lists them as already paid.
    again = load_workbook(io.BytesIO(_download(tg, await _register(member, "2025/2026 Q3"))))
    assert [r[0].value for r in again.worksheets[0].iter_rows(min_row=2)] == ["Итого"]
    assert "Уже отмечено выплаченным (20.02.2026)" in [
        r[3].value for r in again.worksheets[1].iter_rows(min_row=2)
    ]


async def test_register_refuses_others_and_bad_quarters(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    member = staff(tg)
    replies = await member.send("/register 2025/2027 Q3")
    assert "/register 2025/2026 Q3" in (replies[-1].text or "")
    outsider = tg.group(STAFF_CHAT_ID, "Alatau staff").member(777, "Чужой", "ru")
    replies = await outsider.send("/register 2025/2026 Q3")
    assert [(r.kind, r.text) for r in replies] == [
        ("text", "Эта команда — для сотрудников отдела в чате сотрудников.")
    ]


async def test_export_xlsx_typed_and_no_formula(staffbot: RunningBot, tg: FakeTelegram) -> None:
    ids = await _setup(staffbot, tg)
    member = staff(tg)
    replies = await member.send("/export")
    documents = [r for r in replies if r.kind == "document"]
    names = [d.data["document"]["file_name"] for d in documents]
    assert [n.rsplit(".", 1)[1] for n in names] == ["csv", "csv", "xlsx"]
    text = _download(tg, documents[0]).decode("utf-8-sig")
    csv_rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    for row in csv_rows:
        for value in row:
            assert not value.startswith(FORMULA), value
    book = load_workbook(io.BytesIO(_download(tg, documents[2])))
    _no_formula(book)
    ws = book.worksheets[0]
    xlsx_rows = [[c.value for c in row] for row in ws.iter_rows()]
    # same columns and rows as the CSV
    assert xlsx_rows[0] == csv_rows[0]
    assert len(xlsx_rows) == len(csv_rows) == len(ids) + 1
    columns = csv_rows[0]
    first = dict(zip(columns, xlsx_rows[1], strict=True))
    assert first["applicant"] == "'" + EVIL + " Айгерим Серікқызы"
    assert first["applied_on"] == dt.datetime(2025, 11, 15)
    assert first["schedule_total"] == 100656  # 31 456 + 34 600 + 34 600, a number
    assert ws.cell(row=2, column=columns.index("applicant_iin") + 1).data_type == "s"
    audit = book.worksheets[1]
    audit_csv = _download(tg, documents[1]).decode("utf-8-sig")
    audit_header = next(csv.reader(io.StringIO(audit_csv), delimiter=";"))
    assert [c.value for c in audit[1]] == audit_header


async def test_register_in_kazakh(tg: FakeTelegram, make_settings: Any) -> None:
    """The staff language is Kazakh: sheet and column titles, the total and a reason in kk."""
    async with running_staffbot(tg, make_settings, default_locale="kk") as bot:
        ids = await _setup(bot, tg)
        assert len(ids) == 6
        bot.clock.fixed = dt.date(2026, 1, 20)
        document = await _register(staff(tg), "2025/26 Q3")
        book = load_workbook(io.BytesIO(_download(tg, document)))
    assert book.sheetnames == ["Тізілім 2025-2026, 3-тоқсан", "Төленбейді"]
    ws = book.worksheets[0]
    assert [c.value for c in ws[1]] == [
        "Өтініш №",
        "Алушы (ТАӘ)",
        "ЖСН",
        "IBAN",
        "Төленетін айлар",
        "Айлар саны",
        "Айына АЕК, ₸",
        "Сомасы, ₸",
    ]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert [r[0] for r in rows] == ["ALA-2025-000001", "ALA-2025-000002", "Барлығы"]
    assert Decimal(str(rows[-1][7])) == Decimal("69200.00")
    reasons = [r[3].value for r in book.worksheets[1].iter_rows(min_row=2)]
    assert reasons[1] == "Бас тартылды, негізі: 8-тармақтың 2) тармақшасы"
    _no_formula(book)
