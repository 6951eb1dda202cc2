"""settings.toml: every mistake a user can make gives the file, the key and the fix."""

import pytest

from risk.settings import SettingsError, read_settings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("store_url = \n", "not valid TOML"),
        ("store_url = 3\n", "'store_url' must be text in quotes, got 3"),
        ("stor_url = 'x'\n", "unknown setting 'stor_url' (did you mean 'store_url'?)"),
        ("[savings]\nrepair_day = 7\n", "unknown key 'repair_day' in [savings] (did you mean"),
        ("[savings]\nrepair_days = 'seven'\n", "'savings.repair_days' must be a number"),
        ("[savings]\nhousehold_m3_per_year = -1\n", "'household_m3_per_year' setting must be > 0"),
        ("savings = 3\n", "'savings' must be a section"),
        ("[map]\ntile_size = 0\n", "'map.tile_size' must be > 0"),
    ],
)
def test_a_bad_settings_file_names_the_key_and_the_fix(tmp_path, text, expected):
    (tmp_path / "settings.toml").write_text(text)
    with pytest.raises(SettingsError) as info:
        read_settings(tmp_path)
    assert str(tmp_path / "settings.toml") in str(info.value)
    assert expected in str(info.value)


def test_good_settings_are_read(tmp_path):
    (tmp_path / "settings.toml").write_text(
        'store_url = "sqlite:///x.sqlite"\n[map]\ntile_size = 256\n[savings]\nrepair_days = 7\n'
    )
    assert read_settings(tmp_path)["savings"] == {"repair_days": 7}
    assert read_settings(tmp_path / "none") == {}


def test_the_command_line_reports_a_bad_settings_file_with_exit_2(run, tiny, tmp_path):
    workspace = tmp_path / "ws"
    code, _, err = run("ingest", tiny, "--workspace", workspace)
    assert code == 0, err
    (workspace / "settings.toml").write_text("[savings]\nrepair_days = 'seven'\n")
    code, out, err = run("savings", workspace)
    assert code == 2
    assert "settings.toml" in err and "'savings.repair_days' must be a number" in err
    assert "Traceback" not in err


# -- the pydantic model of the file (issue #14, item 4) --------------------------------------


def _problems(tmp_path, text: str) -> list[str]:
    """The problem lines of a settings.toml holding ``text`` (after the header line)."""
    (tmp_path / "settings.toml").write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        read_settings(tmp_path)
    header, *lines = str(info.value).splitlines()
    problems = "1 problem" if len(lines) == 1 else f"{len(lines)} problems"
    assert header == f"{tmp_path / 'settings.toml'}: {problems}; nothing was changed:"
    return [line.removeprefix("  - ") for line in lines]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[units]\nera_years = 2.5\n",
         "'units.era_years' must be a whole number, got 2.5; for example era_years = 10"),
        ("[savings]\nrepair_days = true\n",
         "'savings.repair_days' must be a number, got True; for example repair_days = 7.0"),
        ('[costs]\nwater_eur_per_m3 = "0.6"\n',
         "'costs.water_eur_per_m3' must be a number, got '0.6'; for example water_eur_per_m3 = 0.6"),
        ("[map]\ntile_url = 5\n",
         "'map.tile_url' must be text in quotes, got 5; for example "
         'tile_url = "https://tiles.utility.local/{z}/{x}/{y}.png"'),
        ('store_url = "  "\n', "'store_url' is empty"),
        ("[criticality]\nchunk_size = 0\n", "'criticality.chunk_size' must be > 0 (got 0)"),
    ],
)  # fmt: skip
def test_a_wrong_type_says_what_was_expected_and_gives_an_example(tmp_path, text, expected):
    assert _problems(tmp_path, text) == [expected]


def test_an_unknown_section_lists_the_sections(tmp_path):
    assert _problems(tmp_path, "[saving]\nrepair_days = 7\n") == [
        "unknown setting 'saving' (did you mean 'savings'?); valid: store_url, [map], "
        "[savings], [units], [criticality], [costs], [dispatch]"
    ]


