"""The status machine of domain.md §7 (p.8 refusal grounds)."""

import datetime as dt

import pytest

from core.months import Month
from core.parameters import default_policy
from core.status import (
    QUARTER_TRANSITIONS,
    TRANSITIONS,
    Action,
    ActionNotAllowed,
    Actor,
    ActorNotAllowed,
    GroundRequired,
    PaymentRefused,
    QuarterStatus,
    RefusalGround,
    ScheduledQuarter,
    Status,
    TransitionError,
    allowed_actions,
    apply_action,
    change_quarter_status,
    check_correction,
    check_mark_paid,
    due_from,
    in_payment,
    is_due,
    is_final,
    next_to_pay,
    permits,
)

P, S = Actor.PARENT, Actor.STAFF


def test_happy_path() -> None:
    status = Status.DRAFT
    for action, actor in [
        (Action.SUBMIT, P),
        (Action.TAKE, S),
        (Action.REQUEST_DOCUMENTS, S),
        (Action.PROVIDE_DOCUMENTS, P),
        (Action.REQUEST_DOCUMENTS, S),
        (Action.PROVIDE_DOCUMENTS, S),
        (Action.APPROVE, S),
    ]:
        status = apply_action(status, action, actor)
    assert status is Status.APPROVED


@pytest.mark.parametrize("source", [Status.SUBMITTED, Status.IN_REVIEW, Status.DOCUMENTS_REQUESTED])
def test_reject_and_withdraw_from_open_states(source: Status) -> None:
    assert apply_action(source, Action.REJECT, S, RefusalGround.NO_CONSENT) is Status.REJECTED
    assert apply_action(source, Action.WITHDRAW, P) is Status.WITHDRAWN
    with pytest.raises(GroundRequired):
        apply_action(source, Action.REJECT, S)
    with pytest.raises(ActorNotAllowed):
        apply_action(source, Action.REJECT, P, RefusalGround.UNRELIABLE_DOCUMENTS)
    with pytest.raises(ActorNotAllowed):
        apply_action(source, Action.WITHDRAW, S)


def test_wrong_transitions() -> None:
    with pytest.raises(ActionNotAllowed):
        apply_action(Status.DRAFT, Action.APPROVE, S)
    with pytest.raises(ActionNotAllowed):
        apply_action(Status.SUBMITTED, Action.APPROVE, S)  # must be taken first
    with pytest.raises(ActorNotAllowed):
        apply_action(Status.DRAFT, Action.SUBMIT, S)
    with pytest.raises(ActorNotAllowed):
        apply_action(Status.IN_REVIEW, Action.APPROVE, P)
    with pytest.raises(ActionNotAllowed) as caught:
        apply_action(Status.APPROVED, Action.WITHDRAW, P)
    assert isinstance(caught.value, TransitionError)
    assert (caught.value.status, caught.value.action, caught.value.actor) == (
        "approved",
        "withdraw",
        "parent",
    )


@pytest.mark.parametrize("final", [Status.APPROVED, Status.REJECTED, Status.WITHDRAWN])
def test_final_states(final: Status) -> None:
    assert is_final(final)
    assert allowed_actions(final, P) == ()
    assert allowed_actions(final, S) == ()
    for action in Action:
        with pytest.raises(ActionNotAllowed):
            apply_action(final, action, S, RefusalGround.NO_CONSENT)


def test_allowed_actions() -> None:
    assert allowed_actions(Status.DRAFT, P) == (Action.SUBMIT,)
    assert allowed_actions(Status.DRAFT, S) == ()
    assert allowed_actions(Status.SUBMITTED, S) == (Action.TAKE, Action.REJECT)
    assert allowed_actions(Status.SUBMITTED, P) == (Action.WITHDRAW,)
    assert allowed_actions(Status.IN_REVIEW, S) == (
        Action.REQUEST_DOCUMENTS,
        Action.APPROVE,
        Action.REJECT,
    )
    assert set(allowed_actions(Status.DOCUMENTS_REQUESTED, P)) == {
        Action.PROVIDE_DOCUMENTS,
        Action.WITHDRAW,
    }


