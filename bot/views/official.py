"""The hand-over to the official channel (decision 11-36 p.6, p.4): what happens next after
Send and in /status, how to file officially (eGov Mobile or a ЦОН), and the number of
the official request the parent or staff record."""

from __future__ import annotations

import re

from bot.i18n import N_, Tr
from bot.views.eligibility import paragraph
from bot.views.fmt import Html, b, fmt

# The service as eGov Mobile names it, in each language.
SERVICE_NAME = N_("Reimbursement of the costs of home education of children with disabilities")
FILED_BUTTON = N_("🏛 I have filed officially")

_NUMBER = re.compile(r"[0-9A-ZА-ЯЁӘҒҚҢӨҰҮҺІ][0-9A-ZА-ЯЁӘҒҚҢӨҰҮҺІ-]{0,39}")


def parse_request_number(text: str | None) -> str | None:
    """An official request number: letters, digits and dashes, at most 40, with a digit;
    spaces are dropped, letters upper-cased. None when it is not one."""
    if text is None:
        return None
    compact = "".join(text.split()).upper()
    if not _NUMBER.fullmatch(compact) or not any(ch.isdigit() for ch in compact):
        return None
    return compact


def how_to_file(tr: Tr) -> Html:
    """Plain words on filing officially too (p.6) and from when payment counts (p.4)."""
    _ = tr
    return fmt(
        _(
            "The Department now has your application. To file it officially as well (p.6), either:\n"
            "• in the eGov Mobile app: find the service “{service}”, check the data the app fills in, "
            "attach the school certificate and send; or\n"
            "• at a ЦОН (a Public Service Centre) with the documents of the checklist (/documents).\n"
            "Payment counts from the month of the official request ({paragraph}). When you have filed, "
            "press «{button}» and send its number."
        ),
        service=b(_(SERVICE_NAME)),
        paragraph=paragraph(tr, "p.4"),
        button=_(FILED_BUTTON),
    )


def recorded_line(tr: Tr, number: str) -> Html:
    _ = tr
    return fmt(_("Official request: {number}"), number=b(number))


ASK_NUMBER = N_(
    "Please send the number of your official request (from eGov Mobile or the ЦОН receipt): "
    "letters, digits and dashes, up to 40 characters. /cancel stops."
)
BAD_NUMBER = N_(
    "This does not look like a request number: use letters, digits and dashes only, up to 40 "
    "characters, for example 001234567890 or KZ-2025-1234."
)
SAVED = N_(
    "Thank you: the official request {number} is recorded for application {application}. "
    "The Department's staff see it on the application."
)
STAFF_USAGE = N_(
    "To record the official request number, reply to the application's card with "
    "/official NUMBER (letters, digits and dashes, up to 40)."
)
STAFF_SAVED = N_("Official request {number} recorded for application {application}.")
STAFF_ASK = N_(
    "reply with the number of the official request of application {number} (eGov Mobile "
    "or the ЦОН receipt): letters, digits and dashes, up to 40 characters."
)
STAFF_REPLACES = N_("Recorded now: {official}; your number replaces it.")
STAFF_AGAIN = N_("Reply to this message with the number, or /cancel.")
STAFF_NOT_OPEN = N_(
    "The official request number is recorded only on an application awaiting the decision "
    "or approved."
)
STAFF_BAD = N_("Not a request number: letters, digits and dashes only, up to 40 characters.")
REMINDER = N_(
    "⏰ Application {number}: have you also filed officially, in eGov Mobile or at a ЦОН (p.6)? "
    "Payment counts from the month of the official request (p.4). If you have, open /status, "
    "press «{button}» and send its number."
)
