"""Bad input at every step of /apply: the reason in the user's language, the same
question again (same step number), nothing entered before is lost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from handlers.apply import split_message
from tests.apply_support import (
    APPLICANT_IIN,
    CHILD_IIN,
    IBAN,
    LABELS,
    begin,
    joined,
    make_iin,
    step_text,
)
from tests.conftest import RunningBot
from tests.tgfake.models import FakeMessage
from tests.tgfake.people import FakeUser
from tests.tgfake.server import FakeTelegram

MB = 1024 * 1024
BAD_CHECKSUM_IIN = APPLICANT_IIN[:11] + str((int(APPLICANT_IIN[11]) + 1) % 10)
LONG = "А" * 5000


def checked_iin(first7: str) -> str:
    """12 digits starting with `first7` and a correct control digit (date/century may be wrong)."""
    from core.iin import iin_control_digit

    for serial in range(1, 1000):
        first11 = f"{first7}{serial:04d}"
        control = iin_control_digit(first11)
        if control is not None:
            return f"{first11}{control}"
    raise AssertionError(first7)


def text(value: str) -> Callable[[FakeUser], Awaitable[list[FakeMessage]]]:
    async def act(user: FakeUser) -> list[FakeMessage]:
        return await user.send(value)

    act.__name__ = f"text {value[:20]!r}"
    return act


async def sticker(user: FakeUser) -> list[FakeMessage]:
    return await user.send_sticker()


async def photo(user: FakeUser) -> list[FakeMessage]:
    return await user.send_photo()


async def big_document(user: FakeUser) -> list[FakeMessage]:
    return await user.send_document("scan.pdf", "application/pdf", size=30 * MB)


async def big_photo(user: FakeUser) -> list[FakeMessage]:
    return await user.send_photo(size=25 * MB)


async def word_document(user: FakeUser) -> list[FakeMessage]:
    return await user.send_document(
        "scan.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )


async def location(user: FakeUser) -> list[FakeMessage]:
    return await user.send_location()


@dataclass
class Bad:
    act: Callable[[FakeUser], Awaitable[list[FakeMessage]]]
    reason: dict[str, str]  # language → a piece of the reason


R_EMPTY = {"ru": "Ответ пустой", "kk": "Жауап бос"}
R_LONG = {"ru": "слишком длинный", "kk": "тым ұзын"}
R_NAME = {"ru": "только буквы", "kk": "тек әріптер"}
R_TEXT = {"ru": "ответьте текстовым сообщением", "kk": "Мәтіндік хабарламамен"}
R_IIN = {"ru": "ровно из 12 цифр", "kk": "дәл 12 цифрдан"}
R_CHECKSUM = {"ru": "неверная контрольная цифра", "kk": "бақылау цифры"}
R_DATE_FORMAT = {"ru": "день.месяц.год", "kk": "күн.ай.жыл"}
R_DATE_IMPOSSIBLE = {"ru": "Такой даты нет в календаре", "kk": "Күнтізбеде мұндай күн жоқ"}
R_FUTURE = {"ru": "ещё не наступила", "kk": "әлі келген жоқ"}
R_ONE_WORD = {"ru": "полное ФИО", "kk": "Толық аты-жөнін"}
R_PARTS = {"ru": "отправьте все три", "kk": "Үшеуін де жіберіңіз"}
R_FILE_TYPE = {"ru": "Такой файл не принимается", "kk": "Мұндай файл қабылданбайды"}

# Step code → (good answer, bad inputs). The good answers form one application.
STEPS: list[tuple[str, str | None, list[Bad]]] = [
    (
        "full_name",
        "Әбдіқадырова Айгерим",
        [
            Bad(text("   "), R_EMPTY),
            Bad(text(LONG), R_LONG),
            Bad(text("😀😀"), R_NAME),
            Bad(text("Иванова1 Мария"), R_NAME),
            Bad(text("<b>Айгерим</b> Иванова"), R_NAME),
            Bad(text("Айгерим"), R_ONE_WORD),
            Bad(sticker, R_TEXT),
            Bad(photo, R_TEXT),
            Bad(location, R_TEXT),
        ],
    ),
    (
        "iin",
        APPLICANT_IIN,
        [
            Bad(text(BAD_CHECKSUM_IIN), R_CHECKSUM),
            Bad(text("12345"), R_IIN),
            Bad(text("1" * 5000), R_IIN),
            Bad(text("😀"), R_IIN),
            Bad(
                text(checked_iin("8513154")),
                {"ru": "не образуют настоящую дату", "kk": "нақты күнді"},
            ),
            Bad(
                text(checked_iin(CHILD_IIN[:6] + "9")),
                {"ru": "Седьмая цифра", "kk": "жетінші цифры"},
            ),
            Bad(sticker, R_TEXT),
        ],
    ),
    (
        "phone",
        "+7 (701) 234-56-78",
        [
            Bad(text("12345"), {"ru": "казахстанский номер", "kk": "Қазақстандық телефон"}),
            Bad(
                text("+49 30 1234567"), {"ru": "казахстанский номер", "kk": "Қазақстандық телефон"}
            ),
            Bad(text("😀"), {"ru": "казахстанский номер", "kk": "Қазақстандық телефон"}),
            Bad(photo, R_TEXT),
        ],
    ),
    (
        "address",
        "ул. Абая 10, кв. 5",
        [
            Bad(
                text("😀🏠"),
                {"ru": "должен содержать буквы или цифры", "kk": "әріптер немесе цифрлар"},
            ),
            Bad(text(LONG), R_LONG),
            Bad(text("Абая\u202e10"), {"ru": "недопустимые символы", "kk": "қолдануға болмайтын"}),
        ],
    ),
    ("child_name", "Әбдіқадыров Нұрлан", [Bad(text("Nurlan 2"), R_NAME), Bad(text(LONG), R_LONG)]),
    (
        "child_iin",
        CHILD_IIN,
        [
            Bad(text(APPLICANT_IIN), {"ru": "Это ваш собственный ИИН", "kk": "Бұл сіздің өз ЖСН"}),
            Bad(text(CHILD_IIN[:11] + str((int(CHILD_IIN[11]) + 1) % 10)), R_CHECKSUM),
        ],
    ),
    (
        "disability_until",
        "31.12.2027",
        [
            Bad(text("01.01.2020"), {"ru": "уже прошла", "kk": "өтіп кетті"}),
            Bad(text("31.02.2026"), R_DATE_IMPOSSIBLE),
            Bad(text("навсегда"), R_DATE_FORMAT),
        ],
    ),
    (
        "school",
        "Школа № 7",
        [Bad(text(LONG), R_LONG), Bad(text("   "), R_EMPTY), Bad(sticker, R_TEXT)],
    ),
    (
        "cert",
        "№ 15/2025 от 01.09.2025, 09.2025–05.2026",
        [
            Bad(
                text("😀, 01.09.2025, 09.2025–05.2026"),
                {"ru": "должен содержать буквы или цифры", "kk": "әріптер немесе цифрлар"},
            ),
            Bad(text("1" * 65 + ", 01.09.2025, 09.2025–05.2026"), R_LONG),
            Bad(text("15/2025, 31.02.2025, 09.2025–05.2026"), R_DATE_IMPOSSIBLE),
            Bad(text("15/2025, 16.11.2025, 09.2025–05.2026"), R_FUTURE),
            Bad(
                text("15/2025, 01.09.2025, 13.2025–05.2026"),
                {"ru": "от 01 до 12", "kk": "01-ден 12-ге"},
            ),
            Bad(
                text("15/2025, 01.09.2025, 09.2025–08.2025"),
                {"ru": "раньше первого месяца срока (09.2025)", "kk": "бірінші айынан (09.2025)"},
            ),
            Bad(text("15/2025, 01.09.2025"), R_PARTS),
            Bad(text("01.09.2025, 09.2025–05.2026"), R_PARTS),
            Bad(text("15/2025, 2025-09-01, 2025-09 – 2026-05"), R_PARTS),
        ],
    ),
    (
        "certificate",
        None,
        [
            Bad(
                text("готово"),
                {"ru": "Сначала отправьте хотя бы один файл", "kk": "кемінде бір файл"},
            ),
            Bad(
                text("вот справка"),
                {"ru": "документ фото или файлом", "kk": "фотосурет немесе файл түрінде"},
            ),
            Bad(
                big_document,
                {"ru": "Файл слишком большой (30,0 МБ)", "kk": "Файл тым үлкен (30,0 МБ)"},
            ),
            Bad(
                big_photo,
                {"ru": "Файл слишком большой (25,0 МБ)", "kk": "Файл тым үлкен (25,0 МБ)"},
            ),
            Bad(word_document, R_FILE_TYPE),
            Bad(sticker, R_FILE_TYPE),
        ],
    ),
    (
        "iban",
        IBAN,
        [
            Bad(
                text(IBAN[:2] + ("00" if IBAN[2:4] != "00" else "01") + IBAN[4:]),
                {"ru": "опечатка", "kk": "қате жазылған"},
            ),
            Bad(text("DE89370400440532013000"), {"ru": "в Казахстане", "kk": "Қазақстандағы"}),
            Bad(text("KZ12"), {"ru": "из 20 знаков", "kk": "20 таңбадан"}),
            Bad(text("😀"), {"ru": "латинских букв", "kk": "латын әріптері"}),
        ],
    ),
]


@pytest.mark.parametrize("language", ["ru", "kk"])
async def test_bad_input_at_every_step(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    user = tg.user(2101 if language == "ru" else 2102, language_code=language)
    await begin(user, language)
    # the relation, first and not numbered: a button (or its word) only
    for bad in (
        Bad(text("сосед"), {"ru": "выберите одну из кнопок", "kk": "батырмалардың бірін"}),
        Bad(sticker, R_TEXT),
    ):
        reply = joined(await bad.act(user))
        assert bad.reason[language] in reply and reply.lstrip().startswith("❗"), reply
    await user.send("мама")
    for number, (code, good, bad_inputs) in enumerate(STEPS, start=1):
        for bad in bad_inputs:
            replies = await bad.act(user)
            reply = joined(replies)
            assert bad.reason[language] in reply, (code, bad.act.__name__, reply)
            assert reply.lstrip().startswith("❗"), (code, reply)
            assert step_text(language, number, 11) in reply, (code, reply)  # the question again
        if code == "certificate":
            # a large real PDF (19 MB) is accepted: the check reads its content
            await user.send_document(
                "справка.pdf", "application/pdf", content=b"%PDF-1.7\n" + bytes(19 * MB - 9)
            )
        else:
            summary = await user.send(good)  # type: ignore[arg-type]
    summary_text = joined(summary)
    # nothing typed before a bad input was lost
    for piece in (
        "Әбдіқадырова",
        "Айгерим",
        APPLICANT_IIN,
        "+77012345678",
        "ул. Абая 10, кв. 5",
        "Әбдіқадыров Нұрлан",
        CHILD_IIN,
        "02.03.2015",
        "31.12.2027",
        "Школа № 7",
        "15/2025",
        "01.09.2025",
        "09.2025",
        "05.2026",
        IBAN,
    ):
        assert piece in summary_text, piece


async def test_contact_is_accepted_as_the_phone(running: RunningBot, tg: FakeTelegram) -> None:
    user = tg.user(2103, language_code="ru")
    await begin(user, "ru")
    for answer in (LABELS["ru"]["mother"], "Иванова Мария", APPLICANT_IIN):
        replies = await user.send(answer)
    assert any(
        button.get("request_contact")
        for row in replies[-1].reply_markup["keyboard"]
        for button in row
    )
    # someone else's contact (another user's card forwarded): refused, asked again
    replies = await user.send_contact("77011112233", user_id=user.id + 1)
    text = joined(replies)
    assert text.lstrip().startswith("❗") and "Это контакт другого человека" in text
    assert step_text("ru", 3, 11) in text
    replies = await user.send_contact("77011112233", own=False)  # a contact with no user
    assert "Это контакт другого человека" in joined(replies)
    replies = await user.send_contact("77017654321")  # one's own: one tap
    assert step_text("ru", 4, 11) in joined(replies)
    replies = await user.send(LABELS["ru"]["back"])
    assert "Ваш ответ сейчас: +77017654321" in joined(replies)


async def test_the_birth_date_comes_from_the_child_iin_of_any_century(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(2104, language_code="kk")
    await begin(user, "kk")
    child = make_iin(dt.date(2012, 12, 31), "6", 5)  # 6: a girl born in the 21st century
    for answer in (
        LABELS["kk"]["mother"],
        "Иванова Мария",
        APPLICANT_IIN,
        "87011234567",
        "Абай 1",
        "Иванова Дана",
    ):
        await user.send(answer)
    replies = await user.send(child)
    text = joined(replies)
    assert "ЖСН бойынша баланың туған күні: 31.12.2012." in text  # not asked: shown
    assert step_text("kk", 7, 11) in text  # the next question: the disability term


def test_split_message_never_cuts_markup_and_respects_the_limit() -> None:
    lines = [f"<b>{i}</b> " + "слово " * 30 for i in range(100)]
    parts = split_message(lines, limit=1000)
    assert all(len(part) <= 1000 for part in parts)
    assert "\n".join(parts).split("\n") == lines
    long_line = "слово " * 500
    parts = split_message(["<b>title</b>", long_line], limit=1000)
    assert parts[0] == "<b>title</b>" and all(len(part) <= 1000 for part in parts)
    assert "".join(parts[1:]).replace(" ", "") == long_line.replace(" ", "")
