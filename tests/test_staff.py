"""The staff chat over the fake Bot API: the card, take, approve, refuse on each
p.8 ground, request documents, mark paid — and what the parent receives, in kk
and in ru, exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.views.status import GROUND_TEXTS
from tests.conftest import STAFF_CHAT_ID, RunningBot
from tests.staff_kit import (
    application,
    card_of,
    messages_with,
    running_staffbot,
    staff,
    submit_application,
    wait_outbox_idle,
    wait_text,
)
from tests.tgfake.server import FakeTelegram


@pytest.fixture
async def staffbot(tg: FakeTelegram, make_settings: Any) -> AsyncIterator[RunningBot]:
    async with running_staffbot(tg, make_settings) as bot:
        yield bot


APPROVED = {
    "kk": "✅ Сіздің № ALA-2025-000001 өтінішіңіз мақұлданды",
    "ru": "✅ Ваше заявление ALA-2025-000001 одобрено",
}
TAKEN = {
    "kk": "🔎 Сіздің № ALA-2025-000001 өтінішіңіз қарауға алынды",
    "ru": "🔎 Ваше заявление ALA-2025-000001 принято на рассмотрение",
}
Q2 = {
    "kk": "2025/2026 оқу жылының 2-тоқсаны (2025 жылғы қараша, 2025 жылғы желтоқсан): 31\xa0456,00\xa0₸",
    "ru": "2-й квартал 2025/2026 учебного года (ноябрь 2025, декабрь 2025): 31\xa0456,00\xa0₸",
}
TOTAL = {"kk": "Барлығы: 100\xa0656,00\xa0₸", "ru": "Итого: 100\xa0656,00\xa0₸"}
PAID = {
    "kk": "💰 Төленді: 2025/2026 оқу жылының 2-тоқсаны (2025 жылғы қараша, 2025 жылғы желтоқсан) — 31\xa0456,00\xa0₸.",
    "ru": "💰 Выплачено: 2-й квартал 2025/2026 учебного года (ноябрь 2025, декабрь 2025) — 31\xa0456,00\xa0₸.",
}


async def test_the_card_shows_the_application_the_estimate_and_the_allowed_buttons(
    staffbot: RunningBot, tg: FakeTelegram
) -> None:
    parent = tg.user(2001, language_code="kk")
    application_id = await submit_application(staffbot.app, tg, parent, "kk")
    card = await card_of(staffbot.app, tg, application_id)
    text = card.text or ""
    assert "📝 Заявление ALA-2025-000001" in text
    assert "Статус: отправлено" in text
    assert "Омарова Айгерим Серікқызы" in text and "150302500123" in text
    assert "School No. 5 <Alatau>" in text  # escaped in HTML, shown as typed
    assert "Проверка права по данным заявления: ❓ нужна проверка" in text
    assert "2-й квартал 2025/2026 (11.2025, 12.2025): 31\xa0456,00\xa0₸" in text
    assert "Итого: 100\xa0656,00\xa0₸" in text
    assert card.buttons == [
        ["🔎 Взять в работу", "⛔ Отказать"],
        ["🏛 № официального обращения", "📜 История"],
    ]
    # the certificate follows the card, as a reply to it
    file = await wait_text(tg, STAFF_CHAT_ID, "ALA-2025-000001 · Справка")
    assert file.reply_to_message_id == card.message_id and file.kind == "document"


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_take_approve_and_mark_paid_tell_the_parent_once(
    staffbot: RunningBot, tg: FakeTelegram, language: str
) -> None:
    parent = tg.user(2002, language_code=language)
    application_id = await submit_application(staffbot.app, tg, parent, language)
    card = await card_of(staffbot.app, tg, application_id)
    member = staff(tg)

    await member.press("🔎 Взять в работу", message=card)
    await wait_text(tg, parent.id, TAKEN[language])
    card = await card_of(staffbot.app, tg, application_id)
    assert "Статус: на рассмотрении" in (card.text or "")
    assert "Последнее действие: принято на рассмотрение — Гүлнар, 15.11.2025" in (card.text or "")
    assert card.buttons == [
        ["📎 Запросить документы", "✅ Одобрить"],
        ["⛔ Отказать", "🏛 № официального обращения"],
        ["📜 История"],
    ]

    await member.press("✅ Одобрить", message=card)
    confirm = tg.messages(STAFF_CHAT_ID)[-1]
    assert "Одобрить заявление ALA-2025-000001?" in (confirm.text or "")
    assert "100\xa0656,00\xa0₸" in (confirm.text or "")
    await member.press("✅ Да, одобрить", message=confirm)
    approved = await wait_text(tg, parent.id, APPROVED[language])
    assert Q2[language] in (approved.text or "")
    assert TOTAL[language] in (approved.text or "")
    card = await card_of(staffbot.app, tg, application_id)
    assert "Статус: одобрено" in (card.text or "")
    assert "2-й квартал 2025/2026 (11.2025, 12.2025): 31\xa0456,00\xa0₸ — запланировано" in (
        card.text or ""
    )
    assert ["💰 Отметить выплату квартала", "⚠️ Записать переплату"] in card.buttons

    await member.press("💰 Отметить выплату квартала", message=card)
    picker = tg.messages(STAFF_CHAT_ID)[-1]
    assert picker.buttons[0] == ["2-й квартал 2025/2026 — 31\xa0456,00\xa0₸"]
    await member.press("2-й квартал 2025/2026 — 31\xa0456,00\xa0₸", message=picker)
    confirm = tg.group(STAFF_CHAT_ID).chat.messages[picker.message_id]
    assert "31\xa0456,00\xa0₸" in (confirm.text or "") and "2025/2026" in (confirm.text or "")
    assert (await application(staffbot.app, application_id)).status == "approved"
    assert not messages_with(tg, parent.id, PAID[language])  # nothing before the confirmation
    await member.press("✅ Да, выплачено", message=confirm)
    await wait_text(tg, parent.id, PAID[language])
    card = await card_of(staffbot.app, tg, application_id)
    assert "— выплачено 15.11.2025" in (card.text or "")

    await wait_outbox_idle(staffbot.app, tg)
    assert len(messages_with(tg, parent.id, TAKEN[language])) == 1
    assert len(messages_with(tg, parent.id, APPROVED[language])) == 1
    assert len(messages_with(tg, parent.id, PAID[language])) == 1
    # and the rating question after the decision and after the first payment (issue 12 item 6)
    assert len(tg.messages(parent.id)) == 3 + 2
    stored = await application(staffbot.app, application_id)
    assert stored.status == "approved" and stored.assigned_staff_id == 501


@pytest.mark.parametrize("ground", [1, 2, 3, 4])
@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_refusal_names_the_ground_and_the_appeal_route(
    staffbot: RunningBot, tg: FakeTelegram, language: str, ground: int
) -> None:
    parent = tg.user(2100 + ground * 10 + (language == "ru"), language_code=language)
    application_id = await submit_application(staffbot.app, tg, parent, language)
    card = await card_of(staffbot.app, tg, application_id)
    member = staff(tg)
    await member.press("⛔ Отказать", message=card)
    picker = tg.messages(STAFF_CHAT_ID)[-1]
    assert "выберите основание из п. 8" in (picker.text or "")
    label = next(text for row in picker.buttons for text in row if text.startswith(f"{ground})"))
    await member.press(label, message=picker)
    prompt = tg.messages(STAFF_CHAT_ID)[-1]
    assert prompt.data.get("reply_markup", {}).get("force_reply") or "ответьте комментарием" in (
        prompt.text or ""
    )
    await member.reply(prompt, "Справка <без печати> школы")
    refusal_text = {
        "kk": "⛔ Сіздің № ALA-2025-000001 өтінішіңіз бойынша бас тарту туралы шешім қабылданды",
        "ru": "⛔ По вашему заявлению ALA-2025-000001 принято решение об отказе",
    }
    notice = await wait_text(tg, parent.id, refusal_text[language])
    text = notice.text or ""
    ground_words = staffbot.app.context.i18n.gettext(GROUND_TEXTS[ground], locale=language)
    assert ground_words in text
    if language == "ru":
        assert f"Основание: пп. {ground}) п. 8" in text
        assert (
            "Решение можно обжаловать (п. 10)" in text
            and "п. 14 Правил № 84" in text
            and "в суд" in text
        )
        assert "Комментарий отдела: Справка <без печати> школы" in text
    else:
        assert f"Негіз: 8-тармақтың {ground}) тармақшасы" in text
        assert (
            "Шешімге шағымдануға болады (10-тармақ)" in text
            and "14-тармағында" in text
            and "сотқа" in text
        )
        assert "Бөлімнің түсініктемесі: Справка <без печати> школы" in text
    stored = await application(staffbot.app, application_id)
    assert stored.status == "rejected" and stored.refusal_ground == ground
    card = await card_of(staffbot.app, tg, application_id)
    assert "Статус: отказано" in (card.text or "")
    assert f"Основание: пп. {ground}) п. 8" in (card.text or "")
    assert card.buttons == [["📜 История"]]
    await wait_outbox_idle(staffbot.app, tg)
    assert len(messages_with(tg, parent.id, refusal_text[language])) == 1


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_documents_requested_and_the_parent_answers_with_a_file(
    staffbot: RunningBot, tg: FakeTelegram, language: str
) -> None:
    parent = tg.user(2201 if language == "kk" else 2202, language_code=language)
    application_id = await submit_application(staffbot.app, tg, parent, language)
    member = staff(tg)
    card = await card_of(staffbot.app, tg, application_id)
    await member.press("🔎 Взять в работу", message=card)
    await member.press("📎 Запросить документы", message=card)
    prompt = tg.messages(STAFF_CHAT_ID)[-1]
    await member.reply(prompt, "Справка со сроком обучения на 2025/2026 учебный год")
    asked = {
        "kk": "📎 Бөлім № ALA-2025-000001 өтініш бойынша құжаттарды сұрайды.",
        "ru": "📎 Отдел запрашивает документы по заявлению ALA-2025-000001.",
    }
    request = await wait_text(tg, parent.id, asked[language])
    assert "Справка со сроком обучения на 2025/2026 учебный год" in (request.text or "")
    assert (await application(staffbot.app, application_id)).status == "documents_requested"

    # The parent answers with a photo (no reply needed: documents are requested).
    await parent.send_photo(caption="вот справка")
    received = {
        "kk": "📨 Рақмет: № ALA-2025-000001 өтініш бойынша құжаттарыңыз бөлімге берілді.",
        "ru": "📨 Спасибо: ваши документы по заявлению ALA-2025-000001 переданы в отдел.",
    }
    await wait_text(tg, parent.id, received[language])
    copy = await wait_text(tg, STAFF_CHAT_ID, "💬 Ответ заявителя, заявление ALA-2025-000001:")
    assert copy.reply_to_message_id == card.message_id
    assert "вот справка" in (copy.text or "")
    stored = await application(staffbot.app, application_id)
    assert stored.status == "in_review"

    # A staff reply to the parent's answer goes back to the parent ...
    await member.reply(copy, "Спасибо, получили. Ждите решения.")
    department = {"kk": "✉️ ", "ru": "✉️ Сообщение от"}
    message = await wait_text(tg, parent.id, "Спасибо, получили. Ждите решения.")
    assert (message.text or "").startswith(department[language])
    # ... and the parent's reply to it comes back to the card's thread.
    replies = await parent.reply(message, "Хорошо, спасибо!")
    passed = {
        "kk": "✉️ Бөлімге жіберілді (№ ALA-2025-000001 өтініш).",
        "ru": "✉️ Передано в отдел (заявление ALA-2025-000001).",
    }
    assert [r.text for r in replies] == [passed[language]]
    answer = await wait_text(tg, STAFF_CHAT_ID, "Хорошо, спасибо!")
    assert answer.reply_to_message_id == card.message_id
    await wait_outbox_idle(staffbot.app, tg)
    assert len(messages_with(tg, parent.id, received[language])) == 1
