"""Eligibility screening per domain.md §2 and p.1, p.2, p.3, p.5."""

from dataclasses import fields, replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.eligibility import (
    PARAGRAPHS,
    QUESTIONS,
    REMEDIES,
    Answer,
    Reason,
    Representative,
    ScreeningAnswers,
    Verdict,
    screen,
)

ON = date(2025, 11, 15)
OK = ScreeningAnswers(
    on=ON,
    birth=date(2015, 3, 2),
    disability=Answer.YES,
    disability_until=None,
    home_education=Answer.YES,
    representative=Representative.PARENT,
    resident=Answer.YES,
    state_support=Answer.NO,
    parental_rights_deprived=Answer.NO,
    state_institution=Answer.NO,
)


def codes(answers: ScreeningAnswers) -> list[tuple[str, str]]:
    return [(r.code, r.paragraph) for r in screen(answers).reasons]


def test_questions_in_domain_order() -> None:
    assert QUESTIONS == (
        "disability",
        "birth",
        "home_education",
        "representative",
        "resident",
        "state_support",
        "parental_rights_deprived",
        "state_institution",
    )


def test_never_asks_about_income() -> None:
    names = {f.name for f in fields(ScreeningAnswers)}
    assert not any("income" in n for n in names)
    assert not any("income" in q for q in QUESTIONS)


def test_all_good_is_eligible() -> None:
    s = screen(OK)
    assert s.result is Verdict.ELIGIBLE
    assert s.reasons == ()


@pytest.mark.parametrize(
    "who", [Representative.PARENT, Representative.ADOPTIVE_PARENT, Representative.GUARDIAN]
)
def test_representatives_allowed(who: Representative) -> None:
    assert screen(replace(OK, representative=who)).result is Verdict.ELIGIBLE


@pytest.mark.parametrize(
    ("change", "code", "paragraph"),
    [
        ({"disability": Answer.NO}, "no_disability", "p.1"),
        ({"birth": date(2007, 11, 15)}, "adult", "p.5"),
        ({"disability_until": date(2025, 11, 14)}, "disability_ended", "p.5"),
        ({"home_education": Answer.NO}, "not_home_educated", "p.2"),
        ({"representative": Representative.OTHER}, "not_representative", "p.3"),
        ({"resident": Answer.NO}, "not_resident", "p.1"),
        ({"state_support": Answer.YES}, "full_state_support", "p.3"),
        ({"parental_rights_deprived": Answer.YES}, "parental_rights_deprived", "p.3"),
        ({"state_institution": Answer.YES}, "state_institution", "p.5"),
    ],
)
def test_each_exclusion(change: dict[str, object], code: str, paragraph: str) -> None:
    s = screen(replace(OK, **change))  # type: ignore[arg-type]
    assert s.result is Verdict.NOT_ELIGIBLE
    assert [(r.code, r.paragraph) for r in s.reasons] == [(code, paragraph)]


def test_adult_boundary() -> None:
    assert screen(replace(OK, birth=date(2007, 11, 16))).result is Verdict.ELIGIBLE
    assert codes(replace(OK, birth=date(2007, 11, 15))) == [("adult", "p.5")]


def test_disability_until_today_still_valid() -> None:
    assert screen(replace(OK, disability_until=ON)).result is Verdict.ELIGIBLE


@pytest.mark.parametrize(
    ("change", "code", "paragraph"),
    [
        ({"disability": Answer.UNKNOWN}, "unknown_disability", "p.1"),
        ({"birth": None}, "unknown_birth", "p.5"),
        ({"home_education": Answer.UNKNOWN}, "unknown_home_education", "p.2"),
        ({"representative": Representative.UNKNOWN}, "unknown_representative", "p.3"),
        ({"resident": Answer.UNKNOWN}, "unknown_resident", "p.1"),
        ({"state_support": Answer.UNKNOWN}, "unknown_state_support", "p.3"),
        ({"parental_rights_deprived": Answer.UNKNOWN}, "unknown_parental_rights_deprived", "p.3"),
        ({"state_institution": Answer.UNKNOWN}, "unknown_state_institution", "p.5"),
    ],
)
def test_each_unknown_needs_check(change: dict[str, object], code: str, paragraph: str) -> None:
    s = screen(replace(OK, **change))  # type: ignore[arg-type]
    assert s.result is Verdict.NEEDS_CHECK
    assert [(r.code, r.paragraph) for r in s.reasons] == [(code, paragraph)]
    assert s.reasons[0].needs_check


def test_not_eligible_wins_and_reasons_are_ordered() -> None:
    answers = replace(
        OK,
        disability=Answer.UNKNOWN,
        resident=Answer.NO,
        state_support=Answer.YES,
        representative=Representative.UNKNOWN,
    )
    s = screen(answers)
    assert s.result is Verdict.NOT_ELIGIBLE
    assert [r.code for r in s.reasons] == [
        "not_resident",
        "full_state_support",
        "unknown_disability",
        "unknown_representative",
    ]


def test_disability_until_ignored_when_no_disability() -> None:
    assert codes(replace(OK, disability=Answer.NO, disability_until=date(2020, 1, 1))) == [
        ("no_disability", "p.1")
    ]


answers_strategy = st.builds(
    ScreeningAnswers,
    on=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    birth=st.none() | st.dates(date(2000, 1, 1), date(2030, 12, 31)),
    disability=st.sampled_from(Answer),
    disability_until=st.none() | st.dates(date(2020, 1, 1), date(2035, 12, 31)),
    home_education=st.sampled_from(Answer),
    representative=st.sampled_from(Representative),
    resident=st.sampled_from(Answer),
    state_support=st.sampled_from(Answer),
    parental_rights_deprived=st.sampled_from(Answer),
    state_institution=st.sampled_from(Answer),
)


@settings(max_examples=200, deadline=None)
@given(answers_strategy)
def test_verdict_follows_reasons(answers: ScreeningAnswers) -> None:
    s = screen(answers)
    blocking = [r for r in s.reasons if not r.needs_check]
    unsure = [r for r in s.reasons if r.needs_check]
    assert list(s.reasons) == blocking + unsure
    assert all(isinstance(r, Reason) and r.paragraph.startswith("p.") for r in s.reasons)
    if blocking:
        assert s.result is Verdict.NOT_ELIGIBLE
    elif unsure:
        assert s.result is Verdict.NEEDS_CHECK
    else:
        assert s.result is Verdict.ELIGIBLE
    unknown_questions = {r.code.removeprefix("unknown_") for r in unsure}
    assert unknown_questions <= set(QUESTIONS)


def test_remedies_cover_every_blocking_reason() -> None:
    blocking = {code for code in PARAGRAPHS if not code.startswith("unknown_")}
    assert set(REMEDIES) == blocking
    assert Reason("not_representative", "p.3").remedy == "parent_or_guardian_may_apply"
    assert Reason("not_resident", "p.1").remedy == "own_city_maslikhat_decides"
    assert Reason("unknown_birth", "p.5").remedy == "staff_will_check"
    assert Reason("adult", "p.5").remedy is None
