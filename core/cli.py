"""``python -m core``: the rules on the command line (architecture.md contract).

    estimate  the schedule of p.4, p.5, p.7 (``--json``: architecture.md's shape)
    check     the eligibility screening of domain.md §2 (p.1, p.2, p.3, p.5)
    mrp       the MRP on a day and its Law on the republican budget
    iin       whether an IIN is valid, its birth date and sex (domain.md §5)
    term      the service-term clock: due date and working days (Labour Code art. 84, 85)

Exit codes: 0 success; 1 ``iin`` found the number invalid; 2 bad input (one line
on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn

from core.consistency import Facts, check_facts, refusals
from core.eligibility import Answer, Representative, ScreeningAnswers, screen
from core.errors import MrpNotAvailable, PolicyError
from core.months import Month
from core.mrp import mrp_on
from core.notes import MRP_NOT_KNOWN, Note, describe
from core.policy import LocalityPolicy, PaymentPolicy, load_policy
from core.schedule import Estimate, EstimateRequest, Stop, StopReason, estimate, estimate_to_json
from core.validators import Invalid, parse_date, parse_iin, parse_month
from core.workdays import CalendarUnknown, term_progress

__all__ = ["OneLineParser", "build_parser", "main"]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EVENT_REASONS = tuple(r.value for r in StopReason if r is not StopReason.CERTIFICATE_END)


class OneLineParser(argparse.ArgumentParser):
    """argparse with errors on one stderr line and exit code 2 (architecture.md's
    CLI contract for the rules of decision 11-36, p.4–p.7)."""

    def error(self, message: str) -> NoReturn:
        """Print ``<prog>: error: <message>`` on one line and exit with code 2 (p.4–p.7 CLI)."""
        self.exit(2, f"{self.prog}: error: {_one_line(message)}\n")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _day(text: str) -> date:
    """YYYY-MM-DD (or DD.MM.YYYY as the bot accepts)."""
    if _ISO_DATE.fullmatch(text.strip()):
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"no such date: {text!r}") from None
    parsed = parse_date(text)
    if isinstance(parsed, Invalid):
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}")
    return parsed


def _day_or_unknown(text: str) -> date | None:
    return None if text.strip().lower() in ("unknown", "indefinite", "") else _day(text)


def _month(text: str) -> Month:
    """YYYY-MM (or MM.YYYY as the bot accepts)."""
    try:
        return Month.parse_iso(text)
    except ValueError:
        parsed = parse_month(text)
        if isinstance(parsed, Invalid):
            raise argparse.ArgumentTypeError(f"expected a month YYYY-MM, got {text!r}") from None
        return parsed


def _stop(text: str) -> Stop:
    reason, sep, when = text.partition(":")
    if not sep or reason not in _EVENT_REASONS:
        raise argparse.ArgumentTypeError(
            f"expected REASON:YYYY-MM-DD with REASON one of {', '.join(_EVENT_REASONS)}, got {text!r}"
        )
    return Stop(StopReason(reason), _day(when))


def _answer(text: str) -> Answer:
    try:
        return Answer(text.strip().lower())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected yes, no or unknown, got {text!r}") from None


def _representative(text: str) -> Representative:
    try:
        return Representative(text.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Representative)
        raise argparse.ArgumentTypeError(f"expected one of {allowed}, got {text!r}") from None


def build_parser() -> OneLineParser:
    """The argument parser of ``python -m core`` (architecture.md; p.4–p.8 rules)."""
    parser = OneLineParser(
        prog="python -m core",
        description="Rules of decision No. 11-36 of the Alatau city maslikhat.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    est = commands.add_parser("estimate", help="payment schedule (p.4, p.5, p.7)")
    est.add_argument("--applied", type=_day, required=True, help="application date YYYY-MM-DD")
    est.add_argument("--certificate-end", type=_month, required=True, help="last month YYYY-MM")
    est.add_argument("--certificate-start", type=_month, help="first month YYYY-MM")
    est.add_argument("--birth", type=_day, required=True, help="child's birth date")
    est.add_argument("--disability-until", type=_day_or_unknown, help="end of the disability term")
    est.add_argument(
        "--stop",
        type=_stop,
        action="append",
        default=[],
        metavar="REASON:DATE",
        help=f"termination event (p.5), repeatable; REASON: {', '.join(_EVENT_REASONS)}",
    )
    est.add_argument(
        "--policy", choices=[p.value for p in PaymentPolicy], help="payment policy switch"
    )
    est.add_argument("--policy-file", type=Path, help="another locality policy (TOML)")
    est.add_argument("--json", action="store_true", help="print architecture.md's JSON")

    chk = commands.add_parser("check", help="eligibility screening (domain.md §2)")
    chk.add_argument("--on", type=_day, default=None, help="screening date (default: today)")
    chk.add_argument("--birth", type=_day_or_unknown, default=None, help="birth date or 'unknown'")
    chk.add_argument("--disability", type=_answer, default=Answer.UNKNOWN)
    chk.add_argument(
        "--disability-until",
        type=_day_or_unknown,
        default=None,
        help="end of the disability term, or 'indefinite'",
    )
    chk.add_argument("--home-education", type=_answer, default=Answer.UNKNOWN)
    chk.add_argument("--representative", type=_representative, default=Representative.UNKNOWN)
    chk.add_argument("--resident", type=_answer, default=Answer.UNKNOWN)
    chk.add_argument("--state-support", type=_answer, default=Answer.UNKNOWN)
    chk.add_argument("--parental-rights-deprived", type=_answer, default=Answer.UNKNOWN)
    chk.add_argument("--state-institution", type=_answer, default=Answer.UNKNOWN)
    chk.add_argument("--json", action="store_true")

    mrp = commands.add_parser("mrp", help="MRP on a day and its budget Law")
    mrp.add_argument("day", type=_day, metavar="DATE")
    mrp.add_argument("--json", action="store_true")

    term = commands.add_parser("term", help="service-term clock (8 working days)")
    term.add_argument("--submitted", type=_day, required=True, help="day of submission")
    term.add_argument("--on", type=_day, default=None, help="the day to look from (default: today)")
    term.add_argument(
        "--days", type=int, default=None, help="term in working days (default: policy)"
    )
    term.add_argument("--json", action="store_true")

    iin = commands.add_parser("iin", help="check an IIN (exit 1 when invalid)")
    iin.add_argument("number", metavar="IIN")
    iin.add_argument("--json", action="store_true")
    return parser


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False))


def _run_estimate(args: argparse.Namespace) -> int:
    facts = Facts(
        applied=args.applied,
        birth=args.birth,
        certificate_start=args.certificate_start,
        certificate_end=args.certificate_end,
    )
    refused = refusals(check_facts(facts))
    if refused:  # dates that cannot be true together are bad input (exit 2), domain.md §5
        raise ValueError("; ".join(problem.describe() for problem in refused))
    policy: LocalityPolicy | None = load_policy(args.policy_file) if args.policy_file else None
    request = EstimateRequest(
        applied=args.applied,
        certificate_end=args.certificate_end,
        birth=args.birth,
        certificate_start=args.certificate_start,
        disability_until=args.disability_until,
        stops=tuple(args.stop),
        payment_policy=PaymentPolicy(args.policy) if args.policy else None,
    )
    result = estimate(request, policy)
    if args.json:
        _print_json(estimate_to_json(result))
    else:
        print(_table(result))
    return 0


def _table(e: Estimate) -> str:
    header = ("School year", "Q", "Months", "Paid", "MRP, ₸", "Amount, ₸")
    rows = [
        (
            q.school_year,
            str(q.quarter),
            ", ".join(m.display() for m in q.months),
            f"{q.paid_months}/{q.quarter_months}",
            ", ".join(str(v) for v in q.mrp),
            f"{q.amount:.2f}",
        )
        for q in e.quarters
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(widths[i]) if i < 5 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        )
        for row in [header, *rows]
    ]
    lines.append(f"Total: {e.total:.2f} ₸")
    last = e.last_month.display() if e.last_month is not None else "—"
    lines.append(f"Last payable month: {last} (ends by: {e.stop_reason.value})")
    lines.extend(f"Note: {describe(note)}" for note in e.notes)
    return "\n".join(lines)


def _run_check(args: argparse.Namespace) -> int:
    answers = ScreeningAnswers(
        on=args.on or date.today(),
        birth=args.birth,
        disability=args.disability,
        disability_until=args.disability_until,
        home_education=args.home_education,
        representative=args.representative,
        resident=args.resident,
        state_support=args.state_support,
        parental_rights_deprived=args.parental_rights_deprived,
        state_institution=args.state_institution,
    )
    result = screen(answers)
    if args.json:
        _print_json(
            {
                "result": result.result.value,
                "reasons": [{"paragraph": r.paragraph, "code": r.code} for r in result.reasons],
            }
        )
    else:
        print(result.result.value)
        for reason in result.reasons:
            print(f"  {reason.paragraph}  {reason.code}")
    return 0


def _run_mrp(args: argparse.Namespace) -> int:
    lookup = mrp_on(args.day)
    notes = [] if lookup.known else [describe(Note(MRP_NOT_KNOWN, {"year": str(args.day.year)}))]
    if args.json:
        _print_json(
            {
                "date": args.day.isoformat(),
                "amount": lookup.amount,
                "since": lookup.entry.since.isoformat(),
                "reference": lookup.entry.reference,
                "verified": lookup.entry.verified,
                "known": lookup.known,
                "notes": notes,
            }
        )
    else:
        print(
            f"{lookup.amount} ₸ — {lookup.entry.reference} (in force since {lookup.entry.since.isoformat()})"
        )
        for note in notes:
            print(f"Note: {note}")
    return 0


def _run_iin(args: argparse.Namespace) -> int:
    info = parse_iin(args.number)
    if isinstance(info, Invalid):
        if args.json:
            _print_json({"valid": False, "code": info.code})
        else:
            print(f"invalid {info.code}")
        return 1
    if args.json:
        _print_json(
            {"valid": True, "iin": info.iin, "birth": info.birth.isoformat(), "sex": info.sex}
        )
    else:
        print(f"valid {info.birth.isoformat()} {info.sex}")
    return 0


def _run_term(args: argparse.Namespace) -> int:
    if args.days is not None and args.days < 1:
        raise ValueError(f"--days must be at least 1, got {args.days}")
    on = args.on or date.today()
    progress = term_progress(args.submitted, on, args.days)
    if isinstance(progress, CalendarUnknown):  # never a guess: bad input for this clock
        raise ValueError(progress.describe())
    if args.json:
        _print_json(
            {
                "submitted": progress.submitted.isoformat(),
                "on": progress.today.isoformat(),
                "term": progress.term,
                "due": progress.due.isoformat(),
                "day": progress.elapsed,
                "left": progress.left,
                "overdue": progress.overdue,
                "overdue_working_days": progress.overdue_working_days,
            }
        )
    else:
        line = (
            f"due {progress.due.isoformat()}; day {progress.elapsed} of {progress.term}; "
            f"{progress.left} working day(s) left"
        )
        if progress.overdue:
            line += f"; overdue by {progress.overdue_working_days} working day(s)"
        print(line)
    return 0


_COMMANDS = {
    "estimate": _run_estimate,
    "check": _run_check,
    "mrp": _run_mrp,
    "iin": _run_iin,
    "term": _run_term,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m core`` (architecture.md): 0 ok, 1 invalid IIN, 2 bad input;
    errors are one line on stderr (rules of decision 11-36, p.4–p.8)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2, already printed)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return _COMMANDS[args.command](args)
    except (MrpNotAvailable, PolicyError, ValueError) as exc:
        sys.stderr.write(f"{parser.prog}: error: {_one_line(str(exc))}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug, still one line and no traceback
        sys.stderr.write(
            f"{parser.prog}: internal error: {type(exc).__name__}: {_one_line(str(exc))}\n"
        )
        return 2
