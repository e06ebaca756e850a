"""Billing: CPT time rules as data, the billing month with its evidence, the month-end worklist.

``codes_for_minutes(program, minutes, initial_month)`` is a stable contract used by outside
checks; see DESIGN section 8 before changing its name, arguments or result.
"""

from cocm.billing.export import billing_csv
from cocm.billing.month import BillingRow, billing_month
from cocm.billing.rules import (
    MEDICARE,
    RULE_SETS,
    NextThreshold,
    RuleSet,
    Thresholds,
    codes_for_minutes,
    rule_set_for,
)
from cocm.billing.worklist import WorklistItem, month_end_worklist

__all__ = [
    "MEDICARE",
    "RULE_SETS",
    "BillingRow",
    "NextThreshold",
    "RuleSet",
    "Thresholds",
    "WorklistItem",
    "billing_csv",
    "billing_month",
    "codes_for_minutes",
    "month_end_worklist",
    "rule_set_for",
]
