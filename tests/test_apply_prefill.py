"""Issue 12 item 1: what /check and /estimate already know prefills /apply (kept / changed
with one tap), the child's date of birth from the child's IIN (shown, changeable with a
button, asked only for an IIN assigned before the IIN rules), over the fake Bot API in kk
and ru; the parent's inputs counted from /apply to the number, "step N of M" on every path."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.data.models import Application, FsmRecord
from tests.apply_support import (
    LABELS,
    Person,
    certificate_details,
    full_name,
    joined,
    make_iin,
)
from tests.chat import start_in
from tests.conftest import RunningBot
from tests.test_apply_inputs import Parent
from tests.tgfake.models import FakeMessage
from tests.tgfake.people import FakeUser
from tests.tgfake.server import FakeTelegram

PRE_RULES_IIN = make_iin(dt.date(2010, 4, 5), "0", 77)  # 7th digit 0: no century, no date

WORDS = {
    "ru": {
        "yes": "Да",
        "indefinite": "Бессрочно",
        "none": "Ничего из этого",
        "mother": "Мать",
        "guardian": "Опекун или попечитель",
        "kept": "Ваши ответы сохранены для заявления",
        "known_check": "Уже известно из /check: {value}.",
        "known_estimate": "Уже известно из /estimate: {value}.",
        "indefinite_value": "бессрочно",
        "confirmed": "Подтверждено в /check",
        "resident": "Ваша семья живёт в городе Алатау.",
        "home": "Ребёнок обучается на дому по индивидуальному учебному плану",
        "cert_known": "Срок обучения на дому 09.2025–05.2026 известен из /estimate",
        "birth": "Дата рождения ребёнка по ИИН: 02.03.2015.",
        "from_iin": "Дата рождения ребёнка: 02.03.2015 (из ИИН)",
        "change": "✏️ Изменить дату рождения",
        "q_birth": "Дата рождения ребёнка в виде день.месяц.год",
        "mismatch": "По ИИН ребёнка дата рождения — 02.03.2015, а в /estimate была указана 02.03.2016.",
        "not_iin": "Эта дата не совпадает с ИИН ребёнка: его первые шесть цифр дают 02.03.2015.",
        "pre_rules": "Этот ИИН присвоен до действующих правил формирования ИИН",
        "digits": "его первые шесть цифр (100405)",
        "q_disability": "До какой даты установлена инвалидность ребёнка?",
        "yes_delete": "✅ Да, удалить мои данные",
        "already": "Уже известно",
    },
    "kk": {
        "yes": "Иә",
        "indefinite": "Мерзімсіз",
        "none": "Ешқайсысы",
        "mother": "Анасы",
        "guardian": "Қорғаншы немесе қамқоршы",
        "kept": "Жауаптарыңыз өтініш үшін сақталды",
        "known_check": "/check арқылы белгілі: {value}.",
        "known_estimate": "/estimate арқылы белгілі: {value}.",
        "indefinite_value": "мерзімсіз",
        "confirmed": "/check ішінде расталған",
        "resident": "Отбасыңыз Алатау қаласында тұрады.",
        "home": "Бала жеке оқу жоспары бойынша үйде оқиды",
        "cert_known": "Үйде оқыту мерзімі 09.2025–05.2026 /estimate арқылы белгілі",
        "birth": "ЖСН бойынша баланың туған күні: 02.03.2015.",
        "from_iin": "Баланың туған күні: 02.03.2015 (ЖСН-нен)",
        "change": "✏️ Туған күнді өзгерту",
        "q_birth": "Баланың туған күні күн.ай.жыл түрінде",
        "mismatch": "Баланың ЖСН-і бойынша туған күні — 02.03.2015, ал /estimate ішінде 02.03.2016 көрсетілген.",
        "not_iin": "Бұл күн баланың ЖСН-іне сәйкес келмейді: оның алғашқы алты цифры 02.03.2015 күнін көрсетеді.",
        "pre_rules": "Бұл ЖСН қазіргі ЖСН қалыптастыру қағидаларына дейін берілген",
        "digits": "оның алғашқы алты цифры (100405)",
        "q_disability": "Баланың мүгедектігі қай күнге дейін белгіленген?",
        "yes_delete": "✅ Иә, деректерімді жою",
        "already": "арқылы белгілі",
    },
}
LANGUAGES = ("kk", "ru")


async def check_as(user: FakeUser, language: str, relation: str = "mother") -> list[FakeMessage]:
    """/check answered with buttons: disability indefinite, born 02.03.2015, taught at home,
    `relation`, living in Alatau, none of the exclusions."""
    w = WORDS[language]
    await user.send("/check")
    await user.press(w["yes"])
    await user.press(w["indefinite"])
    await user.send("02.03.2015")
    await user.press(w["yes"])
    await user.press(w[relation])
    await user.press(w["yes"])
    return await user.press(w["none"])


async def estimate_as(
    user: FakeUser, language: str, birth: str = "02.03.2015"
) -> list[FakeMessage]:
    """/estimate: certificate 09.2025–05.2026 (a button), `birth` typed, disability «Indefinite»."""
    await user.send("/estimate")
    await user.press("09.2025–05.2026")
    await user.send(birth)
    return await user.press(WORDS[language]["indefinite"])


async def stored(running: RunningBot) -> Application:
    async with running.app.context.sessionmaker() as session:
        [application] = list(await session.scalars(select(Application)))
    return application


@pytest.mark.parametrize("language", LANGUAGES)
async def test_check_then_apply_keeps_the_relation_and_the_disability_with_one_tap(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w, labels = WORDS[language], LABELS[language]
    user = tg.user(2801 + (language == "kk"), language_code=language)
    await start_in(user, language)
    result = await check_as(user, language)
    assert w["kept"] in joined(result)

    await running.restart()  # a later session: the kept answers are in the FSM storage
    parent, person = Parent(user, language), Person()
    await parent.send("/apply")
    replies = await parent.press(labels["agree"])
    mother = labels["mother"]
    assert w["known_check"].format(value=mother) in joined(replies)
    assert [labels["keep"]] in replies[-1].buttons  # keep, or another relation button
    assert [labels["mother"], labels["father"]] in replies[-1].buttons
    await parent.send(labels["keep"])
    await parent.send(full_name(person))
    await parent.send(person.iin)
    await parent.contact("77012345678")
    await parent.send(person.address)
    await parent.send(person.child_name)
    replies = await parent.send(person.child_iin)
    assert w["birth"] in joined(replies)
    assert w["known_check"].format(value=w["indefinite_value"]) in replies[-1].text
    await parent.send(labels["keep"])  # the end of the disability: known from /check
    await parent.send(person.school)
    await parent.send(certificate_details(person))
    await parent.document("certificate.pdf", "application/pdf")
    summary = await parent.send(person.iban)
    text = joined(summary)
    assert w["confirmed"] in text and w["resident"] in text and w["home"] in text
    assert w["from_iin"] in text
    replies = await parent.press(labels["send"])
    assert "ALA-2025-000001" in joined(replies)
    assert parent.inputs == 15
    assert parent.steps == [(number, 11) for number in range(1, 12)]
    application = await stored(running)
    assert application.relation == "mother"
    assert application.disability_until is None  # indefinite
    assert application.child_birth == dt.date(2015, 3, 2)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_guardian_from_check_keeps_the_relation_and_gets_the_guardian_steps(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w, labels = WORDS[language], LABELS[language]
    user = tg.user(2811 + (language == "kk"), language_code=language)
    await start_in(user, language)
    await check_as(user, language, relation="guardian")
    parent, person = Parent(user, language), Person(relation="guardian")
    await parent.send("/apply")
    replies = await parent.press(labels["agree"])
    assert w["known_check"].format(value=labels["guardian"]) in joined(replies)
    await parent.send(labels["keep"])
    for answer in (full_name(person), person.iin):
        await parent.send(answer)
    await parent.contact("77012345678")
    for answer in (person.address, person.child_name, person.child_iin, labels["keep"]):
        await parent.send(answer)
    await parent.send(person.school)
    await parent.send(certificate_details(person))
    await parent.document("certificate.pdf", "application/pdf")
    await parent.send(person.iban)
    await parent.photo(size=300_000)
    replies = await parent.press(labels["send"])
    assert "ALA-2025-000001" in joined(replies)
    assert parent.inputs == 16
    assert parent.steps == [(number, 12) for number in range(1, 13)]
    assert (await stored(running)).relation == "guardian"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_estimate_then_apply_prefills_the_certificate_term_and_checks_the_birth_date(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w, labels = WORDS[language], LABELS[language]
    user = tg.user(2821 + (language == "kk"), language_code=language)
    await start_in(user, language)
    result = await estimate_as(user, language)
    assert w["kept"] in joined(result)
    parent, person = Parent(user, language), Person()
    await parent.send("/apply")
    replies = await parent.press(labels["agree"])
    assert w["already"] not in joined(replies)  # /estimate does not know the relation
    await parent.send(labels["mother"])
    await parent.send(full_name(person))
    await parent.send(person.iin)
    await parent.contact("77012345678")
    await parent.send(person.address)
    await parent.send(person.child_name)
    replies = await parent.send(person.child_iin)  # agrees with the date given in /estimate
    assert w["birth"] in joined(replies)
    assert w["known_estimate"].format(value=w["indefinite_value"]) in replies[-1].text
    await parent.send(labels["keep"])
    replies = await parent.send(person.school)
    assert w["cert_known"] in replies[-1].text
    replies = await parent.send("№ 15/2025, 01.09.2025")  # number and date: the term is known
    await parent.document("certificate.pdf", "application/pdf")
    await parent.send(person.iban)
    replies = await parent.press(labels["send"])
    assert "ALA-2025-000001" in joined(replies)
    assert parent.inputs == 15
    assert parent.steps == [(number, 11) for number in range(1, 12)]
    application = await stored(running)
    assert (application.certificate_start, application.certificate_end) == ("2025-09", "2026-05")
    assert application.certificate_number == "15/2025"
    assert application.certificate_date == dt.date(2025, 9, 1)
    assert application.child_birth == dt.date(2015, 3, 2)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_another_birth_date_in_estimate_is_asked_against_the_iin(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w, labels = WORDS[language], LABELS[language]
    user = tg.user(2831 + (language == "kk"), language_code=language)
    await start_in(user, language)
    await estimate_as(user, language, birth="02.03.2016")
    parent, person = Parent(user, language), Person()
    await parent.send("/apply")
    await parent.press(labels["agree"])
    for answer in (labels["mother"], full_name(person), person.iin):
        await parent.send(answer)
    await parent.contact("77012345678")
    for answer in (person.address, person.child_name):
        await parent.send(answer)
    replies = await parent.send(person.child_iin)
    assert w["mismatch"] in replies[-1].text and w["q_birth"] in replies[-1].text
    assert ["02.03.2015"] in replies[-1].buttons  # the IIN's date: one tap
    replies = await parent.send("02.03.2016")  # still another date: the IIN decides
    assert w["not_iin"] in replies[-1].text
    replies = await parent.send("02.03.2015")
    assert w["q_disability"] in replies[-1].text
    for answer in (labels["keep"], person.school, "№ 15/2025, 01.09.2025"):
        await parent.send(answer)
    await parent.document("certificate.pdf", "application/pdf")
    await parent.send(person.iban)
    replies = await parent.press(labels["send"])
    assert "ALA-2025-000001" in joined(replies)
    assert parent.inputs == 17  # the inconsistency costs the two date answers
    assert parent.steps == [(number, 11) for number in range(1, 12)]
    assert (await stored(running)).child_birth == dt.date(2015, 3, 2)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_birth_date_from_the_iin_is_shown_and_changed_with_its_button(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w, labels = WORDS[language], LABELS[language]
    user = tg.user(2841 + (language == "kk"), language_code=language)
    await start_in(user, language)
    person = Person()
    await user.send("/apply")
    await user.press(labels["agree"])
    for answer in (labels["mother"], full_name(person), person.iin, person.phone):
        await user.send(answer)
    await user.send(person.address)
    await user.send(person.child_name)
    replies = await user.send(person.child_iin)
    [shown] = [reply for reply in replies if w["birth"] in (reply.text or "")]
    assert shown.inline_buttons == [[w["change"]]]
    assert w["q_disability"] in replies[-1].text  # the wizard goes on: no extra input
    replies = await user.press(w["change"], message=shown)
    assert shown.inline_buttons == []
    assert w["q_birth"] in replies[-1].text and "Шаг" not in replies[-1].text
    replies = await user.send("03.03.2015")
    assert w["not_iin"] in replies[-1].text
    replies = await user.send(labels["back"])  # the IIN is what is wrong: back to it
    replies = await user.send(make_iin(dt.date(2015, 3, 3), "5", 4321))
    assert WORDS[language]["birth"].replace("02.03", "03.03") in joined(replies)
    assert w["q_disability"] in replies[-1].text
    for answer in (person.disability_until, person.school, certificate_details(person)):
        await user.send(answer)
    await user.send_document("certificate.pdf", "application/pdf")
    summary = await user.send(person.iban)
    assert w["from_iin"].replace("02.03", "03.03") in joined(summary)
    replies = await user.press(labels["send"])
    assert "ALA-2025-000001" in joined(replies)
    assert (await stored(running)).child_birth == dt.date(2015, 3, 3)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_an_iin_from_before_the_iin_rules_asks_the_date_checked_against_it(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w, labels = WORDS[language], LABELS[language]
    user = tg.user(2851 + (language == "kk"), language_code=language)
    await start_in(user, language)
    parent, person = Parent(user, language), Person(child_iin=PRE_RULES_IIN)
    await parent.send("/apply")
    await parent.press(labels["agree"])
    for answer in (labels["mother"], full_name(person), person.iin):
        await parent.send(answer)
    await parent.contact("77012345678")
    for answer in (person.address, person.child_name):
        await parent.send(answer)
    replies = await parent.send(PRE_RULES_IIN)
    assert w["pre_rules"] in replies[-1].text and w["q_birth"] in replies[-1].text
    replies = await parent.send("05.04.2011")
    assert w["digits"] in replies[-1].text
    replies = await parent.send("05.04.2010")
    assert w["q_disability"] in replies[-1].text
    for answer in (person.disability_until, person.school, certificate_details(person)):
        await parent.send(answer)
    await parent.document("certificate.pdf", "application/pdf")
    summary = await parent.send(person.iban)
    assert "05.04.2010" in joined(summary) and w["from_iin"][-8:] not in joined(summary)
    replies = await parent.press(labels["send"])
    assert "ALA-2025-000001" in joined(replies)
    assert parent.inputs == 17  # the date typed, and once a wrong one
    assert parent.steps == [(number, 11) for number in range(1, 12)]
    application = await stored(running)
    assert application.child_iin == PRE_RULES_IIN
    assert application.child_birth == dt.date(2010, 4, 5)


async def test_an_iin_from_before_the_rules_takes_the_date_given_in_estimate(
    running: RunningBot, tg: FakeTelegram
) -> None:
    labels = LABELS["ru"]
    user = tg.user(2861, language_code="ru")
    await start_in(user, "ru")
    await estimate_as(user, "ru", birth="05.04.2010")
    parent, person = Parent(user, "ru"), Person(child_iin=PRE_RULES_IIN)
    await parent.send("/apply")
    await parent.press(labels["agree"])
    for answer in (labels["mother"], full_name(person), person.iin):
        await parent.send(answer)
    await parent.contact("77012345678")
    for answer in (person.address, person.child_name):
        await parent.send(answer)
    replies = await parent.send(PRE_RULES_IIN)
    assert "дата из /estimate, 05.04.2010, с ним согласуется" in joined(replies)
    for answer in (labels["keep"], person.school, "№ 15/2025, 01.09.2025"):
        await parent.send(answer)
    await parent.document("certificate.pdf", "application/pdf")
    await parent.send(person.iban)
    replies = await parent.press(labels["send"])
    assert "ALA-2025-000001" in joined(replies)
    assert parent.inputs == 15
    assert parent.steps == [(number, 11) for number in range(1, 12)]
    assert (await stored(running)).child_birth == dt.date(2010, 4, 5)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_deletedata_removes_the_kept_answers(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    w, labels = WORDS[language], LABELS[language]
    user = tg.user(2871 + (language == "kk"), language_code=language)
    await start_in(user, language)
    await check_as(user, language)
    await estimate_as(user, language)
    async with running.app.context.sessionmaker() as session:
        rows = list(await session.scalars(select(FsmRecord).where(FsmRecord.user_id == user.id)))
    assert "2015-03-02" in " ".join(str(row.data) for row in rows)  # kept
    [question] = await user.send("/deletedata")
    await user.press(w["yes_delete"], message=question)
    async with running.app.context.sessionmaker() as session:
        rows = list(await session.scalars(select(FsmRecord).where(FsmRecord.user_id == user.id)))
    assert rows == []
    await user.send("/apply")
    replies = await user.press(labels["agree"])
    assert w["already"] not in joined(replies)
