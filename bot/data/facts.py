"""The facts of a stored application in core's terms: its termination events as
core stops, its estimate request, core's schedule (p.4, p.5, p.7) and screening (p.3, p.5)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.data.models import Application, TerminationEvent
from core.eligibility import Answer, Representative, Screening, ScreeningAnswers, screen
from core.months import Month
from core.schedule import Estimate, EstimateRequest, Stop, StopReason, estimate

log = logging.getLogger(__name__)

# Representative of core for the relation stored by the wizard (domain.md §5).
_REPRESENTATIVES = {
    "mother": Representative.PARENT,
    "father": Representative.PARENT,
    "parent": Representative.PARENT,
    "adoptive_parent": Representative.ADOPTIVE_PARENT,
    "guardian": Representative.GUARDIAN,
}


def stops_of(events: Sequence[TerminationEvent]) -> tuple[Stop, ...]:
    found = []
    for event in events:
        try:
            found.append(Stop(StopReason(event.reason), event.on))
        except ValueError:
            continue
    return tuple(found)


def estimate_request(
    application: Application, stops: Sequence[Stop] = ()
) -> EstimateRequest | None:
    if application.child_birth is None or not application.certificate_end:
        return None
    try:
        return EstimateRequest(
            applied=application.applied_on,
            certificate_end=Month.parse_iso(application.certificate_end),
            birth=application.child_birth,
            certificate_start=Month.parse_iso(application.certificate_start)
            if application.certificate_start
            else None,
            disability_until=application.disability_until,
            stops=tuple(stops),
        )
    except ValueError:
        return None


def schedule_for(application: Application, stops: Sequence[Stop] = ()) -> Estimate | None:
    """core's schedule (p.4, p.5, p.7) for the application, None if it cannot be computed."""
    request = estimate_request(application, stops)
    if request is None:
        return None
    try:
        return estimate(request)
    except Exception as error:  # an MRP outside the table: the card still shows the rest
        log.warning("estimate for application %s failed: %s", application.id, type(error).__name__)
        return None


def screening_of(application: Application) -> Screening:
    """core's screening on what the application states (the three p.3/p.5
    questions the application does not ask stay "unknown": staff check them)."""
    until = application.disability_until
    return screen(
        ScreeningAnswers(
            on=application.applied_on,
            birth=application.child_birth,
            disability=Answer.YES,
            disability_until=until,
            home_education=Answer.YES if application.certificate_end else Answer.UNKNOWN,
            representative=_REPRESENTATIVES.get(application.relation or "", Representative.UNKNOWN),
            resident=Answer.YES if application.address else Answer.UNKNOWN,
            state_support=Answer.UNKNOWN,
            parental_rights_deprived=Answer.UNKNOWN,
            state_institution=Answer.UNKNOWN,
        )
    )
