"""Dispatch: capacity, exclusions, geographic grouping, visiting order, exports."""

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from risk.dispatch import Crew, plan_inspections, read_crews, working_days
from risk.dispatch.sheets import export_plan, render_sheets
from risk.errors import InputError


def town(n_west=6, n_east=6):
    """Two clusters of 100 m pipes 5 km apart; ranks alternate between them."""
    lines, ids = [], []
    for i in range(n_west):
        lines.append(LineString([(0, i * 150), (100, i * 150)]))
        ids.append(f"W{i}")
    for i in range(n_east):
        lines.append(LineString([(5000, i * 150), (5100, i * 150)]))
        ids.append(f"E{i}")
    pipes = gpd.GeoDataFrame(
        {"pipe_id": ids, "length_m": 100.0, "material": "cast_iron", "diameter_mm": 100.0,
         "install_year": 1950, "pressure_zone": ["west"] * n_west + ["east"] * n_east},
        geometry=lines, crs="EPSG:2154",
    )  # fmt: skip
    west, east = ids[:n_west], ids[n_west:]
    order = [p for pair in zip(west, east, strict=True) for p in pair] if east else west
    scores = pd.DataFrame(
        {"pipe_id": order, "rank": range(1, len(order) + 1),
         "expected_failures": [1.0 / r for r in range(1, len(order) + 1)],
         "probability": 0.5, "top_reasons": "cast iron, 76 years"}
    )  # fmt: skip
    return pipes, scores


MONDAY = date(2026, 11, 23)


def test_capacity_in_km_takes_the_riskiest_pipes_that_fit():
    pipes, scores = town()
    scores["length_m"] = 100.0  # as risk score writes it: the pipes' own column wins
    crews = [Crew("A", (MONDAY,), km_per_day=0.5)]
    plan = plan_inspections(scores, pipes, crews)
    assert sorted(plan["rank"]) == [1, 2, 3, 4, 5]  # 5 x 100 m
    assert plan["length_m"].sum() <= 500


def test_two_crews_get_compact_groups_one_per_cluster():
    pipes, scores = town()
    crews = [Crew("A", (MONDAY,), km_per_day=0.6), Crew("B", (MONDAY,), km_per_day=0.6)]
    plan = plan_inspections(scores, pipes, crews)
    assert len(plan) == 12
    for _, group in plan.groupby("crew"):
        assert group["pipe_id"].str[0].nunique() == 1  # all west or all east
    assert sorted(plan.groupby("crew")["visit_order"].max()) == [6, 6]


def test_visiting_order_walks_along_the_street():
    pipes, scores = town(n_west=6, n_east=0)
    scores = scores.sort_values("pipe_id").assign(rank=[3, 1, 6, 2, 5, 4])
    plan = plan_inspections(scores, pipes, [Crew("A", (MONDAY,), checks_per_day=6)])
    # stops are 150 m apart in a row: a nearest-neighbour tour visits them in line
    assert plan["pipe_id"].tolist() == ["W0", "W1", "W2", "W3", "W4", "W5"]


def test_a_pipe_without_a_line_does_not_scramble_the_days_route():
    """A planned pipe the GIS drew no line for (the utility's export left it out) is
    visited last, after the others in their street order: before, its missing position
    made every later stop of the day follow the ranking instead of the street."""
    pipes, scores = town(n_west=6, n_east=0)
    scores = scores.sort_values("pipe_id").assign(rank=[3, 1, 6, 2, 5, 4])
    pipes.loc[pipes["pipe_id"] == "W2", "geometry"] = None
    plan = plan_inspections(scores, pipes, [Crew("A", (MONDAY,), checks_per_day=6)])
    assert plan["pipe_id"].tolist() == ["W0", "W1", "W3", "W4", "W5", "W2"]
    assert plan["visit_order"].tolist() == [1, 2, 3, 4, 5, 6]
    # the crew sheet says how to find it, once, on its row; the map draws the others
    for lang, words in (("en", "No line on the map"), ("fr", "pas de tracé sur la carte")):
        sheet = render_sheets(plan, lang=lang)
        assert sheet.count(words) == 1, lang
        row = sheet.split("<td>W2</td>", 1)[1].split("</tr>", 1)[0]
        assert words in row and sheet.count("<circle") == 5


