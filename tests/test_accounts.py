"""Account administration: deactivate, reset a password, change a role; each audited with who
did it, the last active administrator kept, and a deactivated account locked out at once
(sign-in, the dashboard session, and every write through risk.outcomes.writes). Through the package,
the command line (``risk users ...``) and the Accounts page; and the account's language.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from apps import APP, PASSWORD, USERS, app_as, build_workspace, texts
from streamlit.testing.v1 import AppTest

from risk import auth, clock
from risk.outcomes import writes
from risk.store import OutcomeStore

TODAY = clock.today()


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    return workspace


def store_of(workspace):
    return workspace / "outcomes.sqlite"


def audit(workspace):
    with OutcomeStore(store_of(workspace)) as store:
        return store.audit()


def leak(pipe_id="P-0030"):
    return {"pipe_id": pipe_id, "result": "nothing_found", "inspected_on": TODAY}


# -- the package ---------------------------------------------------------------------------


def test_a_deactivated_account_cannot_sign_in_or_write_until_reactivated(workspace):
    ada = auth.User("ada", "admin")
    writes.record_outcome(workspace, "erin", leak("P-0030"), idempotency_key="k1")
    auth.deactivate(store_of(workspace), "erin", by=ada)
    assert auth.verify(store_of(workspace), "erin", PASSWORD) is None
    assert auth.get_user(store_of(workspace), "erin") is None
    # risk.outcomes.writes reads the account again: the signed-in session object is not trusted.
    with pytest.raises(writes.AccountRefusedError, match="'erin' is disabled"):
        writes.record_outcome(
            workspace, auth.User("erin", "engineer"), leak("P-0031"), idempotency_key="k2"
        )
    with OutcomeStore(store_of(workspace)) as store:
        assert store.outcomes()["pipe_id"].tolist() == ["P-0030"]
    last = audit(workspace).iloc[-1]
    assert (last["user"], last["action"], last["after"]) == ("ada", "set_active", {"active": False})

    auth.reactivate(store_of(workspace), "erin", by=ada)
    assert auth.verify(store_of(workspace), "erin", PASSWORD).role == "engineer"
    writes.record_outcome(workspace, "erin", leak("P-0031"), idempotency_key="k2")


def test_an_administrator_resets_a_password_audited_without_the_hash(workspace):
    auth.reset_password(
        store_of(workspace), "nadia", "a brand new secret", by=auth.User("ada", "admin")
    )
    assert auth.verify(store_of(workspace), "nadia", PASSWORD) is None
    assert auth.verify(store_of(workspace), "nadia", "a brand new secret").username == "nadia"
    last = audit(workspace).iloc[-1]
    assert (last["user"], last["action"]) == ("ada", "reset_password")
    assert "hash" not in json.dumps([last["before"], last["after"]])
    with pytest.raises(auth.AccountChangeError, match="at least 8 characters") as error:
        auth.reset_password(store_of(workspace), "nadia", "short", by="ada")
    assert error.value.code == "password"


def test_a_role_change_counts_at_once_and_is_audited(workspace):
    auth.set_role(store_of(workspace), "erin", "manager", by=auth.User("ada", "admin"))
    assert auth.get_user(store_of(workspace), "erin").role == "manager"
    with pytest.raises(writes.AccountRefusedError, match=r"erin \(manager\) may not record"):
        writes.record_outcome(workspace, auth.User("erin", "engineer"), leak(), idempotency_key="k")
    last = audit(workspace).iloc[-1]
    assert (last["user"], last["action"]) == ("ada", "set_role")
    assert (last["before"]["role"], last["after"]["role"]) == ("engineer", "manager")
    # A crew member needs a crew; other roles keep none.
    with pytest.raises(auth.AccountChangeError, match="needs a crew name"):
        auth.set_role(store_of(workspace), "erin", "crew", by="ada")
    auth.set_role(store_of(workspace), "erin", "crew", "Nord", by="ada")
    assert auth.get_user(store_of(workspace), "erin").crew == "Nord"
    auth.set_role(store_of(workspace), "nadia", "engineer", by="ada")
    assert auth.get_user(store_of(workspace), "nadia").crew is None


def test_the_last_active_administrator_is_kept(workspace):
    store, ada = store_of(workspace), auth.User("ada", "admin")
    for change in (
        lambda: auth.deactivate(store, "ada", by=ada),
        lambda: auth.set_role(store, "ada", "manager", by=ada),
    ):
        with pytest.raises(auth.AccountChangeError, match="last active administrator") as error:
            change()
        assert error.value.code == "last_admin"
    assert auth.get_user(store, "ada").role == "admin"
    # A deactivated administrator does not count.
    auth.set_role(store, "erin", "admin", by=ada)
    auth.deactivate(store, "erin", by=ada)
    with pytest.raises(auth.AccountChangeError, match="last active administrator"):
        auth.set_role(store, "ada", "engineer", by=ada)
    # With another active administrator, ada may step down.
    auth.reactivate(store, "erin", by=ada)
    auth.set_role(store, "ada", "engineer", by=ada)
    assert auth.get_user(store, "ada").role == "engineer"


def test_only_an_active_administrator_changes_accounts(workspace):
    store = store_of(workspace)
    with pytest.raises(auth.AccountChangeError, match="needs an active administrator") as error:
        auth.deactivate(store, "nadia", by=auth.User("erin", "engineer"))
    assert error.value.code == "not_admin"
    # The session object is not trusted: a role taken away since sign-in counts.
    auth.set_role(store, "erin", "admin", by="ada")
    auth.set_role(store, "erin", "engineer", by="ada")
    with pytest.raises(auth.AccountChangeError, match="needs an active administrator"):
        auth.deactivate(store, "nadia", by=auth.User("erin", "admin"))
    assert auth.get_user(store, "nadia").active
    with pytest.raises(LookupError, match="No user 'zoe'"):
        auth.deactivate(store, "zoe", by="ada")


def test_the_audit_log_reads_in_words(workspace):
    auth.set_role(store_of(workspace), "erin", "manager", by="ada")
    auth.deactivate(store_of(workspace), "sam", by="ada")
    table = auth.audit_for_people(store_of(workspace), "fr")
    assert list(table.columns) == ["Date et heure", "Qui", "Quoi"]
    assert table["Quoi"].iloc[0] == "a désactivé sam"
    assert table["Quoi"].iloc[1] == "a changé le rôle de erin : ingénieur → responsable"
    text = table.to_string()
    assert "set_role" not in text and "None" not in text
    # the day in words, the time to the minute and the zone: never a raw timestamp
    assert re.fullmatch(r"\d{1,2}(er)? \S+ \d{4}, \d{2}:\d{2} \S+", table["Date et heure"].iloc[0])


# -- the command line ----------------------------------------------------------------------


def test_the_command_line_changes_accounts_audited_with_who(run, workspace, monkeypatch):
    code, out, err = run(
        "users", "set-role", workspace, "erin", "--role", "manager", "--by", "ada", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["username"] == "erin"
    monkeypatch.setattr("sys.stdin", io.StringIO("another long secret\n"))
    code, _, err = run(
        "users", "reset-password", workspace, "nadia", "--password-stdin", "--by", "ada"
    )
    assert code == 0, err
    code, _, err = run("users", "deactivate", workspace, "sam")
    assert code == 0, err
    code, out, err = run("users", "list", workspace, "--json")
    users = {u["username"]: u for u in json.loads(out)["users"]}
    assert users["erin"]["role"] == "manager" and not users["sam"]["active"]
    code, out, err = run("users", "list", workspace)  # for a person: no NaN, None or True
    assert code == 0 and "sam" in out, err
    assert not {"NaN", "None", "NaT", "True", "False"} & set(out.split()), out
    assert auth.verify(store_of(workspace), "nadia", "another long secret") is not None

    log = audit(workspace).tail(3)
    assert log["action"].tolist() == ["set_role", "reset_password", "set_active"]
    assert log["user"].iloc[0] == "ada" and log["user"].iloc[1] == "ada"
    assert log["user"].iloc[2].startswith("command line (")  # no --by: the system user

    code, _, err = run("users", "reactivate", workspace, "sam", "--by", "ada")
    assert code == 0, err
    assert auth.get_user(store_of(workspace), "sam").active


def _strict(text: str) -> dict:
    """JSON as a strict parser reads it: NaN or Infinity refused (a script's parser did)."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_the_audit_log_reads_the_same_on_the_command_line_and_the_page(run, workspace):
    """The command line had no way to read the audit log; on the page an account change sat
    under one line per pipe of each round assigned."""
    auth.deactivate(store_of(workspace), "sam", by="ada")
    code, out, err = run("audit", workspace, "--json")
    assert code == 0, err
    lines = _strict(out)["lines"]
    assert (lines[0]["who"], lines[0]["what"]) == ("ada", "deactivated sam")
    rounds = [line["what"] for line in lines if line["what"].startswith("assigned ")]
    assert rounds and all(
        re.fullmatch(r"assigned \d+ pipes to crew \S+ \(round .+\)", r) for r in rounds
    )
    code, out, err = run("audit", workspace, "--who", "ADA", "--kind", "accounts")
    assert code == 0, err
    assert out.splitlines()[0].endswith("  ada deactivated sam") and "assigned" not in out
    page = auth.audit_for_people(store_of(workspace), "en", who="ada", kind="accounts")
    assert page["What"].tolist() == [line.split("  ada ", 1)[1] for line in out.splitlines()]
    code, _, err = run("audit", workspace, "--since", "12/01/2026")
    assert code == 2 and "--since must be a date such as" in err
    code, out, _ = run("users", "list", workspace, "--json")
    assert _strict(out)["users"]  # a crew of none was NaN: no strict parser read it


def test_a_crew_written_otherwise_joins_the_projects_crew_and_a_misspelt_one_is_said(
    run, workspace, monkeypatch
):
    """An account of crew "nord" saw an empty list (the rounds are assigned to "Nord"), and
    "Nrod" was taken without a word."""
    monkeypatch.setattr("sys.stdin", io.StringIO("a long secret\n"))
    code, out, err = run(
        "users", "add", workspace, "yves", "--role", "crew", "--crew", " nord", "--password-stdin"
    )
    assert code == 0, err
    assert "Note: The crew 'nord' is written 'Nord' in this project" in out
    yves = auth.get_user(store_of(workspace), "yves")
    assert yves.crew == "Nord"
    with OutcomeStore(store_of(workspace)) as store:
        assert len(auth.visible_assignments(store, yves))  # the rounds of Nord
    monkeypatch.setattr("sys.stdin", io.StringIO("a long secret\n"))
    code, out, err = run(
        "users", "add", workspace, "zack", "--role", "crew", "--crew", "Nrod", "--password-stdin"
    )
    assert code == 0, err
    assert "did you mean 'Nord'?" in out and "list stays empty" in out
    code, out, err = run(
        "users", "set-role", workspace, "zack", "--role", "crew", "--crew", "NORD", "--by", "ada"
    )
    assert code == 0 and "joins 'Nord'" in out, err
    assert auth.get_user(store_of(workspace), "zack").crew == "Nord"


def test_the_command_line_keeps_the_last_administrator_and_checks_by(run, workspace):
    code, _, err = run("users", "deactivate", workspace, "ada")
    assert code == 2 and "last active administrator" in err
    code, _, err = run("users", "set-role", workspace, "ada", "--role", "engineer", "--by", "ada")
    assert code == 2 and "last active administrator" in err
    code, _, err = run("users", "deactivate", workspace, "sam", "--by", "nadia")
    assert code == 2 and "needs an active administrator" in err
    code, _, err = run("users", "deactivate", workspace, "sam", "--by", "nobody")
    assert code == 2 and "no such account" in err
    assert auth.get_user(store_of(workspace), "ada").active
    assert auth.get_user(store_of(workspace), "sam").active


# -- the Accounts page ---------------------------------------------------------------------


def test_the_accounts_page_deactivates_resets_and_changes_roles(workspace):
    at = app_as(workspace, "ada", "admin")
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["Role"]) == {"engineer", "field crew", "manager", "administrator"}
    assert "None" not in table.to_string() and ":" not in "".join(table["Created on"])

    at.selectbox(key="edit_user").set_value("erin")
    at.run()
    at.button(key="deactivate").click()
    at.run()
    assert not at.exception
    assert "erin is deactivated" in at.success[0].value
    assert not auth.get_user(store_of(workspace), "erin", include_inactive=True).active

    at.selectbox(key="edit_user").set_value("sam")
    at.run()
    at.selectbox(key="edit_role_sam").set_value("engineer")
    at.get("form_submit_button")[0].click()  # change the role
    at.run()
    assert not at.exception
    assert auth.get_user(store_of(workspace), "sam").role == "engineer"

    at.text_input(key="edit_password").input("a fresh password")
    at.get("form_submit_button")[1].click()  # set the new password
    at.run()
    assert not at.exception
    assert auth.verify(store_of(workspace), "sam", "a fresh password") is not None

    log = audit(workspace).tail(3)
    assert log["action"].tolist() == ["set_active", "set_role", "reset_password"]
    assert set(log["user"]) == {"ada"}


