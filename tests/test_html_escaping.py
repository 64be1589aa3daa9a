"""User text in HTML messages: shown exactly as typed, never read as markup (issue 9 item 1).

A parent's answers with <b>, &, " and ' go through the /apply summary, the staff card
and /status over the fake Bot API; the emulator parses every message as Telegram does
(an unescaped tag would be bold or rejected, an entity would be decoded twice)."""

from __future__ import annotations

from bot.telegram_emulator.models import FakeMessage
from tests.apply_support import LABELS, Person, answer_all, begin, joined
from tests.conftest import STAFF_CHAT_ID, RunningBot
from tests.tgfake.server import FakeTelegram

SURNAME = "Д'Артаньян"
ADDRESS = "ул. <b>Абая</b> & \"Самал\" 'Б' &amp; 10"
SCHOOL = "Школа <i>№ 7</i> & «Лицей»"


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def bold_texts(message: FakeMessage) -> list[str]:
    units = (message.text or "").encode("utf-16-le")
    return [
        units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message.data.get("entities", [])
        if e["type"] == "bold"
    ]


def markup_over(message: FakeMessage, value: str) -> list[str]:
    """Types of the entities that touch `value` in the message (as Telegram shows it)."""
    text = message.text or ""
    start = utf16(text[: text.index(value)])
    end = start + utf16(value)
    return [
        e["type"]
        for e in message.data.get("entities", [])
        if e["offset"] < end and e["offset"] + e["length"] > start
    ]


async def test_parent_text_with_markup_reaches_summary_and_card_as_typed(
    running: RunningBot, tg: FakeTelegram
) -> None:
    tg.group(STAFF_CHAT_ID, "Staff")
    user = tg.user(2071, language_code="ru")
    await begin(user, "ru")
    summary = await answer_all(user, "ru", Person(surname=SURNAME, address=ADDRESS, school=SCHOOL))
    text = joined(summary)
    assert SURNAME in text and ADDRESS in text and SCHOOL in text
    raw = "\n".join(m.raw_text or "" for m in summary)
    assert "&lt;b&gt;Абая&lt;/b&gt; &amp; &quot;Самал&quot; &#x27;Б&#x27; &amp;amp; 10" in raw
    # each typed value is one bold value of the summary, not markup of its own
    bolds = [bold for m in summary for bold in bold_texts(m)]
    assert ADDRESS in bolds and SCHOOL in bolds and SURNAME in bolds

    await user.press(LABELS["ru"]["send"])

    def cards() -> list[FakeMessage]:
        return [m for m in tg.messages(STAFF_CHAT_ID) if "ALA-2025-000001" in (m.text or "")]

    await tg.wait_for(cards, what="staff card")
    card = cards()[0]
    for value in (SURNAME, ADDRESS, SCHOOL):
        assert value in (card.text or "")
        assert markup_over(card, value) == []  # plain text on the card
    assert "&lt;i&gt;№ 7&lt;/i&gt; &amp; «Лицей»" in (card.raw_text or "")
