"""bot.textfit: texts split for Telegram lose nothing and never exceed the limit."""

from __future__ import annotations

from bot.textfit import parts_of, relayed, relayed_caption, split_lines, visible_length


def test_parts_keep_every_character_and_fit() -> None:
    text = ("слово " * 50 + "😀" * 30 + "\n") * 20
    parts = parts_of(text, 300)
    assert all(len(p.encode("utf-16-le")) // 2 <= 300 for p in parts)
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )
    assert parts_of("x" * 1000, 300) == ["x" * 300, "x" * 300, "x" * 300, "x" * 100]
    assert parts_of("   ", 10) == []


def test_relayed_texts_are_escaped_numbered_and_fit() -> None:
    header = "<b>Header</b>"
    assert relayed(header, "a < b & c") == ["<b>Header</b>\n\na &lt; b &amp; c"]
    long = "<&> " * 2000
    messages = relayed(header, long)
    assert len(messages) == 2 and all(visible_length(m) <= 4096 for m in messages)
    assert messages[0].startswith("<b>Header</b>\n\n(1/2) &lt;&amp;&gt;")
    assert messages[1].startswith("(2/2) ")
    caption, rest = relayed_caption(header, "& " * 600)
    assert visible_length(caption) <= 1024 and caption.startswith("<b>Header</b>\n(1/2) &amp;")
    assert len(rest) == 1 and rest[0].startswith("(2/2) &amp;")
    assert relayed_caption(header, "") == (header, [])


def test_split_lines_packs_whole_lines() -> None:
    lines = [f"<b>{n}</b> " + "я" * 100 for n in range(100)]
    texts = split_lines(lines, 1000)
    assert all(visible_length(t) <= 1000 for t in texts)
    assert "\n".join(texts).split("\n") == lines
    assert visible_length(split_lines(["я" * 2000], 1000)[0]) == 1000
