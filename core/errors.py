"""Errors of the parameter files (MRP table per the Law on the republican budget,
locality policy per decision 11-36) — raised on load, never later."""

from __future__ import annotations

__all__ = ["MrpNotAvailable", "PolicyError"]


class PolicyError(ValueError):
    """A parameter file (MRP table of the budget Law, or a locality policy such as
    decision 11-36 p.2–p.8) is missing, not TOML, or fails validation; the
    message names the file and the field."""


class MrpNotAvailable(ValueError):
    """The MRP (Law on the republican budget) is asked for a day before the first
    row of the table; p.7 amounts cannot be computed for it."""
