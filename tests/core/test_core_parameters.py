from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core.errors import MrpNotAvailable
from core.months import Month
from core.parameters import (
    LocalityPolicy,
    PaymentPolicy,
    PolicyError,
    default_policy,
    documents_for,
    load_mrp_table,
    load_policy,
    mrp_on,
    mrp_table,
)
from core.policy import DEFAULT_POLICY_FILE
from core.schedule import EstimateRequest, estimate
from tests.core.core_testkit import DATA

MRP_ROWS = [
    (date(2021, 1, 1), 2917),
    (date(2022, 1, 1), 3063),
    (date(2022, 4, 1), 3180),
    (date(2023, 1, 1), 3450),
    (date(2024, 1, 1), 3692),
    (date(2025, 1, 1), 3932),
    (date(2026, 1, 1), 4325),
]


def test_mrp_table_matches_domain() -> None:
    table = mrp_table()
    assert [(e.since, e.amount) for e in table] == MRP_ROWS
    for entry in table:
        assert "republican budget" in entry.reference
    assert table[5].reference == (
        'Law of the Republic of Kazakhstan "On the republican budget for 2025–2027" (2024)'
    )


@pytest.mark.parametrize(
    ("day", "amount", "known"),
    [
        (date(2021, 1, 1), 2917, True),
        (date(2022, 3, 31), 3063, True),
        (date(2022, 4, 1), 3180, True),
        (date(2025, 12, 31), 3932, True),
        (date(2026, 3, 1), 4325, True),
        (date(2026, 12, 31), 4325, True),
        (date(2027, 1, 1), 4325, False),
    ],
)
def test_mrp_on(day: date, amount: int, known: bool) -> None:
    lookup = mrp_on(day)
    assert (lookup.amount, lookup.known) == (amount, known)
    assert lookup.entry.amount == amount


def test_mrp_before_table() -> None:
    with pytest.raises(MrpNotAvailable):
        mrp_on(date(2020, 12, 31))


def test_alatau_policy() -> None:
    p = default_policy()
    assert p is default_policy()  # loaded once
    assert p.code == "alatau"
    assert p.decision == "No. 11-36 of 12.11.2024"
    assert (
        p.department["kk"]
        == "«Алатау қаласының жұмыспен қамту және әлеуметтік бағдарламалар бөлімі» ММ"
    )
    assert p.department["ru"] == "ГУ «Отдел занятости и социальных программ города Алатау»"
    assert p.amount_mrp == 8
    assert [(q.number, q.months) for q in p.quarters] == [
        (1, (9, 10)),
        (2, (11, 12)),
        (3, (1, 2, 3)),
        (4, (4, 5)),
    ]
    assert p.school_year_start_month == 9
    assert p.payment_policy is PaymentPolicy.MONTHLY
    assert p.exclusions == ("full_state_support", "parental_rights_deprived")
    assert [c.code for c in p.channels] == ["con", "egov"]
    assert [(g.number, g.paragraph, g.code) for g in p.refusal_grounds] == [
        (1, "p.8(1)", "unreliable_documents"),
        (2, "p.8(2)", "not_meeting_requirements"),
        (3, "p.8(3)", "negative_conclusion"),
        (4, "p.8(4)", "no_consent"),
    ]
    assert p.references["amount_mrp"] == "p.7"
    assert p.references["department"] == "p.2"
    assert p.references["exclusions"] == "p.3"
    assert p.references["channels"] == "p.6"
    assert p.references["refusal_grounds"] == "p.8"
    assert "11-36" in p.references["decision"]
    assert "No. 84" in p.references["rules"]
    assert p.effective_from == date(2024, 12, 1)
    assert p.effective_dates["amount_mrp"] == date(2024, 12, 1)
    assert hash(p) == hash(load_policy(DEFAULT_POLICY_FILE))


def test_quarter_of() -> None:
    p = default_policy()
    assert p.quarter_of(9).number == 1  # type: ignore[union-attr]
    assert p.quarter_of(3).number == 3  # type: ignore[union-attr]
    assert p.quarter_of(5).number == 4  # type: ignore[union-attr]
    for summer in (6, 7, 8):
        assert p.quarter_of(summer) is None
    assert p.quarter_of(0) is None
    assert p.quarter_of(13) is None


def test_documents_every_item_has_source() -> None:
    p = default_policy()
    codes = [d.code for d in p.documents]
    assert codes == [
        "application",
        "applicant_identity",
        "school_certificate",
        "guardianship_document",
        "child_birth_certificate",
        "bank_account",
    ]
    for item in p.documents:
        assert "Rules No. 84" in item.source


