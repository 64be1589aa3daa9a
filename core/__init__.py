"""Rules of decision No. 11-36 of the Alatau city maslikhat (pure Python, stdlib only).

The package implements the decision's appendix (p.1–p.10) as data and small
functions: parameters (MRP table per the Law on the republican budget, the
locality policy), eligibility screening (p.2, p.3, p.5), the payment schedule
(p.4, p.5, p.7), the application status machine (p.8, domain.md §7) and input
validators (domain.md §5, Art. 8 of the personal-data law for consent texts),
facts that cannot be true together (core.consistency, domain.md §5, p.3, p.4) and
the working-day calendar with the service-term clock (core.workdays, Labour Code
Art. 84, 85; 8 working days per the eGov service description).
It imports nothing of the project (no aiogram, no SQLAlchemy, no bot/handlers).
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
