"""``python -m core`` as architecture.md specifies, run in a subprocess."""

import json
from datetime import date

import pytest

from core.cli import main
from tests.core.core_testkit import DATA, make_iin, run_cli

EXAMPLE_1 = (
    "estimate",
    "--applied",
    "2025-11-15",
    "--certificate-start",
    "2025-09",
    "--certificate-end",
    "2026-05",
    "--birth",
    "2015-03-02",
)


def test_estimate_json_example_1() -> None:
    done = run_cli(*EXAMPLE_1, "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert '"total": "100656.00"' in done.stdout
    data = json.loads(done.stdout)
    assert data["total"] == "100656.00"
    assert data["stops"] == {"month": "2026-05", "reason": "certificate_end"}
    assert data["quarters"][0] == {
        "school_year": "2025/2026",
        "quarter": 2,
        "months": ["2025-11", "2025-12"],
        "paid_months": 2,
        "quarter_months": 2,
        "mrp": [3932, 3932],
        "amount": "31456.00",
    }
    assert data["notes"] == []


def test_estimate_table() -> None:
    done = run_cli(*EXAMPLE_1)
    assert done.returncode == 0, done.stderr
    assert "31456.00" in done.stdout
    assert "Total: 100656.00" in done.stdout


def test_estimate_stops_policy_and_notes() -> None:
    data = json.loads(
        run_cli(
            *EXAMPLE_1,
            "--stop",
            "state_institution:2026-02-01",
            "--stop",
            "death:2026-04-03",
            "--json",
        ).stdout
    )
    assert data["total"] == "54522.67"
    assert data["stops"] == {"month": "2026-02", "reason": "state_institution"}
    whole = json.loads(run_cli(*EXAMPLE_1, "--policy", "whole_quarter", "--json").stdout)
    assert whole["total"] == "100656.00"
    future = json.loads(
        run_cli(
            "estimate",
            "--applied",
            "2026-09-01",
            "--certificate-end",
            "2027-05",
            "--birth",
            "2015-03-02",
            "--json",
        ).stdout
    )
    assert future["notes"] and "2027" in future["notes"][0]
    nothing = json.loads(
        run_cli(
            "estimate",
            "--applied",
            "2026-06-05",
            "--certificate-end",
            "2026-05",
            "--birth",
            "2015-03-02",
            "--disability-until",
            "indefinite",
            "--json",
        ).stdout
    )
    assert nothing["total"] == "0.00"
    assert "p.4" in nothing["notes"][0]


def test_estimate_with_another_policy_file() -> None:
    done = run_cli(*EXAMPLE_1, "--policy-file", str(DATA / "other_city.toml"), "--json")
    assert json.loads(done.stdout)["total"] == "58978.00"


def test_mrp() -> None:
    done = run_cli("mrp", "2026-03-01")
    assert done.returncode == 0
    assert done.stdout.split()[0] == "4325"
    assert "republican budget" in done.stdout
    later = run_cli("mrp", "2027-03-01")
    assert later.stdout.split()[0] == "4325"
    assert "2027 is not yet known" in later.stdout
    data = json.loads(run_cli("mrp", "2022-04-01", "--json").stdout)
    assert (data["amount"], data["known"], data["notes"]) == (3180, True, [])


def test_check_json() -> None:
    done = run_cli(
        "check",
        "--on",
        "2025-11-15",
        "--birth",
        "2015-03-02",
        "--disability",
        "yes",
        "--home-education",
        "yes",
        "--representative",
        "parent",
        "--resident",
        "yes",
        "--state-support",
        "yes",
        "--parental-rights-deprived",
        "no",
        "--state-institution",
        "unknown",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "result": "not_eligible",
        "reasons": [
            {"paragraph": "p.3", "code": "full_state_support"},
            {"paragraph": "p.5", "code": "unknown_state_institution"},
        ],
    }


def test_iin() -> None:
    iin = make_iin(date(2015, 3, 2), "female", 42)
    done = run_cli("iin", iin)
    assert (done.returncode, done.stdout.strip()) == (0, "valid 2015-03-02 female")
    bad = run_cli("iin", iin[:11] + str((int(iin[11]) + 1) % 10), "--json")
    assert bad.returncode == 1
    assert json.loads(bad.stdout) == {"valid": False, "code": "iin_checksum"}


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("bogus",),
        ("estimate",),
        (
            "estimate",
            "--applied",
            "2025-13-01",
            "--certificate-end",
            "2026-05",
            "--birth",
            "2015-03-02",
        ),
        (
            "estimate",
            "--applied",
            "2025-11-15",
            "--certificate-end",
            "2026-5x",
            "--birth",
            "2015-03-02",
        ),
        (
            "estimate",
            "--applied",
            "2025-11-15",
            "--certificate-end",
            "2026-05",
            "--birth",
            "2015-03-02",
            "--stop",
            "holiday:2026-01-01",
        ),
        (
            "estimate",
            "--applied",
            "2025-11-15",
            "--certificate-end",
            "2026-05",
            "--birth",
            "2015-03-02",
            "--policy",
            "weekly",
        ),
        (
            "estimate",
            "--applied",
            "2020-01-15",
            "--certificate-end",
            "2020-05",
            "--birth",
            "2015-03-02",
        ),
        (
            "estimate",
            "--applied",
            "2025-11-15",
            "--certificate-end",
            "2026-05",
            "--birth",
            "2015-03-02",
            "--policy-file",
            str(DATA / "broken_policy.toml"),
        ),
        (
            "estimate",
            "--applied",
            "2025-11-15",
            "--certificate-end",
            "2026-05",
            "--birth",
            "2015-03-02",
            "--policy-file",
            "/nonexistent/x.toml",
        ),
        ("check", "--disability", "maybe"),
        ("check", "--representative", "uncle"),
        ("mrp", "yesterday"),
        ("mrp", "2019-01-01"),
        ("mrp",),
        ("iin",),
        ("estimate", "--unknown-flag"),
    ],
)
def test_bad_input_exit_2_one_line(args: tuple[str, ...]) -> None:
    done = run_cli(*args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert done.stderr.endswith("\n")
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "error" in done.stderr


def test_main_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mrp", "2025-06-01"]) == 0
    assert capsys.readouterr().out.startswith("3932 ")
    assert main(["mrp", "not-a-date"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["--help"]) == 0


@pytest.mark.parametrize(
    ("applied", "start", "end", "birth", "says"),
    [
        # A child born after the month of application (p.4).
        ("2025-11-15", "2025-09", "2026-05", "2025-12-01", "after the month of application"),
        # A certificate that ends before it starts (p.4).
        ("2025-11-15", "2025-09", "2025-05", "2015-03-02", "ends (2025-05) before it starts"),
    ],
)
def test_estimate_refuses_dates_that_cannot_be_true_together(
    applied: str, start: str, end: str, birth: str, says: str
) -> None:
    done = run_cli(
        "estimate",
        "--applied",
        applied,
        "--certificate-start",
        start,
        "--certificate-end",
        end,
        "--birth",
        birth,
        "--json",
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("python -m core: error: ")
    assert says in done.stderr and "(p.4)" in done.stderr


def test_estimate_accepts_a_child_born_in_the_application_month(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["estimate", "--applied", "2025-11-15", "--certificate-end", "2026-05"]
    assert main([*args, "--birth", "2025-11-30", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == "100656.00"
    assert main([*args, "--birth", "2025-12-01", "--json"]) == 2
    assert "2025-12-01" in capsys.readouterr().err
