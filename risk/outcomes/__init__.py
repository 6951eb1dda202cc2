"""Outcomes: what the crews found, written through one guarded path and fed back into training.

>>> record_outcome("data/workspace/town", "anne", {"pipe_id": "P-0042",
...     "result": "nothing_found", "inspected_on": "2026-11-20"},
...     idempotency_key="form-5f2c9e")  # doctest: +SKIP

- :mod:`risk.outcomes.form`: the crew's outcome form, checked before anything is written;
- :mod:`risk.outcomes.writes`: the one guarded path for writing outcomes and assignments
  (who writes, which pipe, what), used by the command line, the dashboard and ``risk demo``;
- :mod:`risk.outcomes.feedback`: outcomes become training evidence (a leak found is a failure,
  a clean inspection lowers the risk);
- :mod:`risk.outcomes.loop`: the whole loop simulated on the sample utility, whose hidden
  leaks are known, against the old ways of choosing where to look.

The outcome store itself (tables, migrations) is :mod:`risk.store`; the water the leaks found
save is :mod:`risk.savings`.
"""

from risk.outcomes.feedback import inspection_evidence, with_found_leaks
from risk.outcomes.form import outcome_from_form
from risk.outcomes.loop import simulate_field_loop
from risk.outcomes.writes import (
    AccountRefusedError,
    WriteRefusedError,
    assign,
    assign_round,
    import_outcomes,
    record_outcome,
    record_outcomes,
)

__all__ = [
    "AccountRefusedError",
    "WriteRefusedError",
    "assign",
    "assign_round",
    "import_outcomes",
    "inspection_evidence",
    "outcome_from_form",
    "record_outcome",
    "record_outcomes",
    "simulate_field_loop",
    "with_found_leaks",
]
