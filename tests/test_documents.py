"""/documents over the fake Bot API: the checklist of app. 3 of the Rules No. 84, in kk and ru."""

from __future__ import annotations

import pytest

from tests.chat import start_in
from tests.conftest import RunningBot
from tests.tgfake.server import FakeTelegram

WORDS = {
    "ru": {
        "menu": "📄 Документы",
        "question": "Кто будет подавать заявление",
        "parent": "Родитель или усыновитель",
        "guardian": "Опекун или попечитель",
        "cancel": "✖️ Отмена",
        "title": "Документы для возмещения",
        "source": "Источник: приложение 3 к Правилам № 84, как требует п. 6 решения.",
        "application": "Заявление: по форме приложения 1 (в Государственной корпорации) или приложения 2 (на портале eGov) к Правилам № 84",
        "identity": "Документ, удостоверяющий вашу личность (только для идентификации)",
        "certificate": "Справка из учебного заведения, подтверждающая обучение ребёнка на дому (п. 2)",
        "guardianship": "Документ, подтверждающий опеку или попечительство",
        "birth": "Свидетельство о рождении ребёнка — только если его нет в государственных информационных системах",
        "bank": "Реквизиты вашего банковского счёта (IBAN)",
        "disability": "Инвалидность подтверждается из государственных информационных систем",
        "con": "НАО «Государственная корпорация „Правительство для граждан“» (центр обслуживания населения, ЦОН)",
        "egov": "веб-портал «электронного правительства» (eGov.kz)",
        "honest": "Но официальное заявление подаётся через Государственную корпорацию или портал eGov (п. 6).",
        "department": "ГУ «Отдел занятости и социальных программ города Алатау»",
        "typed_parent": "мама",
        "typed_guardian": "опекун",
        "choice": "Я не понял ответ.",
        "not_text": "Пожалуйста, ответьте текстом или кнопками ниже.",
        "stopped": "Остановлено.",
    },
    "kk": {
        "menu": "📄 Құжаттар",
        "question": "Өтінішті кім береді",
        "parent": "Ата-ана немесе бала асырап алушы",
        "guardian": "Қорғаншы немесе қамқоршы",
        "cancel": "✖️ Болдырмау",
        "title": "Өтеуге қажетті құжаттар",
        "source": "Дереккөзі: № 84 Қағидалардың 3-қосымшасы (шешімнің талабы, 6-тармақ).",
        "application": "Өтініш: № 84 Қағидалардың 1-қосымшасындағы (Мемлекеттік корпорацияда) немесе 2-қосымшасындағы (eGov порталында) нысан бойынша",
        "identity": "Жеке басыңызды куәландыратын құжат (тек сізді сәйкестендіру үшін)",
        "certificate": "Баланың үйде оқитынын растайтын оқу орнының анықтамасы (2-тармақ)",
        "guardianship": "Қорғаншылықты немесе қамқоршылықты растайтын құжат",
        "birth": "Баланың туу туралы куәлігі — тек ол мемлекеттік ақпараттық жүйелерде болмаса",
        "bank": "Банк шотыңыздың деректемелері (IBAN)",
        "disability": "Мүгедектік мемлекеттік ақпараттық жүйелерден расталады",
        "con": "«„Азаматтарға арналған үкімет“ мемлекеттік корпорациясы» КЕАҚ (халыққа қызмет көрсету орталығы, ХҚКО)",
        "egov": "«электрондық үкімет» веб-порталы (eGov.kz)",
        "honest": "Бірақ ресми өтініш Мемлекеттік корпорация немесе eGov порталы арқылы беріледі (6-тармақ).",
        "department": "«Алатау қаласының жұмыспен қамту және әлеуметтік бағдарламалар бөлімі» ММ",
        "typed_parent": "әке",
        "typed_guardian": "қамқоршы",
        "choice": "Жауапты түсінбедім.",
        "not_text": "Мәтінмен немесе төмендегі батырмалармен жауап беріңіз.",
        "stopped": "Тоқтатылды.",
    },
}
LANGUAGES = ("kk", "ru")
COMMON = (
    "title",
    "source",
    "application",
    "identity",
    "certificate",
    "birth",
    "bank",
    "disability",
    "con",
    "egov",
    "honest",
    "department",
)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_parent_and_guardian_get_different_checklists(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    parent = tg.user(6001, language_code=language)
    await start_in(parent, language)
    replies = await parent.send("/documents")
    assert w["question"] in replies[-1].text
    assert replies[-1].buttons == [[w["parent"]], [w["guardian"]], [w["cancel"]]]
    replies = await parent.press(w["parent"])
    parent_list = replies[-1].text
    for key in COMMON:
        assert w[key] in parent_list, key
    assert w["guardianship"] not in parent_list
    assert "/apply" in parent_list and replies[-1].keyboard_buttons

    guardian = tg.user(6002, language_code=language)
    await start_in(guardian, language)
    await guardian.send(w["menu"])
    replies = await guardian.press(w["guardian"])
    guardian_list = replies[-1].text
    for key in COMMON:
        assert w[key] in guardian_list, key
    assert w["guardianship"] in guardian_list
    # numbered list: the guardian has one document more
    assert guardian_list.count("\n6. ") == 1 and parent_list.count("\n6. ") == 0


@pytest.mark.parametrize("language", LANGUAGES)
async def test_typed_answers_bad_input_and_cancel(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    user = tg.user(6003, language_code=language)
    await start_in(user, language)
    await user.send("/documents")
    for bad in ("🙂", "z" * 5000):
        replies = await user.send(bad)
        assert w["choice"] in replies[0].text and w["question"] in replies[0].text
    replies = await user.send_sticker()
    assert w["not_text"] in replies[0].text and w["question"] in replies[0].text
    replies = await user.send(w["typed_guardian"])
    assert w["guardianship"] in replies[-1].text

    await user.send("/documents")
    replies = await user.send(w["typed_parent"])
    assert w["title"] in replies[-1].text and w["guardianship"] not in replies[-1].text

    await user.send("/documents")
    replies = await user.press(w["cancel"])
    assert w["stopped"] in replies[-1].text
