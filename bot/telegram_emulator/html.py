"""Telegram's text formatting: the HTML ``parse_mode`` subset, Markdown escapes,
and the text a terminal shows.

The HTML parser mirrors the behaviour (and the error texts) of Telegram's own:
unsupported tags, an unescaped ``<``, unclosed or mismatched tags are rejected
with ``can't parse entities: ...``. On success it returns the plain text the
user sees and the message entities (UTF-16 offsets), as the Bot API would in
the returned Message.
"""

from __future__ import annotations

import re
from typing import Any

from .limits import utf16_len

_TAG_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_ATTR_RE = re.compile(
    r"""\s*([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?"""
)


_MARKDOWN_ESCAPE = re.compile(r"\\([_*\[\]()~`>#+\-=|{}.!\\])")


class HtmlParseError(ValueError):
    """Raised with the part after ``can't parse entities: ``."""


def _byte_offset(text: str, pos: int) -> int:
    return len(text[:pos].encode("utf-8"))


def _decode_entities(chunk: str) -> str:
    def repl(m: re.Match[str]) -> str:
        body = m.group(1)
        if body.startswith(("#x", "#X")):
            try:
                return chr(int(body[2:], 16))
            except (ValueError, OverflowError):
                return m.group(0)
        if body.startswith("#"):
            try:
                return chr(int(body[1:]))
            except (ValueError, OverflowError):
                return m.group(0)
        return _NAMED_ENTITIES.get(body.lower(), m.group(0))

    return _ENTITY_RE.sub(repl, chunk) if "&" in chunk else chunk


def _parse_attrs(raw: str, tag: str, text: str, tag_pos: int) -> dict[str, str]:
    attrs: dict[str, str] = {}
    pos = 0
    raw = raw.rstrip().rstrip("/")
    while pos < len(raw):
        if raw[pos:].strip() == "":
            break
        m = _ATTR_RE.match(raw, pos)
        if not m or m.end() == pos:
            raise HtmlParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {_byte_offset(text, tag_pos)}"
            )
        value = next((g for g in m.group(2, 3, 4) if g is not None), "")
        attrs[m.group(1).lower()] = _decode_entities(value)
        pos = m.end()
    return attrs


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Return ``(plain_text, entities)`` or raise :class:`HtmlParseError`."""
    out: list[str] = []
    out_len = 0  # in UTF-16 code units
    stack: list[tuple[str, int, dict[str, Any]]] = []
    entities: list[dict[str, Any]] = []
    i = 0
    n = len(text)
    while i < n:
        lt = text.find("<", i)
        if lt == -1:
            chunk = _decode_entities(text[i:])
            out.append(chunk)
            out_len += utf16_len(chunk)
            break
        if lt > i:
            chunk = _decode_entities(text[i:lt])
            out.append(chunk)
            out_len += utf16_len(chunk)
        i = lt
        if i + 1 < n and text[i + 1] == "/":
            gt = text.find(">", i)
            if gt == -1:
                raise HtmlParseError(f"Unclosed end tag at byte offset {_byte_offset(text, i)}")
            end_name = text[i + 2 : gt].strip().lower()
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {_byte_offset(text, i)}")
            tag, start, opened = stack.pop()
            if end_name and end_name != tag:
                raise HtmlParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, i)}, "
                    f'expected "</{tag}>", found "</{end_name}>"'
                )
            length = out_len - start
            if length > 0 and opened:
                opened["offset"] = start
                opened["length"] = length
                entities.append(opened)
            i = gt + 1
            continue
        # start tag
        j = i + 1
        while j < n and not text[j].isspace() and text[j] not in ">":
            j += 1
        if j >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(text, i)}")
        tag = text[i + 1 : j].lower().rstrip("/")
        if tag not in _TAG_TYPES:
            raise HtmlParseError(
                f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, i)}'
            )
        gt = text.find(">", j)
        if gt == -1:
            raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(text, i)}")
        attrs = _parse_attrs(text[j:gt], tag, text, i)
        entity: dict[str, Any] = {"type": _TAG_TYPES[tag]}
        if tag == "a":
            href = attrs.get("href", "")
            if href.startswith("tg://user?id="):
                entity = {"type": "text_mention"}
            elif href:
                entity["url"] = href
            else:
                entity = {}
        elif tag == "span":
            if attrs.get("class") != "tg-spoiler":
                raise HtmlParseError('Tag "span" must have class "tg-spoiler"')
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = attrs.get("emoji-id", "")
        elif tag == "code":
            lang = attrs.get("class", "")
            if lang.startswith("language-") and stack and stack[-1][0] == "pre":
                stack[-1][2]["language"] = lang[len("language-") :]
                entity = {}
        elif tag == "blockquote" and "expandable" in attrs:
            entity["type"] = "expandable_blockquote"
        stack.append((tag, out_len, entity))
        i = gt + 1
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def check_html(text: str) -> str | None:
    """Return Telegram's error description for invalid HTML, or ``None``."""
    try:
        parse_html(text)
    except HtmlParseError as e:
        return f"Bad Request: can't parse entities: {e}"
    return None


def render(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Apply the parse mode: ``(plain text, entities)``; raises :class:`HtmlParseError`.

    Markdown modes only lose their escapes (their entities are not simulated);
    without a parse mode the text and the given entities are kept."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode.startswith("markdown"):
        return _MARKDOWN_ESCAPE.sub(r"\1", text), []
    return text, list(entities or [])


def shown(plain: str, entities: list[dict[str, Any]] | None) -> str:
    """The text as a terminal shows it: a link's address follows its label."""
    inserts: list[tuple[int, str]] = []
    units = plain.encode("utf-16-le")
    for entity in entities or []:
        url = str(entity.get("url") or "")
        if entity.get("type") != "text_link" or not url or url.startswith("tg://"):
            continue
        end = int(entity["offset"]) + int(entity["length"])
        label = units[2 * int(entity["offset"]) : 2 * end].decode("utf-16-le", "replace")
        if label != url:
            inserts.append((end, f" ({url})"))
    for end, addition in sorted(inserts, reverse=True):
        units = units[: 2 * end] + addition.encode("utf-16-le") + units[2 * end :]
    return units.decode("utf-16-le", "replace")
