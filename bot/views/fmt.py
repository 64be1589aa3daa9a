"""HTML for Telegram's parse_mode=HTML, built by construction.

Every message the bot sends is HTML. Views and handlers never escape by hand: they
build the text with the helpers here, which escape every value that is not already
markup. `Html` marks trusted markup (a `str`, so it goes wherever text goes):

    fmt(_("Application {number} is approved."), number=b(number))
    join([b(_("Child")), fmt(_("Name: {name}"), name=child_name)])

- `fmt(template, **values)`: the template (plain text, usually a translation) and each
  value are escaped; `Html` values are inserted as they are; numbers keep their format.
- `plain(value)`: plain text → `Html` (an `Html` stays as it is, never escaped twice).
- `b`, `i`, `code`, `link`: a tag around escaped text.
- `join(parts, sep)`: parts escaped unless `Html`, joined.

This is the only module of the views and handlers that calls `html.escape`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from decimal import Decimal

__all__ = ["Html", "b", "code", "fmt", "i", "join", "link", "plain"]


class Html(str):
    """Markup that is safe to send: escaped text and the bot's own tags.

    Concatenating with `+` gives a plain `str` (nothing is escaped implicitly); use
    `fmt` / `join` to combine markup with text."""

    __slots__ = ()


def plain(value: object) -> Html:
    """Text as HTML: `<`, `>`, `&` and quotes escaped; `Html` returned as it is."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value)))


def _value(value: object) -> object:
    if isinstance(value, Html | int | float | Decimal) and not isinstance(value, bool):
        return value
    return plain(value)


def fmt(template: str, /, *args: object, **values: object) -> Html:
    """`template.format(...)` with the template and every value escaped (except `Html`)."""
    return Html(
        plain(template).format(
            *(_value(arg) for arg in args),
            **{name: _value(value) for name, value in values.items()},
        )
    )


def join(parts: Iterable[object], sep: str = "\n") -> Html:
    """The parts, each escaped unless `Html`, joined by `sep` (escaped too)."""
    return Html(plain(sep).join(plain(part) for part in parts))


def b(value: object) -> Html:
    """<b>value</b>"""
    return Html(f"<b>{plain(value)}</b>")


def i(value: object) -> Html:
    """<i>value</i>"""
    return Html(f"<i>{plain(value)}</i>")


def code(value: object) -> Html:
    """<code>value</code>"""
    return Html(f"<code>{plain(value)}</code>")


def link(href: str, text: object) -> Html:
    """<a href="href">text</a>"""
    return Html(f'<a href="{plain(href)}">{plain(text)}</a>')
