"""One EPANET 2.2 project held open: close a link, simulate a day, read every junction.

WNTR ships the EPANET 2.2 library (``wntr.epanet.toolkit``); this module drives it through
the library's project API, so that a worker loads the ``.inp`` once and runs thousands of
closures on it, where ``wntr.sim.EpanetSimulator`` writes an input file and reads the
results into pandas on every run (about 0.7 s a day on the 2,000-segment sample town).
Each run here is EPANET's own ``EN_solveH`` then ``EN_saveH``, whose binary output (the file
``EpanetSimulator`` reads too) lands in a memory-backed scratch folder and is read with
numpy in one call: about 0.05 s a day on the same town. The results are those of
``EpanetSimulator`` with the same options (``tests/test_consequence.py`` checks it).

Units: EPANET reports in the model's own units; everything leaving this module is SI:
demand in m³/s, volumes in m³, pressure in metres of water.
"""

from __future__ import annotations

import ctypes
import os
import tempfile
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# EPANET 2.2 codes (epanet2_enums.h).
_NODECOUNT, _LINKCOUNT = 0, 2
_JUNCTION = 0
_INITSTATUS = 4
_DURATION, _HYDSTEP, _REPORTSTEP, _REPORTSTART = 0, 1, 5, 6
_DEMANDMULT = 4
_PDA = 1
#: m³/s per flow unit, by EPANET flow-unit code (CFS GPM MGD IMGD AFD LPS LPM MLD CMH CMD).
_FLOW_TO_M3_PER_S = (
    0.028316846592,
    6.30901964e-5,
    0.0438126364,
    0.0526167824,
    0.0142764101,
    1e-3,
    1.0 / 60_000.0,
    1_000.0 / 86_400.0,
    1.0 / 3_600.0,
    1.0 / 86_400.0,
)
#: Metres of water per psi (US units report pressure in psi).
_M_PER_PSI = 0.703069578


