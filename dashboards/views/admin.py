"""Accounts (administrators): the users, adding one, changing one (role, password, access),
and the audit log. Every change goes through :mod:`risk.auth` (audited there with the
administrator's name; the last active administrator is kept)."""

import functools
import os
from pathlib import Path

import common
import streamlit as st

from risk import auth, backup
from risk.dispatch.rounds import crew_for_account
from risk.errors import InputError
from risk.i18n import language_name, languages, t

workspace, user = common.require("admin")
lang = common.lang()
tr = common.tr
store = common.get_store(workspace)
DONE_KEY = "admin_done"


def _role(role: str, lang: str = lang) -> str:
    """A role in the reader's words (``lang`` bound: AppTest formats options later, outside
    the run that chose the language)."""
    return t(f"role.{role}", lang)


def _change(action, message: str) -> None:
    """Run one account change; on success remember ``message`` for the next run."""
    try:
        action()
    except auth.AccountChangeError as exc:
        st.error(tr(f"admin.error.{exc.code}", **exc.params))
    else:
        st.session_state[DONE_KEY] = message
        st.rerun()


st.title(tr("admin.title"))
if damage := common.store_damage(workspace):  # a damaged store still took writes, silently
    st.error(damage)
if done := st.session_state.pop(DONE_KEY, None):
    st.success(done)
st.dataframe(auth.accounts_table(store, lang), hide_index=True, key="users")

# -- change an account: role, password, access ----------------------------------------------
st.subheader(tr("admin.change"))
accounts = auth.list_users(store)
names = accounts["username"].tolist()
roles = dict(zip(accounts["username"], accounts["role"], strict=True))
active = dict(zip(accounts["username"], accounts["active"], strict=True))
crews = {n: c if isinstance(c, str) else "" for n, c in zip(names, accounts["crew"], strict=True)}
name = st.selectbox(
    tr("admin.account"),
    names,
    format_func=lambda n: f"{n} ({_role(roles[n])})",
    key="edit_user",
    placeholder=tr("common.choose"),
)
if name:
    r, p, a = st.columns(3)
    with r.form("change_role"):
        st.markdown(f"**{tr('admin.change_role')}**")
        new_role = st.selectbox(
            tr("admin.new_role"),
            auth.ROLES,
            index=auth.ROLES.index(roles[name]),
            format_func=_role,
            key=f"edit_role_{name}",
            placeholder=tr("common.choose"),
        )
        new_crew = st.text_input(
            tr("admin.crew_if_crew"), value=crews[name], key=f"edit_crew_{name}"
        )
        if st.form_submit_button(tr("admin.change_role")):
            new_crew, crew_note = crew_for_account(workspace, new_crew or None, lang)
            _change(
                lambda: auth.set_role(store, name, new_role, new_crew or None, by=user),
                tr("admin.role_changed", user=name, role=_role(new_role))
                + (f" {crew_note}" if crew_note else ""),
            )
    with p.form("reset_password", clear_on_submit=True):
        st.markdown(f"**{tr('admin.password_title')}**")
        password = st.text_input(
            tr("admin.new_password", n=auth.MIN_PASSWORD_LENGTH),
            type="password",
            key="edit_password",
        )
        if st.form_submit_button(tr("admin.reset_password")):

            def reset() -> None:
                auth.reset_password(store, name, password, by=user)
                if name.lower() == user.username.lower():
                    common.keep_signed_in(workspace, user)  # a new password ends the others

            _change(reset, tr("admin.password_reset", user=name))
    with a.container(border=True):
        st.markdown(f"**{tr('admin.access')}**")
        if active[name]:
            st.write(tr("admin.is_active", user=name))
            if st.button(tr("admin.deactivate", user=name), key="deactivate"):
                _change(
                    lambda: auth.deactivate(store, name, by=user),
                    tr("admin.deactivated", user=name),
                )
        else:
            st.write(tr("admin.is_inactive", user=name))
            if st.button(tr("admin.reactivate", user=name), key="reactivate"):
                _change(
                    lambda: auth.reactivate(store, name, by=user),
                    tr("admin.reactivated", user=name),
                )

