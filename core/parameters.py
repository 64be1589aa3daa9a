"""Parameters as data (contract module): the MRP table of the Laws on the
republican budget (core/params/mrp.toml) and the locality policy of decision
11-36 (core/params/alatau.toml). Implementation lives in core.mrp and core.policy."""

from __future__ import annotations

from core.errors import MrpNotAvailable, PolicyError
from core.mrp import MrpEntry, MrpLookup, load_mrp_table, mrp_on, mrp_table
from core.policy import (
    Channel,
    DocumentItem,
    LocalityPolicy,
    PaymentPolicy,
    QuarterScheme,
    RefusalGroundInfo,
    default_policy,
    documents_for,
    load_policy,
)

__all__ = [
    "Channel",
    "DocumentItem",
    "LocalityPolicy",
    "MrpEntry",
    "MrpLookup",
    "MrpNotAvailable",
    "PaymentPolicy",
    "PolicyError",
    "QuarterScheme",
    "RefusalGroundInfo",
    "default_policy",
    "documents_for",
    "load_mrp_table",
    "load_policy",
    "mrp_on",
    "mrp_table",
]
