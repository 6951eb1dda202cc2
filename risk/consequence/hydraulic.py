"""Close each pipe in turn, simulate a day with pressure-driven demand, measure the harm.

For every closure, against the same day with every pipe open (the baseline of that demand
case):

- **unserved volume** (m³/day): the sum over junctions of the water no longer delivered;
  totals under ``residue_m3_per_day`` are solver residue and count as 0;
- **junctions below service pressure**: junctions whose pressure falls below the service
  pressure at some hour when the baseline held it (by more than ``pressure_residue_m``);
- **largest pressure drop** (m) at any junction and hour;
- **customers** and **critical sites affected**: at junctions cut off, newly below service
  pressure, or losing ``affected_share`` of their daily volume.

Junctions cut off from every source (a graph check, :mod:`risk.consequence.graph`) count
as unserved, with pressure 0, whatever the solver says; junctions already cut off with every
pipe open (closed links in the model) count in no closure.

Two shortcuts give the simulated answer without simulating (``tests/test_consequence.py``
checks both against full runs on the sample town):

- closing a **bridge** cuts off the junctions beyond it, and lowering demand elsewhere only
  raises pressures: the result is the baseline with those junctions unserved;
- the peak day is simulated first; when a closure leaves nothing unserved at peak, it
  leaves nothing unserved on an average day (pressures only rise when demand falls), and
  the average day is not simulated; for a valve segment, "nothing" outside the junctions
  out of service, whose average demand is then the average day's unserved water.

Worker processes each open the model once (:class:`~risk.consequence.toolkit.Project`),
compute their own baselines and take chunks of pipes: memory stays that of one model per
process, whatever the number of pipes.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from risk.consequence.settings import CriticalitySettings
from risk.consequence.toolkit import DayResult, EpanetError, Project

#: Columns of one closure's result, in the order :meth:`ClosureEngine.evaluate` returns.
EFFECT_COLUMNS = (
    "unserved_m3_per_day",
    "unserved_peak_m3_per_day",
    "junctions_below_pressure",
    "max_pressure_drop_m",
    "customers_affected",
    "critical_sites_affected",
    "critical_weight_affected",
    "solver_runs",
)


@dataclass
class Junctions:
    """What is known per junction (model order) and per critical site."""

    ids: list[str]
    customers: np.ndarray | None  # (junctions,) or None when unknown
    unfed: np.ndarray  # (junctions,) bool: cut off with every pipe open
    site_junction: np.ndarray  # (sites,) junction index, -1 when not linked
    site_weight: np.ndarray  # (sites,)


@dataclass
class Task:
    """One closure: the model link, the junctions it cuts off, whether to simulate it; a
    valve segment closes ``more_links`` too, and its own junctions are in ``cut``."""

    link_id: str
    cut: np.ndarray | None  # junction indices cut off (bridges, segments), else None
    simulate: bool
    more_links: tuple[str, ...] = ()


class ClosureEngine:
    """An open model with its baselines (average and peak day), ready to close links."""

    def __init__(self, inp: str, settings: CriticalitySettings, junctions: Junctions):
        self.settings = settings
        self.junctions = junctions
        self.project = Project(
            inp,
            minimum_pressure_m=settings.minimum_pressure_m,
            required_pressure_m=settings.required_pressure_m,
            pressure_exponent=settings.pressure_exponent,
            duration_s=int(round(settings.duration_h * 3600)),
            hydraulic_step_s=int(round(settings.hydraulic_step_h * 3600)),
        )
        position = {name: i for i, name in enumerate(self.project.junctions)}
        self._order = np.array([position[j] for j in junctions.ids], dtype=np.int64)
        self.per_day = 86_400.0 / (self.project.step_s * (self.project.n_steps - 1))
        self.factors = (1.0, settings.peak_factor) if settings.peak_factor > 1 else (1.0,)
        #: Skip the average day when the peak day leaves nothing unserved (tests turn it off
        #: to check that the shortcut changes nothing).
        self.trust_peak = True
        self.baselines = [self._run(factor, None) for factor in self.factors]

    def _run(self, factor: float, link: int | list[int] | None) -> DayResult:
        self.project.set_demand_multiplier(factor)
        day = self.project.run_day(link)
        volume = day.volume_m3[self._order] * self.per_day
        volume[self.junctions.unfed] = 0.0
        return DayResult(volume_m3=volume, pressure_m=day.pressure_m[:, self._order])

    def evaluate(self, task: Task) -> tuple:
        """The closure's effects (:data:`EFFECT_COLUMNS`), or NaNs and the solver's message
        when EPANET cannot solve it."""
        try:
            return self._evaluate(task), None
        except EpanetError as exc:
            return (np.nan,) * (len(EFFECT_COLUMNS) - 1) + (0,), str(exc)

    def _evaluate(self, task: Task) -> tuple:
        cut = None
        if task.cut is not None and len(task.cut):
            cut = np.zeros(len(self.junctions.ids), dtype=bool)
            cut[task.cut] = True
        link = (
            [self.project.link_index(x) for x in (task.link_id, *task.more_links)]
            if task.simulate
            else None
        )
        peak_case = len(self.factors) - 1
        runs = 0
        effects = []
        for case in (peak_case, 0) if peak_case else (0,):
            if case == 0 and peak_case and self.trust_peak and effects[0]["outside"] == 0:
                # Nothing unserved at peak but the junctions out of service: on an average
                # day, their average demand (nothing at all without any).
                effects.append(self._effect(self.baselines[0], None, cut))
                continue
            run = self._run(self.factors[case], link) if task.simulate else None
            runs += task.simulate
            effects.append(self._effect(self.baselines[case], run, cut))
        peak = effects[0]
        average = effects[-1]
        return (
            average["unserved"],
            peak["unserved"],
            peak["below"],
            peak["drop"],
            peak["customers"],
            peak["sites"],
            peak["site_weight"],
            runs,
        )

    def _effect(self, base: DayResult, run: DayResult | None, cut: np.ndarray | None) -> dict:
        s = self.settings
        unfed = self.junctions.unfed
        if run is None:
            volume, pressure = base.volume_m3.copy(), base.pressure_m.copy()
        else:
            volume, pressure = run.volume_m3.copy(), run.pressure_m.copy()
            volume[unfed] = 0.0
        if cut is not None:
            volume[cut] = 0.0
            pressure[:, cut] = 0.0
        deficit = np.maximum(base.volume_m3 - volume, 0.0)
        unserved = float(deficit.sum())
        if unserved < s.residue_m3_per_day:
            unserved = 0.0
        outside = unserved if cut is None else float(deficit[~cut].sum())
        if outside < s.residue_m3_per_day:
            outside = 0.0
        valid = ~unfed
        service = s.service_pressure
        below = ((pressure < service - s.pressure_residue_m) & (base.pressure_m >= service)).any(
            axis=0
        ) & valid
        drop = float(np.nanmax((base.pressure_m - pressure)[:, valid], initial=0.0))
        if drop < s.pressure_residue_m:
            drop = 0.0
        lost = (deficit > s.affected_share * base.volume_m3) & (deficit > 0) & (unserved > 0)
        affected = below | lost
        if cut is not None:
            affected |= cut & valid
        customers = (
            float(self.junctions.customers[affected].sum())
            if self.junctions.customers is not None
            else np.nan
        )
        linked = self.junctions.site_junction >= 0
        hit = np.zeros(len(linked), dtype=bool)
        hit[linked] = affected[self.junctions.site_junction[linked]]
        return {
            "unserved": unserved,
            "outside": outside,
            "below": int(below.sum()),
            "drop": drop,
            "customers": customers,
            "sites": int(hit.sum()),
            "site_weight": float(self.junctions.site_weight[hit].sum()),
        }

    def close(self) -> None:
        self.project.close()


# -- in parallel -------------------------------------------------------------------------------

_ENGINE: ClosureEngine | None = None
#: Fewer closures to simulate than this run in the calling process: a worker process takes
#: about 3 s to start (imports, model, baselines), the time of ~50 closures of a small town.
MIN_PARALLEL_CLOSURES = 500


def _start_worker(inp: str, settings: CriticalitySettings, junctions: Junctions) -> None:
    global _ENGINE
    _ENGINE = ClosureEngine(inp, settings, junctions)
    # Pool workers leave through os._exit, which skips atexit: a multiprocessing finalizer
    # frees the model and its scratch files.
    multiprocessing.util.Finalize(_ENGINE, _ENGINE.close, exitpriority=10)


def _work(tasks: list[Task]) -> list[tuple]:
    if _ENGINE is None:  # set by the pool's initializer
        raise RuntimeError("a closure worker ran before its model was opened")
    return [_ENGINE.evaluate(task) for task in tasks]


def simulate_closures(
    inp: str,
    settings: CriticalitySettings,
    junctions: Junctions,
    tasks: list[Task],
    *,
    processes: int = 2,
    engine: ClosureEngine | None = None,
    progress: Callable[[int, int], None] | None = None,
    min_parallel: int = MIN_PARALLEL_CLOSURES,
) -> list[tuple]:
    """Evaluate every task; returns ``(effects, error)`` per task, in the order given.

    Tasks that need no simulation (bridges) are evaluated by ``engine`` (or a new one) in
    this process; the others by ``processes`` worker processes, in chunks of
    ``settings.chunk_size``. With one process, or fewer than ``min_parallel`` closures to
    simulate (starting a worker costs about 3 s), they run here.
    """
    own = engine is None
    engine = engine or ClosureEngine(inp, settings, junctions)
    results: list = [None] * len(tasks)
    to_run = [i for i, t in enumerate(tasks) if t.simulate]
    chunks = [
        to_run[k : k + settings.chunk_size] for k in range(0, len(to_run), settings.chunk_size)
    ]
    try:
        for i, task in enumerate(tasks):
            if not task.simulate:
                results[i] = engine.evaluate(task)
        done = len(tasks) - len(to_run)
        if progress:
            progress(done, len(tasks))
        if processes <= 1 or len(to_run) < min_parallel:
            for chunk in chunks:
                for i in chunk:
                    results[i] = engine.evaluate(tasks[i])
                done += len(chunk)
                if progress:
                    progress(done, len(tasks))
            return results
    finally:
        if own:
            engine.close()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=processes,
        mp_context=context,
        initializer=_start_worker,
        initargs=(inp, settings, junctions),
    ) as pool:
        for chunk, out in zip(
            chunks, pool.map(_work, [[tasks[i] for i in c] for c in chunks]), strict=True
        ):
            for i, value in zip(chunk, out, strict=True):
                results[i] = value
            done += len(chunk)
            if progress:
                progress(done, len(tasks))
    return results
