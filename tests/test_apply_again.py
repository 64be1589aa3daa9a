"""Issue 12 item 3: another child after Send and a renewal from a reminder, each a new
application (own number, card and audit) asking only what is new; inputs counted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.data.models import Application
from bot.views.notifications import renew_markup
from tests.apply_support import (
    APPLICANT_IIN,
    CHILD_IIN,
    IBAN,
    LABELS,
    Person,
    answer_all,
    begin,
    joined,
    make_iin,
)
from tests.conftest import RunningBot
from tests.test_apply_inputs import Parent
from tests.tgfake.server import FakeTelegram

OTHER_CHILD = make_iin(dt.date(2016, 5, 20), "6", 77)
ANOTHER = {"ru": "👶 Подать заявление на другого ребёнка", "kk": "👶 Басқа балаға өтініш беру"}


async def rows(running: RunningBot) -> list[Application]:
    async with running.app.context.sessionmaker() as session:
        found = await session.scalars(
            select(Application).options(selectinload(Application.audit)).order_by(Application.id)
        )
        return list(found)


async def test_another_child_keeps_the_applicant_and_the_iban(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(2801, language_code="kk")
    labels = LABELS["kk"]
    await begin(user, "kk")
    await answer_all(user, "kk", Person())
    replies = await user.press(labels["send"])
    assert any(m.inline_buttons == [[ANOTHER["kk"]]] for m in replies)

    parent = Parent(user, "kk")
    offer = next(m for m in replies if m.inline_buttons == [[ANOTHER["kk"]]])
    replies = await parent.press(ANOTHER["kk"], message=offer)
    text = joined(replies)
    assert "ALA-2025-000001" in text and "Әбдіқадырова, Айгерим, Серікқызы" in text
    assert IBAN in text  # shown for confirmation
    await parent.send("Әбдіқадырова Дана")
    await parent.send(OTHER_CHILD)
    await parent.send(labels["indefinite"])
    await parent.send("№ 7 мектеп")
    await parent.send("21/2025, 01.09.2025, 09.2025–05.2026")
    summary = await parent.document("certificate.pdf", "application/pdf")
    text = joined(summary)
    assert "Тегі: Әбдіқадырова" in text and IBAN in text and OTHER_CHILD in text
    replies = await parent.press(labels["send"])
    assert "ALA-2025-000002" in joined(replies)
    assert parent.inputs == 8  # 15 for the first child

    first, second = await rows(running)
    assert (second.applicant_iin, second.iban, second.phone) == (
        first.applicant_iin,
        first.iban,
        first.phone,
    )
    assert (second.child_iin, second.child_birth) == (OTHER_CHILD, dt.date(2016, 5, 20))
    assert second.certificate_number == "21/2025" and first.child_iin == CHILD_IIN
    assert [(e.action, e.new_status) for e in second.audit] == [("submit", "submitted")]


async def test_a_renewal_asks_only_for_the_new_certificate(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(2802, language_code="ru")
    labels = LABELS["ru"]
    await begin(user, "ru")
    await answer_all(user, "ru", Person())
    await user.press(labels["send"])
    [first] = await rows(running)
    # the certificate-end and 1 September reminders carry the button, others do not
    markup = renew_markup(running.app.context, "reminder_certificate_end", first.id, "ru")
    assert markup == {
        "inline_keyboard": [
            [{"text": "🔁 Продлить: новое заявление", "callback_data": f"renew:{first.id}"}]
        ]
    }
    assert renew_markup(running.app.context, "reminder_new_school_year", first.id, "kk")
    assert renew_markup(running.app.context, "reminder_age_18", first.id, "ru") is None

    parent = Parent(user, "ru")
    parent.inputs += 1
    replies = await user.press_data(f"renew:{first.id}", message=None)
    text = joined(replies)
    assert "ALA-2025-000001" in text and "срок инвалидности и адрес" in text
    await parent.send("33/2026, 15.11.2025, 09.2026–05.2027")
    summary = await parent.document("certificate.pdf", "application/pdf")
    text = joined(summary)
    assert "Срок окончания инвалидности: 31.12.2027" in text and "Адрес: ул. Абая 10, кв. 5" in text
    replies = await parent.press(labels["send"])
    assert "ALA-2025-000002" in joined(replies)
    assert parent.inputs <= 6
    assert parent.inputs == 4

    _, renewal = await rows(running)
    assert (renewal.child_iin, renewal.applicant_iin, renewal.iban) == (
        CHILD_IIN,
        APPLICANT_IIN,
        IBAN,
    )
    assert renewal.certificate_number == "33/2026" and renewal.certificate_start == "2026-09"
    assert renewal.school == first.school
    assert [(e.action, e.new_status) for e in renewal.audit] == [("submit", "submitted")]


async def test_another_users_application_is_not_renewed(
    running: RunningBot, tg: FakeTelegram
) -> None:
    owner = tg.user(2803, language_code="ru")
    await begin(owner, "ru")
    await answer_all(owner, "ru", Person())
    await owner.press(LABELS["ru"]["send"])
    [first] = await rows(running)
    stranger = tg.user(2804, language_code="ru")
    await begin(stranger, "ru")
    await stranger.send("/cancel")
    replies = await stranger.press_data(f"renew:{first.id}")
    text = joined(replies)
    assert APPLICANT_IIN not in text and "Әбдіқадырова" not in text
