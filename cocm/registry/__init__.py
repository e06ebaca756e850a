"""The registry, the response-queue listing and the patient chart: read-only views computed
from the record with a fixed number of set-based statements (DESIGN 1: views, never copies)."""

from cocm.registry.flags import FLAGS, compute_flags
from cocm.registry.service import (
    GROUP_FILTERS,
    SORTS,
    Registry,
    RegistryFilters,
    RegistryRow,
    Score,
    flag_counts,
    registry,
    registry_rows,
    sort_rows,
)

__all__ = [
    "FLAGS",
    "GROUP_FILTERS",
    "SORTS",
    "Registry",
    "RegistryFilters",
    "RegistryRow",
    "Score",
    "compute_flags",
    "flag_counts",
    "registry",
    "registry_rows",
    "sort_rows",
]