def test_exclusions_are_not_planned():
    pipes, scores = town()
    exclude = pd.DataFrame({"pipe_id": ["W0", "E0"], "reason": "inspected recently"})
    plan = plan_inspections(
        scores, pipes, [Crew("A", (MONDAY,), checks_per_day=3)], exclude=exclude
    )
    assert not plan["pipe_id"].isin(["W0", "E0"]).any()
    assert sorted(plan["rank"]) == [3, 4, 5]


def test_checks_per_day_over_several_days():
    pipes, scores = town()
    crews = [Crew("A", working_days(MONDAY, 2), checks_per_day=4)]
    plan = plan_inspections(scores, pipes, crews)
    assert plan.groupby("date").size().tolist() == [4, 4]


def test_attribute_only_inventory_groups_by_zone():
    pipes, scores = town()
    plan = plan_inspections(
        scores,
        pd.DataFrame(pipes.drop(columns="geometry")),
        [Crew("A", working_days(MONDAY, 2), checks_per_day=6)],
    )
    assert not isinstance(plan, gpd.GeoDataFrame)
    assert plan.groupby("date")["pressure_zone"].nunique().tolist() == [1, 1]
    # the riskiest pipe's zone first ("west" holds rank 1; zones by name put it last)
    first_day = plan[plan["date"] == plan["date"].min()]
    assert 1 in first_day["rank"].tolist() and set(first_day["pressure_zone"]) == {"west"}


def test_working_days_skip_weekends():
    friday = date(2026, 11, 27)
    assert working_days(friday, 2) == (friday, date(2026, 11, 30))


def test_bad_crews_are_explained(tmp_path):
    with pytest.raises(ValueError, match="exactly one capacity"):
        Crew("A", (MONDAY,))
    with pytest.raises(ValueError, match="capacity must be > 0"):
        Crew("A", (MONDAY,), km_per_day=0)
    (tmp_path / "crews.csv").write_text("squad,km\nNord,3\n")
    with pytest.raises(ValueError, match=r"crews need a 'name' column and a 'km_per_day'"):
        read_crews(tmp_path / "crews.csv", start=MONDAY, n_days=1)
    (tmp_path / "crews.csv").write_text("name,km_per_day\nNord,fast\n")
    with pytest.raises(ValueError, match=r"line 2 \(crew 'Nord'\): km_per_day 'fast' is not a"):
        read_crews(tmp_path / "crews.csv", start=MONDAY, n_days=1)


def test_a_crews_file_may_name_its_crews_in_a_crew_column(tmp_path):
    """Rounds, accounts and the crew's page call it the crew: a crews file headed
    ``crew,km_per_day`` was refused for want of a 'name' column."""
    (tmp_path / "crews.csv").write_text("crew,km_per_day\nNord,3\nSud,2.5\n")
    crews = read_crews(tmp_path / "crews.csv", start=MONDAY, n_days=1)
    assert [(c.name, c.km_per_day) for c in crews] == [("Nord", 3.0), ("Sud", 2.5)]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        # one crew on two rows was read as one crew of twice the capacity
        ("name,km_per_day\nNord,4\nSud,3\nnord ,4\n", "lines 2 and 4: the crew 'nord' is on two"),
        # a misspelt column: the crew worked the default days without a word
        ("name,km_per_day,dayz\nNord,4,2026-11-24\n", "'dayz' (did you mean 'days'?)"),
        ("name,km_per_day,hours_per_day\nNord,4,-8\n", "columns it does not use: 'hours_per_day'."),
        ('name,km_per_day\nNord,"3.500,5"\n', "km_per_day '3.500,5' is not a number"),
        ("name,checks_per_day\nNord,2.5\n", "'2.5' is not a whole number of checks"),
        ("name,km_per_day\nNord,inf\n", "km_per_day 'inf' is not a number"),
        ("name,km_per_day\nNord,100000\n", "at most 100 km a day"),
        ("name,km_per_day,days\nNord,4,31/31/2026\n", "days '31/31/2026' is not a date"),
        ("name,km_per_day\n", "no crew in the file (a header alone)"),
        ("name,km_per_day,checks_per_day\nNord,4,\nSud,,20\n", "crews.csv: some crews give km"),
    ],
)
def test_a_crews_file_that_would_plan_wrongly_is_refused_naming_the_line(tmp_path, text, said):
    (tmp_path / "crews.csv").write_text(text)
    with pytest.raises(InputError) as refused:
        read_crews(tmp_path / "crews.csv", start=MONDAY, n_days=1)
    assert said in str(refused.value) and "crews.csv" in str(refused.value)


