"""Facts that cannot be true together (core.consistency; issue 10 item 4): worked
examples for each rule, at and around its boundary."""

from datetime import date

import pytest

from core.consistency import (
    APPLICANT_TOO_YOUNG,
    BIRTH_AFTER_APPLICATION,
    CERTIFICATE_END_BEFORE_START,
    FULL_NAME_ONE_WORD,
    RELATION_SEX_MISMATCH,
    Facts,
    Problem,
    Severity,
    age_on,
    applicant_too_young,
    birth_after_application,
    certificate_end_before_start,
    check_facts,
    full_name_one_word,
    refusals,
    relation_sex_mismatch,
)
from core.months import Month
from core.validators import Invalid, parse_full_name, parse_iin
from tests.core.core_testkit import make_iin


def test_birth_after_the_application_month_is_refused() -> None:
    # Applied in November 2025: a child born 01.12.2025 did not exist yet (p.4).
    problem = birth_after_application(date(2025, 12, 1), date(2025, 11, 15))
    assert problem == Problem(
        BIRTH_AFTER_APPLICATION,
        Severity.REFUSE,
        ("birth", "applied"),
        "p.4",
        {"birth": "2025-12-01", "applied": "2025-11"},
    )
    assert problem.params == {"birth": "2025-12-01", "applied": "2025-11"}
    assert "p.4" in problem.describe() and "2025-12-01" in problem.describe()
    # Born later within the application month, or before it: accepted.
    assert birth_after_application(date(2025, 11, 30), date(2025, 11, 15)) is None
    assert birth_after_application(date(2025, 11, 30), Month(2025, 11)) is None
    assert birth_after_application(date(2015, 3, 2), Month(2025, 11)) is None
    assert birth_after_application(date(2025, 12, 1), Month(2025, 11)) is not None


def test_certificate_that_ends_before_it_starts_is_refused() -> None:
    problem = certificate_end_before_start(Month(2025, 9), Month(2025, 5))
    assert problem is not None
    assert (problem.code, problem.severity, problem.fields[0], problem.basis) == (
        CERTIFICATE_END_BEFORE_START,
        Severity.REFUSE,
        "certificate_end",
        "p.4",
    )
    assert problem.params == {"start": "2025-09", "end": "2025-05"}
    assert "2025-05" in problem.describe() and "2025-09" in problem.describe()
    assert certificate_end_before_start(Month(2025, 9), Month(2025, 9)) is None
    assert certificate_end_before_start(Month(2025, 9), Month(2026, 5)) is None
    # Across a year boundary the order is by year first: 12.2025 → 01.2026 is fine.
    assert certificate_end_before_start(Month(2025, 12), Month(2026, 1)) is None
    assert certificate_end_before_start(Month(2026, 1), Month(2025, 12)) is not None


def test_age_on_counts_full_years() -> None:
    assert age_on(date(2010, 3, 2), date(2026, 3, 1)) == 15
    assert age_on(date(2010, 3, 2), date(2026, 3, 2)) == 16
    # 29 February: a year older on 28 February of a non-leap year (as p.5's 18th birthday).
    assert age_on(date(2008, 2, 29), date(2024, 2, 28)) == 15  # leap year: not yet
    assert age_on(date(2008, 2, 29), date(2024, 2, 29)) == 16
    assert age_on(date(2008, 2, 29), date(2025, 2, 27)) == 16
    assert age_on(date(2008, 2, 29), date(2025, 2, 28)) == 17
    assert age_on(date(2026, 1, 2), date(2026, 1, 1)) == -1


def test_applicant_younger_than_16_is_refused() -> None:
    on = date(2026, 3, 1)
    child = parse_iin(make_iin(date(2015, 3, 2), "female"))
    assert not isinstance(child, Invalid)
    problem = applicant_too_young(child, on)
    assert problem is not None
    assert (problem.code, problem.severity, problem.fields, problem.basis) == (
        APPLICANT_TOO_YOUNG,
        Severity.REFUSE,
        ("applicant_iin",),
        "p.3",
    )
    assert problem.params == {"age": "10", "minimum": "16", "birth": "2015-03-02"}
    assert "child's IIN" in problem.describe()
    # The day before the 16th birthday: refused; on it: accepted.
    assert applicant_too_young(date(2010, 3, 2), on) is not None
    assert applicant_too_young(date(2010, 3, 1), on) is None
    assert applicant_too_young(date(1985, 7, 9), on) is None
    # A birth after the day itself reports age 0, not a negative number.
    future = applicant_too_young(date(2027, 1, 1), on)
    assert future is not None and future.params["age"] == "0"


