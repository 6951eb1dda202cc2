"""Risk map (engineers): every pipe coloured by likelihood, consequence or risk, filters, a
pipe's card, and the risk matrix (likelihood x consequence) with the pipes of each cell.

Three ways to a pipe's card: click it on the map (the server finds the nearest drawn pipe,
see ``pipe_map.py``), search its id (or street, zone), or select it in the ranked list; the
last two also move the map to the pipe.
"""

import functools
import hashlib
import pathlib

import common
import numpy as np
import pipe_map
import streamlit as st

from risk import clock, maplayers, pipecard
from risk.consequence import matrix as riskmatrix
from risk.i18n import format_number, format_quantity, label, plural
from risk.workspace import Workspace

workspace, user = common.require("risk_map")
lang = common.lang()
tr = common.tr
data = common.load_utility(workspace)


def _has(layer) -> bool:
    """Whether the utility gave this layer (a table with rows)."""
    return layer is not None and len(layer) > 0


scores = common.load_scores(workspace)
year = clock.today().year
table = common.load_map_table(workspace, year)


def stamps(folder: pathlib.Path) -> tuple:
    """Modification times of what the map and the matrix are made of, and the year."""
    files = Workspace(folder)
    return tuple(
        common.modified_time(f)
        for f in (files.meta, files.scores, files.scores_basis, files.consequence, files.settings)
    ) + (year,)


@st.cache_resource(show_spinner=False, max_entries=2)
def risk_result(path: str, stamp: tuple) -> riskmatrix.RiskResult | None:
    """Likelihood x consequence of every scored pipe (read-only, shared), once per network,
    scores, consequence and settings."""
    folder = pathlib.Path(path)
    scores = common.load_scores(folder)
    if scores is None:
        return None
    pipes = common.load_utility(folder).pipes
    return riskmatrix.read_risk(folder, scores=scores, pipes=pipes)


common.settings(workspace)  # a broken settings.toml stops the page with its fix
result = risk_result(str(workspace), stamps(workspace))
assessed = result is not None and result.assessed
table = riskmatrix.with_grades(table, result)

st.title(tr("map.title"))
if scores is None:
    st.info(tr("map.no_scores"))
else:
    common.scores_date(workspace)

# -- filters --------------------------------------------------------------------------------
bands = [name for name, _, _ in maplayers.RISK_BANDS] + ["unscored"]
with st.expander(tr("map.filters"), expanded=False):
    c1, c2, c3 = st.columns(3)
    materials = c1.multiselect(
        tr("map.material"),
        sorted(table["material"].dropna().unique()),
        format_func=lambda m: label("material", m, lang),
        key="f_material",
        placeholder=tr("map.all"),
        select_all=False,  # empty is all; its "Select all" row is not translated
    )
    zones = c2.multiselect(
        tr("map.zone"),
        sorted(table["pressure_zone"].dropna().astype(str).unique()),
        key="f_zone",
        placeholder=tr("map.all"),
        select_all=False,  # empty is all; its "Select all" row is not translated
    )
    chosen_bands = c3.multiselect(
        tr("map.band"),
        [b for b in bands if (table["band"] == b).any()],
        format_func=lambda b: tr(f"band.{b}"),
        key="f_band",
        placeholder=tr("map.all"),
        select_all=False,  # empty is all; its "Select all" row is not translated
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
    plural(
        "map.shown",
        int(mask.sum()),
        lang,
        shown=format_number(mask.sum(), lang),
        total=format_number(len(table), lang),
        km=format_quantity(table.loc[mask, "length_m"].sum() / 1000, "km", lang, decimals=1),
    )
)
unscored = int((table["band"] == "unscored").sum())
if unscored:  # the matrix and the ranks count scored pipes only: say why the totals differ
    st.caption(plural("map.unscored", unscored, lang, n=format_number(unscored, lang)))
query = st.text_input(tr("map.search"), key="map_query", placeholder=tr("map.search_hint"))


