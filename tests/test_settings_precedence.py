"""Where a setting comes from: a command-line flag wins over settings.toml, and the file over
the default of the setting's class (issue #14, item 4).

The commands with flags for settings are ``risk savings`` ([savings]) and ``risk criticality``
(``--peak-factor`` of [criticality]); ``risk plan`` ([costs]), ``risk score`` and ``risk
evaluate`` ([units]) and the outcome store (``store_url``) have no flag: the file over the
default.
"""

import json

from risk.consequence.settings import CriticalitySettings
from risk.costs import CostSettings
from risk.savings import SavingsSettings
from risk.units import UnitRules


def _savings(run, workspace, *flags) -> dict:
    code, out, err = run("savings", workspace, "--json", *flags)
    assert code == 0, err
    return json.loads(out)["summary"]["settings"]


def test_risk_savings_flag_then_file_then_default(run, tiny_workspace):
    defaults = SavingsSettings()
    used = _savings(run, tiny_workspace)
    assert used["repair_days"] == defaults.repair_days
    assert used["survey_interval_years"] == defaults.survey_interval_years

    (tiny_workspace / "settings.toml").write_text(
        "[savings]\nrepair_days = 3\nsurvey_interval_years = 4\n"
    )
    used = _savings(run, tiny_workspace)
    assert (used["repair_days"], used["survey_interval_years"]) == (3.0, 4.0)

    used = _savings(run, tiny_workspace, "--repair-days", "5", "--household-m3-per-year", "90")
    assert used["repair_days"] == 5.0  # the flag over the file
    assert used["household_m3_per_year"] == 90.0  # the flag over the default
    assert used["survey_interval_years"] == 4.0  # the file, no flag
    assert used["default_flow_m3_per_h"] == defaults.default_flow_m3_per_h  # neither


def _criticality(run, workspace, *flags) -> dict:
    code, _, err = run("criticality", workspace, "--proxy-only", *flags)
    assert code == 0, err
    return json.loads((workspace / "consequence.json").read_text())["settings"]


def test_risk_criticality_flag_then_file_then_default(run, tiny_workspace):
    defaults = CriticalitySettings()
    used = _criticality(run, tiny_workspace)
    assert used["peak_factor"] == defaults.peak_factor
    assert used["affected_share"] == defaults.affected_share

    (tiny_workspace / "settings.toml").write_text(
        "[criticality]\npeak_factor = 3.0\naffected_share = 0.1\n"
    )
    used = _criticality(run, tiny_workspace)
    assert (used["peak_factor"], used["affected_share"]) == (3.0, 0.1)

    used = _criticality(run, tiny_workspace, "--peak-factor", "2.5")
    assert used["peak_factor"] == 2.5  # the flag over the file
    assert used["affected_share"] == 0.1  # the file, no flag
    assert used["duration_h"] == defaults.duration_h  # neither


def test_a_flag_does_not_excuse_a_bad_file(run, tiny_workspace):
    """The file is checked whole before any flag applies: a bad value stops the command,
    even for a key the flag would have overridden."""
    (tiny_workspace / "settings.toml").write_text("[savings]\nrepair_days = -1\n")
    code, _, err = run("savings", tiny_workspace, "--repair-days", "5")
    assert code == 2, err
    assert "'repair_days' setting must be >= 0" in err


def test_risk_plan_prices_come_from_the_file_else_the_defaults(run, tiny_workspace, tmp_path):
    def costs() -> dict:
        code, out, err = run(
            "plan", tiny_workspace, "--budget-eur-per-year", "100000", "--years", "2",
            "--out", tmp_path / "plan", "--json",
        )  # fmt: skip
        assert code == 0, err
        return json.loads(out)["costs"]

    assert costs()["water_eur_per_m3"] == CostSettings().water_eur_per_m3
    (tiny_workspace / "settings.toml").write_text(
        '[costs]\nwater_eur_per_m3 = 0.45\n[costs.renewal_eur_per_m]\n"200" = 700\nabove = 1800\n'
    )
    used = costs()
    assert used["water_eur_per_m3"] == 0.45
    assert used["renewal_eur_per_m"] == {"200": 700.0, "above": 1800.0}  # the table whole
    assert used["repair_eur_per_break"] == CostSettings().repair_eur_per_break


def test_unit_rules_of_score_and_evaluate_come_from_the_file_else_the_defaults(tiny_workspace):
    # risk score and risk evaluate build their units with UnitRules.of_workspace(workspace).
    assert UnitRules.of_workspace(tiny_workspace) == UnitRules()
    assert UnitRules.of_workspace(None) == UnitRules()
    (tiny_workspace / "settings.toml").write_text("[units]\nmax_length_m = 250\n")
    assert UnitRules.of_workspace(tiny_workspace) == UnitRules(max_length_m=250.0)


def test_the_store_is_the_file_s_store_url_else_the_workspace_s_sqlite(tiny_workspace):
    from risk.auth import store_location
    from risk.workspace import Workspace

    assert store_location(tiny_workspace) == str(Workspace(tiny_workspace).outcomes)
    (tiny_workspace / "settings.toml").write_text('store_url = "sqlite:////srv/risk/o.sqlite"\n')
    assert store_location(tiny_workspace) == "sqlite:////srv/risk/o.sqlite"
