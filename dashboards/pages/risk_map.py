"""Risk map (engineers): every pipe coloured by risk, filters, and a pipe's details on click."""

import datetime as dt
import pathlib

import common
import pandas as pd
import streamlit as st

from risk import maplayers
from risk.i18n import format_number, format_percent, format_quantity

workspace, user = common.require("risk_map")
lang = common.lang()
tr = common.tr
data = common.load_utility(workspace)
scores = common.load_scores(workspace)
table = common.load_map_table(workspace, dt.date.today().year)

st.title(tr("map.title"))
if scores is None:
    st.info(tr("map.no_scores"))

# -- filters --------------------------------------------------------------------------------
bands = [name for name, _, _ in maplayers.RISK_BANDS] + ["unscored"]
with st.expander(tr("map.filters"), expanded=False):
    c1, c2, c3 = st.columns(3)
    materials = c1.multiselect(
        tr("map.material"), sorted(table["material"].dropna().unique()), key="f_material"
    )
    zones = c2.multiselect(
        tr("map.zone"), sorted(table["pressure_zone"].dropna().astype(str).unique()), key="f_zone"
    )
    chosen_bands = c3.multiselect(
        tr("map.band"),
        [b for b in bands if (table["band"] == b).any()],
        format_func=lambda b: tr(f"band.{b}"),
        key="f_band",
    )
    ages = table["age_years"].astype(float).dropna()
    age_range = None
    if len(ages) and ages.max() > ages.min():
        lo, hi = int(ages.min()), int(ages.max()) + 1
        age_range = st.slider(tr("map.age"), lo, hi, (lo, hi), key="f_age")
mask = maplayers.filter_mask(
    table, materials=materials, zones=zones, bands=chosen_bands, age_years=age_range
)
st.caption(
    tr(
        "map.shown",
        shown=format_number(mask.sum(), lang),
        total=format_number(len(table), lang),
        km=format_quantity(table.loc[mask, "length_m"].sum() / 1000, "km", lang, decimals=1),
    )
)


def show_card(pipe_id: str) -> None:
    card = maplayers.pipe_card(table, data.breaks, pipe_id)
    if card is None:
        return
    st.subheader(tr("map.pipe", pipe_id=card["pipe_id"]))
    a = card["attributes"]
    c1, c2, c3 = st.columns(3)
    c1.metric(tr("map.probability"), format_percent(card["probability"], lang, decimals=1))
    c2.metric(tr("map.rank"), format_number(card["rank"], lang))
    c3.metric(tr("map.band"), tr(f"band.{card['band']}"))
    st.markdown(
        tr(
            "map.attributes",
            material=a["material"],
            diameter=format_quantity(a["diameter_mm"], "mm", lang),
            year=str(int(a["install_year"])) if pd.notna(a["install_year"]) else "–",
            length=format_quantity(a["length_m"], "m", lang),
            zone=a["pressure_zone"] if pd.notna(a["pressure_zone"]) else "–",
        )
    )
    if card["top_reasons"]:
        st.markdown(f"**{tr('map.reasons')}**")
        st.markdown("\n".join(f"- {reason}" for reason in card["top_reasons"]))
    st.markdown(f"**{tr('map.history', n=len(card['failures']))}**")
    if len(card["failures"]):
        st.dataframe(card["failures"], hide_index=True, width="stretch")


if not data.has_geometry:
    # Attribute-only inventory: a ranked table instead of a map.
    st.info(tr("map.no_geometry"))
    ranked = table[mask].sort_values("rank", na_position="last").reset_index(drop=True)
    shown = ranked[["rank", "pipe_id", "material", "diameter_mm", "install_year", "length_m",
                    "pressure_zone", "probability"]]  # fmt: skip
    event = st.dataframe(
        shown, hide_index=True, on_select="rerun", selection_mode="single-row", key="ranked"
    )
    picked = event.selection.rows if event else []
    if picked:
        show_card(ranked.iloc[picked[0]]["pipe_id"])
    st.stop()

# -- the map --------------------------------------------------------------------------------
t1, t2, t3 = st.columns(3)
show_breaks = t1.toggle(tr("map.layer_breaks"), value=False, key="l_breaks")
show_soils = t2.toggle(
    tr("map.layer_soils"), value=False, key="l_soils", disabled=data.soils is None
)
show_welds = t3.toggle(
    tr("map.layer_welds"), value=False, key="l_welds", disabled=data.welds is None
)


@st.cache_data(show_spinner=False, max_entries=8)
def map_json(path: str, stamp: tuple, filters: tuple, toggles: tuple, style_url) -> str:
    """The map's JSON (several MB for 100,000 pipes), built once per network, scores, filters
    and layer toggles. ``stamp`` (modification times, year) is only part of the cache key."""
    folder = pathlib.Path(path)
    data, paths = common.load_utility(folder), common.load_paths(folder)
    table = common.load_map_table(folder, stamp[-1])
    materials, zones, bands, ages = filters
    mask = maplayers.filter_mask(
        table, materials=materials, zones=zones, bands=bands, age_years=ages
    )
    show_breaks, show_soils, show_welds = toggles
    layers = [maplayers.soils_layer(data.soils)] if show_soils else []
    layers += maplayers.pipe_layers(paths, table["pipe_id"].to_numpy(), table["band"], mask)
    if show_breaks:
        layers.append(
            maplayers.points_layer(
                data.linked_breaks, data.pipes, layer_id="breaks", id_column="break_id",
                colour=(20, 20, 160),
            )
        )  # fmt: skip
    if show_welds:
        layers.append(
            maplayers.points_layer(
                data.welds, data.pipes, layer_id="welds", id_column="weld_id",
                colour=(0, 130, 90), radius_px=3,
            )
        )  # fmt: skip
    return maplayers.make_deck(layers, paths.bounds, style_url=style_url).to_json()


stamp = (common._mtime(workspace / "meta.json"), common._mtime(workspace / "scores.parquet"),
         dt.date.today().year)  # fmt: skip
spec = map_json(
    str(workspace),
    stamp,
    (tuple(materials), tuple(zones), tuple(chosen_bands), age_range),
    (show_breaks, show_soils, show_welds),
    maplayers.basemap_style(common.settings(workspace)),
)
deck = maplayers.JsonDeck(spec)
left, right = st.columns([3, 2])
with left:
    event = st.pydeck_chart(
        deck, on_select="rerun", selection_mode="single-object", key="map", height=620
    )
    legend = " ".join(
        f"<span style='color:rgb{colour}'>■</span> {tr(f'band.{name}')}"
        for name, _, colour in maplayers.RISK_BANDS
    )
    st.markdown(legend, unsafe_allow_html=True)
with right:
    pipe_id = maplayers.selected_pipe_id(event)
    if pipe_id is None:
        st.info(tr("map.click"))
    else:
        show_card(pipe_id)