def test_the_accounts_page_refuses_to_remove_the_last_administrator(workspace):
    at = app_as(workspace, "ada", "admin")
    at.selectbox(key="edit_user").set_value("ada")
    at.run()
    at.button(key="deactivate").click()
    at.run()
    assert not at.exception
    assert "ada is the last active administrator" in at.error[0].value
    assert auth.get_user(store_of(workspace), "ada").active


def test_a_deactivated_user_is_signed_out_at_the_next_click(workspace):
    # A session that signed in before the account was deactivated: the app reads the
    # account again on every run (AppTest runs the entry point on its first run only,
    # hence a new AppTest holding the old session's user).
    auth.deactivate(store_of(workspace), "nadia", by="ada")
    at = app_as(workspace, "nadia")
    assert not at.exception
    assert "user" not in at.session_state
    assert "deactivated" in at.error[0].value
    assert "Sign in" in [f.value for f in at.subheader]


def test_a_role_changed_since_sign_in_counts_on_the_next_click(workspace):
    auth.set_role(store_of(workspace), "erin", "manager", by="ada")
    at = app_as(workspace, "erin")  # the session still holds erin as an engineer
    assert not at.exception
    assert at.session_state["user"].role == "manager"
    assert "Signed in as **erin** (manager)" in [m.value for m in at.sidebar.markdown]