@st.cache_resource(show_spinner=False, max_entries=2)
def segments(path: str, stamp: float) -> maplayers.SegmentIndex:
    """Every drawn segment, for finding the clicked pipe (once per network)."""
    return maplayers.segment_index(common.load_paths(pathlib.Path(path)))


# -- which pipe is open: the last click, search or list selection wins ------------------------
state = st.session_state
listed = pipecard.search_pipes(table, query, visible=mask)[: pipecard.RANKED_ROWS]
shown_list = f"ranked_{state.get('ranked_version', 0)}"  # the list as drawn last time
note = None


def open_pipe(pipe_id, *, move: bool, from_list: bool = False) -> None:
    state["map_pipe"] = pipe_id
    if move:  # search and list: the map goes to the pipe (a click leaves the view as it is)
        state["map_move"] = state.get("map_move", 0) + 1
    if not from_list:  # a fresh list: its old selection would otherwise stay highlighted
        state["ranked_version"] = state.get("ranked_version", 0) + 1


def click_classes(mode) -> dict:
    """What is drawn on top where pipes meet, for the click: the mode's classes."""
    if not assessed or mode not in ("consequence", "risk"):
        return {"bands": table["band"]}
    classes = riskmatrix.map_classes(table["pipe_id"], result, mode)
    return {"bands": classes, "draw_order": [c for c, _, _ in riskmatrix.map_palette(mode)]}


click = state.get("map")
if data.has_geometry and click and click.get("nonce") != state.get("map_seen"):
    state["map_seen"] = click.get("nonce")
    row = maplayers.nearest_pipe(
        segments(str(workspace), common.modified_time(Workspace(workspace).meta)),
        click.get("lon"), click.get("lat"), click.get("zoom"),
        tolerance_px=min(max(float(click.get("tolerance_px") or 8), 4), 30),
        visible=mask, **click_classes(state.get("map_mode")),
    )  # fmt: skip
    if row is None:
        note = tr("map.no_pipe_here")
    else:
        open_pipe(str(table["pipe_id"].iloc[row]), move=False)
if query.strip() != state.get("map_query_seen", ""):
    state["map_query_seen"] = query.strip()
    found = pipecard.search_pipes(table, query, visible=mask)
    first = str(table["pipe_id"].iloc[found[0]]) if len(found) else None
    if first is not None and (len(found) == 1 or first.casefold() == query.strip().casefold()):
        open_pipe(first, move=True)  # the pipe asked for (or the only match)
    elif query.strip():
        note = (
            tr("map.search_found", n=format_number(len(found), lang), query=query.strip())
            if len(found)
            else tr("map.search_none", query=query.strip())
        )
picked = ((state.get(shown_list) or {}).get("selection") or {}).get("rows") or []
if picked and picked[0] < len(listed):
    pipe_id = str(table["pipe_id"].iloc[listed[picked[0]]])
    if pipe_id != state.get("ranked_seen"):
        state["ranked_seen"] = pipe_id
        open_pipe(pipe_id, move=True, from_list=True)
selected = state.get("map_pipe")
rows_of_selected = np.flatnonzero(table["pipe_id"].to_numpy() == selected)
selected_row = int(rows_of_selected[0]) if len(rows_of_selected) else None


