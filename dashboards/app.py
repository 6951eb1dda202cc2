"""The leak-risk dashboards: one entry point, pages by role.

Start with ``streamlit run dashboards/app.py -- --workspace data/workspace/<name>``
(or set ``RISK_WORKSPACE``). See ``docs/dashboard.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import common  # noqa: E402

from risk import auth  # noqa: E402
from risk.auth import PAGES_BY_ROLE  # noqa: E402

#: Page name -> (file, title key). Pages have no Material icons: Streamlit fetches the
#: favicon of a Material icon from fonts.gstatic.com, and the app must stay offline.
PAGES = {
    "risk_map": ("views/risk_map.py", "page.risk_map"),
    "model": ("views/model.py", "page.model"),
    "dispatch": ("views/dispatch.py", "page.dispatch"),
    "crew": ("views/crew.py", "page.crew"),
    "impact": ("views/impact.py", "page.impact"),
    "renewal": ("views/renewal.py", "page.renewal"),
    "admin": ("views/admin.py", "page.admin"),
}


def _welcome(page: str | None = None):
    """The sign-in page, at the app's address or at a page's (``page``): a reload or a
    bookmark of a page opens the sign-in form there, then that page when the role has it,
    else the role's first page."""

    def welcome() -> None:
        st.title(common.tr("app.title"))
        notice = st.session_state.get(common.NOTICE_KEY)
        if notice == "app.session_ended":  # not a fault: said, not alarmed
            st.info(common.tr(notice, hours=auth.SESSION_HOURS))
        elif notice:
            st.error(common.tr(notice, hours=auth.SESSION_HOURS))
        if kept_for := common.draft_kept_for():
            st.warning(common.tr("app.draft_kept", user=kept_for))
        if notice or kept_for:  # the page kept the scroll of the form: back to the top
            st.sidebar.html(  # in the sidebar: a script in the page would push the form down
                "<script>document.querySelector('[data-testid=stMain]')?.scrollTo(0, 0);"
                "window.scrollTo(0, 0);</script>",
                unsafe_allow_javascript=True,
            )
        st.write(common.tr("app.welcome"))
        user = common.sign_in_form(common.workspace_dir())
        if user is None:
            return
        if page is not None and not user.may_open(page):
            st.session_state[REDIRECTED_KEY] = page  # said on the page opened instead
            st.switch_page(_SIGN_IN_PAGES[PAGES_BY_ROLE[user.role][0]])
        st.rerun()

    return welcome


#: Session key: the page asked for (by its address) that the role does not open.
REDIRECTED_KEY = "redirected_from"


def _not_for_role(name: str, user, first: st.Page):
    """A page the role does not open, at its address (a bookmark, a link sent by a
    colleague): says so in words and links to the role's first page."""

    def page() -> None:
        title = common.tr(PAGES[name][1])
        st.title(title)
        st.warning(common.tr("app.not_for_role", page=title, role=common.tr(f"role.{user.role}")))
        st.page_link(first, label=common.tr("app.go_first", page=first.title))

    return page


def _redirect_notice(user) -> None:
    """After a sign-in at the address of a page the role does not open: say why another
    page opened."""
    asked = st.session_state.pop(REDIRECTED_KEY, None)
    if asked in PAGES:
        st.info(
            common.tr(
                "app.redirected",
                page=common.tr(PAGES[asked][1]),
                role=common.tr(f"role.{user.role}"),
            )
        )


#: The sign-in page at each page's address (this run's, for ``st.switch_page``).
_SIGN_IN_PAGES: dict[str, st.Page] = {}


def run() -> None:
    workspace = common.workspace_dir()
    # Signed in first (a reload resumes the sign-in from the browser's cookie), so that a
    # crew's page opens narrow at once, not wide then narrow at the first click.
    user = common.sign_in(workspace)
    narrow = user is not None and user.role == "crew"
    st.set_page_config(
        page_title=common.tr("app.title"),
        layout="centered" if narrow else "wide",
    )
    common.sidebar(workspace, user)
    common.session_cookie(workspace)
    if user is None:
        title = common.tr("app.title")
        _SIGN_IN_PAGES.clear()
        _SIGN_IN_PAGES.update(
            {name: st.Page(_welcome(name), title=title, url_path=name) for name in PAGES}
        )
        pages = [st.Page(_welcome(), title=title, default=True), *_SIGN_IN_PAGES.values()]
        shown = st.navigation(pages, position="hidden")
        if st.session_state.pop(common.SIGNED_OUT_KEY, False) and shown is not pages[0]:
            st.switch_page(pages[0])  # signed out: the next person starts at the app's address
        shown.run()
        return
    # In the role's order: its first page opens after sign-in.
    pages = [
        st.Page(str(HERE / PAGES[name][0]), title=common.tr(PAGES[name][1]), url_path=name)
        for name in PAGES_BY_ROLE[user.role]
    ]
    # The other pages answer at their address too (hidden from the menu), saying why not.
    pages += [
        st.Page(
            _not_for_role(name, user, pages[0]),
            title=common.tr(PAGES[name][1]),
            url_path=name,
            visibility="hidden",
        )
        for name in PAGES
        if name not in PAGES_BY_ROLE[user.role]
    ]
    _redirect_notice(user)
    st.navigation(pages).run()


def main() -> None:
    """:func:`run`, with a damaged outcome store said in words (with the backup to restore)
    instead of a database traceback on every page, and a file the page needs that cannot be
    read (an :class:`InputError` of the package: which file, which command writes it anew)."""
    import sqlalchemy as sa

    from risk.errors import InputError

    try:
        run()
    except InputError as exc:
        st.error(common.tr("app.input_error", detail=common.said(exc)))
    except sa.exc.DatabaseError as exc:
        from risk.backup import store_damage

        try:
            damage = store_damage(common.workspace_dir())
        except Exception:  # the check failed too: the database error is what to report
            damage = None
        if damage is None:
            raise
        st.error(common.tr("app.store_damaged", detail=damage))
        st.caption(" ".join(str(exc.orig or exc).split())[:300])


if __name__ == "__main__":
    main()
