"""One claim per child (p.3, p.7) and the reason of a zero estimate (p.4, p.5), seen in
the /apply summary before Send and on the staff card (issue 10 items 1 and 2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from bot.clock import Clock
from bot.settings import Settings
from tests.apply_support import (
    APPLICANT_IIN,
    LABELS,
    Person,
    answer_all,
    begin,
    joined,
    make_iban,
    make_iin,
    spaced,
)
from tests.conftest import FIXED_TODAY, STAFF_CHAT_ID, RunningBot
from tests.tgfake.models import FakeMessage
from tests.tgfake.server import FakeTelegram

OTHER_PARENT_IIN = make_iin(dt.date(1988, 6, 1), "4", 2222)
OTHER_IBAN = make_iban("722KZT0000123456")
OTHER_CHILD_IIN = make_iin(dt.date(2016, 5, 20), "6", 77)

SECOND = Person(
    surname="Омарова",
    name="Гүлнар",
    iin=OTHER_PARENT_IIN,
    phone="+7 702 000 11 22",
    address="ул. Сейфуллина 3",
    iban=spaced(OTHER_IBAN),
)

CLAIM = {
    "ru": [
        "Заявление на этого ребёнка уже отправлено: ALA-2025-000001, статус: отправлено.",
        "одному из родителей или иному законному представителю",
        "Вы всё равно можете отправить это заявление",
    ],
    "kk": [
        "Осы балаға өтініш бұрын жіберілген: ALA-2025-000001, мәртебесі: жіберілді.",
        "ата-анасының біреуіне немесе өзге заңды өкіліне",
        "Бұл өтінішті бәрібір жіберуге болады",
    ],
}
CARD = {
    "ru": {
        "title": "⚠️ Проверьте перед решением",
        "child": "Есть другое заявление на этого ребёнка с пересекающимся периодом",
        "iin": "Тот же ИИН заявителя отправлен с другого аккаунта Telegram: ALA-2025-000001",
        "iban": "Тот же IBAN отправлен с другого аккаунта Telegram: ALA-2025-000001",
    },
    "kk": {
        "title": "⚠️ Шешім қабылдамас бұрын тексеріңіз",
        "child": "Осы балаға кезеңі қабаттасатын басқа өтініш бар",
        "iin": "Өтініш берушінің дәл осы ЖСН-і басқа Telegram аккаунтынан жіберілген: ALA-2025-000001",
        "iban": "Дәл осы IBAN басқа Telegram аккаунтынан жіберілген: ALA-2025-000001",
    },
}


def card(tg: FakeTelegram, number: str) -> FakeMessage:
    return next(
        m
        for m in tg.messages(STAFF_CHAT_ID)
        if m.kind == "text" and (m.text or "").startswith(("📝", "📄")) and number in m.text
    )


async def wait_card(tg: FakeTelegram, number: str) -> FakeMessage:
    await tg.wait_for(
        lambda: [m for m in tg.messages(STAFF_CHAT_ID) if number in (m.text or "")],
        what=f"card {number}",
    )
    return card(tg, number)


@pytest.mark.parametrize("language", ["ru", "kk"])
async def test_a_second_application_for_the_same_child_is_told_and_flagged(
    tg: FakeTelegram, make_settings: Callable[..., Settings], language: str
) -> None:
    running = RunningBot(tg, make_settings(default_locale=language), Clock(fixed=FIXED_TODAY))
    await running.start()
    try:
        tg.group(STAFF_CHAT_ID, "Staff")
        first = tg.user(2501, language_code=language)
        await begin(first, language)
        summary = await answer_all(first, language, Person())
        assert "ALA-" not in joined(summary)  # nothing sent before for this child
        await first.press(LABELS[language]["send"])
        first_card = await wait_card(tg, "ALA-2025-000001")

        # another Telegram account, another parent, the same child and certificate
        second = tg.user(2502, language_code=language)
        await begin(second, language)
        summary = await answer_all(second, language, SECOND)
        text = joined(summary)
        for part in CLAIM[language]:
            assert part in text, part
        # the other applicant's data are not shown
        for private in ("Әбдіқадырова", APPLICANT_IIN, "+77012345678", "Абая 10"):
            assert private not in text
        assert summary[-1].inline_buttons[-1] == [LABELS[language]["send"]]  # not blocked

        replies = await second.press(LABELS[language]["send"])
        assert "ALA-2025-000002" in joined(replies)
        second_card = await wait_card(tg, "ALA-2025-000002")
        shown = second_card.text or ""
        assert CARD[language]["title"] in shown and CARD[language]["child"] in shown
        assert "ALA-2025-000001" in shown
        link = f"https://t.me/c/{str(STAFF_CHAT_ID)[4:]}/{first_card.message_id}"
        assert {"type": "text_link", "url": link} in [
            {"type": e["type"], "url": e.get("url")} for e in second_card.entities
        ]
        # a different applicant and account: no IIN/IBAN flag
        assert CARD[language]["iin"] not in shown and CARD[language]["iban"] not in shown
        # the first card does not warn about itself
        assert CARD[language]["title"] not in (card(tg, "ALA-2025-000001").text or "")
    finally:
        await running.stop()


@pytest.mark.parametrize("language", ["ru", "kk"])
async def test_the_same_applicant_iin_and_iban_from_another_account_are_flagged(
    tg: FakeTelegram, make_settings: Callable[..., Settings], language: str
) -> None:
    running = RunningBot(tg, make_settings(default_locale=language), Clock(fixed=FIXED_TODAY))
    await running.start()
    try:
        tg.group(STAFF_CHAT_ID, "Staff")
        first = tg.user(2511, language_code=language)
        await begin(first, language)
        await answer_all(first, language, Person())
        await first.press(LABELS[language]["send"])
        await wait_card(tg, "ALA-2025-000001")

        # the same applicant IIN and IBAN, another child, from another Telegram account
        second = tg.user(2512, language_code=language)
        await begin(second, language)
        other_child = Person(child_iin=OTHER_CHILD_IIN, child_birth="20.05.2016")
        summary = await answer_all(second, language, other_child)
        assert "ALA-2025-000001" not in joined(summary)  # another child: nothing to tell
        await second.press(LABELS[language]["send"])
        shown = (await wait_card(tg, "ALA-2025-000002")).text or ""
        assert CARD[language]["title"] in shown
        assert CARD[language]["iin"] in shown and CARD[language]["iban"] in shown
        assert CARD[language]["child"] not in shown

        # the same account again (a second child of the same parent): not flagged
        third_child = make_iin(dt.date(2014, 1, 9), "5", 5)
        await first.send("/apply")  # consent already given: the wizard starts
        await answer_all(first, language, Person(child_iin=third_child, child_birth="09.01.2014"))
        await first.press(LABELS[language]["send"])
        shown = (await wait_card(tg, "ALA-2025-000003")).text or ""
        assert CARD[language]["iin"].split(":")[0] + ": ALA-2025-000002" in shown
        assert "ALA-2025-000001" not in shown.split(CARD[language]["title"])[-1]
    finally:
        await running.stop()


ZERO = {
    "ru": {
        "head": "По этому заявлению ничего не будет выплачено (0,00\xa0₸):",
        "cert": "срок справки из учебного заведения закончился (05.2025) до месяца подачи заявления",
        "p4": "п. 4",
        "age": "ребёнку исполнилось 18 лет 01.03.2025, до месяца подачи заявления",
        "p5": "п. 5",
        "still": "Вы можете всё равно отправить заявление",
    },
    "kk": {
        "head": "Бұл өтініш бойынша ештеңе төленбейді (0,00\xa0₸):",
        "cert": "оқу орнының анықтамасында көрсетілген мерзім өтініш берілген айға дейін (05.2025) аяқталды",
        "p4": "4-тармақ",
        "age": "бала 01.03.2025 күні, өтініш берілген айға дейін 18 жасқа толды",
        "p5": "5-тармақ",
        "still": "Өтінішті бәрібір жіберуге болады",
    },
}


@pytest.mark.parametrize("language", ["ru", "kk"])
async def test_a_zero_estimate_says_why_before_send(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    words = ZERO[language]
    # the certificate's term is over (p.4)
    user = tg.user(2521 if language == "ru" else 2522, language_code=language)
    await begin(user, language)
    summary = await answer_all(
        user, language, Person(cert_date="01.09.2024", cert_from="09.2024", cert_to="05.2025")
    )
    text = joined(summary)
    assert words["head"] in text and words["cert"] in text and words["p4"] in text
    assert words["still"] in text
    assert summary[-1].inline_buttons[-1] == [LABELS[language]["send"]]
    replies = await user.press(LABELS[language]["send"])
    assert "ALA-2025-000001" in joined(replies)  # may still be sent: staff decide

    # the child turned 18 before the month of application (p.5)
    adult = make_iin(dt.date(2007, 3, 1), "5", 9)
    await user.send("/apply")
    summary = await answer_all(user, language, Person(child_iin=adult, child_birth="01.03.2007"))
    text = joined(summary)
    assert words["head"] in text and words["age"] in text and words["p5"] in text

    # a payable estimate shows no such note
    other = tg.user(2523 if language == "ru" else 2524, language_code=language)
    await begin(other, language)
    summary = await answer_all(
        other, language, Person(child_iin=OTHER_CHILD_IIN, child_birth="20.05.2016")
    )
    assert words["head"] not in joined(summary)
