"""/check: eligibility screening of domain.md §2 over the fake Bot API, in kk and ru."""

from __future__ import annotations

import pytest

from tests.chat import start_in, texts
from tests.conftest import RunningBot
from tests.tgfake.server import FakeTelegram
from tests.turn_count import Turns

WORDS = {
    "ru": {
        "yes": "Да",
        "no": "Нет",
        "unsure": "Не знаю",
        "back": "⬅️ Назад",
        "cancel": "✖️ Отмена",
        "indefinite": "Бессрочно",
        "parent": "Мать",
        "father": "Отец",
        "adoptive": "Усыновитель",
        "guardian": "Опекун или попечитель",
        "other": "Другое",
        "menu_check": "✅ Проверить право",
        "step": "Шаг {n} из 6",
        "p1": "(п. 1)",
        "p3": "(п. 3)",
        "p5": "(п. 5)",
        "income": "независимо от дохода семьи",
        "eligible": "✅ По вашим ответам вы имеете право на возмещение.",
        "not_eligible": "ℹ️ По вашим ответам возмещение не может быть выплачено.",
        "needs_check": "❓ Некоторые ваши ответы проверят сотрудники отдела.",
        "q_disability": "Установлена ли ребёнку инвалидность?",
        "q_until": "До какой даты установлена инвалидность?",
        "q_birth": "Какая дата рождения ребёнка?",
        "q_home": "Обучается ли ребёнок на дому",
        "q_who": "Кем вы приходитесь ребёнку?",
        "q_resident": "Живёт ли ваша семья в городе Алатау?",
        "q_exclusions": "Относится ли к ребёнку что-либо из этого?",
        "none": "Ничего из этого",
        "x_support": "1. Полное государственное обеспечение",
        "x_rights": "2. Лишение родительских прав",
        "x_institution": "3. Государственное учреждение",
        "guardian_may": "Заявление может подать родитель либо опекун или попечитель ребёнка.",
        "own_maslikhat": "определяет решение его маслихата",
        "full_support": "находящихся на полном государственном обеспечении",
        "rights": "кто бы ни подавал заявление",
        "staff_explain": "Сотрудники отдела могут объяснить",
        "adult": "до 18 лет ребёнка",
        "clarify_birth": "дату рождения ребёнка",
        "clarify_resident": "где живёт ваша семья",
        "not_refusal": "Ответ «Не знаю» — не отказ",
        "bad_date": "напишите дату в виде ДД.ММ.ГГГГ",
        "impossible": "Такой даты нет в календаре.",
        "future": "Дата рождения не может быть в будущем.",
        "not_text": "Пожалуйста, ответьте текстом или кнопками ниже.",
        "choice": "Я не понял ответ.",
        "stopped": "Проверка остановлена. Ничего не сохранено.",
        "stale": "Эта кнопка больше не активна.",
        "typed": ["да", "бессрочно", "02.03.2015", "да", "мама", "да", "нет"],
    },
    "kk": {
        "yes": "Иә",
        "no": "Жоқ",
        "unsure": "Білмеймін",
        "back": "⬅️ Артқа",
        "cancel": "✖️ Болдырмау",
        "indefinite": "Мерзімсіз",
        "parent": "Анасы",
        "father": "Әкесі",
        "adoptive": "Бала асырап алушы",
        "guardian": "Қорғаншы немесе қамқоршы",
        "other": "Басқа",
        "menu_check": "✅ Құқықты тексеру",
        "step": "6 қадамның {n}-қадамы",
        "p1": "(1-тармақ)",
        "p3": "(3-тармақ)",
        "p5": "(5-тармақ)",
        "income": "отбасының табысына қарамастан",
        "eligible": "✅ Жауаптарыңыз бойынша өтеу алуға құқығыңыз бар.",
        "not_eligible": "ℹ️ Жауаптарыңыз бойынша өтеу төленбейді.",
        "needs_check": "❓ Жауаптарыңыздың кейбірін бөлімнің қызметкерлері тексереді.",
        "q_disability": "Балаға мүгедектік белгіленген бе?",
        "q_until": "Мүгедектік қай күнге дейін белгіленген?",
        "q_birth": "Баланың туған күні қандай?",
        "q_home": "Бала жеке оқу жоспары бойынша үйде оқи ма",
        "q_who": "Сіз балаға кім боласыз?",
        "q_resident": "Отбасыңыз Алатау қаласында тұра ма?",
        "q_exclusions": "Төмендегілердің бірі балаға қатысты ма?",
        "none": "Ешқайсысы",
        "x_support": "1. Толық мемлекеттік қамтамасыз ету",
        "x_rights": "2. Ата-ана құқықтарынан айыру",
        "x_institution": "3. Мемлекеттік мекеме",
        "guardian_may": "Өтінішті ата-ананың біреуі немесе баланың қорғаншысы не қамқоршысы бере алады.",
        "own_maslikhat": "сол жердің мәслихатының шешімімен белгіленеді",
        "full_support": "толық мемлекеттік қамтамасыз етудегі",
        "rights": "өтінішті кім берсе де",
        "staff_explain": "бөлімнің қызметкерлері түсіндіре алады",
        "adult": "бала 18 жасқа толғанға дейін төленеді",
        "clarify_birth": "баланың туған күні",
        "clarify_resident": "отбасыңыз қай жерде тұрады",
        "not_refusal": "«Білмеймін» деген жауап бас тарту емес",
        "bad_date": "Күнді КК.АА.ЖЖЖЖ түрінде жазыңыз",
        "impossible": "Күнтізбеде мұндай күн жоқ.",
        "future": "Туған күн болашақта болмайды.",
        "not_text": "Мәтінмен немесе төмендегі батырмалармен жауап беріңіз.",
        "choice": "Жауапты түсінбедім.",
        "stopped": "Тексеру тоқтатылды. Ештеңе сақталмады.",
        "stale": "Бұл батырма енді белсенді емес.",
        "typed": ["иә", "мерзімсіз", "02.03.2015", "иә", "әке", "иә", "жоқ"],
    },
}
LANGUAGES = ("kk", "ru")


