"""The words of the bot in Kazakh and Russian (issue 10, items 7 and 8), over the fake Bot API.

What a parent or a staff member reads: Cancel is not the verb of a refusal, month names,
the greeting, the MRP spelled out, the official names in paired quotes, and the refusal
grounds of p.8 quoted as the decision words them.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.chat import start_in, texts
from tests.conftest import STAFF_CHAT_ID, RunningBot
from tests.staff_kit import card_of, running_staffbot, submit_application, wait_text
from tests.tgfake.server import FakeTelegram

# Decision No. 11-36, appendix, p.8 (seed/decision-11-36-ru.txt; its quotes typeset as „…“
# because the bot puts the whole ground in «…»). The Kazakh text renders the same four
# sub-paragraphs in the wording of the state-language texts of these decisions.
GROUNDS = {
    "ru": {
        1: "установление недостоверности документов, представленных заявителем для получения "
        "государственной услуги, и (или) данных (сведений), содержащихся в них",
        2: "несоответствие заявителя и (или) представленных материалов, объектов, данных и "
        "сведений, необходимых для возмещения затрат на обучение",
        3: "отрицательный ответ Государственного учреждения „Отдел занятости и социальных программ "
        "города Алатау Алматинской области“ на запрос о согласовании, который требуется для "
        "возмещения затрат на обучение, а также отрицательное заключение экспертизы, исследования "
        "либо проверки",
        4: "отсутствие согласия заявителя, предоставляемого в соответствии со статьей 8 Закона "
        "Республики Казахстан „О персональных данных и их защите“, на доступ к персональным данным "
        "ограниченного доступа, которые требуются для оказания государственной услуги",
    },
    "kk": {
        1: "өтініш берушінің мемлекеттік көрсетілетін қызметті алу үшін ұсынған құжаттарының және "
        "(немесе) олардағы деректердің (мәліметтердің) анық еместігін анықтау",
        2: "өтініш берушінің және (немесе) оқуға жұмсалған шығындарды өтеу үшін қажетті ұсынылған "
        "материалдардың, объектілердің, деректер мен мәліметтердің сәйкес келмеуі",
        3: "„Алматы облысы Алатау қаласының жұмыспен қамту және әлеуметтік бағдарламалар бөлімі“ "
        "мемлекеттік мекемесінің оқуға жұмсалған шығындарды өтеу үшін талап етілетін келісу туралы "
        "сұрау салуға теріс жауабы, сондай-ақ сараптаманың, зерттеудің не тексерудің теріс "
        "қорытындысы",
        4: "өтініш берушінің мемлекеттік қызметті көрсету үшін талап етілетін, „Дербес деректер және "
        "оларды қорғау туралы“ Қазақстан Республикасы Заңының 8-бабына сәйкес берілетін "
        "қолжетімділігі шектеулі дербес деректерге қол жеткізуге келісімінің болмауы",
    },
}
GROUND_BUTTONS = {
    "ru": [
        ["1) Недостоверность документов"],
        ["2) Несоответствие требованиям"],
        ["3) Отрицательный ответ или заключение"],
        ["4) Нет согласия (ст. 8 Закона)"],
        ["✖️ Отмена"],
    ],
    "kk": [
        ["1) Құжаттар не деректер анық емес"],
        ["2) Талаптарға сәйкес келмеу"],
        ["3) Теріс жауап не қорытынды"],
        ["4) Келісім жоқ (Заңның 8-бабы)"],
        ["✖️ Болдырмау"],
    ],
}
REFUSE = {"ru": "⛔ Отказать", "kk": "⛔ Бас тарту"}
GROUND_LINE = {
    "ru": "Основание: пп. {n}) п. 8 — «{words}».",
    "kk": "Негіз: 8-тармақтың {n}) тармақшасы — «{words}».",
}


async def test_kazakh_cancel_is_not_the_verb_of_a_refusal(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(9101, language_code="kk")
    await start_in(user, "kk")
    replies = await user.send("/estimate")
    assert replies[-1].buttons == [
        ["09.2025–05.2026", "11.2025–05.2026"],
        ["📅 Басқа өтініш айы"],
        ["✖️ Болдырмау"],
    ]
    replies = await user.send("/check")
    assert ["✖️ Болдырмау"] in replies[-1].buttons
    assert all("Бас тарту" not in text for row in replies[-1].buttons for text in row)
    # the label still works when typed, and stops the check
    replies = await user.send("болдырмау")
    assert "Тексеру тоқтатылды. Ештеңе сақталмады." in texts(replies)


async def test_kazakh_month_names_are_lower_case_after_the_year(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(9102, language_code="kk")
    await start_in(user, "kk")
    await user.send("/estimate")
    replies = []
    for typed in ("09.2025–05.2026", "02.03.2015", "мерзімсіз"):
        replies = await user.send(typed)
    text = texts(replies)
    assert "Айлар: 2025 жылғы қараша (11.2025), 2025 жылғы желтоқсан (12.2025)" in text
    assert (
        "Айлар: 2026 жылғы қаңтар (01.2026), 2026 жылғы ақпан (02.2026), 2026 жылғы наурыз (03.2026)"
        in text
    )
    assert "Төленетін айлар саны: 2, тоқсанда барлығы 2 ай" in text
    assert "Төлем 05.2026 айын қоса алғанда жүргізіледі: анықтаманың соңғы айы (4-тармақ)." in text
    for capitalised in ("Қараша", "Желтоқсан", "Қаңтар", "Ақпан", "Наурыз", "Сәуір", "Мамыр"):
        assert capitalised not in text
    assert "8 АЕК (айлық есептік көрсеткіш)" in text


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_the_greeting_comes_from_the_catalogue_in_both_languages(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    i18n = running.app.context.i18n
    greeting = (
        "Hello! This bot helps with the reimbursement of the costs of home education of "
        "children with disabilities in the city of Alatau. Choose the language."
    )
    kk, ru = (i18n.gettext(greeting, locale=code) for code in ("kk", "ru"))
    assert kk.startswith("Сәлеметсіз бе!") and ru.startswith("Здравствуйте!")
    user = tg.user(9103 + (language == "ru"), language_code=language)
    replies = await user.send("/start")
    assert replies[0].text == f"{kk}\n\n{ru}"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "kk",
            [
                "өтеуге құқығыңыз бар-жоғын тексеремін (тоқсан сайын 8 АЕК — айлық есептік көрсеткіш,",
                "(6-тармақ)",
            ],
        ),
        (
            "ru",
            [
                "(8 МРП — месячных расчётных показателей — ежеквартально,",
                "(п. 6); я подготовлю ваше заявление, передам его в Отдел",
            ],
        ),
    ],
)
async def test_the_intro_spells_out_the_mrp_and_promises_in_plain_words(
    running: RunningBot, tg: FakeTelegram, language: str, words: list[str]
) -> None:
    user = tg.user(9105 + (language == "ru"), language_code=language)
    await start_in(user, language)
    assert user.last is not None
    for fragment in words:
        assert fragment in user.last.text
    assert "Өтемақы" not in user.last.text and "өтемақы" not in user.last.text


async def test_official_names_stand_in_paired_quotes_in_kazakh(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(9107, language_code="kk")
    await start_in(user, "kk")
    await user.send("/documents")
    text = texts(await user.send("ата-ана"))
    assert "«„Азаматтарға арналған үкімет“ мемлекеттік корпорациясы» КЕАҚ" in text
    assert text.count("«") == text.count("»") and text.count("„") == text.count("“")


@pytest.mark.parametrize("ground", [1, 2, 3, 4])
@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_refusal_grounds_are_quoted_as_the_decision_words_them(
    tg: FakeTelegram, make_settings: Any, language: str, ground: int
) -> None:
    async with running_staffbot(tg, make_settings, default_locale=language) as staffbot:
        parent = tg.user(9200 + ground * 10 + (language == "ru"), language_code=language)
        application_id = await submit_application(staffbot.app, tg, parent, language)
        card = await card_of(staffbot.app, tg, application_id)
        # the staff chat and the staff member read the bot in the parent's language here
        member = tg.group(STAFF_CHAT_ID, "Alatau staff").member(501, "Гүлнар", language)
        await member.press(REFUSE[language], message=card)
        picker = tg.messages(STAFF_CHAT_ID)[-1]
        # short names on the buttons, never a sentence cut in the middle
        assert picker.buttons == GROUND_BUTTONS[language]
        # the message above them quotes every ground in full
        for number, words in GROUNDS[language].items():
            assert f"{number}) {words}" in (picker.text or "")
        await member.press(GROUND_BUTTONS[language][ground - 1][0], message=picker)
        prompt = tg.messages(STAFF_CHAT_ID)[-1]
        await member.reply(prompt, "Анықтамада мөр жоқ")
        refused = {"kk": "бас тарту туралы шешім", "ru": "принято решение об отказе"}[language]
        notice = await wait_text(tg, parent.id, refused)
        line = GROUND_LINE[language].format(n=ground, words=GROUNDS[language][ground])
        assert line in (notice.text or "")
