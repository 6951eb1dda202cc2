"""The money assumptions ([costs] of settings.toml): defaults, the utility's own table, checks."""

from __future__ import annotations

import pytest

from risk.costs import CostSettings, cost_settings
from risk.errors import InputError
from risk.settings import SettingsError, check_settings


def test_default_prices_by_diameter_band_and_material():
    costs = CostSettings()
    # 100 mm is in the "<= 100" band, 101 mm in "<= 150", 700 mm above the largest band
    prices = costs.renewal_cost_eur([100, 101, 150, 700, None], ["pvc"] * 5, [1, 1, 1, 1, 1])
    assert prices.tolist() == [480.0, 550.0, 550.0, 2200.0, 550.0]  # unknown: as 150 mm
    assert costs.renewal_eur_per_m_for(150, "asbestos_cement") == pytest.approx(550 * 1.15)
    assert costs.renewal_cost_eur([200], ["cast_iron"], [100.0]).tolist() == [65_000.0]
    assert costs.break_value_eur == 3000 + 300 * 0.6


def test_the_utilitys_own_table_replaces_the_default(tmp_path):
    (tmp_path / "settings.toml").write_text(
        "[costs]\nrepair_eur_per_break = 4200\nwater_eur_per_m3 = 0.45\n\n"
        '[costs.renewal_eur_per_m]\n"200" = 700\n"100" = 500\nabove = 1600\n\n'
        "[costs.renewal_material_factor]\ncast_iron = 1.5\n",
        encoding="utf-8",
    )
    costs = cost_settings(tmp_path)
    assert costs.repair_eur_per_break == 4200
    assert costs.water_eur_per_m3 == 0.45
    assert list(costs.renewal_eur_per_m) == ["100", "200", "above"]  # sorted by bound
    prices = costs.renewal_cost_eur(
        [90, 150, 300], ["pvc", "cast_iron", "asbestos_cement"], [1] * 3
    )
    # the default asbestos-cement factor is gone with the table that replaced it
    assert prices.tolist() == [500.0, 700.0 * 1.5, 1600.0]


def test_no_settings_file_gives_the_defaults(tmp_path):
    assert cost_settings(tmp_path) == CostSettings()


def test_an_unknown_key_lists_the_valid_ones():
    problems = check_settings({"costs": {"repair_eur_per_brake": 3000}})
    assert len(problems) == 1
    assert "did you mean 'repair_eur_per_break'" in problems[0]
    assert "water_lost_m3_per_break" in problems[0]


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"water_eur_per_m3": "cheap"}, "must be a number"),
        ({"inspection_eur_per_km": -5}, "must be a number >= 0"),
        ({"renewal_eur_per_m": 500}, 'renewal_eur_per_m = { "150" = 550'),
        ({"renewal_eur_per_m": {"150": 500}}, "add a line such as above = 2200"),
        ({"renewal_eur_per_m": {"DN150": 500, "above": 900}}, "is not a diameter in mm"),
        ({"renewal_eur_per_m": {"150": 0, "above": 900}}, "must cost a number > 0"),
        ({"renewal_material_factor": {"cast": 1.2}}, "unknown material 'cast'"),
    ],
)
def test_a_wrong_value_says_the_fix(section, expected):
    problems = check_settings({"costs": section})
    assert problems, section
    assert expected in " ".join(problems)
    with pytest.raises(InputError):
        CostSettings.from_mapping(section)


def test_a_bad_costs_section_stops_reading_with_the_file_named(tmp_path):
    (tmp_path / "settings.toml").write_text("[costs]\nwater_eur_per_m3 = -1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="settings.toml: 1 problem"):
        cost_settings(tmp_path)


def test_the_impact_page_money_comes_from_the_same_settings():
    import datetime as dt

    import pandas as pd

    from risk.costs import inspection_return
    from risk.savings.impact import impact_summary
    from risk.savings.words import money_texts

    pipes = pd.DataFrame({"pipe_id": ["P1", "P2"], "length_m": [2000.0, 3000.0]})
    outcomes = pd.DataFrame(
        {
            "pipe_id": ["P1", "P2"],
            "result": ["leak_found", "nothing_found"],
            "inspected_on": pd.to_datetime(["2026-01-05", "2026-01-06"]),
            "flow_m3_per_h": [1.0, None],
            "repair_date": pd.to_datetime(["2026-01-07", None]),
        }
    )
    costs = CostSettings(inspection_eur_per_km=200.0, water_eur_per_m3=0.5)
    summary = impact_summary(outcomes, pipes, costs=costs, as_of=dt.date(2026, 2, 6))
    money = summary["money"]
    assert money["cost_eur"] == 5 * 200.0  # 5 km inspected
    # the leak runs 1 m³/h, saved from its repair until the next survey (1.5 years + 7 days - 2)
    assert money["water_value_eur"] == pytest.approx(summary["savings"]["saved_m3_total"] * 0.5)
    assert money["water_value_to_date_eur"] == pytest.approx(31 * 24 * 0.5)  # 7 Jan-6 Feb included
    assert money["repairs_avoided_eur"] == 3000.0 - 1500.0
    assert money["return_per_eur"] == pytest.approx(money["value_eur"] / 1000.0)
    texts = money_texts(summary, "en")
    assert texts["cost"] == "1,000 €"
    assert "(5.00 km at 200 €/km)" in texts["money"]
    # the volume behind the euros is said, and the euros follow from it
    volume = summary["savings"]["saved_m3_total"]
    assert f"save {volume:,.0f} m³ of water" in texts["money"]
    assert texts["water_value_m3"] == f"{volume:,.0f} m³"  # under the tile of its value
    assert f"worth {money['water_value_eur']:,.0f} € at 0.50 €/m³" in texts["money"]
    assert "settings.toml" not in texts["money"]
    assert "€ for each euro spent" in texts["money"]
    assert money_texts(summary, "fr")["money"].startswith("Les campagnes d'inspection")
    # 5 km in 2 inspections is too little to judge: the sentence says so, as the hit rates do
    assert not summary["enough_to_compare"]
    assert texts["money"].endswith("one leak more or less changes it a lot.")
    assert texts["return_caution"] == "on 5.00 km inspected: too little yet to judge"  # under it
    enough = {**summary, "enough_to_compare": True}
    assert "Too little" not in money_texts(enough, "en")["money"]
    assert "return_caution" not in money_texts(enough, "en")
    nothing = inspection_return(0.0, 0, 0.0, 0.0)
    assert nothing["cost_eur"] == 0
    assert nothing["return_per_eur"] != nothing["return_per_eur"]  # NaN: nothing spent
