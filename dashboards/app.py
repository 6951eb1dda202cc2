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

from risk.auth import PAGES_BY_ROLE  # noqa: E402

#: Page name -> (file, title key). Pages have no Material icons: Streamlit fetches the
#: favicon of a Material icon from fonts.gstatic.com, and the app must stay offline.
PAGES = {
    "risk_map": ("pages/risk_map.py", "page.risk_map"),
    "model": ("pages/model.py", "page.model"),
    "dispatch": ("pages/dispatch.py", "page.dispatch"),
    "crew": ("pages/crew.py", "page.crew"),
    "impact": ("pages/impact.py", "page.impact"),
    "renewal": ("pages/renewal.py", "page.renewal"),
    "admin": ("pages/admin.py", "page.admin"),
}


def _welcome(page: str | None = None):
    """The sign-in page, at the app's address or at a page's (``page``): a reload or a
    bookmark of a page opens the sign-in form there, then that page when the role has it,
    else the role's first page."""

    def welcome() -> None:
        st.title(common.tr("app.title"))
        notice = st.session_state.get(common.NOTICE_KEY)
        if notice:
            st.error(common.tr(notice))
        st.write(common.tr("app.welcome"))
        user = common.sign_in_form(common.workspace_dir())
        if user is None:
            return
        if page is not None and not user.may_open(page):
            st.switch_page(_SIGN_IN_PAGES[PAGES_BY_ROLE[user.role][0]])
        st.rerun()

    return welcome


#: The sign-in page at each page's address (this run's, for ``st.switch_page``).
_SIGN_IN_PAGES: dict[str, st.Page] = {}


def run() -> None:
    workspace = common.workspace_dir()
    user = common.current_user()
    narrow = user is not None and user.role == "crew"
    st.set_page_config(
        page_title=common.tr("app.title"),
        layout="centered" if narrow else "wide",
    )
    user = common.sign_in(workspace)
    common.sidebar(workspace, user)
    if user is None:
        title = common.tr("app.title")
        _SIGN_IN_PAGES.clear()
        _SIGN_IN_PAGES.update(
            {name: st.Page(_welcome(name), title=title, url_path=name) for name in PAGES}
        )
        pages = [st.Page(_welcome(), title=title, default=True), *_SIGN_IN_PAGES.values()]
        st.navigation(pages, position="hidden").run()
        return
    # In the role's order: its first page opens after sign-in.
    pages = [
        st.Page(str(HERE / PAGES[name][0]), title=common.tr(PAGES[name][1]), url_path=name)
        for name in PAGES_BY_ROLE[user.role]
    ]
    st.navigation(pages).run()


if __name__ == "__main__":
    run()