def test_an_unknown_key_lists_every_key_of_its_section(tmp_path):
    from dataclasses import fields

    from risk.consequence.settings import CriticalitySettings

    keys = ", ".join(f.name for f in fields(CriticalitySettings))
    assert _problems(tmp_path, "[criticality]\npeak_factr = 2.0\n") == [
        "unknown key 'peak_factr' in [criticality] (did you mean 'peak_factor'?); "
        f"the keys of [criticality] are {keys}"
    ]
    assert _problems(tmp_path, "[map]\nzoom = 3\n") == [
        "unknown key 'zoom' in [map]; the keys of [map] are style_url, tile_url, tile_size, "
        "attribution"
    ]


def test_a_bad_threshold_list_says_the_rule_and_gives_the_default(tmp_path):
    assert _problems(tmp_path, "[criticality]\nlikelihood_thresholds = [0.3, 0.1, 0.2, 0.4]\n") == [
        "[criticality]: criticality settings: 'likelihood_thresholds' must be a list of four "
        "increasing probabilities in (0, 1], where grades 2, 3, 4 and 5 begin (got [0.3, 0.1, "
        "0.2, 0.4]); for example likelihood_thresholds = [0.01, 0.03, 0.1, 0.3]."
    ]
    assert _problems(tmp_path, '[criticality]\ngrade_thresholds = "0.05"\n') == [
        "'criticality.grade_thresholds' must be a list of numbers, got '0.05'; for example "
        "grade_thresholds = [0.05, 0.25, 0.5, 0.75]"
    ]


def test_every_problem_is_listed_once_in_the_order_of_the_file(tmp_path):
    text = (
        "stor_url = 'x'\n"
        "[units]\nmin_length_m = 500\n"  # right types, wrong together: checked by UnitRules
        "[savings]\nrepair_days = 'seven'\nsurvey_interval_years = 0\n"
        "[costs]\nrenewal_eur_per_m = { 150 = 500 }\n"
    )
    assert _problems(tmp_path, text) == [
        "unknown setting 'stor_url' (did you mean 'store_url'?); valid: store_url, [map], "
        "[savings], [units], [criticality], [costs], [dispatch]",
        "[units]: Inspection units need 0 < min_length_m < max_length_m (got 500 and 300).",
        "'savings.repair_days' must be a number, got 'seven'; for example repair_days = 7.0",
        "[costs]: renewal_eur_per_m has no 'above' band (pipes larger than the largest band); "
        "add a line such as above = 2200",
    ]  # [savings] has a wrong type: its ranges are checked once the types are right


def test_the_sections_mirror_the_classes_that_use_them():
    """Keys and defaults come from the dataclasses, the one place of every default."""
    from dataclasses import fields

    from risk.consequence.settings import CriticalitySettings
    from risk.costs import CostSettings
    from risk.savings import SavingsSettings
    from risk.settings import SECTIONS, SETTINGS_FILE
    from risk.units import UnitRules

    defaults = SETTINGS_FILE.model_validate({})
    from risk.dispatch.workdays import DispatchSettings

    classes = {"savings": SavingsSettings, "units": UnitRules,
               "criticality": CriticalitySettings, "costs": CostSettings,
               "dispatch": DispatchSettings}  # fmt: skip
    assert list(SECTIONS) == ["map", *classes]
    for name, cls in classes.items():
        assert list(SECTIONS[name].model_fields) == [f.name for f in fields(cls)], name
        section = getattr(defaults, name)
        for f in fields(cls):
            assert getattr(section, f.name) == getattr(cls(), f.name), (name, f.name)


def test_a_bug_in_a_section_class_is_not_reported_as_a_settings_problem(monkeypatch):
    from risk.settings import SECTIONS, check_settings

    def broken(values):
        raise ValueError("a bug, not the file")

    monkeypatch.setattr(SECTIONS["units"], "build", staticmethod(broken))
    with pytest.raises(ValueError, match="a bug, not the file") as info:
        check_settings({"units": {"era_years": 5}})
    assert not isinstance(info.value, SettingsError)


@pytest.mark.parametrize("module", ["risk.settings", "risk.auth", "risk.savings", "risk.costs"])
def test_the_settings_modules_import_first_without_a_cycle(module):
    """settings imports the section classes at module level and their modules reach
    read_settings only inside functions; risk.auth imports settings, and nothing settings
    imports imports risk.auth. So any of them can be imported first."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
