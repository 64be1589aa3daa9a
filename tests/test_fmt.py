"""bot/views/fmt.py: HTML built by construction — every value escaped, markup kept."""

from __future__ import annotations

from decimal import Decimal

from bot.telegram_emulator.html import parse_html
from bot.views.fmt import Html, b, code, fmt, i, join, link, plain

NASTY = "<b>Ann & \"Bob\" 'O'</b>"


def test_values_and_template_are_escaped_markup_is_kept() -> None:
    text = fmt("Name: {name} — {status} & co", name=NASTY, status=b("approved"))
    assert text == (
        "Name: &lt;b&gt;Ann &amp; &quot;Bob&quot; &#x27;O&#x27;&lt;/b&gt; — <b>approved</b> &amp; co"
    )
    assert isinstance(text, Html)
    plain_text, entities = parse_html(text)
    assert plain_text == f"Name: {NASTY} — approved & co"
    assert [e["type"] for e in entities] == ["bold"]


def test_html_is_never_escaped_twice() -> None:
    once = plain(NASTY)
    assert plain(once) == once
    assert fmt("{x}", x=once) == once
    assert join([once, "<i>"], " ") == once + " &lt;i&gt;"


def test_numbers_keep_their_format_spec() -> None:
    assert fmt("{n:03d} {d}", n=7, d=Decimal("1.50")) == "007 1.50"


def test_tags_escape_their_content() -> None:
    assert b("<x>") == "<b>&lt;x&gt;</b>"
    assert i("a&b") == "<i>a&amp;b</i>"
    assert code("<") == "<code>&lt;</code>"
    assert link('https://t.me/c/1/2?a="x"', "<n>") == (
        '<a href="https://t.me/c/1/2?a=&quot;x&quot;">&lt;n&gt;</a>'
    )
