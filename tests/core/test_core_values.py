"""The validated IIN and IBAN value types (domain.md §5): only valid values exist."""

from datetime import date

import pytest

from core.validators import Invalid
from core.values import Iban, Iin


def test_iin_worked_example() -> None:
    # 010101500013: born 01.01.2001 (7th digit 5: 2000s, male), control digit 3 (hand-computed
    # in test_core_validators: 58 mod 11 = 3).
    iin = Iin("010101500013")
    assert (iin.birth, iin.sex, str(iin)) == (date(2001, 1, 1), "male", "010101500013")
    assert Iin.parse(" 0101 0150 0013 ") == iin
    assert Iin.parse("010101500010") == Invalid("iin_checksum")
    with pytest.raises(ValueError, match="iin_checksum"):
        Iin("010101500010")
    with pytest.raises(ValueError):
        Iin("0101 0150 0013")  # a value is normalised: spaces belong to parse()


def test_iban_worked_example() -> None:
    # KZ86125KZT5004100100: mod-97 of "125KZT5004100100KZ86" with letters as 10..35 is 1.
    iban = Iban("KZ86125KZT5004100100")
    assert str(iban) == "KZ86125KZT5004100100"
    assert Iban.parse("kz86 125k zt50 0410 0100") == iban
    assert Iban.parse("KZ87125KZT5004100100") == Invalid("iban_checksum")
    with pytest.raises(ValueError, match="iban_checksum"):
        Iban("KZ87125KZT5004100100")
    with pytest.raises(ValueError):
        Iban("kz86125kzt5004100100")
