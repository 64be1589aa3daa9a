"""The consent text (Art. 8 of the Law of the Republic of Kazakhstan "On personal data and
their protection"; domain.md §6) in the user's language.

bot.usecases.consent.CONSENT_VERSION names this text: change the version whenever a part
of CONSENT_PARTS changes, so that a consent to an older text is asked again.
"""

from __future__ import annotations

from aiogram.utils.i18n import I18n

from bot.i18n import N_, Tr
from bot.views.fmt import b, fmt, join, plain
from core.parameters import default_policy

CONSENT_TITLE = N_(
    "Consent to the collection and processing of personal data "
    '(Article 8 of the Law of the Republic of Kazakhstan "On personal data and their protection")'
)
CONSENT_PARTS = (
    N_(
        "To prepare your application I need to collect and process these personal data:\n"
        "• your surname, name and patronymic, IIN, phone number and address;\n"
        "• your relation to the child;\n"
        "• the child's full name, IIN, date of birth and the end date of the disability;\n"
        "• the school, the number, date and term of the school certificate;\n"
        "• the bank account (IBAN) for the payment;\n"
        "• photos or scans of the school certificate and, for a guardian or trustee, of the "
        "guardianship document."
    ),
    N_(
        "Purpose: only to prepare and consider your application for the reimbursement of the costs "
        "of home education of your child (decision of the Alatau city maslikhat No. 11-36) and to "
        "make this payment."
    ),
    N_("Who receives the data: {department}. Its staff see your application through this bot."),
    N_(
        "How long the data are kept: an unsent draft — until you send it or delete it; a sent "
        "application — by the Department for as long as the law requires for this state service."
    ),
    N_(
        "How to withdraw: at any time with /consent (withdraw the consent) or /deletedata (delete "
        "your data). An unsent draft is deleted at once."
    ),
)
CONSENT_QUESTION = N_("Do you agree to the collection and processing of these personal data?")


def department_name(language: str) -> str:
    """The payer (p.2) from the locality policy, in the user's language."""
    names = default_policy().department
    return names.get(language) or names.get("ru") or next(iter(names.values()))


def consent_text(i18n: I18n, language: str, *, with_question: bool = True) -> str:
    """The full consent text of CONSENT_VERSION as HTML, in `language`."""
    tr = Tr(i18n, language)
    parts = [b(tr(CONSENT_TITLE))]
    for part in CONSENT_PARTS:
        text = tr(part)
        if "{department}" in text:
            parts.append(fmt(text, department=department_name(language)))
        else:
            parts.append(plain(text))
    if with_question:
        parts.append(b(tr(CONSENT_QUESTION)))
    return join(parts, "\n\n")