@pytest.mark.parametrize(
    ("representative", "born_abroad", "guardian_doc", "birth_doc"),
    [
        ("parent", False, False, False),
        ("adoptive_parent", False, False, False),
        ("mother", True, False, True),
        ("guardian", False, True, False),
        ("other", False, True, False),
        ("unknown", True, True, True),
    ],
)
def test_documents_for(
    representative: str, born_abroad: bool, guardian_doc: bool, birth_doc: bool
) -> None:
    codes = {d.code for d in documents_for(default_policy(), representative, born_abroad)}
    assert {"application", "applicant_identity", "school_certificate", "bank_account"} <= codes
    assert ("guardianship_document" in codes) is guardian_doc
    assert ("child_birth_certificate" in codes) is birth_doc


def test_second_city_is_a_file_not_code() -> None:
    other = load_policy(DATA / "other_city.toml")
    assert isinstance(other, LocalityPolicy)
    assert other.amount_mrp == 6
    assert other.school_year_start_month == 1
    assert other.quarter_of(7).number == 3  # type: ignore[union-attr]
    assert other.effective_dates["amount_mrp"] == date(2025, 2, 1)
    request = EstimateRequest(
        applied=date(2025, 11, 15),
        certificate_start=Month(2025, 9),
        certificate_end=Month(2026, 5),
        birth=date(2015, 3, 2),
    )
    alatau = estimate(request)
    mine = estimate(request, other)
    assert alatau.total == Decimal("100656.00")
    # Q4 2025 (Oct–Dec): Nov, Dec → 2/3 × 6 × 3932 = 15728.00
    # Q1 2026 (Jan–Mar): 6 × 4325 = 25950.00; Q2 2026 (Apr–Jun): Apr, May → 17300.00
    assert [(q.school_year, q.quarter, str(q.amount)) for q in mine.quarters] == [
        ("2025", 4, "15728.00"),
        ("2026", 1, "25950.00"),
        ("2026", 2, "17300.00"),
    ]
    assert mine.total == Decimal("58978.00")
    assert mine.total != alatau.total


def test_broken_file_raises_policy_error() -> None:
    with pytest.raises(
        PolicyError,
        match=r"broken_policy\.toml: school_year\.quarters\[0\]\.months\[1\]: must be between 1 and 12, got 13",
    ):
        load_policy(DATA / "broken_policy.toml")


def _mutated(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    assert old in text
    target = tmp_path / "mutated.toml"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "mrp_per_quarter = 8",
            "mrp_per_quarter = 0",
            "amount.mrp_per_quarter: must be between 1 and 1000",
        ),
        (
            "mrp_per_quarter = 8",
            'mrp_per_quarter = "8"',
            "amount.mrp_per_quarter: must be an integer",
        ),
        (
            "mrp_per_quarter = 8",
            "mrp_per_qarter = 8",
            "amount.mrp_per_quarter: is required but missing",
        ),
        (
            'policy = "monthly"',
            'policy = "weekly"',
            "payment.policy: must be one of monthly, whole_quarter",
        ),
        ("months = [11, 12]", "months = [12, 11]", "quarters[1].months"),
        ("months = [4, 5]", "months = [3, 4, 5]", "repeats or is out of school-year order"),
        (
            "start_month = 9",
            "start_month = 8",
            "quarter 1 must start with the school year's first month",
        ),
        ('applies_to = "guardian"', 'applies_to = "cousins"', "documents.items[3].applies_to"),
        ('reference = "p.2"', 'reference = ""', "department.reference: must not be empty"),
        ('ru = "ГУ', 'en = "GU', "department.ru: is required but missing"),
        ("number = 2\nparagraph", "number = 3\nparagraph", "grounds must be numbered"),
        (
            "effective_from = 2024-12-01",
            'effective_from = "2024-12-01"',
            "decision.effective_from: must be a date",
        ),
        ('code = "alatau"', 'code = "alatau"\ncolour = "red"', "unknown field(s): colour"),
        (
            'codes = ["con", "egov"]',
            'codes = ["con", "con"]',
            "channels.codes: contains a code twice",
        ),
        ("[rules]", "[rules\n", "not valid TOML"),
    ],
)
def test_validation_errors_are_clear(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(_mutated(tmp_path, old, new))
    assert str(caught.value).startswith("mutated.toml: ")
    assert message in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="file not found"):
        load_policy(tmp_path / "nope.toml")


_LAW = 'law = { en = "On B", ru = "О Б", kk = "Б туралы" }\nlaw_year = 2021\nverified = false\n'


def test_mrp_table_validation(tmp_path: Path) -> None:
    path = tmp_path / "mrp.toml"
    path.write_text(
        f"[[mrp]]\nsince = 2022-01-01\namount = 3063\n{_LAW}"
        f"[[mrp]]\nsince = 2021-01-01\namount = 2917\n{_LAW}",
        encoding="utf-8",
    )
    with pytest.raises(PolicyError, match="increasing order"):
        load_mrp_table(path)
    path.write_text(f"[[mrp]]\nsince = 2022-01-01\namount = -1\n{_LAW}", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"mrp\[0\]\.amount: must be between"):
        load_mrp_table(path)
    path.write_text("[[mrp]]\nsince = 2022-01-01\namount = 5\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"mrp\[0\]\.law: is required"):
        load_mrp_table(path)
