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
    "admin": ("pages/admin.py", "page.admin"),
}


def _welcome() -> None:
    st.title(common.tr("app.title"))
    st.write(common.tr("app.welcome"))
    common.sign_in_form(common.workspace_dir())


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
        pages = [st.Page(_welcome, title=common.tr("app.title"), default=True)]
    else:
        # In the role's order: its first page opens after sign-in.
        pages = [
            st.Page(str(HERE / PAGES[name][0]), title=common.tr(PAGES[name][1]), url_path=name)
            for name in PAGES_BY_ROLE[user.role]
        ]
    st.navigation(pages).run()


if __name__ == "__main__":
    run()