def show_card(pipe_id: str) -> None:
    store = common.get_store(workspace)
    card = pipecard.pipe_card(
        table, data, pipe_id, lang=lang, outcomes=store.outcomes(), assignments=store.assignments()
    )
    if card is None:
        return
    st.subheader(tr("map.pipe", pipe_id=card["pipe_id"]), anchor="pipe-card")
    st.markdown(card["description"])
    c1, c2 = st.columns(2)
    c1.metric(tr("map.probability"), card["probability"])
    c2.metric(tr("map.expected"), card["expected_failures"])
    colour = maplayers.band_colour(card["band"])
    colon = tr("punct.colon")
    st.markdown(
        f"**{tr('map.rank')}**{colon}{card['rank']}  \n**{tr('map.band')}**{colon}"
        f"<span style='color:rgb{colour}'>■</span> {card['band_words']}",
        unsafe_allow_html=True,
    )
    if card.get("unit"):
        st.markdown(f"**{tr('map.unit')}**{colon}{card['unit']}")
    if card.get("risk"):
        st.markdown(
            f"**{tr('map.consequence')}**{colon}{card['consequence']}  \n"
            f"**{tr('map.risk')}**{colon}{card['risk']}"
        )
        if card.get("consequence_why"):
            st.caption(card["consequence_why"])
        # "priority very high" beside "risk low" read as a contradiction: two questions
        st.caption(tr("map.priority_vs_risk"))
    if data.has_geometry and selected_row is not None and not mask[selected_row]:
        st.caption(tr("map.hidden_by_filters"))
    st.markdown(f"**{tr('map.reasons')}**")
    st.markdown("\n".join(f"- {reason}" for reason in card["reasons"]) or tr("map.no_reasons"))
    for line in card["planned"]:
        st.markdown(line)
    st.markdown(f"**{tr('map.history', n=len(card['breaks']))}**")
    if len(card["breaks"]):
        st.dataframe(card["breaks"], hide_index=True, width="stretch")
        if card.get("breaks_note"):
            st.caption(card["breaks_note"])
    else:
        st.caption(tr("map.no_history"))
    st.markdown(f"**{tr('map.soils')}**")
    # a network given without the layer is not "no data under this pipe"
    no_soils = tr("map.no_soils") if _has(data.soils) else tr("map.no_soil_layer")
    st.markdown("\n".join(f"- {s}" for s in card["soils"]) or no_soils)
    st.markdown(f"**{tr('map.welds')}**")
    no_welds = tr("map.no_welds") if _has(data.welds) else tr("map.no_weld_layer")
    st.markdown(", ".join(card["welds"]) if card["welds"] else no_welds)
    st.markdown(f"**{tr('map.inspections')}**")
    if len(card["inspections"]):
        st.dataframe(card["inspections"], hide_index=True, width="stretch")
    else:
        st.caption(tr("map.no_inspections"))


def ranked_list() -> None:
    st.subheader(
        tr("map.ranked_matches", query=query.strip()) if query.strip() else tr("map.ranked")
    )
    help_text = tr("map.ranked_help") if data.has_geometry else tr("map.ranked_help_no_map")
    if len(listed) == pipecard.RANKED_ROWS:
        help_text += " " + tr("map.ranked_more", n=format_number(len(listed), lang))
    st.caption(help_text)
    st.dataframe(
        pipecard.ranked_table(table, listed, lang),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=f"ranked_{state.get('ranked_version', 0)}",
        width="stretch",
        height=min(36 + 35 * max(len(listed), 1), 390),
    )


if not data.has_geometry:
    # Attribute-only inventory: the ranked list and the card, without a map.
    st.info(tr("map.no_geometry"))
    if note:
        st.info(note)
    if selected is not None:
        show_card(selected)
    ranked_list()
    st.stop()

# -- the map --------------------------------------------------------------------------------
mode = st.segmented_control(
    tr("map.mode"),
    riskmatrix.MAP_MODES,
    format_func=lambda m: tr(f"map.mode.{m}"),
    default="likelihood",
    required=True,
    key="map_mode",
    disabled=not assessed,
)
if not assessed:
    st.caption(tr("map.no_consequence", command=f"risk criticality {workspace}"))
    mode = "likelihood"
t1, t2, t3 = st.columns(3)
show_breaks = t1.toggle(tr("map.layer_breaks"), value=False, key="l_breaks")
show_soils = t2.toggle(
    tr("map.layer_soils"), value=False, key="l_soils", disabled=data.soils is None
)
show_welds = t3.toggle(
    tr("map.layer_welds"), value=False, key="l_welds", disabled=data.welds is None
)


