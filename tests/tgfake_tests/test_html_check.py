"""Telegram's HTML subset."""

from __future__ import annotations

import pytest

from tests.tgfake import check_html, parse_html


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins>",
        "<s>s</s><strike>k</strike><del>d</del><tg-spoiler>x</tg-spoiler>",
        '<span class="tg-spoiler">x</span><a href="https://example.org/?a=1&amp;b=2">l</a>',
        '<pre><code class="language-python">print(1)</code></pre><code>c</code>',
        "<blockquote>q</blockquote><blockquote expandable>q</blockquote>",
        "&lt;tag&gt; &amp; &quot;q&quot; &#1046; &#x416; & alone",
        "<B>upper</B>",
        "<b>nested <i>tags</i></b>",
    ],
)
def test_valid(text: str) -> None:
    assert check_html(text) is None


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("Сумма <br>", 'Unsupported start tag "br" at byte offset 11'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("1 <2 items", 'Unsupported start tag "2" at byte offset 2'),
    ],
)
def test_invalid(text: str, error: str) -> None:
    assert check_html(text) == f"Bad Request: can't parse entities: {error}"


def test_entities_and_plain_text() -> None:
    plain, entities = parse_html('👍 <b>жирный</b> <a href="https://x.kz">сайт</a> &lt;3')
    assert plain == "👍 жирный сайт <3"
    # offsets are in UTF-16 code units: the emoji counts as 2
    assert entities == [
        {"type": "bold", "offset": 3, "length": 6},
        {"type": "text_link", "url": "https://x.kz", "offset": 10, "length": 4},
    ]


def test_pre_language() -> None:
    plain, entities = parse_html('<pre><code class="language-sql">select 1</code></pre>')
    assert plain == "select 1"
    assert entities == [{"type": "pre", "language": "sql", "offset": 0, "length": 8}]
