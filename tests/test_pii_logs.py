"""Personal data never reach the logs, even at DEBUG: a whole application (with
mistakes, a restart, the staff card, /deletedata) and then every log record is
searched for the IINs, the phone, the IBAN, the names and the address."""

from __future__ import annotations

import logging

import pytest

from tests.apply_support import (
    APPLICANT_IIN,
    CHILD_IIN,
    IBAN,
    LABELS,
    Person,
    answer_all,
    begin,
)
from tests.conftest import STAFF_CHAT_ID, RunningBot
from tests.tgfake.server import FakeTelegram

PERSON = Person(
    surname="Жұмабекова",
    name="Гүлнәр",
    patronymic="Ерланқызы",
    address="Райымбек даңғылы 77",
    child_name="Жұмабеков Ержан",
    school="Алатау гимназиясы",
    cert_number="ҚЗ-4412",
)
SECRETS = (
    APPLICANT_IIN,
    CHILD_IIN,
    IBAN,
    IBAN.lower(),
    "7012345678",
    "701 234 56 78",
    PERSON.surname,
    PERSON.name,
    PERSON.patronymic,
    PERSON.address,
    PERSON.child_name,
    "ҚЗ-4412",
)
# What LOG_LEVEL=DEBUG does: the root logger (and everything that inherits it) at DEBUG,
# aiogram's own loggers included.
LOGGERS = ("", "aiogram", "aiogram.event", "aiogram.dispatcher", "bot", "handlers")


async def test_no_personal_data_in_logs_at_debug(
    running: RunningBot, tg: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    tg.group(STAFF_CHAT_ID, "Staff")
    user = tg.user(2401, "Гүлнәр", language_code="kk")
    await begin(user, "kk")
    await user.send(
        APPLICANT_IIN[:-1] + "0" if APPLICANT_IIN[-1] != "0" else APPLICANT_IIN[:-1] + "1"
    )
    await running.restart()
    await answer_all(user, "kk", PERSON)
    await user.press(LABELS["kk"]["send"])
    await user.send("/deletedata")
    await user.press("✅ Иә, деректерімді жою")
    await tg.wait_idle()

    assert caplog.records, "logging was not captured"
    text = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    )
    leaked = [secret for secret in SECRETS if secret in text]
    assert leaked == []
    names = {record.name for record in caplog.records}
    assert any(name.startswith("aiogram") for name in names)  # aiogram's loggers were captured


def test_database_loggers_are_kept_quiet() -> None:
    import logging as logging_module

    from bot.usecases.privacy import DATA_LOGGERS, quiet_data_loggers

    quiet_data_loggers()
    for name in DATA_LOGGERS:
        assert not logging_module.getLogger(name).isEnabledFor(logging_module.INFO)
    assert not logging_module.getLogger("sqlalchemy.engine.Engine").isEnabledFor(
        logging_module.INFO
    )
