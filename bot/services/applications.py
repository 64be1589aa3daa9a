"""Applications sent by parents (domain.md §5): the wizard's draft and `submit`."""

from __future__ import annotations

from bot.i18n import N_

# Relation of the applicant to the child (domain.md §5); codes are stored.
RELATIONS = ("mother", "father", "guardian", "other")
RELATION_LABELS = {
    "mother": N_("Mother"),
    "father": N_("Father"),
    "guardian": N_("Guardian / trustee"),
    "other": N_("Other legal representative"),
}
