"""Pure MRP compute core (NumPy in, NumPy out; no Django).

The service loads items, BOM lines, demand and open supply in bulk, calls ``plan_mrp`` and
writes the planned orders, pegs and exceptions in bulk.

Modules: ``bom`` (cycle detection, low-level codes), ``plan`` (netting, lot sizing, lead-time
offset, BOM explosion; the conventions are in its docstring), ``pegging`` (FIFO pegging and the
"why is this order here?" chain), ``capacity`` (work-centre load per day) and ``synthetic``
(generated test / benchmark data).
"""

from manufacturing.mrp.bom import CycleError, find_cycle, low_level_codes
from manufacturing.mrp.capacity import overloaded_days, work_centre_load
from manufacturing.mrp.pegging import PEG_INDEPENDENT, PEG_PARENT_ORDER, PegPath, peg_chain
from manufacturing.mrp.plan import (
    KIND_BUY,
    KIND_MAKE,
    KIND_NAMES,
    MrpInputs,
    MrpResult,
    lot_size,
    net_requirements,
    plan_mrp,
)

__all__ = [
    "KIND_BUY",
    "KIND_MAKE",
    "KIND_NAMES",
    "PEG_INDEPENDENT",
    "PEG_PARENT_ORDER",
    "CycleError",
    "MrpInputs",
    "MrpResult",
    "PegPath",
    "find_cycle",
    "lot_size",
    "low_level_codes",
    "net_requirements",
    "overloaded_days",
    "peg_chain",
    "plan_mrp",
    "work_centre_load",
]
