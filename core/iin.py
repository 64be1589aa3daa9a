"""The Kazakh IIN (individual identification number), domain.md §5: 12 digits,
YYMMDD birth date, 7th digit century and sex, 12th digit control. Needed to
identify the applicant and the child (Art. 8 of the personal-data law governs
its storage; p.6 application form)."""

from __future__ import annotations

__all__ = ["CENTURY_AND_SEX", "iin_control_digit"]

_WEIGHTS_1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)

CENTURY_AND_SEX: dict[str, tuple[int, str]] = {
    "1": (1800, "male"),
    "2": (1800, "female"),
    "3": (1900, "male"),
    "4": (1900, "female"),
    "5": (2000, "male"),
    "6": (2000, "female"),
}
"""7th digit of an IIN → (century, sex): odd male, even female (domain.md §5)."""


def iin_control_digit(first11: str) -> int | None:
    """The official control digit for the first 11 digits of an IIN (domain.md §5):
    weights 1..11, sum mod 11; if 10, weights 3..11,1,2; if still 10 there is no
    valid control digit (None). ``first11`` must be 11 ASCII digits."""
    digits = [ord(c) - 48 for c in first11]
    control = sum(w * d for w, d in zip(_WEIGHTS_1, digits, strict=True)) % 11
    if control == 10:
        control = sum(w * d for w, d in zip(_WEIGHTS_2, digits, strict=True)) % 11
        if control == 10:
            return None
    return control
