"""The in-memory form of an ingested utility: canonical tables in one projected CRS."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd


@dataclass
class UtilityData:
    """Canonical tables of one utility, as produced by :func:`risk.ingest.read_utility`.

    Attributes
    ----------
    pipes : DataFrame or GeoDataFrame
        One row per pipe, unique string ``pipe_id``; ``material`` (canonical),
        ``diameter_mm`` (float), ``install_year`` (Int64), ``length_m`` (float),
        ``pressure_zone`` (string or missing), ``lined`` (boolean), ``removed_year``
        (Int64). A GeoDataFrame with LineString/MultiLineString geometry when the
        inventory has geometry, a plain DataFrame for attribute-only inventories.
    breaks : DataFrame or GeoDataFrame
        Every failure record, linked or not (nothing is dropped): ``break_id``,
        ``date`` (datetime64, day), ``pipe_id`` (the linked pipe, missing when
        unlinked), ``kind``, ``flow_m3_per_h``, ``link_method`` ("pipe_id",
        "nearest" or "unlinked"), ``link_distance_m`` and ``unlinked_reason``.
        Only rows with a ``pipe_id`` belong to a pipe's history.
    soils : GeoDataFrame or None
        Polygons; every attribute column is a candidate feature.
    weather : DataFrame or None
        ``date`` (datetime64), optional ``station_id``, numeric columns.
        ``weather_frequency`` says "daily" or "monthly".
    stations : GeoDataFrame or None
        Points with ``station_id``.
    welds : DataFrame or GeoDataFrame or None
        ``weld_id``, ``pipe_id`` (linked, missing when unlinked), ``kind``,
        ``grade``, ``condition``, ``year``, ``link_method``.
    inspections : DataFrame or None
        Field inspection evidence (``pipe_id``, ``date``, ``leak_found``), from the outcome
        store through :func:`risk.outcomes.feedback.inspection_evidence`; "nothing found" rows are
        negative evidence the features use.
    crs : str or None
        The projected CRS (metres) of every geometry, as "EPSG:xxxx" or WKT.
    """

    pipes: pd.DataFrame
    breaks: pd.DataFrame
    soils: gpd.GeoDataFrame | None = None
    weather: pd.DataFrame | None = None
    stations: gpd.GeoDataFrame | None = None
    welds: pd.DataFrame | None = None
    inspections: pd.DataFrame | None = None
    crs: str | None = None
    weather_frequency: str | None = None
    meta: dict = field(default_factory=dict)

    @property
    def has_geometry(self) -> bool:
        """True when pipes carry geometry, so spatial features are available."""
        return isinstance(self.pipes, gpd.GeoDataFrame) and "geometry" in self.pipes

    @property
    def last_break(self) -> pd.Timestamp | None:
        """The date of the last failure record, linked or not: where the utility's break
        record ends (None without any dated break). The one rule of what "the record
        reaches" for evaluation years, scoring dates and the demo's as-of date."""
        if self.breaks is None or "date" not in self.breaks:
            return None
        last = pd.to_datetime(self.breaks["date"]).max()
        return None if pd.isna(last) else last

    @property
    def linked_breaks(self) -> pd.DataFrame:
        """Failure records that belong to a pipe of the inventory."""
        return self.breaks[self.breaks["pipe_id"].notna()]

    def fingerprint(self) -> str:
        """Ingestion fingerprint of the input files, else a hash of pipes and breaks (a
        model version records the data it learnt from)."""
        known = (self.meta or {}).get("fingerprint")
        if known:
            return str(known)
        digest = hashlib.sha256()
        pipes = self.pipes.drop(columns=["geometry"], errors="ignore").sort_values("pipe_id")
        digest.update(
            pd.util.hash_pandas_object(pipes.astype(str), index=False).to_numpy().tobytes()
        )
        breaks = self.breaks[["pipe_id", "date"]].astype(str).sort_values(["pipe_id", "date"])
        digest.update(pd.util.hash_pandas_object(breaks, index=False).to_numpy().tobytes())
        return "sha256:" + digest.hexdigest()