@pytest.mark.parametrize(
    ("relation", "sex", "flagged"),
    [
        ("father", "female", True),
        ("mother", "male", True),
        ("father", "male", False),
        ("mother", "female", False),
        ("guardian", "female", False),
        ("guardian", "male", False),
        ("other", "female", False),
    ],
)
def test_relation_against_the_iin_sex_asks_to_confirm(
    relation: str, sex: str, flagged: bool
) -> None:
    problem = relation_sex_mismatch(relation, sex)
    if not flagged:
        assert problem is None
        return
    assert problem is not None
    assert problem.severity is Severity.CONFIRM  # never a refusal
    assert problem.code == RELATION_SEX_MISMATCH
    assert problem.params == {"relation": relation, "sex": sex}
    assert "confirm" in problem.describe()


@pytest.mark.parametrize(
    ("name", "flagged"),
    [
        ("Айгерим", True),
        ("  Айгерим  ", True),
        ("Абу-Бакир", True),
        ("Серікова Айгерім", False),
        ("Серікова Айгерім Болатқызы", False),
        ("O'Neil Mary", False),
    ],
)
def test_full_name_of_a_single_word_is_refused(name: str, flagged: bool) -> None:
    problem = full_name_one_word(name)
    assert (problem is not None) == flagged
    if problem is not None:
        assert (problem.code, problem.severity, problem.fields) == (
            FULL_NAME_ONE_WORD,
            Severity.REFUSE,
            ("child_full_name",),
        )
    parsed = parse_full_name(name)
    if flagged:
        assert parsed == Invalid("full_name_one_word")
    else:
        assert parsed == " ".join(name.split())


def test_parse_full_name_keeps_the_name_rules() -> None:
    assert parse_full_name("") == Invalid("empty")
    assert parse_full_name("Иванов 2") == Invalid("name_chars")
    assert parse_full_name("Иванов   Иван") == "Иванов Иван"


def test_check_facts_finds_every_problem_in_question_order() -> None:
    child_iin = make_iin(date(2015, 3, 2), "male")
    mother_iin = make_iin(date(1988, 5, 4), "female")
    facts = Facts(
        applied=date(2025, 11, 15),
        birth=date(2025, 12, 20),
        certificate_start=Month(2025, 9),
        certificate_end=Month(2025, 5),
        applicant_iin=child_iin,
        relation="mother",
        child_full_name="Айгерим",
    )
    problems = check_facts(facts)
    assert [p.code for p in problems] == [
        CERTIFICATE_END_BEFORE_START,
        BIRTH_AFTER_APPLICATION,
        APPLICANT_TOO_YOUNG,
        RELATION_SEX_MISMATCH,
        FULL_NAME_ONE_WORD,
    ]
    assert [p.code for p in refusals(problems)] == [
        CERTIFICATE_END_BEFORE_START,
        BIRTH_AFTER_APPLICATION,
        APPLICANT_TOO_YOUNG,
        FULL_NAME_ONE_WORD,
    ]
    fine = Facts(
        applied=date(2025, 11, 15),
        birth=date(2015, 3, 2),
        certificate_start=Month(2025, 9),
        certificate_end=Month(2026, 5),
        applicant_iin=mother_iin,
        relation="mother",
        child_full_name="Серіков Әлихан",
    )
    assert check_facts(fine) == ()
    # Unknown facts skip their checks; an invalid IIN is the validators' concern.
    assert check_facts(Facts()) == ()
    assert check_facts(Facts(applied=date(2025, 11, 15), applicant_iin="123")) == ()
    assert check_facts(Facts(birth=date(2030, 1, 1))) == ()
    assert check_facts(Facts(child_full_name="   ")) == ()
