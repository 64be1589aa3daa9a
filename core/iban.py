"""The Kazakh IBAN of the applicant's bank account (app. 3 of the Rules No. 84,
domain.md §5): "KZ", 2 check digits, 3-digit bank code, 13 account characters;
20 characters in all, ISO 13616 mod-97 check equal to 1."""

from __future__ import annotations

__all__ = ["KZ_IBAN_LENGTH", "iban_mod97"]

KZ_IBAN_LENGTH = 20


def iban_mod97(iban: str) -> int:
    """ISO 13616 remainder of an IBAN (upper-case ASCII letters and digits): the first
    four characters moved to the end, letters as 10..35, the number mod 97; a valid
    IBAN gives 1 (domain.md §5)."""
    rearranged = iban[4:] + iban[:4]
    remainder = 0
    for char in rearranged:
        value = int(char, 36)
        remainder = (remainder * (100 if value > 9 else 10) + value) % 97
    return remainder
