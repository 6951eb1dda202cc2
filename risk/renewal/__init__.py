"""A renewal programme under a budget: which pipes to renew each year, what it avoids and
saves, and the same money spent other ways (docs/renewal.md).

- :mod:`risk.renewal.projection`: each pipe's expected failures year by year (ageing, new pipes);
- :mod:`risk.renewal.inputs`: a workspace's pipes with their cost and projected failures;
- :mod:`risk.renewal.select`: the rules (best value per euro, oldest first) within a budget;
- :mod:`risk.renewal.plan`: scenarios side by side (:func:`workspace_renewal_plan`, the one
  function ``risk plan`` and the Renewal page call);
- :mod:`risk.renewal.export`: ``renewal_plan.csv``, ``renewal_plan.geojson``,
  ``renewal_summary.json``, written whole or not at all;
- :mod:`risk.renewal.words`: tables and sentences in the reader's language.
"""

from risk.renewal.export import plan_csv_text, plan_geojson_text, write_renewal
from risk.renewal.inputs import RenewalInputs, build_inputs, renewal_inputs
from risk.renewal.plan import (
    DEFAULT_FACTORS,
    RenewalPlan,
    Scenario,
    plan_renewal,
    workspace_renewal_plan,
)

__all__ = [
    "DEFAULT_FACTORS",
    "RenewalInputs",
    "RenewalPlan",
    "Scenario",
    "build_inputs",
    "plan_csv_text",
    "plan_geojson_text",
    "plan_renewal",
    "renewal_inputs",
    "workspace_renewal_plan",
    "write_renewal",
]
