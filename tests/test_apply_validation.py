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
R_FILE_TYPE = {"ru": "Такой файл не принимается", "kk": "Мұндай файл қабылданбайды"}

# Step code → (good answer, bad inputs). The good answers form one application.
STEPS: list[tuple[str, str | None, list[Bad]]] = [
    (
        "surname",
        "Әбдіқадырова",
        [
            Bad(text("   "), R_EMPTY),
            Bad(text(LONG), R_LONG),
            Bad(text("😀😀"), R_NAME),
            Bad(text("Иванова1"), R_NAME),
            Bad(sticker, R_TEXT),
            Bad(photo, R_TEXT),
        ],
    ),
    ("name", "Айгерим", [Bad(text("<b>Айгерим</b>"), R_NAME), Bad(location, R_TEXT)]),
    ("patronymic", None, [Bad(text("🙂"), R_NAME), Bad(text(LONG), R_LONG)]),
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
    (
        "relation",
        "мама",
        [
            Bad(text("сосед"), {"ru": "выберите одну из кнопок", "kk": "батырмалардың бірін"}),
            Bad(sticker, R_TEXT),
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
        "child_birth",
        "02.03.2015",
        [
            Bad(text("31.02.2025"), R_DATE_IMPOSSIBLE),
            Bad(text("2 марта 2015"), R_DATE_FORMAT),
            Bad(text("01.01.2030"), R_FUTURE),
            Bad(
                text("03.03.2015"),
                {
                    "ru": "его первые шесть цифр дают 02.03.2015",
                    "kk": "алғашқы алты цифры 02.03.2015",
                },
            ),
            Bad(text(LONG), R_DATE_FORMAT),
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
        "cert_number",
        "15/2025",
        [
            Bad(
                text("😀"),
                {"ru": "должен содержать буквы или цифры", "kk": "әріптер немесе цифрлар"},
            ),
            Bad(text("1" * 65), R_LONG),
        ],
    ),
    (
        "cert_date",
        "01.09.2025",
        [
            Bad(text("31.02.2025"), R_DATE_IMPOSSIBLE),
            Bad(text("16.11.2025"), R_FUTURE),
        ],
    ),
    (
        "cert_from",
        "09.2025",
        [
            Bad(text("13.2025"), {"ru": "от 01 до 12", "kk": "01-ден 12-ге"}),
            Bad(text("2025-09"), {"ru": "месяц.год", "kk": "ай.жыл"}),
        ],
    ),
    (
        "cert_to",
        "05.2026",
        [
            Bad(
                text("08.2025"),
                {"ru": "раньше первого месяца срока (09.2025)", "kk": "бірінші айынан (09.2025)"},
            ),
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
]


@pytest.mark.parametrize("language", ["ru", "kk"])
async def test_bad_input_at_every_step(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    user = tg.user(2101 if language == "ru" else 2102, language_code=language)
    labels = LABELS[language]
    await begin(user, language)
    for number, (code, good, bad_inputs) in enumerate(STEPS, start=1):
        for bad in bad_inputs:
            replies = await bad.act(user)
            reply = joined(replies)
            assert bad.reason[language] in reply, (code, bad.act.__name__, reply)
            assert reply.lstrip().startswith("❗"), (code, reply)
            assert step_text(language, number, 18) in reply, (code, reply)  # the question again
        if code == "patronymic":
            await user.send(labels["skip"])
        elif code == "certificate":
            # a large real PDF (19 MB) is accepted: the check reads its content
            await user.send_document(
                "справка.pdf", "application/pdf", content=b"%PDF-1.7\n" + bytes(19 * MB - 9)
            )
            summary = await user.send(labels["done"])
        else:
            await user.send(good)  # type: ignore[arg-type]
    text = joined(summary)
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
        assert piece in text, piece


async def test_contact_is_accepted_as_the_phone(running: RunningBot, tg: FakeTelegram) -> None:
    user = tg.user(2103, language_code="ru")
    await begin(user, "ru")
    for answer in ("Иванова", "Мария", LABELS["ru"]["skip"], APPLICANT_IIN):
        replies = await user.send(answer)
    assert any(
        button.get("request_contact")
        for row in replies[-1].reply_markup["keyboard"]
        for button in row
    )
    replies = await user.send_contact("77017654321")
    assert step_text("ru", 6, 18) in joined(replies)
    replies = await user.send(LABELS["ru"]["back"])
    assert "Ваш ответ сейчас: +77017654321" in joined(replies)


async def test_the_child_iin_date_must_match_even_for_another_century(
    running: RunningBot, tg: FakeTelegram
) -> None:
    user = tg.user(2104, language_code="kk")
    await begin(user, "kk")
    child = make_iin(dt.date(2012, 12, 31), "6", 5)
    for answer in (
        "Иванова",
        "Мария",
        LABELS["kk"]["skip"],
        APPLICANT_IIN,
        "87011234567",
        "Абай 1",
        LABELS["kk"]["mother"],
        "Иванова Дана",
        child,
    ):
        await user.send(answer)
    replies = await user.send("31.12.1912")
    assert "алғашқы алты цифры 31.12.2012" in joined(replies)
    replies = await user.send("31.12.2012")
    assert step_text("kk", 11, 18) in joined(replies)


def test_split_message_never_cuts_markup_and_respects_the_limit() -> None:
    lines = [f"<b>{i}</b> " + "слово " * 30 for i in range(100)]
    parts = split_message(lines, limit=1000)
    assert all(len(part) <= 1000 for part in parts)
    assert "\n".join(parts).split("\n") == lines
    long_line = "слово " * 500
    parts = split_message(["<b>title</b>", long_line], limit=1000)
    assert parts[0] == "<b>title</b>" and all(len(part) <= 1000 for part in parts)
    assert "".join(parts[1:]).replace(" ", "") == long_line.replace(" ", "")
