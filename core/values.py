"""Validated value types of the application form (domain.md §5, p.6): an IIN and a
Kazakh IBAN that can only exist when valid. A value is built from text once
(``parse``), then carried typed through the wizard, the draft codec and ``submit``;
nothing downstream re-checks or re-parses it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.validators import Invalid, parse_iban, parse_iin

__all__ = ["Iban", "Iin"]


@dataclass(frozen=True, slots=True)
class Iin:
    """A valid IIN (domain.md §5): 12 digits whose control digit, century/sex digit and
    YYMMDD date are right. ``Iin("150302500123")`` raises ValueError unless valid;
    ``Iin.parse`` accepts what a person types (spaces) and returns ``Invalid``."""

    digits: str

    def __post_init__(self) -> None:
        info = parse_iin(self.digits)
        if isinstance(info, Invalid) or info.iin != self.digits:
            code = info.code if isinstance(info, Invalid) else "iin_format"
            raise ValueError(f"not a valid IIN ({code})")

    @classmethod
    def parse(cls, text: str) -> Iin | Invalid:
        """The IIN typed by a person (domain.md §5), or why it is not one."""
        info = parse_iin(text)
        return info if isinstance(info, Invalid) else cls(info.iin)

    @property
    def birth(self) -> date:
        """The date of birth the IIN encodes (digits 1-6 and the century, domain.md §5)."""
        info = parse_iin(self.digits)
        assert not isinstance(info, Invalid)
        return info.birth

    @property
    def sex(self) -> str:
        """ "male" or "female", from the 7th digit (odd male, even female; domain.md §5)."""
        info = parse_iin(self.digits)
        assert not isinstance(info, Invalid)
        return info.sex

    def __str__(self) -> str:
        return self.digits


@dataclass(frozen=True, slots=True)
class Iban:
    """A valid Kazakh IBAN (domain.md §5, app. 3 of the Rules No. 84): "KZ", 18 more
    characters, mod-97 check. ``Iban("KZ86125KZT5004100100")`` raises ValueError
    unless valid and normalised; ``Iban.parse`` accepts spaces and lower case."""

    code: str

    def __post_init__(self) -> None:
        parsed = parse_iban(self.code)
        if isinstance(parsed, Invalid) or parsed != self.code:
            reason = parsed.code if isinstance(parsed, Invalid) else "iban_format"
            raise ValueError(f"not a valid IBAN ({reason})")

    @classmethod
    def parse(cls, text: str) -> Iban | Invalid:
        """The IBAN typed by a person (domain.md §5), or why it is not one."""
        parsed = parse_iban(text)
        return parsed if isinstance(parsed, Invalid) else cls(parsed)

    def __str__(self) -> str:
        return self.code
