"""The roles and what each may open and write (the one table of the rules)."""

from __future__ import annotations

#: Roles of the dashboards.
ROLES = ("engineer", "crew", "manager", "admin")


#: Pages each role may open (page names of ``dashboards/app.py``).
PAGES_BY_ROLE: dict[str, tuple[str, ...]] = {
    "engineer": ("risk_map", "model", "dispatch", "impact", "renewal"),
    "crew": ("crew",),
    "manager": ("impact", "renewal", "model", "risk_map"),
    "admin": ("risk_map", "model", "dispatch", "crew", "impact", "renewal", "admin"),
}


#: Roles that may record field outcomes.
RECORDING_ROLES = ("crew", "engineer", "admin")


#: Roles that may plan and assign inspections.
PLANNING_ROLES = ("engineer", "admin")
