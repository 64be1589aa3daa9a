"""Validators of what a parent types (domain.md §5, §8). They never raise: each
returns the normalised value or ``Invalid(code)``. Data minimisation under Art. 8
of the Law "On personal data and their protection": only what the form needs."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from core.iban import KZ_IBAN_LENGTH, iban_mod97
from core.iin import CENTURY_AND_SEX, iin_control_digit
from core.months import Month

__all__ = [
    "MAX_NAME_LENGTH",
    "PRE_RULES_DIGIT",
    "IinInfo",
    "Invalid",
    "iin_date_agrees",
    "parse_child_iin",
    "parse_date",
    "parse_full_name",
    "parse_iban",
    "parse_iin",
    "parse_month",
    "parse_name",
    "parse_phone",
    "parse_pre_rules_iin",
    "parse_text",
]

MAX_NAME_LENGTH = 100
_MIN_YEAR = 1900
_MAX_YEAR = 2100

_IIN = re.compile(r"[0-9]{12}")
_DATE = re.compile(r"([0-9]{1,2})([./-])([0-9]{1,2})\2([0-9]{4})")
_MONTH = re.compile(r"([0-9]{1,2})[./-]([0-9]{4})")
_PHONE_NOISE = re.compile(r"[\s\-()]")
_PHONE = re.compile(r"(?:\+7|8|7)(7[0-9]{9})")
_IBAN_CHARS = re.compile(r"[0-9A-Z]+")
_APOSTROPHES = frozenset("'’ʼ`")
_HYPHENS = frozenset("-‐‑")
# Bidirectional overrides/isolates can disguise text shown to staff ("trojan source").
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class Invalid:
    """Why a typed value was rejected; the bot shows a message per ``code``
    (domain.md §5, §8), e.g. "iin_checksum"."""

    code: str


@dataclass(frozen=True)
class IinInfo:
    """A valid IIN (domain.md §5) with the birth date and sex it encodes."""

    iin: str
    birth: date
    sex: str


def parse_iin(text: str) -> IinInfo | Invalid:
    """Check an IIN (domain.md §5): 12 digits (spaces allowed), control digit, 7th
    digit century/sex (1/2 → 1800s, 3/4 → 1900s, 5/6 → 2000s; odd male, even female),
    YYMMDD a real date. Codes: empty, iin_format, iin_checksum, iin_century, iin_date."""
    if not isinstance(text, str):
        return Invalid("iin_format")
    compact = "".join(text.split())
    if not compact:
        return Invalid("empty")
    if not _IIN.fullmatch(compact):
        return Invalid("iin_format")
    if iin_control_digit(compact[:11]) != int(compact[11]):
        return Invalid("iin_checksum")
    century_sex = CENTURY_AND_SEX.get(compact[6])
    if century_sex is None:
        return Invalid("iin_century")
    century, sex = century_sex
    try:
        birth = date(century + int(compact[0:2]), int(compact[2:4]), int(compact[4:6]))
    except ValueError:
        return Invalid("iin_date")
    return IinInfo(compact, birth, sex)


PRE_RULES_DIGIT = "0"
"""The 7th digit of an IIN assigned before the IIN rules: no century and no sex, so the
IIN does not give the date of birth (it is asked, and checked against digits 1-6)."""


def parse_pre_rules_iin(text: str) -> str | Invalid:
    """An IIN assigned before the IIN rules (domain.md §5): 12 digits (spaces allowed),
    control digit right, 7th digit :data:`PRE_RULES_DIGIT`, digits 1-6 a YYMMDD of the
    1900s or the 2000s. Returns the digits; codes as :func:`parse_iin` (iin_century
    for any other 7th digit that parse_iin refuses)."""
    if not isinstance(text, str):
        return Invalid("iin_format")
    compact = "".join(text.split())
    if not compact:
        return Invalid("empty")
    if not _IIN.fullmatch(compact):
        return Invalid("iin_format")
    if iin_control_digit(compact[:11]) != int(compact[11]):
        return Invalid("iin_checksum")
    if compact[6] != PRE_RULES_DIGIT:
        return Invalid("iin_century")
    if not any(_is_date(century + int(compact[0:2]), compact) for century in (1900, 2000)):
        return Invalid("iin_date")
    return compact


def _is_date(year: int, compact: str) -> bool:
    try:
        date(year, int(compact[2:4]), int(compact[4:6]))
    except ValueError:
        return False
    return True


def iin_date_agrees(digits: str, birth: date) -> bool:
    """Whether a date of birth agrees with an IIN's digits 1-6 (YYMMDD, domain.md §5);
    for an IIN of the current rules the century digit must agree too."""
    if digits[:6] != f"{birth:%y%m%d}":
        return False
    century = CENTURY_AND_SEX.get(digits[6])
    return century is None or birth.year // 100 * 100 == century[0]


def parse_child_iin(text: str, birth: date) -> IinInfo | Invalid:
    """The child's IIN (domain.md §5): valid, and its date part equal to the given
    birth date (code iin_birth_mismatch otherwise)."""
    info = parse_iin(text)
    if isinstance(info, Invalid):
        return info
    if not isinstance(birth, date) or info.birth != birth:
        return Invalid("iin_birth_mismatch")
    return info


def parse_iban(text: str) -> str | Invalid:
    """A Kazakh IBAN (domain.md §5): spaces allowed, lower case accepted; returns
    "KZ…" upper case without spaces. Codes: iban_format, iban_country, iban_length,
    iban_checksum."""
    if not isinstance(text, str):
        return Invalid("iban_format")
    compact = "".join(text.split())
    if not compact.isascii():
        return Invalid("iban_format")
    compact = compact.upper()
    if not compact or not _IBAN_CHARS.fullmatch(compact):
        return Invalid("iban_format")
    if len(compact) >= 2 and compact[:2] != "KZ" and compact[:2].isalpha():
        return Invalid("iban_country")
    if not compact.startswith("KZ"):
        return Invalid("iban_format")
    if len(compact) != KZ_IBAN_LENGTH:
        return Invalid("iban_length")
    if not compact[2:4].isdigit() or not compact[4:7].isdigit():
        return Invalid("iban_format")
    if iban_mod97(compact) != 1:
        return Invalid("iban_checksum")
    return compact


def parse_phone(text: str) -> str | Invalid:
    """A Kazakh phone number (domain.md §5): "+7 7XX…", "8 7XX…" or "7 7XX…" with
    spaces, dashes or parentheses; the number after the country code must start
    with 7 (mobile / geographic). Returns "+77XXXXXXXXX"; code phone_format."""
    if not isinstance(text, str):
        return Invalid("phone_format")
    compact = _PHONE_NOISE.sub("", text)
    match = _PHONE.fullmatch(compact) if compact.isascii() else None
    if match is None:
        return Invalid("phone_format")
    return "+7" + match.group(1)


def parse_date(text: str) -> date | Invalid:
    """A date typed as DD.MM.YYYY (domain.md §8); "/" or "-" also, one-digit day or
    month allowed. Codes: date_format, date_impossible (no such day, or a year
    outside 1900..2100)."""
    if not isinstance(text, str):
        return Invalid("date_format")
    stripped = text.strip()
    match = _DATE.fullmatch(stripped) if stripped.isascii() else None
    if match is None:
        return Invalid("date_format")
    day, month, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return Invalid("date_impossible")
    try:
        return date(year, month, day)
    except ValueError:
        return Invalid("date_impossible")


def parse_month(text: str) -> Month | Invalid:
    """A month typed as MM.YYYY (domain.md §8, certificate term of p.4); "/" or "-"
    also, one-digit month allowed. Codes: month_format, month_impossible."""
    if not isinstance(text, str):
        return Invalid("month_format")
    stripped = text.strip()
    match = _MONTH.fullmatch(stripped) if stripped.isascii() else None
    if match is None:
        return Invalid("month_format")
    month, year = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and _MIN_YEAR <= year <= _MAX_YEAR):
        return Invalid("month_impossible")
    return Month(year, month)


def _name_char_ok(char: str) -> bool:
    if char == " " or char in _APOSTROPHES or char in _HYPHENS:
        return True
    if not char.isalpha():
        return False
    try:
        script = unicodedata.name(char)
    except ValueError:
        return False
    return script.startswith(("LATIN ", "CYRILLIC "))


def parse_name(text: str) -> str | Invalid:
    """A surname, name or patronymic (domain.md §5): Cyrillic (Kazakh letters
    included) or Latin letters, spaces, hyphens, apostrophes; whitespace collapsed.
    Codes: empty, too_long, name_chars."""
    if not isinstance(text, str):
        return Invalid("name_chars")
    normal = " ".join(unicodedata.normalize("NFC", text).split())
    if not normal:
        return Invalid("empty")
    if len(normal) > MAX_NAME_LENGTH:
        return Invalid("too_long")
    if not all(_name_char_ok(char) for char in normal) or not any(c.isalpha() for c in normal):
        return Invalid("name_chars")
    return normal


def parse_full_name(text: str) -> str | Invalid:
    """A person's full name in one answer (domain.md §5: the child's full name):
    as :func:`parse_name`, and at least two words — a surname and a name, the
    patronymic optional. Codes: those of parse_name, and full_name_one_word."""
    normal = parse_name(text)
    if isinstance(normal, Invalid):
        return normal
    if len(normal.split()) < 2:
        return Invalid("full_name_one_word")
    return normal


def parse_text(text: str, max_length: int = 200) -> str | Invalid:
    """Free text (addresses, school names, comments; domain.md §5), trimmed, line
    breaks and tabs kept, other control characters and bidirectional overrides refused. Codes: empty,
    too_long, text_chars."""
    if not isinstance(text, str):
        return Invalid("text_chars")
    trimmed = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not trimmed:
        return Invalid("empty")
    for char in trimmed:
        if char in "\n\t":
            continue
        if unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI_CONTROLS:
            return Invalid("text_chars")
    if len(trimmed) > max_length:
        return Invalid("too_long")
    return trimmed
