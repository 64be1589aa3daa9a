"""Citations of the budget Laws behind the MRP (issue 10 item 11): a Law's number
and date reach users only when the row is marked verified; otherwise the Law is
cited by its title and year of adoption."""

import json
from datetime import date
from pathlib import Path

import pytest

from core.errors import PolicyError
from core.mrp import CITATION_LANGUAGES, MrpEntry, cite_law, load_mrp_table, mrp_on, mrp_table
from tests.core.core_testkit import run_cli

AMOUNTS = [
    (date(2021, 1, 1), 2917, 2020, None),
    (date(2022, 1, 1), 3063, 2021, None),
    (date(2022, 4, 1), 3180, 2021, 2022),
    (date(2023, 1, 1), 3450, 2022, None),
    (date(2024, 1, 1), 3692, 2023, None),
    (date(2025, 1, 1), 3932, 2024, None),
    (date(2026, 1, 1), 4325, 2025, None),
]


def test_amounts_and_years_are_kept() -> None:
    assert [(e.since, e.amount, e.law_year, e.amended_year) for e in mrp_table()] == AMOUNTS


def _unsafe_parts(entry: MrpEntry) -> list[str]:
    parts = []
    if entry.number:
        parts.append(entry.number)
    if entry.adopted:
        parts += [entry.adopted.strftime("%d.%m.%Y"), entry.adopted.isoformat()]
    return parts


@pytest.mark.parametrize("language", CITATION_LANGUAGES)
def test_unverified_rows_are_cited_by_title_and_year_only(language: str) -> None:
    unverified = [entry for entry in mrp_table() if not entry.verified]
    assert unverified  # today no row is verified (numbers were written from memory)
    for entry in unverified:
        citation = cite_law(entry, language)
        assert entry.title(language) in citation
        assert str(entry.law_year) in citation
        for part in _unsafe_parts(entry):
            assert part not in citation, (citation, part)
        assert "№" not in citation and "No." not in citation
        assert entry.reference == cite_law(entry, "en")


def test_citation_worked_examples() -> None:
    row_2026 = mrp_on(date(2026, 3, 1)).entry
    assert cite_law(row_2026, "en") == (
        'Law of the Republic of Kazakhstan "On the republican budget for 2026–2028" (2025)'
    )
    assert cite_law(row_2026, "ru") == (
        "Закон Республики Казахстан «О республиканском бюджете на 2026–2028 годы» (2025 г.)"
    )
    assert cite_law(row_2026, "kk") == (
        "Қазақстан Республикасының «2026 – 2028 жылдарға арналған республикалық бюджет "
        "туралы» 2025 жылғы Заңы"
    )
    april_2022 = mrp_on(date(2022, 4, 1)).entry
    assert cite_law(april_2022, "en") == (
        'Law of the Republic of Kazakhstan "On the republican budget for 2022–2024" '
        "(2021, as amended in 2022)"
    )
    assert cite_law(april_2022, "ru").endswith("(2021 г., с изменениями 2022 г.)")
    assert cite_law(april_2022, "kk").endswith("2021 жылғы Заңы (2022 жылғы өзгерістерімен)")


VERIFIED = """
[[mrp]]
since = 2025-01-01
amount = 3932
law = { en = "On the republican budget for 2025–2027", ru = "О республиканском бюджете на 2025–2027 годы", kk = "2025 – 2027 жылдарға арналған республикалық бюджет туралы" }
law_year = 2024
verified = true
number = "1-TEST"
adopted = 2024-12-05
article = "8"

[[mrp]]
since = 2025-04-01
amount = 4000
law = { en = "On the republican budget for 2025–2027", ru = "О республиканском бюджете на 2025–2027 годы", kk = "2025 – 2027 жылдарға арналған республикалық бюджет туралы" }
law_year = 2024
amended_year = 2025
verified = true
number = "2-TEST"
adopted = 2025-03-01
"""


def test_verified_rows_give_number_date_and_article(tmp_path: Path) -> None:
    path = tmp_path / "mrp.toml"
    path.write_text(VERIFIED, encoding="utf-8")
    base, amended = load_mrp_table(path)
    assert cite_law(base, "en") == (
        "Law of the Republic of Kazakhstan No. 1-TEST of 05.12.2024 "
        '"On the republican budget for 2025–2027", art. 8'
    )
    assert cite_law(base, "ru") == (
        "Закон Республики Казахстан от 05.12.2024 № 1-TEST "
        "«О республиканском бюджете на 2025–2027 годы», статья 8"
    )
    assert cite_law(base, "kk") == (
        "Қазақстан Республикасының «2025 – 2027 жылдарға арналған республикалық бюджет туралы» "
        "2024 жылғы 5 желтоқсандағы № 1-TEST Заңы, 8-бап"
    )
    assert cite_law(amended, "en") == (
        "Law of the Republic of Kazakhstan No. 2-TEST of 01.03.2025 amending the Law "
        '"On the republican budget for 2025–2027"'
    )
    assert cite_law(amended, "ru") == (
        "Закон Республики Казахстан от 01.03.2025 № 2-TEST о внесении изменений в Закон "
        "«О республиканском бюджете на 2025–2027 годы»"
    )
    assert cite_law(amended, "kk") == (
        "Қазақстан Республикасының «2025 – 2027 жылдарға арналған республикалық бюджет туралы» "
        "Заңына өзгерістер енгізу туралы 2025 жылғы 1 наурыздағы № 2-TEST Заңы"
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('number = "1-TEST"\n', "", r"mrp\[0\]\.verified: a verified row needs its 'number'"),
        ("adopted = 2024-12-05\n", "", r"mrp\[0\]\.verified: a verified row needs"),
        ("adopted = 2024-12-05", "adopted = 2023-12-05", r"mrp\[0\]\.adopted: must be in 2024"),
        ("adopted = 2025-03-01", "adopted = 2024-03-01", r"mrp\[1\]\.adopted: must be in 2025"),
        ('verified = true\nnumber = "1', 'verified = "yes"\nnumber = "1', "must be true or false"),
        (
            'law_year = 2024\nverified = true\nnumber = "1',
            'law_year = 2026\nverified = true\nnumber = "1',
            r"mrp\[0\]\.law_year",
        ),
        (
            ', kk = "2025 – 2027 жылдарға арналған республикалық бюджет туралы" }\nlaw_year = 2024\nverified = true\nnumber = "1',
            ' }\nlaw_year = 2024\nverified = true\nnumber = "1',
            r"mrp\[0\]\.law\.kk: is required",
        ),
        ('article = "8"', 'article = "8"\nreference = "x"', "unknown field"),
    ],
)
def test_citation_fields_are_validated(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in VERIFIED
    path = tmp_path / "mrp.toml"
    path.write_text(VERIFIED.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PolicyError, match=message):
        load_mrp_table(path)


def test_cli_never_prints_an_unverified_number() -> None:
    done = run_cli("mrp", "2025-06-01")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        '3932 ₸ — Law of the Republic of Kazakhstan "On the republican budget for 2025–2027" (2024)'
    )
    data = json.loads(run_cli("mrp", "2026-02-01", "--json").stdout)
    assert data["verified"] is False
    assert data["reference"].endswith("(2025)")
    for entry in mrp_table():
        for part in _unsafe_parts(entry):
            assert part not in done.stdout and part not in data["reference"]
