"""Answers that cannot be true together are refused in the /apply wizard, or asked to be
confirmed (core.consistency; issue 10 item 4): an applicant IIN of someone under 16, a
child's full name of one word, "father" with a woman's IIN. (A birth date in the future
and a certificate that ends before it starts: tests/test_apply_validation.py.)"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.apply_support import (
    CHILD_IIN,
    LABELS,
    Person,
    answer_all,
    begin,
    joined,
    make_iin,
    step_text,
)
from tests.conftest import RunningBot
from tests.tgfake.server import FakeTelegram

WORDS = {
    "ru": {
        "too_young": "По этому ИИН заявителю меньше 16 лет",
        "p3": "(п. 3)",
        "one_word": "Напишите, пожалуйста, полное ФИО: фамилию и имя",
        "woman_father": "По вашему ИИН вы — женщина, но вы выбрали «Отец». Всё верно?",
        "yes": "✅ Да, всё верно",
        "no": "✏️ Нет, исправить",
        "buttons": "Пожалуйста, выберите одну из кнопок",
        "summary": "Кем приходится ребёнку: Отец",
    },
    "kk": {
        "too_young": "Бұл ЖСН бойынша өтініш берушіге 16 жас толмаған",
        "p3": "(3-тармақ)",
        "one_word": "Толық аты-жөнін жазыңыз: тегі мен аты",
        "woman_father": "ЖСН-іңіз бойынша сіз әйелсіз, бірақ «Әкесі» деп таңдадыңыз. Бәрі дұрыс па?",
        "yes": "✅ Иә, дұрыс",
        "no": "✏️ Жоқ, түзету",
        "buttons": "батырмалардың бірін",
        "summary": "Әкесі",
    },
}


@pytest.mark.parametrize("language", ["ru", "kk"])
async def test_impossible_answers_are_refused_and_an_unusual_one_is_confirmed(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    words, labels = WORDS[language], LABELS[language]
    user = tg.user(2601 if language == "ru" else 2602, language_code=language)
    await begin(user, language)
    await user.send(labels["father"])
    await user.send("Иванова Мария")

    # the child's IIN (or anyone's under 16) at the applicant's IIN: refused, asked again
    replies = await user.send(CHILD_IIN)
    text = joined(replies)
    assert text.lstrip().startswith("❗") and words["too_young"] in text and words["p3"] in text
    assert step_text(language, 2, 11) in text
    fifteen = make_iin(dt.date(2010, 11, 16), "6", 31)  # 16 only on 16.11.2026
    assert words["too_young"] in joined(await user.send(fifteen))

    # a woman's IIN after "father": asked to confirm, never refused silently
    woman = make_iin(dt.date(1990, 1, 1), "4", 12)
    replies = await user.send(woman)
    text = joined(replies)
    assert words["woman_father"] in text
    assert user.keyboard[:2] == [[words["yes"]], [words["no"]]]
    replies = await user.send("что?")  # neither button: the question again
    assert words["buttons"] in joined(replies) and words["woman_father"] in joined(replies)
    replies = await user.send(words["no"])  # correct it: the IIN is asked again
    assert step_text(language, 2, 11) in joined(replies)
    await user.send(woman)
    replies = await user.send(words["yes"])  # it is right: kept, the next step
    assert step_text(language, 3, 11) in joined(replies)
    await user.send("+7 701 234 56 78")
    await user.send("Абая 1")

    # a child's full name of one word: refused, asked again
    replies = await user.send("Нұрлан")
    text = joined(replies)
    assert text.lstrip().startswith("❗") and words["one_word"] in text
    assert step_text(language, 5, 11) in text
    replies = await user.send("Иванов Нұрлан")
    assert step_text(language, 6, 11) in joined(replies)


async def test_a_changed_iin_is_confirmed_against_the_relation(
    running: RunningBot, tg: FakeTelegram
) -> None:
    """Editing the IIN from the summary to a woman's while the relation is «Father» asks
    the same confirmation; «Yes» returns to the summary with both answers kept."""
    words, labels = WORDS["ru"], LABELS["ru"]
    user = tg.user(2603, language_code="ru")
    await begin(user, "ru")
    man = make_iin(dt.date(1984, 7, 7), "3", 40)
    summary = await answer_all(user, "ru", Person(iin=man, relation="father"))
    assert words["summary"] in joined(summary)
    await user.press("✏️ ИИН")
    woman = make_iin(dt.date(1990, 1, 1), "4", 12)
    replies = await user.send(woman)
    assert words["woman_father"] in joined(replies)
    replies = await user.send(words["yes"])
    text = joined(replies)
    assert "Пожалуйста, проверьте заявление" in text and f"ИИН: {woman}" in text
    assert words["summary"] in text
    await user.press(labels["send"])
