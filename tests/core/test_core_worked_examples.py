"""The worked examples of the schedule (p.4, p.5, p.7; domain.md §4) as data:
tests/core/cases/worked_examples.toml, one case per entry, each run through
core.schedule.estimate and through ``python -m core estimate --json``."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.cli import main
from core.months import Month
from core.notes import NOTHING_PAYABLE, NOTHING_PAYABLE_PARAGRAPHS, Note
from core.parameters import MrpNotAvailable, PaymentPolicy
from core.schedule import Estimate, EstimateRequest, Stop, StopReason, estimate, estimate_to_json

CASES_FILE = Path(__file__).resolve().parent / "cases" / "worked_examples.toml"
CASE_KEYS = {"id", "paragraph", "title", "input", "expect"}
INPUT_KEYS = {
    "applied",
    "certificate_start",
    "certificate_end",
    "birth",
    "disability_until",
    "stops",
    "payment_policy",
}
EXPECT_KEYS = {
    "quarters",
    "total",
    "last_month",
    "stop_reason",
    "notes",
    "json_notes_contain",
    "error",
    "cli_exit",
}
RESULT_KEYS = {"quarters", "total", "last_month", "stop_reason", "notes"}
QUARTER_KEYS = {
    "school_year",
    "quarter",
    "months",
    "paid_months",
    "quarter_months",
    "mrp",
    "amount",
}


def load_cases() -> list[dict[str, Any]]:
    with CASES_FILE.open("rb") as handle:
        cases: list[dict[str, Any]] = tomllib.load(handle)["case"]
    return cases


CASES = load_cases()


def request_of(given: Mapping[str, Any]) -> EstimateRequest:
    start = given.get("certificate_start")
    policy = given.get("payment_policy")
    return EstimateRequest(
        applied=given["applied"],
        certificate_end=Month.parse_iso(given["certificate_end"]),
        birth=given["birth"],
        certificate_start=Month.parse_iso(start) if start else None,
        disability_until=given.get("disability_until"),
        stops=tuple(Stop(StopReason(s["reason"]), s["on"]) for s in given.get("stops", [])),
        payment_policy=PaymentPolicy(policy) if policy else None,
    )


def cli_args(given: Mapping[str, Any]) -> list[str]:
    args = ["estimate", "--applied", given["applied"].isoformat()]
    args += ["--certificate-end", given["certificate_end"], "--birth", given["birth"].isoformat()]
    if "certificate_start" in given:
        args += ["--certificate-start", given["certificate_start"]]
    if "disability_until" in given:
        args += ["--disability-until", given["disability_until"].isoformat()]
    for stop in given.get("stops", []):
        args += ["--stop", f"{stop['reason']}:{stop['on'].isoformat()}"]
    if "payment_policy" in given:
        args += ["--policy", given["payment_policy"]]
    return [*args, "--json"]


def expected_note(spec: Mapping[str, str]) -> Note:
    params = {key: value for key, value in spec.items() if key not in ("code", "paragraph")}
    return Note(spec["code"], params)


def test_the_file_is_well_formed() -> None:
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids)) and len(ids) == 19
    for number in range(1, 6):  # domain.md §4's five worked examples are all here
        assert f"example-{number}" in ids
    for case in CASES:
        assert set(case) == CASE_KEYS, case["id"]
        assert set(case["input"]) <= INPUT_KEYS, case["id"]
        assert {"applied", "certificate_end", "birth"} <= set(case["input"]), case["id"]
        expect = case["expect"]
        assert set(expect) <= EXPECT_KEYS, case["id"]
        assert "p." in case["paragraph"] and case["title"].strip()
        if "error" in expect:
            assert set(expect) == {"error"}, case["id"]
        else:
            assert set(expect) >= RESULT_KEYS, case["id"]  # every case states every result
            for quarter in expect["quarters"]:
                assert set(quarter) == QUARTER_KEYS, case["id"]


def check(result: Estimate, expect: Mapping[str, Any]) -> None:
    got_quarters = [
        {
            "school_year": q.school_year,
            "quarter": q.quarter,
            "months": [str(m) for m in q.months],
            "paid_months": q.paid_months,
            "quarter_months": q.quarter_months,
            "mrp": list(q.mrp),
            "amount": str(q.amount),
        }
        for q in result.quarters
    ]
    assert got_quarters == expect["quarters"]
    assert sum((Decimal(q["amount"]) for q in expect["quarters"]), Decimal("0.00")) == Decimal(
        expect["total"]
    )  # the data file is consistent with itself: the total is the sum of the quarters
    assert result.total == Decimal(expect["total"]) and str(result.total) == expect["total"]
    last = str(result.last_month) if result.last_month is not None else "none"
    assert last == expect["last_month"]
    assert result.stop_reason is StopReason(expect["stop_reason"])
    assert result.notes == tuple(expected_note(n) for n in expect["notes"])
    for spec in expect["notes"]:
        if spec["code"] == NOTHING_PAYABLE:
            assert NOTHING_PAYABLE_PARAGRAPHS[spec["reason"]] == spec["paragraph"]


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_worked_example(case: dict[str, Any]) -> None:
    request = request_of(case["input"])
    expect = case["expect"]
    if "error" in expect:
        assert expect["error"] == "mrp_not_available"
        with pytest.raises(MrpNotAvailable):
            estimate(request)
        return
    result = estimate(request)
    check(result, expect)
    for spec in expect["notes"]:
        if spec["code"] == NOTHING_PAYABLE:
            assert spec["paragraph"] in case["paragraph"]
    data = estimate_to_json(result)
    assert data["total"] == expect["total"]
    assert data["stops"] == {
        "month": None if expect["last_month"] == "none" else expect["last_month"],
        "reason": expect["stop_reason"],
    }
    sentences = data["notes"]
    assert isinstance(sentences, list)
    words = expect.get("json_notes_contain", [])
    assert len(words) in (0, len(sentences))
    for sentence, wanted in zip(sentences, words, strict=False):
        for word in wanted:
            assert word in sentence


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_worked_example_through_the_cli(
    case: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    expect = case["expect"]
    code = main(cli_args(case["input"]))
    out, err = capsys.readouterr()
    wanted = expect.get("cli_exit", 2 if "error" in expect else 0)
    assert code == wanted, err
    if code != 0:
        assert out == "" and err.count("\n") == 1
        return
    data = json.loads(out)
    assert data == estimate_to_json(estimate(request_of(case["input"])))
    assert data["total"] == expect["total"]
    assert [q["amount"] for q in data["quarters"]] == [q["amount"] for q in expect["quarters"]]


def test_a_wrong_expectation_fails() -> None:
    """The runner can fail: example 1 with one quarter's amount changed by 0.01 ₸."""
    case = next(c for c in CASES if c["id"] == "example-1")
    expect = {**case["expect"], "quarters": [dict(q) for q in case["expect"]["quarters"]]}
    expect["quarters"][0]["amount"] = "31456.01"
    with pytest.raises(AssertionError):
        check(estimate(request_of(case["input"])), expect)
