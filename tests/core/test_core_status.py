"""The status machine of domain.md §7 (p.8 refusal grounds)."""

import pytest

from core.parameters import default_policy
from core.status import (
    QUARTER_TRANSITIONS,
    TRANSITIONS,
    Action,
    ActionNotAllowed,
    Actor,
    ActorNotAllowed,
    GroundRequired,
    QuarterStatus,
    RefusalGround,
    Status,
    TransitionError,
    allowed_actions,
    apply_action,
    change_quarter_status,
    is_final,
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
    for bad in [
        (QuarterStatus.PAID, QuarterStatus.CANCELLED),
        (QuarterStatus.PAID, QuarterStatus.PLANNED),
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
