"""Validated value types of the application form (domain.md §5, p.6): an IIN and a
Kazakh IBAN that can only exist when valid. A value is built from text once
(``parse``), then carried typed through the wizard, the draft codec and ``submit``;
nothing downstream re-checks or re-parses it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.validators import Invalid, iin_date_agrees, parse_iban, parse_iin, parse_pre_rules_iin

__all__ = ["Iban", "Iin"]


@dataclass(frozen=True, slots=True)
class Iin:
    """A valid IIN (domain.md §5): 12 digits whose control digit, century/sex digit and
    YYMMDD date are right. ``Iin("150302500123")`` raises ValueError unless valid;
    ``Iin.parse`` accepts what a person types (spaces) and returns ``Invalid``.

    An IIN assigned before the IIN rules (7th digit 0, core.validators.parse_pre_rules_iin)
    is accepted only where asked for (``Iin.parse(text, pre_rules=True)``: the child's
    IIN); it gives no date of birth (``known_birth`` is None) and no sex."""

    digits: str

    def __post_init__(self) -> None:
        info = parse_iin(self.digits)
        if isinstance(info, Invalid) and parse_pre_rules_iin(self.digits) == self.digits:
            return
        if isinstance(info, Invalid) or info.iin != self.digits:
            code = info.code if isinstance(info, Invalid) else "iin_format"
            raise ValueError(f"not a valid IIN ({code})")

    @classmethod
    def parse(cls, text: str, *, pre_rules: bool = False) -> Iin | Invalid:
        """The IIN typed by a person (domain.md §5), or why it is not one; with
        `pre_rules`, an IIN assigned before the IIN rules is accepted too."""
        info = parse_iin(text)
        if isinstance(info, Invalid) and pre_rules and info.code == "iin_century":
            digits = parse_pre_rules_iin(text)
            return digits if isinstance(digits, Invalid) else cls(digits)
        return info if isinstance(info, Invalid) else cls(info.iin)

    @property
    def known_birth(self) -> date | None:
        """The date of birth the IIN encodes (digits 1-6 and the century, domain.md §5);
        None for an IIN assigned before the IIN rules (no century)."""
        info = parse_iin(self.digits)
        return None if isinstance(info, Invalid) else info.birth

    @property
    def birth(self) -> date:
        """The date of birth the IIN encodes (digits 1-6 and the century, domain.md §5);
        ValueError for an IIN assigned before the IIN rules (see ``known_birth``)."""
        info = parse_iin(self.digits)
        if isinstance(info, Invalid):
            raise ValueError("an IIN assigned before the IIN rules gives no date of birth")
        return info.birth

    def agrees_with(self, birth: date) -> bool:
        """Whether `birth` agrees with the IIN's date digits (and century, when it has one;
        domain.md §5)."""
        return iin_date_agrees(self.digits, birth)

    @property
    def sex(self) -> str:
        """ "male" or "female", from the 7th digit (odd male, even female; domain.md §5)."""
        info = parse_iin(self.digits)
        if isinstance(info, Invalid):
            raise ValueError("an IIN assigned before the IIN rules gives no sex")
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
