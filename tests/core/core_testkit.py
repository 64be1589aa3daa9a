"""Helpers shared by the core tests: paths, valid IIN / IBAN generators (checksums
computed here, independently of core.validators)."""

from __future__ import annotations

import string
import subprocess
import sys
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "policies"  # not "data/": .gitignore ignores that name

_W1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def iin_control(first11: str) -> int | None:
    """The IIN control digit for 11 digits, or None when no control digit exists."""
    digits = [int(c) for c in first11]
    control = sum(w * d for w, d in zip(_W1, digits, strict=True)) % 11
    if control == 10:
        control = sum(w * d for w, d in zip(_W2, digits, strict=True)) % 11
    return None if control == 10 else control


def century_digit(birth: date, sex: str) -> int:
    base = {18: 1, 19: 3, 20: 5}[birth.year // 100]
    return base if sex == "male" else base + 1


def make_iin(birth: date, sex: str = "male", serial: int = 1) -> str:
    """A valid IIN for the birth date and sex; ``serial`` (0..9999) picks one of many."""
    for attempt in range(10_000):
        number = (serial + attempt) % 10_000
        first11 = f"{birth:%y%m%d}{century_digit(birth, sex)}{number:04d}"
        control = iin_control(first11)
        if control is not None:
            return first11 + str(control)
    raise AssertionError("no valid IIN")  # pragma: no cover


def iban_check_digits(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return f"{98 - int(numeric) % 97:02d}"


def make_iban(bban: str = "125KZT5004100100") -> str:
    """A valid KZ IBAN (20 characters) for a 16-character BBAN."""
    assert len(bban) == 16 and all(c in string.digits + string.ascii_uppercase for c in bban)
    return "KZ" + iban_check_digits("KZ", bban) + bban


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m core ARGS`` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
