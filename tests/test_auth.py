"""Accounts, password hashes and role checks enforced in the package."""

import json

import pandas as pd
import pytest

from risk import auth, clock
from risk.outcomes import writes
from risk.store import OutcomeStore

TODAY = clock.today()
PASSWORD = "correct horse battery"


@pytest.fixture
def store(tmp_path):
    with OutcomeStore(tmp_path / "outcomes.sqlite") as store:
        yield store


def make_workspace(folder, pipe_ids=("P1", "P2")):
    """The least a workspace needs for writes: meta.json and the pipes' ids (its store is
    ``folder / "outcomes.sqlite"``, the ``store`` fixture's)."""
    (folder / "meta.json").write_text(json.dumps({"source": "test"}))
    pd.DataFrame({"pipe_id": list(pipe_ids)}).to_parquet(folder / "pipes.parquet")
    return folder


@pytest.fixture
def plan_store(store):
    plan = pd.DataFrame(
        {"pipe_id": ["P1", "P2"], "crew": ["Nord", "Sud"], "date": pd.Timestamp(TODAY),
         "visit_order": [1, 1]}
    )  # fmt: skip
    store.add_assignments(plan, user="erin", round_id="r1")
    return store


def test_hashes_are_salted_scrypt_and_checked():
    first, second = auth.hash_password("secret-pass"), auth.hash_password("secret-pass")
    assert first.startswith("scrypt$32768$8$1$") and first != second  # per-user salt
    assert auth.check_password("secret-pass", first)
    assert not auth.check_password("secret-pasS", first)
    assert not auth.check_password("secret-pass", "md5$abc")
    assert not auth.check_password("secret-pass", None)


def test_create_verify_and_list_users(store):
    auth.create_user(store, "Anne", PASSWORD, "crew", crew="Nord", language="fr")
    user = auth.verify(store, "anne", PASSWORD)  # user names are case-insensitive
    assert user == auth.User("Anne", "crew", "Nord", None, "fr", True)
    assert auth.verify(store, "anne", "wrong password") is None
    assert auth.verify(store, "nobody", PASSWORD) is None
    users = auth.list_users(store)
    assert users["username"].tolist() == ["Anne"] and "password_hash" not in users


def test_the_stored_hash_is_not_the_password_and_the_audit_has_no_hash(store):
    auth.create_user(store, "anne", PASSWORD, "engineer")
    with store.engine.connect() as connection:
        stored = connection.execute(auth.users_table.select()).mappings().one()
    assert PASSWORD not in stored["password_hash"]
    audit = store.audit()
    assert audit["action"].tolist() == ["create_user"]
    assert "password_hash" not in audit["after"].iloc[0]


def test_create_user_lists_every_problem(store):
    auth.create_user(store, "anne", PASSWORD, "engineer")
    with pytest.raises(ValueError) as error:
        auth.create_user(store, "anne", "short", "crew", language="de")
    message = str(error.value)
    for part in (
        "needs a crew name",
        "at least 8 characters",
        "'anne' is taken",
        "'en', 'fr'"[1:3],
    ):
        assert part in message
    with pytest.raises(ValueError, match="role must be one of engineer, crew, manager, admin"):
        auth.create_user(store, "bob", PASSWORD, "boss")


def test_oidc_accounts_are_found_by_email_and_have_no_password(store):
    auth.create_user(store, "claire", None, "manager", email="Claire@Utility.example")
    assert auth.user_for_email(store, "claire@utility.example").role == "manager"
    assert auth.user_for_email(store, "other@utility.example") is None
    assert auth.verify(store, "claire", "") is None


def test_disabled_accounts_cannot_sign_in(store):
    auth.create_user(store, "anne", PASSWORD, "engineer")
    auth.set_active(store, "anne", False, by="admin")
    assert auth.verify(store, "anne", PASSWORD) is None
    assert store.audit()["action"].tolist() == ["create_user", "set_active"]


def test_language_and_password_changes_are_remembered(store):
    auth.create_user(store, "anne", PASSWORD, "engineer")
    auth.set_language(store, "anne", "fr", by="anne")
    auth.set_password(store, "anne", "a new long password", by="anne")
    assert auth.verify(store, "anne", "a new long password").language == "fr"
    with pytest.raises(LookupError, match="No user 'zoe'"):
        auth.set_language(store, "zoe", "fr", by="admin")


def test_a_crew_records_only_its_own_assignments(plan_store, tmp_path):
    workspace = make_workspace(tmp_path)
    auth.create_user(plan_store, "anne", PASSWORD, "crew", crew="Nord")
    nord = auth.User("anne", "crew", "Nord")
    ids = plan_store.assignments().set_index("pipe_id")["assignment_id"]
    outcome = {"pipe_id": "P1", "assignment_id": int(ids["P1"]), "result": "nothing_found",
               "inspected_on": TODAY}  # fmt: skip
    record = writes.record_outcome
    result = record(workspace, nord, outcome, idempotency_key="k1", store=plan_store)
    assert result.created
    again = record(workspace, nord, outcome, idempotency_key="k1", store=plan_store)
    assert (again.outcome_id, again.created) == (result.outcome_id, False)

    other = {**outcome, "pipe_id": "P2", "assignment_id": int(ids["P2"])}
    with pytest.raises(PermissionError, match="belongs to crew 'Sud'"):
        record(workspace, nord, other, idempotency_key="k2", store=plan_store)
    assert len(plan_store.outcomes()) == 1
    assert plan_store.outcomes()["recorded_by"].tolist() == ["anne"]


def test_managers_cannot_record_or_assign_and_crews_see_only_their_list(plan_store, tmp_path):
    workspace = make_workspace(tmp_path)
    auth.create_user(plan_store, "marc", PASSWORD, "manager")
    manager = auth.User("marc", "manager")
    with pytest.raises(PermissionError, match="may not record outcomes"):
        writes.record_outcome(
            workspace, manager, {"pipe_id": "P1", "result": "no_access", "inspected_on": TODAY},
            idempotency_key="k", store=plan_store,
        )  # fmt: skip
    with pytest.raises(PermissionError, match="needs the role engineer or admin"):
        writes.assign(workspace, manager, pd.DataFrame(), round_id="r2", store=plan_store)
    with pytest.raises(PermissionError, match="Sign in"):
        auth.visible_assignments(plan_store, None)
    crew = auth.visible_assignments(plan_store, auth.User("anne", "crew", "Nord"), crew="Sud")
    assert crew["crew"].unique().tolist() == ["Nord"]


def test_store_location_reads_settings(tmp_path):
    assert auth.store_location(tmp_path) == str(tmp_path / "outcomes.sqlite")
    (tmp_path / "settings.toml").write_text('store_url = "postgresql://risk@db/risk"\n')
    assert auth.store_location(tmp_path) == "postgresql://risk@db/risk"
    (tmp_path / "settings.toml").write_text("store_url = \n")
    with pytest.raises(ValueError, match="settings.toml: not valid TOML"):
        auth.store_location(tmp_path)


def test_role_pages():
    assert auth.User("a", "crew", "N").may_open("crew")
    assert not auth.User("a", "crew", "N").may_open("dispatch")
    assert auth.User("a", "admin").may_open("admin")
