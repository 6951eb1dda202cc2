"""Accounts (administrators): the users list, adding a user, and the audit log."""

import common
import streamlit as st

from risk import auth

workspace, user = common.require("admin")
tr = common.tr
store = common.get_store(workspace)

st.title(tr("admin.title"))
st.dataframe(auth.list_users(store), hide_index=True, key="users")

with st.form("add_user", clear_on_submit=True):
    st.subheader(tr("admin.add"))
    c1, c2 = st.columns(2)
    username = c1.text_input(tr("signin.username"), key="new_username")
    role = c2.selectbox(tr("admin.role"), auth.ROLES, format_func=lambda r: tr(f"role.{r}"))
    password = c1.text_input(tr("signin.password"), type="password", key="new_password")
    crew = c2.text_input(tr("admin.crew"), key="new_crew")
    email = c1.text_input(tr("admin.email"), key="new_email")
    language = c2.selectbox(tr("app.language"), auth.LANGUAGES, key="new_language")
    added = st.form_submit_button(tr("admin.create"))
if added:
    try:
        auth.require_role(user, ("admin",), "create accounts")
        auth.create_user(
            store, username, password or None, role, crew or None,
            email=email or None, language=language, created_by=user.username,
        )  # fmt: skip
    except (ValueError, PermissionError) as exc:
        st.error(str(exc))
    else:
        st.success(tr("admin.created", user=username))
        st.rerun()

with st.expander(tr("admin.audit")):
    st.dataframe(store.audit().tail(200).iloc[::-1], hide_index=True)