@st.cache_data(show_spinner=False, max_entries=8)
def map_json(path: str, stamp: tuple, filters: tuple, toggles: tuple, style_url, mode: str) -> str:
    """The map's JSON (several MB for 100,000 pipes), built once per network, scores,
    consequence, filters, layer toggles and colour mode. ``stamp`` (modification times,
    year) is only part of the cache key."""
    folder = pathlib.Path(path)
    data, paths = common.load_utility(folder), common.load_paths(folder)
    table = common.load_map_table(folder, stamp[-1])
    materials, zones, bands, ages = filters
    mask = maplayers.filter_mask(
        table, materials=materials, zones=zones, bands=bands, age_years=ages
    )
    show_breaks, show_soils, show_welds = toggles
    layers = [maplayers.soils_layer(data.soils)] if show_soils else []
    classes, palette = table["band"], None
    if mode != "likelihood":
        found = risk_result(path, stamp)
        classes = riskmatrix.map_classes(table["pipe_id"], found, mode)
        palette = riskmatrix.map_palette(mode)
    layers += maplayers.pipe_layers(
        paths, table["pipe_id"].to_numpy(), classes, mask, pickable=not pipe_map.available(),
        palette=palette,
    )  # fmt: skip
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


settings = common.settings(workspace)
tiles = maplayers.basemap_tiles(settings)
style_url = None if tiles else maplayers.basemap_style(settings)
cache_key = (
    stamps(workspace),
    (tuple(materials), tuple(zones), tuple(chosen_bands), age_range),
    (show_breaks, show_soils, show_welds),
    style_url,
    mode,
)
spec = map_json(str(workspace), *cache_key)
paths = common.load_paths(workspace)
left, right = st.columns([3, 2])
with left:
    if pipe_map.available():
        view = None
        if selected_row is not None and state.get("map_move"):
            view = maplayers.view_on_pipe(paths, selected_row)
        if view is not None:  # the map moves once per search or list selection
            view["key"] = f"move-{state['map_move']}"
        pipe_map.pipe_map(
            spec,
            spec_key=hashlib.sha1(repr(cache_key).encode()).hexdigest(),
            height=560,
            labels={
                "bands": {b: tr(f"band.{b}") for b in bands}
                | {
                    c: riskmatrix.grade_words(m, int(c.rsplit("_", 1)[1]), lang)
                    for m in ("consequence", "risk")
                    for c, _, _ in riskmatrix.map_palette(m)
                },
                "loading": tr("map.loading"),
                "reload": tr("map.reload"),
                "zoom_in": tr("map.zoom_in"),
                "zoom_out": tr("map.zoom_out"),
                "home": tr("map.home"),
            },
            selected=maplayers.selection_outline(paths, selected_row, key=str(selected))
            if selected_row is not None
            else None,
            view=view,
            tiles=tiles,
            key="map",
        )
    else:  # no deck.gl bundle to serve: Streamlit's own chart (clicks need a small network)
        event = st.pydeck_chart(
            maplayers.JsonDeck(spec), on_select="rerun", selection_mode="single-object",
            key="map_chart", height=560,
        )  # fmt: skip
        picked_id = maplayers.selected_pipe_id(event)
        if picked_id is not None and picked_id != selected:
            selected = picked_id
            state["map_pipe"] = picked_id
    if mode == "likelihood":
        legend = [(colour, tr(f"band.{name}")) for name, _, colour in maplayers.RISK_BANDS]
    else:
        palette = riskmatrix.map_palette(mode)[::-1]  # the gravest first
        legend = [(c, riskmatrix.grade_words(mode, 5 - k, lang)) for k, (_, c, _) in
                  enumerate(palette)]  # fmt: skip
    st.markdown(
        " ".join(f"<span style='color:rgb{colour}'>■</span> {words}" for colour, words in legend),
        unsafe_allow_html=True,
    )
    if mode != "likelihood":
        st.caption(tr(f"map.legend.{mode}", proxies=format_number(
            result.summary()["proxy_pipes"], lang)))  # fmt: skip