async def begin(tg: FakeTelegram, user_id: int, language: str):  # type: ignore[no-untyped-def]
    user = tg.user(user_id, language_code=language)
    await start_in(user, language)
    replies = await user.send("/check")
    return user, replies


async def answer(user, steps: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    """Each step: ("press", button) or ("send", text); returns the last replies."""
    replies = []
    for how, value in steps:
        replies = await (user.press(value) if how == "press" else user.send(value))
    return replies


def eligible_steps(w: dict, **override: tuple[str, str]) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    steps = {
        "disability": ("press", w["yes"]),
        "until": ("press", w["indefinite"]),
        "birth": ("send", "02.03.2015"),
        "home": ("press", w["yes"]),
        "who": ("press", w["parent"]),
        "resident": ("press", w["yes"]),
        "exclusions": ("press", w["none"]),
    }
    steps.update(override)
    return list(steps.values())


@pytest.mark.parametrize("language", LANGUAGES)
async def test_eligible_with_buttons_one_question_at_a_time(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    user, replies = await begin(tg, 3001, language)
    first = len(user.messages) - len(replies)
    assert w["step"].format(n=1) in replies[-1].text and w["q_disability"] in replies[-1].text
    assert replies[-1].buttons == [[w["yes"], w["no"], w["unsure"]], [w["cancel"]]]

    replies = await user.press(w["yes"])
    assert w["step"].format(n=1) in replies[-1].text and w["q_until"] in replies[-1].text
    assert replies[-1].buttons[0] == [w["indefinite"], w["unsure"]]
    assert replies[-1].buttons[-1] == [w["back"], w["cancel"]]
    # the answered question loses its buttons
    assert user.messages[-2].buttons == []

    replies = await user.press(w["indefinite"])
    assert w["step"].format(n=2) in replies[-1].text and w["q_birth"] in replies[-1].text
    replies = await user.send("02.03.2015")
    assert w["step"].format(n=3) in replies[-1].text and w["q_home"] in replies[-1].text
    replies = await user.press(w["yes"])
    assert w["step"].format(n=4) in replies[-1].text and w["q_who"] in replies[-1].text
    assert replies[-1].buttons[:5] == [
        [w["parent"], w["father"]],
        [w["adoptive"]],
        [w["guardian"]],
        [w["other"]],
        [w["unsure"]],
    ]
    replies = await user.press(w["parent"])
    assert w["q_resident"] in replies[-1].text
    replies = await user.press(w["yes"])
    assert w["step"].format(n=6) in replies[-1].text and w["q_exclusions"] in replies[-1].text
    assert replies[-1].buttons[:5] == [
        [w["none"]],
        [w["x_support"]],
        [w["x_rights"]],
        [w["x_institution"]],
        [w["unsure"]],
    ]
    replies = await user.press(w["none"])

    result = replies[-1]
    assert w["eligible"] in result.text
    assert w["income"] in result.text and w["p3"] in result.text
    assert "/estimate" in result.text and "/documents" in result.text and "/apply" in result.text
    assert result.keyboard_buttons, "the main menu comes back"
    # never a question about income: only the result mentions it ("regardless of family income")
    asked = [m.text or "" for m in user.messages[first:-1]]
    assert len(asked) == 8
    assert all("доход" not in text and "табыс" not in text for text in asked)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_typed_answers_instead_of_buttons(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    user = tg.user(3002, language_code=language)
    await start_in(user, language)
    replies = await user.send(w["menu_check"])  # the menu button, typed or pressed
    assert w["q_disability"] in replies[-1].text
    for text in w["typed"]:
        replies = await user.send(text)
    assert w["eligible"] in replies[-1].text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_each_exclusion_names_its_paragraph_and_what_can_change_it(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    cases = {
        "full_state_support": (
            eligible_steps(w, exclusions=("press", w["x_support"])),
            [w["full_support"], w["p3"]],
        ),
        "parental_rights": (
            eligible_steps(w, exclusions=("press", w["x_rights"])),
            [w["rights"], w["p3"], w["staff_explain"]],
        ),
        "adult": (eligible_steps(w, birth=("send", "01.01.2005")), [w["adult"], w["p5"]]),
        "not_resident": (
            eligible_steps(w, resident=("press", w["no"])),
            [w["own_maslikhat"], w["p1"]],
        ),
        "other_representative": (
            eligible_steps(w, who=("press", w["other"])),
            [w["guardian_may"], w["p3"]],
        ),
    }
    for offset, (name, (steps, expected)) in enumerate(cases.items()):
        user, _ = await begin(tg, 3100 + offset, language)
        replies = await answer(user, steps[: _stop_index(name) + 1])
        result = replies[-1].text
        assert w["not_eligible"] in result, name
        for phrase in expected:
            assert phrase in result, (name, phrase)
        assert w["income"] in result
        # the screening stopped at the decisive answer: no further question was asked
        assert w["q_exclusions"] not in texts(replies)


def _stop_index(name: str) -> int:
    order = [
        "disability",
        "until",
        "birth",
        "home",
        "who",
        "resident",
        "exclusions",
    ]
    where = {
        "full_state_support": "exclusions",
        "parental_rights": "exclusions",
        "adult": "birth",
        "not_resident": "resident",
        "other_representative": "who",
    }
    return order.index(where[name])


@pytest.mark.parametrize("language", LANGUAGES)
async def test_not_sure_leads_to_a_staff_check_not_a_refusal(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    user, _ = await begin(tg, 3201, language)
    replies = await answer(
        user,
        eligible_steps(w, birth=("press", w["unsure"]), resident=("press", w["unsure"])),
    )
    result = replies[-1].text
    assert w["needs_check"] in result
    assert w["clarify_birth"] in result and w["p5"] in result
    assert w["clarify_resident"] in result and w["p1"] in result
    assert w["not_refusal"] in result and "/apply" in result
    assert w["not_eligible"] not in result


@pytest.mark.parametrize("language", LANGUAGES)
async def test_no_disability_stops_at_once(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    user, _ = await begin(tg, 3202, language)
    replies = await user.send(w["no"].lower())
    assert w["not_eligible"] in replies[-1].text and w["p1"] in replies[-1].text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_bad_input_gets_a_reason_and_the_same_question_answers_kept(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    user, _ = await begin(tg, 3301, language)
    await user.press(w["yes"])
    await user.send("31.12.2030")  # disability until
    birth_question = w["step"].format(n=2)

    for bad, reason in (
        ("   .   ", w["bad_date"]),
        ("x" * 5000, w["bad_date"]),
        ("🎂🎂🎂", w["bad_date"]),
        ("31.02.2025", w["impossible"]),
        ("01.01.2099", w["future"]),
    ):
        replies = await user.send(bad)
        assert len(replies) == 1
        assert reason in replies[0].text, bad[:20]
        assert birth_question in replies[0].text and w["q_birth"] in replies[0].text

    replies = await user.send_sticker()
    assert w["not_text"] in replies[0].text and w["q_birth"] in replies[0].text

    replies = await user.send("02.03.2015")
    assert w["q_home"] in replies[-1].text
    # a yes/no question does not take an emoji or a novel either
    for bad in ("🤷", "y" * 5000):
        replies = await user.send(bad)
        assert w["choice"] in replies[0].text and w["q_home"] in replies[0].text
    # the earlier answers are kept: the result knows the disability term and the birth date
    replies = await answer(user, eligible_steps(w)[3:])
    assert w["eligible"] in replies[-1].text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_back_and_cancel(running: RunningBot, tg: FakeTelegram, language: str) -> None:
    w = WORDS[language]
    user, _ = await begin(tg, 3401, language)
    await user.press(w["yes"])
    await user.press(w["indefinite"])
    replies = await user.press(w["back"])
    assert w["q_until"] in replies[-1].text
    replies = await user.send(w["back"])  # typed
    assert w["q_disability"] in replies[-1].text
    assert w["back"] not in [
        b for row in replies[-1].buttons for b in row
    ]  # none on the first question
    replies = await user.press(w["no"])
    assert w["not_eligible"] in replies[-1].text  # a changed answer counts

    user, _ = await begin(tg, 3402, language)
    await user.press(w["yes"])
    question = user.last
    replies = await user.send("/cancel")
    assert w["stopped"] in replies[-1].text and replies[-1].keyboard_buttons
    # an old button of the stopped check is answered, not silently ignored
    assert question is not None
    await user.press(w["unsure"], message=question)
    assert user.callback_answers[-1].text == w["stale"]
    # after /cancel a "yes" is no longer an answer to the check
    replies = await user.send(w["yes"])
    assert w["q_birth"] not in texts(replies)

    user, _ = await begin(tg, 3403, language)
    replies = await user.press(w["cancel"])
    assert w["stopped"] in replies[-1].text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_menu_and_commands_are_not_answers_and_the_check_survives_a_restart(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    user, _ = await begin(tg, 3501, language)
    await user.press(w["yes"])
    await user.send("31.12.2030")
    replies = await user.send("/status")  # another command in the middle: answered, the check waits
    assert w["q_home"] not in texts(replies) and w["q_birth"] not in texts(replies)
    await running.restart()
    replies = await user.send("02.03.2015")  # the answers survive a restart of the bot
    assert w["q_home"] in replies[-1].text
    replies = await answer(user, eligible_steps(w)[3:])
    assert w["eligible"] in replies[-1].text

    user, _ = await begin(tg, 3502, language)
    replies = await user.send(
        WORDS[language]["menu_check"].replace("✅ ", "")
    )  # typed menu label restarts
    assert w["step"].format(n=1) in replies[-1].text
    menu_estimate = {"ru": "🧮 Рассчитать выплаты", "kk": "🧮 Төлемді есептеу"}[language]
    replies = await user.send(menu_estimate)
    assert w["q_disability"] not in texts(replies)
    assert {"ru": "Шаг 1 из 3", "kk": "3 қадамның 1-қадамы"}[language] in replies[-1].text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_eligible_verdict_in_at_most_eight_turns(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    """Issue 12 item 2: the parent's own turns (command, messages, presses) up to the verdict:
    8 with buttons (was 10), 7 when the end date of the disability is typed at once."""
    w = WORDS[language]
    user = tg.user(3601, language_code=language)
    await start_in(user, language)
    parent = Turns(user)
    replies = await parent.send("/check")
    for how, value in eligible_steps(w):
        replies = await (parent.press(value) if how == "press" else parent.send(value))
    assert w["eligible"] in replies[-1].text
    assert parent.count == 8

    user = tg.user(3602, language_code=language)
    await start_in(user, language)
    parent = Turns(user)
    await parent.send("/check")
    replies = await parent.send("31.12.2030")  # "yes, until 31.12.2030" in one answer
    assert w["q_birth"] in replies[-1].text and w["q_until"] not in texts(replies)
    for how, value in eligible_steps(w)[2:]:
        replies = await (parent.press(value) if how == "press" else parent.send(value))
    assert w["eligible"] in replies[-1].text
    assert parent.count == 7


@pytest.mark.parametrize("language", LANGUAGES)
async def test_exclusions_not_sure_and_typed(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w = WORDS[language]
    user, _ = await begin(tg, 3603, language)
    replies = await answer(user, eligible_steps(w, exclusions=("press", w["unsure"])))
    assert w["needs_check"] in replies[-1].text and w["not_eligible"] not in replies[-1].text

    user, _ = await begin(tg, 3604, language)
    replies = await answer(user, eligible_steps(w)[:-1])
    assert w["q_exclusions"] in replies[-1].text
    replies = await user.send("🤷")
    assert w["choice"] in replies[0].text and w["q_exclusions"] in replies[0].text
    replies = await user.send("3")  # the number of the item that applies
    assert w["not_eligible"] in replies[-1].text and w["p5"] in replies[-1].text