def test_table_is_consistent_with_apply() -> None:
    for status in Status:
        for actor in Actor:
            for action in Action:
                ok = action in allowed_actions(status, actor)
                try:
                    apply_action(status, action, actor, RefusalGround.NEGATIVE_CONCLUSION)
                except TransitionError:
                    assert not ok
                else:
                    assert ok
    assert len(TRANSITIONS) == 11


def test_values_are_lower_snake() -> None:
    assert [s.value for s in Status] == [
        "draft",
        "submitted",
        "in_review",
        "documents_requested",
        "approved",
        "rejected",
        "withdrawn",
    ]
    assert [a.value for a in Action] == [
        "submit",
        "take",
        "request_documents",
        "provide_documents",
        "approve",
        "reject",
        "withdraw",
    ]


def test_refusal_grounds_match_policy() -> None:
    assert [g.paragraph for g in RefusalGround] == ["p.8(1)", "p.8(2)", "p.8(3)", "p.8(4)"]
    assert [(g.value, g.paragraph, g.code) for g in RefusalGround] == [
        (g.number, g.paragraph, g.code) for g in default_policy().refusal_grounds
    ]


def test_quarter_status() -> None:
    assert change_quarter_status(QuarterStatus.PLANNED, QuarterStatus.PAID) is QuarterStatus.PAID
    assert (
        change_quarter_status(QuarterStatus.PLANNED, QuarterStatus.CANCELLED)
        is QuarterStatus.CANCELLED
    )
    # a quarter marked paid by mistake is corrected back to planned
    assert change_quarter_status(QuarterStatus.PAID, QuarterStatus.PLANNED) is QuarterStatus.PLANNED
    for bad in [
        (QuarterStatus.PAID, QuarterStatus.CANCELLED),
        (QuarterStatus.CANCELLED, QuarterStatus.PAID),
        (QuarterStatus.PLANNED, QuarterStatus.PLANNED),
    ]:
        with pytest.raises(ActionNotAllowed):
            change_quarter_status(*bad)
    assert QUARTER_TRANSITIONS[QuarterStatus.PLANNED] == {
        QuarterStatus.PAID,
        QuarterStatus.CANCELLED,
    }


def test_errors_can_be_raised_plainly() -> None:
    error = ActionNotAllowed("nope")
    assert isinstance(error, TransitionError)
    assert (str(error), error.status, error.action, error.actor) == ("nope", None, None, None)


def _schedule(*statuses: QuarterStatus) -> list[ScheduledQuarter]:
    """Worked example 1 of domain.md §4 (applied 15.11.2025, certificate 09.2025–05.2026):
    Q2 (11.2025, 12.2025), Q3 (01–03.2026), Q4 (04.2026, 05.2026), listed out of order."""
    months = {
        2: (Month(2025, 11), Month(2025, 12)),
        3: (Month(2026, 1), Month(2026, 2), Month(2026, 3)),
        4: (Month(2026, 4), Month(2026, 5)),
    }
    quarters = [
        ScheduledQuarter(10 + n, "2025/2026", n, months[n], status)
        for n, status in zip((2, 3, 4), statuses, strict=True)
    ]
    return [quarters[2], quarters[0], quarters[1]]


def test_a_quarter_is_due_from_the_first_day_of_its_first_month() -> None:
    """p.7, worked examples 1 and 2 of domain.md §4."""
    q2 = (Month(2025, 11), Month(2025, 12))
    assert due_from(q2) == dt.date(2025, 11, 1)
    assert is_due(q2, dt.date(2025, 11, 1)) and is_due(q2, dt.date(2026, 3, 5))
    assert not is_due(q2, dt.date(2025, 10, 31))
    # example 2: applied 20.10.2025, Q1 pays October only → due from 01.10.2025
    assert due_from((Month(2025, 10),)) == dt.date(2025, 10, 1)
    assert not is_due((), dt.date(2030, 1, 1))  # a quarter with no payable month


