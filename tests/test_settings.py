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
