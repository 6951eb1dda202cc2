"""What an EPANET ``.inp`` file holds and what is wrong with it, in words: read line by
line without WNTR (a file WNTR cannot read still gets a reason: empty, cut short, no
[PIPES], a name no section defines, not UTF-8), its roughness against its headloss formula,
and its diameters against the GIS pipes (a model whose declared Units make its millimetres
into inches)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from risk.errors import InputError

if TYPE_CHECKING:
    from risk.consequence.network import HydraulicModel

EXPORT_AGAIN = (
    "Export it again from your modelling software as an EPANET 2.2 .inp file (File > Export > "
    "Network in EPANET), or run with --proxy-only."
)
#: The flow units of EPANET whose diameters are in inches; the others' are in millimetres.
US_FLOW_UNITS = ("CFS", "GPM", "MGD", "IMGD", "AFD")
SI_FLOW_UNITS = ("LPS", "LPM", "MLD", "CMH", "CMD")
#: Sections that define nodes and links, and those that name them.
_NODE_SECTIONS = ("[JUNCTIONS]", "[RESERVOIRS]", "[TANKS]")
_LINK_SECTIONS = ("[PIPES]", "[PUMPS]", "[VALVES]")
_NAMES_NODES = ("[COORDINATES]", "[DEMANDS]", "[EMITTERS]", "[QUALITY]", "[SOURCES]", "[MIXING]")
_NAMES_LINKS = ("[VERTICES]", "[STATUS]")


@dataclass
class InpOutline:
    """What an ``.inp`` file holds, read line by line without WNTR (to say what is wrong
    with a file WNTR cannot read): its sections (first line of each), the number of lines,
    whether it has data lines and an ``[END]``, and the first name a section uses that no
    section defines (``undefined``: section, line, kind, name, how many such names)."""

    sections: dict[str, int] = field(default_factory=dict)
    lines: int = 0
    content: bool = False
    has_end: bool = False
    last_section: str | None = None
    undefined: tuple | None = None


def inp_outline(path: Path) -> InpOutline | None:
    """The outline of an ``.inp`` file, or None when it is not UTF-8 text."""
    out = InpOutline()
    defined = {"node": set(), "link": set()}
    used: list[tuple[str, int, str, str]] = []  # section, line, kind, name
    section = None
    try:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, start=1):
                out.lines = number
                text = line.split(";", 1)[0].strip()
                if not text:
                    continue
                out.content = True
                if text.startswith("["):
                    section = text.split()[0].upper()
                    if section == "[END]":
                        out.has_end = True
                        break
                    out.sections.setdefault(section, number)
                    out.last_section = section
                    continue
                words = text.split()
                if section in _NODE_SECTIONS:
                    defined["node"].add(words[0])
                elif section in _LINK_SECTIONS:
                    defined["link"].add(words[0])
                    used += [(section, number, "node", w) for w in words[1:3]]
                elif section in _NAMES_NODES:
                    used.append((section, number, "node", words[0]))
                elif section in _NAMES_LINKS:
                    used.append((section, number, "link", words[0]))
    except UnicodeDecodeError:
        return None
    missing = [u for u in used if u[3] not in defined[u[2]]]
    if missing:
        out.undefined = (*missing[0], len({(kind, name) for _, _, kind, name in missing}))
    return out


def why_unreadable(exc: Exception, outline: InpOutline | None) -> str:
    """What is wrong with an ``.inp`` file WNTR could not read, in words."""
    from risk.validate import counted

    if isinstance(exc, UnicodeDecodeError):
        return (
            f"it is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at position "
            f"{exc.start:,}): a binary file, or text saved in another encoding"
        )
    if outline is not None and outline.content and not outline.sections:
        return "it has no [SECTION] such as [JUNCTIONS] or [PIPES]: it is no EPANET .inp file"
    if outline is not None and outline.content and not outline.has_end:
        where = f", inside its {outline.last_section} section" if outline.last_section else ""
        return (
            f"it ends at line {outline.lines:,}{where}, before the [END] line that closes an "
            "EPANET file: it was cut short (a copy or an export that did not finish)"
        )
    if outline is not None and "[PIPES]" not in outline.sections:
        return "it has no [PIPES] section, so it holds no pipe"
    if outline is not None and outline.undefined:
        section, line, kind, name, count = outline.undefined
        defines = _NODE_SECTIONS if kind == "node" else _LINK_SECTIONS
        more = (
            f" (and {counted(count - 1, f'more {kind}', f'more {kind}s')} like it)"
            if count > 1
            else ""
        )
        return (
            f"its {section} section names {kind} '{name}' at line {line:,}{more}, which no "
            f"{', '.join(defines[:-1])} or {defines[-1]} line defines: the sections do not "
            f"belong together ({kind}s removed from one section and not from the others)"
        )
    reason = str(exc).strip()
    if hasattr(exc, "line_num") or reason.startswith("(Error"):
        return reason.replace("%s", "").splitlines()[0][:300]
    return reason.splitlines()[0][:300] if reason else type(exc).__name__


def roughness_words(name: str, headloss: str, wn) -> str:
    """A warning when the pipes' roughness does not look like the formula declared: C
    factors (80-150) under Darcy-Weisbach, roughness heights (mm) under Hazen-Williams."""
    values = np.array([wn.get_link(p).roughness for p in wn.pipe_name_list], dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    if not len(values):
        return ""
    median = float(np.median(values))
    if headloss == "D-W" and median > 0.01:  # metres: above 10 mm
        return (
            f"{name}: declares Headloss D-W (Darcy-Weisbach), but its pipes' roughness "
            f"(median {median * 1000:,.0f} mm) looks like Hazen-Williams C factors: the head "
            "losses, and so the consequences, are far too large. Set Headloss H-W in "
            "[OPTIONS], or give roughness heights in mm (0.01 to a few mm)"
        )
    if headloss == "H-W" and median < 20:
        return (
            f"{name}: declares Headloss H-W (Hazen-Williams), but its pipes' roughness "
            f"(median {median:g}) looks like Darcy-Weisbach roughness heights, not C factors "
            "(80 to 150): the head losses, and so the consequences, are far too large. Set "
            "Headloss D-W in [OPTIONS], or give Hazen-Williams C factors"
        )
    return ""


def check_diameters(model: HydraulicModel, pairs: pd.DataFrame, pipes: pd.DataFrame) -> None:
    """Refuse a model whose pipe diameters are far from those of the GIS pipes matched to
    them: the median ratio (model over GIS) outside :data:`DIAMETER_RATIO_LIMITS`. The
    usual cause is the Units of [OPTIONS]: ``GPM`` (or another US unit) makes EPANET read
    the diameters in inches, so diameters written in mm read 25.4 times too large."""
    if "diameter_mm" not in pipes or pairs.empty:
        return
    gis = pd.Series(
        pd.to_numeric(pipes["diameter_mm"], errors="coerce").to_numpy(),
        index=pipes["pipe_id"].astype(str),
    )
    gis = gis[~gis.index.duplicated()]
    ours = model.links.set_index("link_id")["diameter_mm"]
    compared = pd.DataFrame(
        {
            "pipe_id": pairs["pipe_id"].to_numpy(),
            "model": ours.reindex(pairs["link_id"]).to_numpy(),
            "gis": gis.reindex(pairs["pipe_id"].astype(str)).to_numpy(),
        }
    )
    compared = compared[(compared["model"] > 0) & (compared["gis"] > 0)]
    if compared.empty:
        return
    ratio = compared["model"] / compared["gis"]
    median = float(ratio.median())
    low, high = DIAMETER_RATIO_LIMITS
    if low <= median <= high:
        return
    example = compared.iloc[int(np.argmin(np.abs(ratio.to_numpy() - median)))]
    units = model.flow_units
    in_inches = units in US_FLOW_UNITS
    read_as = "inches" if in_inches else "millimetres"
    likely = {25.4: "millimetres", 1 / 25.4: "inches", 0.001: "metres"}
    looks = next(
        (f"; they look like {u}" for f, u in likely.items() if abs(np.log(median / f)) < 0.2),
        "",
    )
    raise InputError(
        f"{model.path.name}: its pipe diameters are {median:,.3g} times those of the GIS pipes "
        f"(median over {len(compared):,} matched pipes; {example['pipe_id']} is "
        f"{example['model']:,.0f} mm in the model, {example['gis']:,.0f} mm in the GIS). The "
        f"model declares Units {units} in [OPTIONS], so EPANET reads its diameters in "
        f"{read_as}{looks}. Set Units in [OPTIONS] to the flow unit the model was built in "
        f"({', '.join(SI_FLOW_UNITS)} for diameters in mm; {', '.join(US_FLOW_UNITS)} for "
        "inches) and export it again, or run with --proxy-only."
    )


#: Median ratio of model to GIS diameters accepted (outside: wrong units, refused).
DIAMETER_RATIO_LIMITS = (0.5, 2.0)