def test_only_the_earliest_due_quarter_can_be_marked_paid() -> None:
    """p.7: quarters are paid in order, each once its first month has begun."""
    planned = QuarterStatus.PLANNED
    schedule = _schedule(planned, planned, planned)
    assert next_to_pay(schedule) == schedule[1]  # Q2, whatever the listing order
    on = dt.date(2025, 11, 15)
    assert check_mark_paid(schedule, 12, on).quarter == 2
    # Q3 on 15.11.2025 is not due yet: due from 01.01.2026
    with pytest.raises(PaymentRefused) as refused:
        check_mark_paid(schedule, 13, on)
    assert (refused.value.code, refused.value.due) == ("not_due", dt.date(2026, 1, 1))
    # Q3 on 10.01.2026 is due, but Q2 is still unpaid: Q2 first
    with pytest.raises(PaymentRefused) as refused:
        check_mark_paid(schedule, 13, dt.date(2026, 1, 10))
    assert refused.value.code == "earlier_unpaid" and refused.value.earlier == schedule[1]
    # Q2 paid: Q3 can be marked from 01.01.2026, not on 31.12.2025
    paid = _schedule(QuarterStatus.PAID, planned, planned)
    assert next_to_pay(paid) is not None and next_to_pay(paid).quarter == 3  # type: ignore[union-attr]
    assert check_mark_paid(paid, 13, dt.date(2026, 1, 1)).quarter == 3
    with pytest.raises(PaymentRefused, match="not_due"):
        check_mark_paid(paid, 13, dt.date(2025, 12, 31))
    # a paid or cancelled quarter is not marked again
    for status in (QuarterStatus.PAID, QuarterStatus.CANCELLED):
        with pytest.raises(PaymentRefused, match="not_planned"):
            check_mark_paid(_schedule(status, planned, planned), 12, on)
    with pytest.raises(ActionNotAllowed):
        check_mark_paid(schedule, 99, on)
    assert (
        next_to_pay(_schedule(QuarterStatus.PAID, QuarterStatus.PAID, QuarterStatus.CANCELLED))
        is None
    )


def test_only_a_paid_quarter_can_be_corrected() -> None:
    """p.7: a wrong "paid" mark goes back to planned; nothing else is corrected."""
    planned, paid = QuarterStatus.PLANNED, QuarterStatus.PAID
    schedule = _schedule(paid, planned, planned)
    assert check_correction(schedule, 12).quarter == 2
    with pytest.raises(PaymentRefused, match="not_paid"):
        check_correction(schedule, 13)
    with pytest.raises(ActionNotAllowed):
        check_correction(schedule, 99)


def test_permits_worked_example() -> None:
    """domain.md §7: a parent may withdraw while the application is submitted, in review or
    waiting for documents, not once it is approved; staff may not withdraw; an unknown
    stored status permits nothing."""
    assert permits("submitted", Action.WITHDRAW, P)
    assert permits("documents_requested", Action.WITHDRAW, P)
    assert not permits("approved", Action.WITHDRAW, P)
    assert not permits("submitted", Action.WITHDRAW, S)
    assert permits("in_review", Action.APPROVE, S)
    assert not permits("archived", Action.TAKE, S)


def test_in_payment_worked_example() -> None:
    """domain.md §7, p.7: only an approved application is paid by quarters; a submitted,
    refused or withdrawn one, or an unknown stored status, is not."""
    assert in_payment("approved")
    assert not in_payment("submitted")
    assert not in_payment("rejected")
    assert not in_payment("withdrawn")
    assert not in_payment("archived")


def test_the_statuses_awaiting_a_decision() -> None:
    # domain.md §7: the service term runs until approve or refuse (p.8).
    from core.status import awaiting_decision, awaits_decision

    assert awaiting_decision() == (Status.SUBMITTED, Status.IN_REVIEW, Status.DOCUMENTS_REQUESTED)
    assert awaits_decision("documents_requested")
    assert not awaits_decision(Status.APPROVED)
    assert not awaits_decision(Status.DRAFT)
    assert not awaits_decision("nonsense")


def test_the_statuses_a_decision_leads_to() -> None:
    from core.status import decision_statuses

    assert decision_statuses() == (Status.APPROVED, Status.REJECTED)


def test_the_statuses_an_official_request_number_is_recorded_in() -> None:
    # p.6, p.4: awaiting the decision or paid by quarters; not refused, withdrawn, a draft
    from core.status import takes_official_request

    assert [s for s in Status if takes_official_request(s)] == [
        Status.SUBMITTED,
        Status.IN_REVIEW,
        Status.DOCUMENTS_REQUESTED,
        Status.APPROVED,
    ]
    assert not takes_official_request("nonsense")
