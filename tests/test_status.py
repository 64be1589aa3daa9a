"""/status over the fake Bot API: applications, history, payment schedule, in kk and ru.

The applications under test are written straight into the database (that is the
data /status shows); the conversation itself goes through the fake server.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bot.data.models import Application, AuditEntry, PaymentQuarter
from bot.views.formatting import money
from tests.chat import start_in
from tests.conftest import RunningBot
from tests.tgfake.server import FakeTelegram

UTC = dt.UTC

WORDS = {
    "ru": {
        "menu": "📬 Мои заявления",
        "none": "У вас пока нет заявлений.",
        "count": "Ваши заявления: 3",
        "app": "Заявление № {number}",
        "status": "Статус: {status}",
        "submitted": "отправлено",
        "in_review": "на рассмотрении",
        "documents_requested": "запрошены документы",
        "approved": "одобрено",
        "rejected": "отказано",
        "withdrawn": "отозвано",
        "history": "История:",
        "schedule": "График выплат:",
        "estimate": "Примерные выплаты (график устанавливается после одобрения):",
        "comment": "Комментарий: {comment}",
        "ground": "Основание: пп. 2) п. 8 — «несоответствие заявителя и (или) представленных материалов, объектов, данных и сведений, необходимых для возмещения затрат на обучение»",
        "appeal": "Решение можно обжаловать (п. 10)",
        "q2_paid": "• 2025/2026 учебный год, 2-й квартал: 11.2025, 12.2025 — {amount} — выплачено 20.12.2025",
        "q3_planned": "• 2025/2026 учебный год, 3-й квартал: 01.2026, 02.2026, 03.2026 — {amount} — запланировано",
        "q4_cancelled": "— отменено",
        "total": "Итого: {amount}",
        "withdraw": "↩️ Отозвать заявление {number}",
    },
    "kk": {
        "menu": "📬 Менің өтініштерім",
        "none": "Сізде әзірге өтініш жоқ.",
        "count": "Сіздің өтініштеріңіз: 3",
        "app": "№ {number} өтініш",
        "status": "Мәртебесі: {status}",
        "submitted": "жіберілді",
        "in_review": "қаралуда",
        "documents_requested": "құжаттар сұралды",
        "approved": "мақұлданды",
        "rejected": "бас тартылды",
        "withdrawn": "кері қайтарылды",
        "history": "Тарихы:",
        "schedule": "Төлем кестесі:",
        "estimate": "Болжамды төлемдер (кесте мақұлданғаннан кейін белгіленеді):",
        "comment": "Түсініктеме: {comment}",
        "ground": "Негіз: 8-тармақтың 2) тармақшасы — «өтініш берушінің және (немесе) оқуға жұмсалған шығындарды өтеу үшін қажетті ұсынылған материалдардың, объектілердің, деректер мен мәліметтердің сәйкес келмеуі»",
        "appeal": "Шешімге шағымдануға болады (10-тармақ)",
        "q2_paid": "• 2025/2026 оқу жылы, 2-тоқсан: 11.2025, 12.2025 — {amount} — 20.12.2025 төленді",
        "q3_planned": "• 2025/2026 оқу жылы, 3-тоқсан: 01.2026, 02.2026, 03.2026 — {amount} — жоспарланған",
        "q4_cancelled": "— жойылды",
        "total": "Барлығы: {amount}",
        "withdraw": "↩️ № {number} өтінішті қайтарып алу",
    },
}
LANGUAGES = ("kk", "ru")


def at(day: int, month: int, hour: int = 5, year: int = 2025) -> dt.datetime:
    """A UTC moment; Almaty time is 5 hours later."""
    return dt.datetime(year, month, day, hour, 0, tzinfo=UTC)


def application(
    user_id: int, number: str, status: str, created: dt.datetime, **fields: object
) -> Application:
    values: dict[str, object] = {
        "number": number,
        "user_id": user_id,
        "language": "ru",
        "status": status,
        "applied_on": dt.date(2025, 11, 15),
        "child_name": "Асанов Арман",
        "child_birth": dt.date(2015, 3, 2),
        "certificate_start": "2025-09",
        "certificate_end": "2026-05",
        "created_at": created,
    }
    values.update(fields)
    return Application(**values)


def entry(
    action: str, old: str | None, new: str | None, when: dt.datetime, **fields: object
) -> AuditEntry:
    return AuditEntry(
        action=action,
        old_status=old,
        new_status=new,
        created_at=when,
        actor=fields.pop("actor", "staff"),
        **fields,
    )


async def seed(running: RunningBot, user_id: int) -> None:
    async with running.app.context.sessionmaker() as session:
        approved = application(user_id, "ALA-2025-000001", "approved", at(15, 11))
        approved.audit = [
            entry("submit", None, "submitted", at(15, 11), actor="parent"),
            entry("take", "submitted", "in_review", at(16, 11)),
            entry(
                "request_documents",
                "in_review",
                "documents_requested",
                at(17, 11),
                comment="Нужна справка <школы> & печать",
            ),
            entry(
                "provide_documents", "documents_requested", "in_review", at(18, 11), actor="parent"
            ),
            entry(
                "approve", "in_review", "approved", at(19, 11, hour=20)
            ),  # 01:00 on 20.11 in Almaty
        ]
        approved.quarters = [
            PaymentQuarter(
                school_year="2025/2026",
                quarter=2,
                months=["2025-11", "2025-12"],
                amount=Decimal("31456.00"),
                status="paid",
                paid_at=at(20, 12),
            ),
            PaymentQuarter(
                school_year="2025/2026",
                quarter=3,
                months=["2026-01", "2026-02", "2026-03"],
                amount=Decimal("34600.00"),
                status="planned",
            ),
            PaymentQuarter(
                school_year="2025/2026",
                quarter=4,
                months=["2026-04", "2026-05"],
                amount=Decimal("34600.00"),
                status="cancelled",
            ),
        ]
        rejected = application(user_id, "ALA-2025-000002", "rejected", at(20, 11), refusal_ground=2)
        rejected.audit = [
            entry("submit", None, "submitted", at(20, 11), actor="parent"),
            entry(
                "reject",
                "submitted",
                "rejected",
                at(21, 11),
                ground=2,
                comment="Справка просрочена",
            ),
        ]
        in_review = application(user_id, "ALA-2025-000003", "in_review", at(22, 11))
        in_review.audit = [
            entry("submit", None, "submitted", at(22, 11), actor="parent"),
            entry("take", "submitted", "in_review", at(23, 11)),
        ]
        someone_else = application(user_id + 1, "ALA-2025-000004", "approved", at(23, 11))
        session.add_all([approved, rejected, in_review, someone_else])
        await session.commit()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_no_applications_offers_apply(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    user = tg.user(7001, language_code=language)
    await start_in(user, language)
    for how in ("/status", w["menu"]):
        replies = await user.send(how)
        assert len(replies) == 1
        assert w["none"] in replies[0].text and "/apply" in replies[0].text
        assert replies[0].keyboard_buttons


@pytest.mark.parametrize("language", LANGUAGES)
async def test_applications_newest_first_with_history_and_schedule(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    user = tg.user(7002, language_code=language)
    await start_in(user, language)
    await seed(running, user.id)
    replies = await user.send("/status")
    assert len(replies) == 1
    text = replies[0].text
    assert w["count"] in text
    # only the application still under consideration can be withdrawn (core.status, parent)
    withdraw = [row for row in replies[0].inline_buttons if row[0].startswith("↩️")]
    assert withdraw == [[w["withdraw"].format(number="ALA-2025-000003")]]
    first, second, third = (
        text.index(w["app"].format(number=f"ALA-2025-00000{n}")) for n in (3, 2, 1)
    )
    assert first < second < third, "newest first"
    assert "ALA-2025-000004" not in text, "only the user's own applications"

    approved = text[third:]
    assert w["status"].format(status=w["approved"]) in approved
    assert w["history"] in approved
    assert f"• 15.11.2025 10:00 — {w['submitted']}" in approved
    assert f"• 16.11.2025 10:00 — {w['submitted']} → {w['in_review']}" in approved
    assert f"• 17.11.2025 10:00 — {w['in_review']} → {w['documents_requested']}" in approved
    assert w["comment"].format(comment="Нужна справка <школы> & печать") in approved
    assert "&lt;школы&gt; &amp; печать" in replies[0].raw_text  # escaped in the HTML sent
    assert f"• 20.11.2025 01:00 — {w['in_review']} → {w['approved']}" in approved  # Almaty time
    assert w["schedule"] in approved
    assert w["q2_paid"].format(amount=money(Decimal("31456"), language)) in approved
    assert w["q3_planned"].format(amount=money(Decimal("34600"), language)) in approved
    assert w["q4_cancelled"] in approved
    assert (
        w["total"].format(amount=money(Decimal("66056"), language)) in approved
    )  # cancelled not counted

    rejected = text[second:third]
    assert w["status"].format(status=w["rejected"]) in rejected
    assert w["ground"] in rejected and w["appeal"] in rejected
    assert w["comment"].format(comment="Справка просрочена") in rejected
    assert w["schedule"] not in rejected and w["estimate"] not in rejected

    in_review = text[first:second]
    assert w["status"].format(status=w["in_review"]) in in_review
    assert w["estimate"] in in_review  # no schedule yet: core's estimate for the stored fields
    assert w["total"].format(amount=money(Decimal("100656"), language)) in in_review


@pytest.mark.parametrize("language", LANGUAGES)
async def test_long_status_is_split_without_losing_anything(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    user = tg.user(7003, language_code=language)
    await start_in(user, language)
    async with running.app.context.sessionmaker() as session:
        for n in range(1, 6):
            item = application(user.id, f"ALA-2025-{n:06d}", "documents_requested", at(n, 11))
            item.audit = [
                entry(
                    "request_documents",
                    "in_review",
                    "documents_requested",
                    at(n, 11, hour=h % 24),
                    comment=f"N{n}-{h}: " + "справка & <печать> " * 20,
                )
                for h in range(12)
            ]
            session.add(item)
        huge = application(user.id, "ALA-2025-000099", "rejected", at(10, 11), refusal_ground=1)
        huge.audit = [
            entry(
                "reject",
                "in_review",
                "rejected",
                at(10, 11),
                ground=1,
                comment="слово " * 1000 + "КОНЕЦ",
            )
        ]
        session.add(huge)
        await session.commit()
    replies = await user.send("/status")
    assert len(replies) > 2
    for reply in replies:
        assert len(reply.text.encode("utf-16-le")) // 2 <= 4096
    text = "\n".join(r.text for r in replies)
    for n in range(1, 6):
        for h in range(12):
            assert f"N{n}-{h}: справка & <печать>" in text
    assert text.count("слово") == 1000 and "КОНЕЦ" in text

    # One withdraw button per open application, under the message that ends its block;
    # the refused one has none. The last message carries buttons, so the (persistent)
    # main menu is not sent again.
    def first_with(fragment: str) -> int:
        return next(i for i, r in enumerate(replies) if fragment in r.text)

    for n in range(1, 6):  # newest first: 000099, 5, 4, 3, 2, 1
        label = w["withdraw"].format(number=f"ALA-2025-{n:06d}")
        holders = [i for i, r in enumerate(replies) if [label] in r.inline_buttons]
        assert len(holders) == 1, label
        start = first_with(f"N{n}-11: справка")  # its last history line
        end = (
            first_with(w["app"].format(number=f"ALA-2025-{n - 1:06d}"))
            if n > 1
            else len(replies) - 1
        )
        assert start <= holders[0] <= end, label
    assert not any(
        "ALA-2025-000099" in button for r in replies for row in r.inline_buttons for button in row
    )
    assert [w["withdraw"].format(number="ALA-2025-000001")] in replies[-1].inline_buttons
    assert not any(r.keyboard_buttons for r in replies)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_menu_comes_with_the_last_message_without_buttons(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    user = tg.user(7004, language_code=language)
    await start_in(user, language)
    async with running.app.context.sessionmaker() as session:
        session.add(application(user.id, "ALA-2025-000001", "approved", at(1, 11)))
        session.add(application(user.id, "ALA-2025-000002", "withdrawn", at(2, 11)))
        await session.commit()
    replies = await user.send("/status")
    assert len(replies) == 1
    assert not replies[0].inline_buttons and replies[0].keyboard_buttons


def test_split_never_cuts_an_entity_or_a_tag() -> None:
    from bot.views.status import split_blocks, text_length

    block = "<b>head</b>\n" + "a&amp;" * 1500 + "\n" + "ж" * 5000
    parts = split_blocks(["intro", block, "tail"])
    assert all(text_length(part) <= 4096 for part in parts)
    joined = "".join(parts)
    assert joined.count("&amp;") == 1500 and joined.count("ж") == 5000
    for part in parts:
        assert part.count("&") == part.count("&amp;") == part.count("amp;")  # whole entities only
        assert part.count("<b>") == part.count("</b>")
    assert parts[0].startswith("intro") and parts[-1].endswith("tail")
