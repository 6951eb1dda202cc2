"""Sign-ins that survive a page reload (a phone reloads the page when its owner switches
apps): the store keeps only a digest of the browser's token; a session ends after
SESSION_HOURS, at sign-out, when the password changes or the account is disabled. The
browser half (a reload keeps the crew signed in; after sign-out it does not) is in
test_journey_crew.py."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from apps import APP, PASSWORD, add_account, app_as, build_workspace, texts
from streamlit.testing.v1 import AppTest

from risk import auth
from risk.auth.sessions import KEEP_ENDED_DAYS
from risk.outcomes import drafts
from risk.store import OutcomeStore
from risk.store.models import sessions_table

NOW = dt.datetime(2026, 12, 4, 7, 30)


@pytest.fixture
def store(tmp_path, monkeypatch):
    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    return workspace / "outcomes.sqlite"


def test_a_session_resumes_the_account_until_it_expires(store):
    token = auth.start_session(store, "NADIA", now=NOW)
    user = auth.resume_session(store, token, now=NOW + dt.timedelta(hours=3))
    assert (user.username, user.role, user.crew) == ("nadia", "crew", "Nord")
    last = NOW + dt.timedelta(hours=auth.SESSION_HOURS) - dt.timedelta(seconds=1)
    assert auth.resume_session(store, token, now=last) is not None
    assert auth.resume_session(store, token, now=last + dt.timedelta(seconds=1)) is None


def test_the_store_keeps_a_digest_never_the_token(store):
    token = auth.start_session(store, "nadia", now=NOW)
    with OutcomeStore(store) as opened, opened.engine.connect() as connection:
        rows = connection.execute(sa.select(sessions_table)).mappings().all()
    assert len(rows) == 1 and rows[0]["username"] == "nadia"
    assert token not in str(dict(rows[0])) and len(rows[0]["token_hash"]) == 64
    assert auth.resume_session(store, rows[0]["token_hash"], now=NOW) is None


@pytest.mark.parametrize("token", [None, "", "not-a-token", "x" * 5000, "é'; DROP TABLE users"])
def test_an_unknown_or_malformed_token_signs_nobody_in(store, token):
    auth.start_session(store, "nadia", now=NOW)
    assert auth.resume_session(store, token, now=NOW) is None


def test_sign_out_ends_only_that_session(store):
    phone = auth.start_session(store, "nadia", now=NOW)
    laptop = auth.start_session(store, "nadia", now=NOW)
    auth.end_session(store, phone, now=NOW)
    assert auth.resume_session(store, phone, now=NOW) is None
    assert auth.resume_session(store, laptop, now=NOW).username == "nadia"


def test_a_new_password_or_a_disabled_account_ends_its_sessions(store):
    nadia = auth.start_session(store, "nadia", now=NOW)
    sam = auth.start_session(store, "sam", now=NOW)
    auth.reset_password(store, "nadia", "another long secret", by=auth.User("ada", "admin"))
    assert auth.resume_session(store, nadia, now=NOW) is None
    auth.deactivate(store, "sam", by=auth.User("ada", "admin"))
    assert auth.resume_session(store, sam, now=NOW) is None
    auth.reactivate(store, "sam", by=auth.User("ada", "admin"))
    assert auth.resume_session(store, sam, now=NOW).username == "sam"
    with pytest.raises(ValueError, match="no active account"):
        auth.start_session(store, "nobody", now=NOW)


def test_old_sessions_are_removed_when_a_new_one_starts(store):
    old = auth.start_session(store, "nadia", now=NOW - dt.timedelta(days=KEEP_ENDED_DAYS + 1))
    recent = auth.start_session(store, "sam", now=NOW - dt.timedelta(days=2))
    auth.start_session(store, "erin", now=NOW)
    with OutcomeStore(store) as opened, opened.engine.connect() as connection:
        users = connection.execute(sa.select(sessions_table.c.username)).scalars().all()
    assert sorted(users) == ["erin", "sam"]
    assert old != recent


# -- the dashboard ---------------------------------------------------------------------------


def test_a_password_sign_in_opens_a_session_and_sign_out_ends_it(store):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.text_input(key="signin_username").input("nadia")
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click()
    at.run()
    token = at.session_state["session_token"]
    assert auth.resume_session(store, token).username == "nadia"
    at.button(key="logout").click()
    at.run()
    assert "user" not in at.session_state and "session_token" not in at.session_state
    assert auth.resume_session(store, token) is None
    assert "Sign in" in [s.value for s in at.subheader]


def test_a_page_whose_session_ended_elsewhere_signs_out_at_the_next_click(store):
    """Signed out in another tab (or the password changed): this tab's next click opens the
    sign-in form and says why, rather than carrying on as the account."""
    token = auth.start_session(store, "nadia")
    at = app_as(store.parent, "nadia", session_token=token)
    assert at.session_state["user"].username == "nadia"
    auth.end_session(store, token)
    at.run()
    assert "user" not in at.session_state
    assert "Your sign-in has ended" in texts(at) and "12 hours" in texts(at)


def test_an_administrator_who_sets_their_own_password_stays_signed_in_here_only(store):
    """A new password ends every session opened with the old one (a lost phone), but not
    the tab where it was just set."""
    elsewhere = auth.start_session(store, "ada")
    here = auth.start_session(store, "ada")
    at = app_as(store.parent, "ada", "admin", session_token=here)
    at.selectbox(key="edit_user").set_value("ada")
    at.run()
    at.text_input(key="edit_password").input("ada's new long password")
    at.get("form_submit_button")[1].click()  # set the new password
    at.run()
    assert not at.exception
    assert "password" in at.success[0].value
    at.run()  # the next click
    assert at.session_state["user"].username == "ada"
    assert auth.resume_session(store, at.session_state["session_token"]).username == "ada"
    assert auth.resume_session(store, elsewhere) is None
    assert auth.resume_session(store, here) is None  # replaced by this tab's new session


def _sign_in_form(at: AppTest, username: str) -> None:
    """Sign in with the page's form, as a person would."""
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(PASSWORD)
    at.get("form_submit_button")[0].click()
    at.run()