with right:
    if note:
        st.info(note)
    if selected is None:
        st.info(tr("map.click_or_search"))
    else:
        show_card(selected)


def matrix_section(result: riskmatrix.RiskResult) -> None:
    """The 5 x 5 matrix with its counts; a click on a cell lists the cell's pipes. Of the pipes
    the filters show (the matrix of the whole network beside a list of cast iron read as cast
    iron's)."""
    st.subheader(tr("riskmatrix.title"))
    if not mask.all():
        result = result.of(table.loc[mask, "pipe_id"])
        st.caption(tr("riskmatrix.filtered", n=format_number(len(result.pipes), lang)))
    summary = result.summary()
    st.caption(tr("riskmatrix.help", proxies=format_number(summary["proxy_pipes"], lang),
                  not_assessed=format_number(summary["grades"]["not_assessed"], lang)))  # fmt: skip
    texts, colours = riskmatrix.matrix_table(result, lang)
    first, *consequences = texts.columns
    cell_px = (MATRIX_PX - MATRIX_FIRST_PX) // len(consequences)
    event = st.dataframe(
        texts.style.apply(lambda _: colours, axis=None),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-cell",
        key="risk_matrix",
        column_config={first: st.column_config.TextColumn(width=MATRIX_FIRST_PX)}
        | {c: st.column_config.TextColumn(width=cell_px) for c in consequences},
    )
    cells = (event or {}).get("selection", {}).get("cells") or []
    if not cells or cells[0][1] == first:
        st.caption(tr("riskmatrix.pick"))
        return
    row, column = cells[0]
    lof, cof = 5 - int(row), (1, 2, 3, 4, 5, 0)[consequences.index(column)]
    cell = result.cells.set_index(["lof_grade", "cof_grade"]).loc[(lof, cof)]
    st.markdown(
        "**"
        + tr(
            "riskmatrix.cell_title",
            likelihood=riskmatrix.grade_words("likelihood", lof, lang),
            consequence=riskmatrix.grade_words("consequence", cof, lang),
            risk=riskmatrix.grade_words("risk", int(cell["risk_grade"]), lang),
        )
        + ", "
        + plural("riskmatrix.pipes", cell["pipes"], lang)
        + "**"
    )  # fmt: skip
    if cell["pipes"] > MATRIX_ROWS:
        st.caption(tr("riskmatrix.first", n=format_number(MATRIX_ROWS, lang)))
    listed = riskmatrix.cell_table(result, lof, cof, lang, limit=MATRIX_ROWS)
    st.caption(tr("riskmatrix.open_card"))
    key = f"cell_{lof}_{cof}"
    st.dataframe(
        listed,
        hide_index=True,
        width="stretch",
        # the reasons read whole ("steel, 77 years old (pipes of this m" was cut)
        column_config={listed.columns[-1]: st.column_config.TextColumn(width="large")},
        key=key,
        on_select=functools.partial(
            open_from_cell,
            key,
            result.cell(lof, cof)["pipe_id"].head(MATRIX_ROWS).astype(str).tolist(),
        ),
        selection_mode="single-row",
    )


def open_from_cell(key: str, pipe_ids: list[str]) -> None:
    """A row picked in a cell's list opens its pipe's card above, as the main list does."""
    rows = ((state.get(key) or {}).get("selection") or {}).get("rows") or []
    if rows and rows[0] < len(pipe_ids):
        open_pipe(pipe_ids[rows[0]], move=True)


#: Pipes listed for a cell; width of the matrix and of its first column, pixels (the other
#: columns share the rest; the browser test clicks a cell by them).
MATRIX_ROWS, MATRIX_PX, MATRIX_FIRST_PX = 500, 930, 165
if assessed:
    matrix_section(result)
ranked_list()