def test_export_writes_csv_geojson_and_printable_sheets(tmp_path):
    pipes, scores = town()
    plan = plan_inspections(scores, pipes, [Crew("Équipe Nord", (MONDAY,), checks_per_day=4)])
    files = export_plan(plan, tmp_path)
    assert pd.read_csv(files["csv"])["pipe_id"].tolist() == plan["pipe_id"].tolist()
    geo = gpd.read_file(files["geojson"])
    assert geo.crs.to_epsg() == 4326 and len(geo) == 4
    sheet = files["html"].read_text()
    assert "Équipe Nord — Nov 23, 2026" in sheet and "<svg" in sheet
    assert sheet.count("☐ leak") == 4 and "circumferential cracks" in sheet


def test_the_crew_map_tells_recorded_stops_from_those_left():
    """A stop already recorded is filled grey, one left white, the chosen one orange: the
    crew sees at a glance what is left (before, recorded and open stops were both white)."""
    from risk.dispatch import crewday

    day = date(2026, 12, 2)
    pipes = gpd.GeoDataFrame(
        {"pipe_id": ["A", "B", "C"], "material": "cast_iron", "length_m": 100.0},
        geometry=[LineString([(x, 0), (x + 100, 0)]) for x in (0, 200, 400)],
        crs=2154,
    )
    assignments = pd.DataFrame(
        {"assignment_id": [1, 2, 3], "pipe_id": ["A", "B", "C"], "crew": "Nord",
         "planned_date": pd.Timestamp(day), "visit_order": [1, 2, 3], "round_id": "r1",
         "status": ["done", "planned", "planned"]}
    )  # fmt: skip
    view = crewday.crew_view(assignments, pipes, today=day, lang="en")
    deck = crewday.day_deck(view, pipes, chosen=3)
    stops = next(layer for layer in deck.layers if layer.id == crewday.STOPS_LAYER).data
    fills = {stop["n"]: tuple(stop["fill"]) for stop in stops}
    assert fills["1"] != fills["2"] != fills["3"] != fills["1"]
    assert fills["2"] == (255, 255, 255, 255) and fills["3"][:3] == crewday.CHOSEN_COLOUR


def test_the_crew_maps_stops_on_pipes_a_few_metres_apart_are_set_apart():
    """Two pipes 3 m apart among pipes 2 km away: their numbered stops lay one on another
    (a tap picked the top one). They are set apart on the phone's map, each with a line to
    its pipe; the distant stop stays on its pipe."""
    from risk.dispatch import crewday
    from risk.maplayers import world_xy

    day = date(2026, 12, 2)
    pipes = gpd.GeoDataFrame(
        {"pipe_id": ["A", "B", "C"], "material": "cast_iron", "length_m": 20.0},
        geometry=[LineString([(700_000, 6_600_000), (700_020, 6_600_000)]),
                  LineString([(700_000, 6_600_003), (700_020, 6_600_003)]),
                  LineString([(702_000, 6_600_000), (702_020, 6_600_000)])],
        crs=2154,
    )  # fmt: skip
    assignments = pd.DataFrame(
        {"assignment_id": [1, 2, 3], "pipe_id": ["A", "B", "C"], "crew": "Nord",
         "planned_date": pd.Timestamp(day), "visit_order": [1, 2, 3], "round_id": "r1",
         "status": "planned"}
    )  # fmt: skip
    view = crewday.crew_view(assignments, pipes, today=day, lang="en")
    deck = crewday.day_deck(view, pipes)
    stops = {s["n"]: s for s in next(x for x in deck.layers if x.id == crewday.STOPS_LAYER).data}
    zoom = deck.initial_view_state.zoom
    x, y = world_xy([stops[n]["lon"] for n in "123"], [stops[n]["lat"] for n in "123"])
    px = np.column_stack([x, y]) * 2.0**zoom
    assert np.hypot(*(px[0] - px[1])) >= 25  # markers 24 px wide: both seen and tappable
    assert px[0][1] > px[1][1]  # the first to visit on top
    leaders = next(x for x in deck.layers if x.id == "crew-stop-leaders").data
    assert len(leaders) == 2
    middle_c = gpd.GeoSeries([pipes.geometry[2].interpolate(0.5, normalized=True)], crs=2154)
    lonlat_c = middle_c.to_crs(4326).iloc[0]
    assert (stops["3"]["lon"], stops["3"]["lat"]) == (round(lonlat_c.x, 6), round(lonlat_c.y, 6))