def test_a_record_typed_when_the_sign_in_ended_comes_back_after_signing_in_again(store):
    """A crew's Save tapped after the session ended (12 hours, a password reset) recorded
    nothing and the sign-in page dropped what was typed. It waits in the tab for the same
    person; signing in again puts it back in the form; Save records it once."""
    token = auth.start_session(store, "nadia")
    at = app_as(store.parent, "nadia", "crew", session_token=token)
    pipe = at.selectbox(key="f_assignment").value
    at.radio(key="f_result").set_value("leak_found")
    at.radio(key="f_leak_kind").set_value("joint")
    at.text_input(key="f_flow").input("2,5")
    at.text_area(key="f_notes").input("under the bus stop")
    auth.end_session(store, token)  # e.g. the password was reset during the round
    at.button(key="f_save").click()
    at.run()
    assert "user" not in at.session_state
    with OutcomeStore(store) as opened:
        assert not len(opened.outcomes())  # nothing recorded by an ended sign-in
    assert "not saved" in texts(at) and "It is kept for nadia" in texts(at)

    _sign_in_form(at, "nadia")
    assert not at.exception
    assert "What you typed is back in the form" in texts(at)
    assert at.selectbox(key="f_assignment").value == pipe
    assert at.radio(key="f_result").value == "leak_found"
    assert at.radio(key="f_leak_kind").value == "joint"
    assert at.text_input(key="f_flow").value == "2,5"
    assert at.text_area(key="f_notes").value == "under the bus stop"
    at.button(key="f_save").click()
    at.run()
    with OutcomeStore(store) as opened:
        saved = opened.outcomes()
    assert len(saved) == 1 and saved["flow_m3_per_h"].tolist() == [2.5]
    assert saved["notes"].tolist() == ["under the bus stop"]
    assert drafts.take_draft(store, "nadia") is None


def test_a_kept_record_is_shown_to_its_author_only(store):
    """On a shared phone the next person signs in: they do not see (or save) the form the
    last one typed; it still waits for its author."""
    token = auth.start_session(store, "nadia")
    at = app_as(store.parent, "nadia", "crew", session_token=token)
    at.radio(key="f_result").set_value("nothing_found")
    auth.end_session(store, token)
    at.button(key="f_save").click()
    at.run()
    add_account(store.parent, "otto", "crew", "Nord")
    _sign_in_form(at, "otto")
    assert not at.exception
    assert at.session_state["user"].username == "otto"
    assert at.radio(key="f_result").value is None
    assert "back in the form" not in texts(at)
    assert drafts.take_draft(store, "nadia").form["f_result"] == "nothing_found"


def test_a_kept_record_survives_a_reload_and_comes_back_on_another_phone(store):
    """The store keeps the typed form, not the tab: after a reload (a new browser session)
    or on another phone, the same person's next sign-in puts it back in the form."""
    token = auth.start_session(store, "nadia")
    at = app_as(store.parent, "nadia", "crew", session_token=token)
    pipe = at.selectbox(key="f_assignment").value
    at.radio(key="f_result").set_value("leak_found")
    at.radio(key="f_leak_kind").set_value("valve")
    at.text_input(key="f_flow").input("0,4")
    auth.end_session(store, token)
    at.button(key="f_save").click()
    at.run()
    assert "user" not in at.session_state

    def signed_in_elsewhere() -> AppTest:  # a new session: nothing of the last
        other = AppTest.from_file(APP, default_timeout=60)
        other.run()
        _sign_in_form(other, "nadia")
        assert not other.exception
        assert "What you typed is back in the form" in texts(other)
        assert other.selectbox(key="f_assignment").value == pipe
        assert other.radio(key="f_leak_kind").value == "valve"
        assert other.text_input(key="f_flow").value == "0,4"
        return other

    other = signed_in_elsewhere()
    other.run()  # the next click: the draft is not put back over what the crew changes
    assert "back in the form" not in texts(other)
    # a reload before Save (a phone switching apps) brings it back again: kept until saved
    other = signed_in_elsewhere()
    other.button(key="f_save").click()
    other.run()
    assert not other.exception and "Saved for pipe" in texts(other)
    assert drafts.read_draft(store, "nadia") is None  # saved: done with
    with OutcomeStore(store) as opened:
        assert opened.outcomes()["flow_m3_per_h"].tolist() == [0.4]