def test_a_page_the_new_role_does_not_open_says_so_at_the_next_click(tmp_path):
    """An engineer on Dispatch made a manager: the next click shows the page's title, that
    it is not open to the role, and a link to the role's first page; never the page."""
    workspace = build_workspace(tmp_path)
    at = app_as(workspace, "erin", "dispatch")
    assert at.button(key="generate")  # the engineer's Dispatch page
    auth.set_role(store_of(workspace), "erin", "manager", by="ada")
    at.run()
    assert not at.exception
    assert "The page “Dispatch” is not open to your role (manager)." in texts(at)
    assert not [b for b in at.button if b.key == "generate"]


# -- language ------------------------------------------------------------------------------


def sign_in_form(username: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click()
    at.run()
    return at


def test_the_account_language_wins_at_sign_in_and_is_kept(workspace):
    auth.set_language(store_of(workspace), "marc", "fr", by="marc")
    at = sign_in_form("marc")
    assert not at.exception
    assert at.session_state["lang"] == "fr"
    assert at.selectbox(key="language_choice").value == "fr"
    assert "Connecté : **marc** (responsable)" in [m.value for m in at.sidebar.markdown]
    at.run()  # a further click: still French, and the account still says French
    assert at.session_state["lang"] == "fr" and at.title[0].value == "Impact"
    assert auth.get_user(store_of(workspace), "marc").language == "fr"
    # Only the setup's change: signing in saved no language over the account's.
    assert audit(workspace)["action"].tolist().count("set_language") == 1


def test_changing_the_language_in_the_sidebar_saves_it_to_the_account(workspace):
    at = app_as(workspace, "marc")
    at.selectbox(key="language_choice").set_value("fr")
    at.run()
    assert not at.exception
    assert at.session_state["lang"] == "fr"
    assert auth.get_user(store_of(workspace), "marc").language == "fr"
    assert audit(workspace).iloc[-1]["action"] == "set_language"
    # The next sign-in opens in French.
    at = sign_in_form("marc")
    assert at.session_state["lang"] == "fr"


def test_every_account_in_the_fixture_is_known():
    assert set(USERS) == {"erin", "nadia", "sam", "marc", "ada"}


def test_the_accounts_page_filters_the_audit_log_by_person_and_kind(workspace):
    auth.deactivate(store_of(workspace), "sam", by="ada")
    at = app_as(workspace, "ada", "admin")
    log = at.dataframe[-1].value
    assert any(w.startswith("assigned ") and "pipes to crew" in w for w in log["What"])
    at.selectbox(key="audit_who").select("ada")
    at.selectbox(key="audit_kind").select("accounts")
    at.run()
    assert at.dataframe[-1].value["What"].tolist() == ["deactivated sam"]


def test_an_account_created_at_the_command_line_names_the_system_user(run, workspace, monkeypatch):
    """``risk users add`` wrote "cli" as who created the account, where account changes
    without --by name the system user; the page said "cli" in every language."""
    monkeypatch.setattr("getpass.getuser", lambda: "jdupont")
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    code, _, err = run("users", "add", workspace, "lea", "--role", "engineer", "--password-stdin")
    assert code == 0, err
    assert audit(workspace)["user"].iloc[-1] == "command line (jdupont)"
    code, _, err = run("users", "deactivate", workspace, "lea")
    assert code == 0, err
    assert audit(workspace)["user"].iloc[-1] == "command line (jdupont)"  # one way to say it
    fr = auth.audit_for_people(store_of(workspace), "fr", who="jdupont", kind="accounts")
    assert fr.iloc[:, 1].tolist() == ["jdupont (ligne de commande)"] * 2
    code, out, err = run("audit", workspace, "--who", "jdupont")
    assert code == 0, err
    assert out.splitlines()[-1].endswith(
        "  jdupont (command line) created the account lea (engineer)"
    )