def test_a_crews_file_headed_in_french_words_is_read(tmp_path):
    """A French supervisor heads it "Équipe;km/jour;Jours": the same crews as
    name,km_per_day,days."""
    path = tmp_path / "équipes.csv"
    path.write_text("Équipe;Km/jour;Jours\nEquipe Nord;3,5;24/11/2026\n", encoding="utf-8")
    (crew,) = read_crews(path, start=date(2026, 11, 23), n_days=2)
    assert (crew.name, crew.km_per_day, crew.days) == ("Equipe Nord", 3.5, (date(2026, 11, 24),))


def test_a_crews_files_refusal_is_said_in_the_readers_language(tmp_path):
    """The Dispatch page says a bad crews.csv in its reader's language: the same catalogue
    key as the command line's English."""
    from risk.errors import in_words

    crews = tmp_path / "crews.csv"
    crews.write_text("name;km_per_day\nNord;trois\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_crews(crews, start=MONDAY, n_days=1)
    assert (
        str(info.value)
        == f"{crews}, line 2 (crew 'Nord'): km_per_day 'trois' is not a number: write a number"
    )
    assert in_words(info.value, "fr") == (
        f"{crews}, ligne 2 (équipe 'Nord') : km_per_day 'trois' n'est pas un nombre : écrivez un "
        "nombre"
    )


@pytest.mark.parametrize(
    ("text", "english", "french"),
    [
        (  # a name a spreadsheet would run as a formula
            "name;km_per_day\n=Nord;3\n",
            "line 2 (crew '=Nord'): The crew name '=Nord' starts with '=', which a spreadsheet "
            "runs as a formula; use letters",
            "ligne 2 (équipe '=Nord') : Le nom d'équipe « =Nord » commence par '=', qu'un "
            "tableur exécute comme une formule ; utilisez",
        ),
        (  # two capacities for one crew: which one plans its days?
            "name;km_per_day;checks_per_day\nNord;3;20\n",
            "line 2 (crew 'Nord'): Crew 'Nord' needs exactly one capacity",
            "ligne 2 (équipe 'Nord') : L'équipe « Nord » a besoin d'une seule capacité",
        ),
    ],
)
def test_a_crew_the_file_cannot_give_is_refused_in_the_readers_words(
    tmp_path, text, english, french
):
    """A crew row the crew itself refuses (its name, its capacities) was said in English on
    a French page: the row's problem is said inside the sentence naming the file and line."""
    from risk.errors import in_words

    crews = tmp_path / "crews.csv"
    crews.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_crews(crews, start=MONDAY, n_days=1)
    assert f"{crews}, {english}" in str(info.value)
    assert f"{crews}, {french}" in in_words(info.value, "fr")


def test_a_plan_without_crews_is_refused_in_the_readers_words():
    from risk.errors import in_words

    with pytest.raises(InputError) as info:
        plan_inspections(pd.DataFrame(columns=["pipe_id", "rank", "expected_failures"]), None, [])
    assert str(info.value) == "No crews given: add at least one crew to plan inspections."
    assert in_words(info.value, "fr") == (
        "Aucune équipe : ajoutez au moins une équipe pour planifier des inspections."
    )