# -- add an account -------------------------------------------------------------------------
NEW_FIELDS = ("new_username", "new_password", "new_crew", "new_email", "new_role", "new_language")
if st.session_state.pop("admin_new_done", False):  # emptied once created, kept when refused
    for key in NEW_FIELDS:
        st.session_state.pop(key, None)
with st.form("add_user", clear_on_submit=False):
    st.subheader(tr("admin.add"))
    c1, c2 = st.columns(2)
    username = c1.text_input(tr("signin.username"), key="new_username")
    role = c2.selectbox(
        tr("admin.role"),
        auth.ROLES,
        format_func=_role,
        placeholder=tr("common.choose"),
        key="new_role",
    )
    password = c1.text_input(tr("signin.password"), type="password", key="new_password")
    crew = c2.text_input(tr("admin.crew"), key="new_crew")
    email = c1.text_input(tr("admin.email"), key="new_email")
    language = c2.selectbox(
        tr("admin.language"),
        languages(),
        index=languages().index(lang) if lang in languages() else 0,  # the page's language
        format_func=language_name,
        key="new_language",
        placeholder=tr("common.choose"),
    )
    added = st.form_submit_button(tr("admin.create"))
if added:
    crew, crew_note = crew_for_account(workspace, crew or None, lang)  # as the project writes it
    try:
        auth.require_role(user, ("admin",), "create accounts")
        auth.create_user(
            store, username, password or None, role, crew or None,
            email=email or None, language=language, created_by=user.username,
        )  # fmt: skip
    except auth.NewAccountError as exc:
        st.error(
            "\n".join(
                [tr("admin.new.refused")]
                + [f"- {tr(f'admin.new.{code}', rule=tr('admin.new.rule'), **params)}"
                   for code, params in exc.problems]
            )
        )  # fmt: skip
    except (InputError, PermissionError) as exc:
        st.error(common.said(exc))
    else:
        done = tr("admin.created", user=username)
        st.session_state[DONE_KEY] = done + (f" {crew_note}" if crew_note else "")
        st.session_state["admin_new_done"] = True
        st.rerun()

with st.expander(tr("admin.audit"), key="audit_log"):  # stays open when a filter changes
    f1, f2 = st.columns(2)
    who = f1.selectbox(
        tr("admin.audit_who"),
        ["", *names],
        format_func=lambda n, lang=lang: n if n else t("admin.audit_everyone", lang),
        key="audit_who",
    )
    kind = f2.selectbox(
        tr("admin.audit_kind"),
        ["", *auth.AUDIT_KINDS],
        format_func=lambda k, lang=lang: t(f"admin.audit_kind.{k or 'all'}", lang),
        key="audit_kind",
    )
    # "" (everyone, every change) rather than None: a None choice reads as none made
    st.dataframe(
        auth.audit_for_people(store, lang, who=who or None, kind=kind or None), hide_index=True
    )

# -- backups: the records and files in one checked file (risk backup, the same function) ------
with st.expander(tr("admin.backup"), key="backups"):
    st.caption(tr("admin.backup_help"))
    if st.button(tr("admin.backup_now"), key="backup_now"):
        try:
            made = backup.create_backup(workspace, by=user.username)
        except (InputError, OSError) as exc:
            st.error(tr("admin.backup_failed", error=common.said(exc)))
        else:
            st.session_state["backup_made"] = str(made.path)
            st.success(
                tr("admin.backup_done", file=str(made.path), what=backup.backup_words(made, lang))
            )
    last = backup.latest_backup(workspace)
    if last is None:
        st.caption(tr("admin.backup_none", folder=str(backup.default_folder(workspace))))
    else:
        try:
            when = backup.made_words(backup.describe_backup(last), lang)
        except InputError as exc:  # a damaged file in the folder: said, not a crash
            st.warning(common.said(exc))
        else:
            st.caption(tr("admin.backup_last", file=str(last), when=when))
    made = st.session_state.get("backup_made")
    if made and os.path.isfile(made):
        st.download_button(
            tr("admin.backup_download"),
            data=functools.partial(Path(made).read_bytes),  # read on the click, not each run
            file_name=os.path.basename(made),
            mime="application/zip",
            key="backup_download",
            on_click="ignore",
        )
