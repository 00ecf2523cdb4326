"""Pure inventory-policy maths (NumPy in, NumPy out; no Django).

Every function works on whole arrays with one element per product × location. The service
layer loads its inputs with one query per dataset, calls these, and writes results in bulk.

Modules: ``service_level`` (z for cycle service level, fill rate, cost-optimal level),
``safety_stock`` (normal, Poisson / negative binomial, forecast quantiles), ``levels`` (reorder
point, order-up-to level, EOQ and lot rounding, inventory position, days of cover), ``risk``
(stockout risk), ``status`` (status, recommended order, latest order date), ``classification``
(ABC, XYZ), ``calculate`` (all of it in one call) and ``simulation`` (the 12-month replay).
"""

from catalog.classification import abc_classify, coefficient_of_variation, xyz_classify
from inventory.policy.calculate import (
    PolicyInputs,
    PolicyResult,
    PolicySettings,
    SafetyStockMethod,
    calculate_policy,
)
from inventory.policy.levels import (
    days_of_cover,
    economic_order_quantity,
    inventory_position,
    on_order_within_lead_time,
    order_up_to_level,
    reorder_point,
    round_order_quantity,
)
from inventory.policy.risk import stockout_risk
from inventory.policy.safety_stock import (
    lead_time_demand,
    reorder_level_discrete,
    safety_stock_discrete,
    safety_stock_from_quantiles,
    safety_stock_normal,
)
from inventory.policy.service_level import (
    cost_optimal_service_level,
    fill_rate_for_z,
    normal_loss,
    z_for_cycle_service_level,
    z_for_fill_rate,
)
from inventory.policy.status import (
    STATUS_NAMES,
    StockStatus,
    days_until_order,
    latest_order_date,
    recommended_order_quantity,
    stock_status,
)

__all__ = [
    "STATUS_NAMES",
    "PolicyInputs",
    "PolicyResult",
    "PolicySettings",
    "SafetyStockMethod",
    "StockStatus",
    "abc_classify",
    "calculate_policy",
    "coefficient_of_variation",
    "cost_optimal_service_level",
    "days_of_cover",
    "days_until_order",
    "economic_order_quantity",
    "fill_rate_for_z",
    "inventory_position",
    "latest_order_date",
    "lead_time_demand",
    "normal_loss",
    "on_order_within_lead_time",
    "order_up_to_level",
    "recommended_order_quantity",
    "reorder_level_discrete",
    "reorder_point",
    "round_order_quantity",
    "safety_stock_discrete",
    "safety_stock_from_quantiles",
    "safety_stock_normal",
    "stock_status",
    "stockout_risk",
    "xyz_classify",
    "z_for_cycle_service_level",
    "z_for_fill_rate",
]