def _scratch_root() -> str | None:
    """Memory-backed ``/dev/shm`` when there is one (each run writes and reads its output
    file), else the system's temporary folder."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


class EpanetError(RuntimeError):
    """EPANET refused the model or failed to solve it (the code and EPANET's text)."""


@dataclass
class DayResult:
    """One simulated day.

    Attributes
    ----------
    volume_m3 : ndarray (junctions,)
        Water delivered to each junction over the simulation, m³.
    pressure_m : ndarray (steps + 1, junctions)
        Pressure at each hydraulic time step, from 0 to the end of the day, metres.
    """

    volume_m3: np.ndarray
    pressure_m: np.ndarray


class Project:
    """An EPANET project open on ``inp`` with pressure-driven demand over ``duration_s``.

    Parameters
    ----------
    inp : path
        The EPANET input file.
    minimum_pressure_m, required_pressure_m, pressure_exponent : float
        EPANET 2.2 pressure-driven demand: no delivery below the minimum pressure, full
        demand from the required pressure, ``(p - pmin) / (preq - pmin)`` to the power of
        the exponent in between.
    duration_s, hydraulic_step_s : int
        Simulated duration and hydraulic step, seconds (the model's step is kept when it
        is shorter).
    """

    def __init__(
        self,
        inp: str | Path,
        *,
        minimum_pressure_m: float,
        required_pressure_m: float,
        pressure_exponent: float,
        duration_s: int,
        hydraulic_step_s: int,
    ):
        from wntr.epanet.toolkit import ENepanet

        self._lib = ENepanet().ENlib
        self._scratch = tempfile.TemporaryDirectory(prefix="risk-epanet-", dir=_scratch_root())
        scratch = Path(self._scratch.name)
        self._ph = ctypes.c_void_p()
        self._check(self._lib.EN_createproject(ctypes.byref(self._ph)))
        self._open = False
        try:
            self._open_file(inp, scratch)
            self._set_options(
                minimum_pressure_m, required_pressure_m, pressure_exponent, duration_s,
                hydraulic_step_s,
            )  # fmt: skip
        except BaseException:
            self.close()
            raise

    def _open_file(self, inp, scratch: Path) -> None:
        self._check(
            self._lib.EN_open(
                self._ph,
                str(Path(inp).resolve()).encode("utf-8"),
                str(scratch / "run.rpt").encode(),
                str(scratch / "run.out").encode(),
            )
        )
        self._open = True
        units = ctypes.c_int()
        self._check(self._lib.EN_getflowunits(self._ph, ctypes.byref(units)))
        self.flow_to_m3_per_s = _FLOW_TO_M3_PER_S[units.value]
        self.pressure_to_m = _M_PER_PSI if units.value <= 4 else 1.0
        self._out = scratch / "run.out"

    def _set_options(
        self, minimum_pressure_m, required_pressure_m, pressure_exponent, duration_s,
        hydraulic_step_s,
    ) -> None:  # fmt: skip
        to_model = 1.0 / self.pressure_to_m
        self._check(
            self._lib.EN_setdemandmodel(
                self._ph,
                _PDA,
                ctypes.c_double(minimum_pressure_m * to_model),
                ctypes.c_double(required_pressure_m * to_model),
                ctypes.c_double(pressure_exponent),
            )
        )
        step = self._time(_HYDSTEP)
        step = hydraulic_step_s if step <= 0 else min(step, hydraulic_step_s)
        self._set_time(_DURATION, duration_s)
        self._set_time(_HYDSTEP, step)
        self._set_time(_REPORTSTEP, step)
        self.step_s = step
        self.n_steps = duration_s // step + 1
        multiplier = ctypes.c_double()
        self._check(self._lib.EN_getoption(self._ph, _DEMANDMULT, ctypes.byref(multiplier)))
        self.model_multiplier = multiplier.value
        self._set_time(_REPORTSTART, 0)
        self.junctions, self.junction_index = self._junctions()
        self._n_nodes = self._count(_NODECOUNT)
        self._n_links = self._count(_LINKCOUNT)

    # -- set-up ------------------------------------------------------------------------------

    def _check(self, code: int) -> None:
        if code >= 100:
            text = ctypes.create_string_buffer(256)
            self._lib.EN_geterror(code, text, 255)
            raise EpanetError(f"EPANET error {code}: {text.value.decode(errors='replace')}")

    def _time(self, code: int) -> int:
        value = ctypes.c_long()
        self._check(self._lib.EN_gettimeparam(self._ph, code, ctypes.byref(value)))
        return int(value.value)

    def _set_time(self, code: int, value: int) -> None:
        self._check(self._lib.EN_settimeparam(self._ph, code, ctypes.c_long(int(value))))

    def _count(self, code: int) -> int:
        count = ctypes.c_int()
        self._check(self._lib.EN_getcount(self._ph, code, ctypes.byref(count)))
        return count.value

    def _junctions(self) -> tuple[list[str], np.ndarray]:
        names, index = [], []
        kind = ctypes.c_int()
        name = ctypes.create_string_buffer(64)
        for i in range(1, self._count(_NODECOUNT) + 1):
            self._check(self._lib.EN_getnodetype(self._ph, i, ctypes.byref(kind)))
            if kind.value == _JUNCTION:
                self._check(self._lib.EN_getnodeid(self._ph, i, name))
                names.append(name.value.decode("utf-8", errors="replace"))
                index.append(i)
        return names, np.array(index, dtype=np.int64)

    def link_index(self, link_id: str) -> int:
        index = ctypes.c_int()
        self._check(
            self._lib.EN_getlinkindex(self._ph, link_id.encode("utf-8"), ctypes.byref(index))
        )
        return index.value

    def set_demand_multiplier(self, factor: float) -> None:
        """Demand multiplier = the model's own multiplier x ``factor``."""
        self._check(
            self._lib.EN_setoption(
                self._ph, _DEMANDMULT, ctypes.c_double(self.model_multiplier * factor)
            )
        )

    # -- running -----------------------------------------------------------------------------

    def run_day(self, closed_link: int | Sequence[int] | None = None) -> DayResult:
        """Simulate the day with link ``closed_link`` (an EPANET index, or several: a valve
        segment) closed, then reopen them."""
        closed = (
            []
            if closed_link is None
            else [closed_link]
            if isinstance(closed_link, int)
            else list(closed_link)
        )
        previous = []
        try:
            for link in closed:
                value = ctypes.c_double()
                self._check(
                    self._lib.EN_getlinkvalue(self._ph, link, _INITSTATUS, ctypes.byref(value))
                )
                previous.append((link, value.value))
                self._check(
                    self._lib.EN_setlinkvalue(self._ph, link, _INITSTATUS, ctypes.c_double(0.0))
                )
            return self._simulate()
        finally:
            for link, value in previous:
                self._check(
                    self._lib.EN_setlinkvalue(self._ph, link, _INITSTATUS, ctypes.c_double(value))
                )

    def _simulate(self) -> DayResult:
        """Solve the day, have EPANET write its binary output, read it with numpy.

        The output file ends with the results of every reporting period (demand, head,
        pressure, quality of each node, then eight values per link, float32), followed by a
        28-byte epilogue whose third-last int is the number of periods.
        """
        with self._in_scratch():
            self._check(self._lib.EN_solveH(self._ph))
            self._check(self._lib.EN_saveH(self._ph))
        raw = np.fromfile(self._out, dtype=np.float32)
        periods = int(raw[-3:].view(np.int32)[0])
        per_period = 4 * self._n_nodes + 8 * self._n_links
        end = raw.size - 7
        dynamic = raw[end - periods * per_period : end].reshape(periods, per_period)
        nodes = dynamic[:, : 4 * self._n_nodes].reshape(periods, 4, self._n_nodes)
        junction = self.junction_index - 1
        demand = nodes[:, 0, junction].astype(float) * self.flow_to_m3_per_s
        pressure = nodes[:, 2, junction].astype(float) * self.pressure_to_m
        # Each period's demand holds until the next one; the last period starts the next day.
        volume = np.maximum(demand[:-1], 0.0).sum(axis=0) * self.step_s
        return DayResult(volume_m3=volume, pressure_m=pressure)

    def close(self) -> None:
        """Free the project (once; later calls do nothing)."""
        if self._ph is None:
            return
        with self._in_scratch():
            if self._open:
                self._lib.EN_close(self._ph)
                self._open = False
            self._lib.EN_deleteproject(self._ph)
        self._ph = None
        self._scratch.cleanup()

    @contextmanager
    def _in_scratch(self):
        """EPANET names its scratch files ``enXXXXXX`` relative to the working directory:
        run its file-making calls from the scratch folder, so that nothing is left in the
        user's folder (the scratch folder is removed whole). This changes the process's
        working directory for the length of the call: call the toolkit from one thread."""
        here = os.getcwd()
        os.chdir(self._scratch.name)
        try:
            yield
        finally:
            os.chdir(here)

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
