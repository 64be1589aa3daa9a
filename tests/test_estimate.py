"""/estimate over the fake Bot API: the worked examples of domain.md §4, in kk and ru."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bot.views.formatting import money
from tests.chat import start_in
from tests.conftest import RunningBot
from tests.tgfake.server import FakeTelegram
from tests.turn_count import Turns

WORDS = {
    "ru": {
        "step": "Шаг {n} из 3",
        "this_month": "Этот месяц (11.2025)",
        "indefinite": "Бессрочно",
        "unsure": "Не знаю",
        "back": "⬅️ Назад",
        "cancel": "✖️ Отмена",
        "menu": "🧮 Рассчитать выплаты",
        "q_applied": "В каком месяце вы подаёте",
        "q_period": "с какого по какой месяц она действует?",
        "applied_is": "Месяц обращения — {month}:",
        "another": "📅 Другой месяц обращения",
        "period_format": "напишите срок справки в виде ММ.ГГГГ–ММ.ГГГГ",
        "iin_invalid": "Этот ИИН недействителен",
        "q_start": "с какого месяца начинается её срок?",
        "q_end": "По какой месяц включительно действует справка (п. 4)?",
        "q_birth": "Дата рождения ребёнка?",
        "q_disability": "До какой даты установлена инвалидность (п. 5)?",
        "q2": "2025/2026 учебный год, 2-й квартал",
        "q3": "2025/2026 учебный год, 3-й квартал",
        "q4": "2025/2026 учебный год, 4-й квартал",
        "months_q2": "Месяцы: ноябрь 2025 (11.2025), декабрь 2025 (12.2025)",
        "paid_2_2": "Оплачиваемых месяцев: 2 из 2",
        "paid_3_3": "Оплачиваемых месяцев: 3 из 3",
        "paid_2_3": "Оплачиваемых месяцев: 2 из 3",
        "amount": "Сумма: {amount}",
        "total": "Итого: {amount}",
        "to_may": "Выплаты — по 05.2026 включительно: последний месяц справки (п. 4).",
        "turns_18": "ребёнку исполняется 18 лет 10.02.2026; выплата прекращается со следующего месяца (п. 5)",
        "unknown_2027": "Оценка: МРП на 2027 год ещё не известен",
        "unknown_2028": "Оценка: МРП на 2028 год ещё не известен",
        "nothing": "К выплате ничего нет: срок справки заканчивается раньше месяца обращения (п. 4).",
        "new_certificate": "Новая справка на следующий учебный год позволяет подать новое заявление.",
        "not_decision": "Это примерный расчёт, а не решение",
        "end_before_start": "Последний месяц справки не может быть раньше её первого месяца (09.2025).",
        "birth_after": "Дата рождения 20.10.2025 позже месяца обращения (09.2025): выплата назначается с месяца обращения (п. 4) на уже родившегося ребёнка.",
        "month_format": "напишите месяц в виде ММ.ГГГГ",
        "month_impossible": "Такого месяца нет.",
        "empty": "Ответ пустой.",
        "date_impossible": "Такой даты нет в календаре.",
        "future": "Дата рождения не может быть в будущем.",
        "not_text": "Пожалуйста, ответьте текстом или кнопками ниже.",
        "stopped": "Расчёт остановлен. Ничего не сохранено.",
        "typed_this_month": "этот месяц",
        "typed_indefinite": "бессрочно",
    },
    "kk": {
        "step": "3 қадамның {n}-қадамы",
        "this_month": "Осы ай (11.2025)",
        "indefinite": "Мерзімсіз",
        "unsure": "Білмеймін",
        "back": "⬅️ Артқа",
        "cancel": "✖️ Болдырмау",
        "menu": "🧮 Төлемді есептеу",
        "q_applied": "Қай айда өтініш бересіз",
        "q_period": "ол қай айдан қай айға дейін жарамды?",
        "applied_is": "Өтініш берілетін ай — {month}:",
        "another": "📅 Басқа өтініш айы",
        "period_format": "Анықтаманың мерзімін АА.ЖЖЖЖ–АА.ЖЖЖЖ түрінде жазыңыз",
        "iin_invalid": "Бұл ЖСН жарамсыз",
        "q_start": "оның мерзімі қай айдан басталады?",
        "q_end": "Анықтама қай айды қоса алғанда жарамды (4-тармақ)?",
        "q_birth": "Баланың туған күні?",
        "q_disability": "Мүгедектік қай күнге дейін белгіленген (5-тармақ)?",
        "q2": "2025/2026 оқу жылы, 2-тоқсан",
        "q3": "2025/2026 оқу жылы, 3-тоқсан",
        "q4": "2025/2026 оқу жылы, 4-тоқсан",
        "months_q2": "Айлар: 2025 жылғы қараша (11.2025), 2025 жылғы желтоқсан (12.2025)",
        "paid_2_2": "Төленетін айлар саны: 2, тоқсанда барлығы 2 ай",
        "paid_3_3": "Төленетін айлар саны: 3, тоқсанда барлығы 3 ай",
        "paid_2_3": "Төленетін айлар саны: 2, тоқсанда барлығы 3 ай",
        "amount": "Сомасы: {amount}",
        "total": "Барлығы: {amount}",
        "to_may": "Төлем 05.2026 айын қоса алғанда жүргізіледі: анықтаманың соңғы айы (4-тармақ).",
        "turns_18": "бала 10.02.2026 күні 18 жасқа толады; төлем келесі айдан бастап тоқтатылады (5-тармақ)",
        "unknown_2027": "Болжам: 2027 жылғы АЕК әлі белгісіз",
        "unknown_2028": "Болжам: 2028 жылғы АЕК әлі белгісіз",
        "nothing": "Төленетін ештеңе жоқ: анықтаманың мерзімі өтініш берген айға дейін аяқталады (4-тармақ).",
        "new_certificate": "Келесі оқу жылына жаңа анықтама болса, жаңа өтініш беруге болады.",
        "not_decision": "Бұл болжамды есеп, шешім емес",
        "end_before_start": "Анықтаманың соңғы айы оның бірінші айынан (09.2025) бұрын болмайды.",
        "birth_after": "Туған күн (20.10.2025) өтініш берілген айдан (09.2025) кейін келеді: төлем өтініш берілген айдан бастап (4-тармақ) туып қойған балаға ғана тағайындалады.",
        "month_format": "Айды АА.ЖЖЖЖ түрінде жазыңыз",
        "month_impossible": "Мұндай ай жоқ.",
        "empty": "Жауап бос.",
        "date_impossible": "Күнтізбеде мұндай күн жоқ.",
        "future": "Туған күн болашақта болмайды.",
        "not_text": "Мәтінмен немесе төмендегі батырмалармен жауап беріңіз.",
        "stopped": "Есептеу тоқтатылды. Ештеңе сақталмады.",
        "typed_this_month": "осы ай",
        "typed_indefinite": "мерзімсіз",
    },
}
LANGUAGES = ("kk", "ru")


def tenge(amount: str, language: str) -> str:
    """Exactly what Babel writes (no-break spaces), e.g. '100 656,00 ₸'."""
    return money(Decimal(amount), language)


async def begin(tg: FakeTelegram, user_id: int, language: str):  # type: ignore[no-untyped-def]
    user = tg.user(user_id, language_code=language)
    await start_in(user, language)
    replies = await user.send("/estimate")
    return user, replies


@pytest.mark.parametrize("language", LANGUAGES)
async def test_worked_example_1_with_buttons(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    """Applied 15.11.2025 (this month, the default), certificate 09.2025–05.2026, child born
    2015 → 100 656,00 ₸, in 4 turns of the parent (was 6)."""
    w = WORDS[language]
    user = tg.user(4001, language_code=language)
    await start_in(user, language)
    parent = Turns(user)
    replies = await parent.send("/estimate")
    assert w["step"].format(n=1) in replies[-1].text and w["q_period"] in replies[-1].text
    assert w["applied_is"].format(month="11.2025") in replies[-1].text
    assert replies[-1].buttons == [
        ["09.2025–05.2026", "11.2025–05.2026"],  # from the school year's start, from this month
        [w["another"]],
        [w["cancel"]],
    ]
    replies = await parent.press("09.2025–05.2026")
    assert w["step"].format(n=2) in replies[-1].text and w["q_birth"] in replies[-1].text
    replies = await parent.send("02.03.2015")
    assert w["step"].format(n=3) in replies[-1].text and w["q_disability"] in replies[-1].text
    assert replies[-1].buttons[0] == [w["indefinite"], w["unsure"]]
    replies = await parent.press(w["indefinite"])
    assert parent.count == 4

    text = "\n".join(r.text for r in replies)
    assert w["q2"] in text and w["q3"] in text and w["q4"] in text
    assert w["months_q2"] in text
    assert w["paid_2_2"] in text and w["paid_3_3"] in text
    assert w["amount"].format(amount=tenge("31456", language)) in text
    assert text.count(w["amount"].format(amount=tenge("34600", language))) == 2
    assert w["total"].format(amount=tenge("100656", language)) in text
    assert "100\u00a0656,00\u00a0₸" in text
    assert w["to_may"] in text and w["not_decision"] in text
    assert replies[-1].keyboard_buttons  # back to the main menu


@pytest.mark.parametrize("language", LANGUAGES)
async def test_worked_example_3_typed_child_turns_18(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    """As example 1, but the child turns 18 on 10.02.2026: Q3 = 2/3 × 34 600 = 23 066,67; total 54 522,67."""
    w = WORDS[language]
    user = tg.user(4002, language_code=language)
    await start_in(user, language)
    await user.send(w["menu"])
    replies = []
    for typed in ("09.2025-05.2026", "10.02.2008", w["typed_indefinite"]):
        replies = await user.send(typed)
    text = "\n".join(r.text for r in replies)
    assert w["amount"].format(amount=tenge("31456", language)) in text
    assert w["paid_2_3"] in text
    assert w["amount"].format(amount=tenge("23066.67", language)) in text
    assert w["q4"] not in text  # nothing after February
    assert w["total"].format(amount=tenge("54522.67", language)) in text
    assert w["turns_18"] in text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_beyond_the_mrp_table_says_not_yet_known(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    user, _ = await begin(tg, 4003, language)
    replies = await user.press(w["another"])
    assert w["step"].format(n=1) in replies[-1].text and w["q_applied"] in replies[-1].text
    assert replies[-1].buttons == [[w["this_month"]], [w["back"], w["cancel"]]]
    replies = await user.send("09.2027")
    assert w["applied_is"].format(month="09.2027") in replies[-1].text
    for typed in ("09.2027 – 05.2028", "02.03.2015", "31.12.2030"):
        replies = await user.send(typed)
    text = "\n".join(r.text for r in replies)
    assert w["unknown_2027"] in text and w["unknown_2028"] in text
    # a full school year is 32 MRP at the last known MRP (4 325 ₸)
    assert w["total"].format(amount=tenge("138400", language)) in text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_worked_example_4_nothing_payable(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    """Applied 05.06.2026 with a certificate ending 05.2026: nothing payable, p.4, a new certificate helps."""
    w = WORDS[language]
    running.clock.fixed = dt.date(2026, 6, 5)
    user, replies = await begin(tg, 4004, language)
    assert w["applied_is"].format(month="06.2026") in replies[-1].text
    assert replies[-1].buttons[0] == ["09.2025–05.2026"]
    replies = []
    for typed in ("09.2025—05.2026", "02.03.2015"):
        replies = await user.send(typed)
    replies = await user.press(w["indefinite"])
    text = "\n".join(r.text for r in replies)
    assert w["nothing"] in text and w["new_certificate"] in text
    assert w["total"].split(":")[0] not in text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_bad_input_back_and_cancel(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    user, _ = await begin(tg, 4005, language)
    for bad, reason in (
        ("abc", w["period_format"]),
        ("🗓🗓", w["period_format"]),
        ("09.2025", w["period_format"]),
        ("   ", w["empty"]),
        ("13.2025–05.2026", w["month_impossible"]),
        ("x" * 5000, w["period_format"]),
    ):
        replies = await user.send(bad)
        assert reason in replies[0].text and w["step"].format(n=1) in replies[0].text
    replies = await user.send_sticker()
    assert w["not_text"] in replies[0].text and w["q_period"] in replies[0].text

    replies = await user.send("09.2025–08.2025")  # the end before the first month
    assert w["end_before_start"] in replies[0].text and w["step"].format(n=1) in replies[0].text
    await user.send("09.2025–05.2026")
    for bad, reason in (
        ("31.02.2025", w["date_impossible"]),
        ("01.01.2030", w["future"]),
        ("150302510002", w["iin_invalid"]),  # a wrong control digit
    ):
        replies = await user.send(bad)
        assert reason in replies[0].text and w["step"].format(n=2) in replies[0].text

    # back to step 1, change the end month; the month of application is kept
    replies = await user.press(w["back"])
    assert w["step"].format(n=1) in replies[-1].text
    await user.send("09.2025–12.2025")
    replies = await user.send("150302510001")  # the child's IIN: born 02.03.2015
    assert w["step"].format(n=3) in replies[-1].text
    replies = await user.press(w["indefinite"])
    text = "\n".join(r.text for r in replies)
    assert w["total"].format(amount=tenge("31456", language)) in text

    user, _ = await begin(tg, 4006, language)
    replies = await user.send("/cancel")
    assert w["stopped"] in replies[-1].text
    user, _ = await begin(tg, 4007, language)
    await user.send("09.2025–05.2026")
    replies = await user.press(w["cancel"])
    assert w["stopped"] in replies[-1].text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_birth_after_the_application_month_is_asked_again(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    """Applied 09.2025, child "born" 20.10.2025 (before today, after the application month):
    refused with the reason (p.4), step 2 asked again; the earlier answers are kept."""
    w = WORDS[language]
    user, _ = await begin(tg, 4008, language)
    await user.press(w["another"])
    for typed in ("09.2025", "09.2025–05.2026"):
        await user.send(typed)
    replies = await user.send("20.10.2025")
    assert len(replies) == 1
    assert w["birth_after"] in replies[0].text
    assert w["step"].format(n=2) in replies[0].text and w["q_birth"] in replies[0].text
    # A birth inside the application month is possible: accepted, step 3 comes.
    replies = await user.send("30.09.2025")
    assert w["step"].format(n=3) in replies[-1].text
    replies = await user.press(w["back"])
    assert w["step"].format(n=2) in replies[-1].text
    await user.send("02.03.2015")
    replies = await user.press(w["indefinite"])
    text = "\n".join(r.text for r in replies)
    # 09.2025–05.2026 kept from the first answers: the whole school year, 32 MRP.
    assert w["q2"] in text and w["q4"] in text
    assert w["total"].format(amount=tenge("132112", language)) in text
