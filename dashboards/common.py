"""What every page shares: the project folder, cached loaders, sign-in and the sidebar.

Written once here, used by ``app.py`` and the pages. Loaders are cached: small tables with
``st.cache_data`` (copied per use), the network and the map geometry with
``st.cache_resource`` (one read-only object shared by every session: copying 100,000 pipes on
every rerun would cost more than drawing them). Every cache key includes the file's
modification time, so re-running ``risk ingest``/``risk score`` shows the new results.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import urllib.parse
from pathlib import Path

import pandas as pd
import streamlit as st

from risk import auth, clock, maplayers
from risk.dispatch import crewday
from risk.errors import InputError, in_words
from risk.i18n import DEFAULT_LANGUAGE, language_name, languages, t
from risk.outcomes import drafts
from risk.settings import SettingsError, read_settings
from risk.store import OutcomeStore
from risk.workspace import Workspace, load_workspace

#: Session-state keys.
USER_KEY = "user"
LANG_KEY = "lang"
#: The sidebar's language selector (kept equal to ``LANG_KEY`` before it is drawn).
LANGUAGE_WIDGET = "language_choice"
#: The file picker's words said in the page's language (Streamlit's own are English only).
UPLOAD_WORDS = ("app.upload_button", "app.upload_hint")
#: A message for the sign-in page (an i18n key), e.g. after an account was deactivated.
NOTICE_KEY = "signin_notice"
#: Session key: the token of this browser's sign-in (see :mod:`risk.auth.sessions`).
SESSION_TOKEN_KEY = "session_token"
#: Session key: the browser's sign-in cookie is to be removed (after a sign-out).
FORGET_COOKIE_KEY = "forget_session_cookie"
#: Session key: this tab kept what a crew typed when the sign-in ended (see
#: :func:`keep_draft`).
DRAFT_KEY = "unsaved_draft"
#: Session key: a draft may wait in the store for the person just signed in.
DRAFT_CHECK_KEY = "look_for_draft"
#: Session key: a kept draft was put back in this tab's form (removed at the next save).
DRAFT_SHOWN_KEY = "draft_in_form"
#: Session key: the person just signed out with the sidebar's button (see :func:`sign_out_here`).
SIGNED_OUT_KEY = "signed_out"


# -- the project folder ---------------------------------------------------------------------


def workspace_dir() -> Path:
    """The project folder: ``--workspace DIR`` after ``--`` on the command line, else the
    environment variable ``RISK_WORKSPACE``."""
    args = sys.argv[1:]
    for i, arg in enumerate(args):
        if arg == "--workspace" and i + 1 < len(args):
            return Path(args[i + 1])
        if arg.startswith("--workspace="):
            return Path(arg.split("=", 1)[1])
    if os.environ.get("RISK_WORKSPACE"):
        return Path(os.environ["RISK_WORKSPACE"])
    st.error(t("app.no_workspace", lang()))
    st.stop()


def modified_time(path: Path) -> float:
    """When ``path`` last changed (0 when it does not exist): the key of the caches below."""
    return path.stat().st_mtime if path.exists() else 0.0


# -- cached loaders -------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=4)
def _store_damage(path: str, stamp: tuple) -> str | None:
    from risk.backup import store_damage

    return store_damage(path)


def store_damage(workspace: Path) -> str | None:
    """:func:`risk.backup.store_damage`, checked again when the store file or its
    write-ahead log (``-wal``, where writes sit until a checkpoint) changes."""
    store = Workspace(workspace).outcomes
    stamp = tuple(
        (modified_time(f), f.stat().st_size if f.exists() else 0)
        for f in (store, store.with_name(store.name + "-wal"))
    )
    return _store_damage(str(workspace), stamp)


@st.cache_resource(show_spinner=False)
def _utility(path: str, mtime: float):
    return load_workspace(path)


def load_utility(workspace: Path):
    """The ingested network (read-only, shared)."""
    return _utility(str(workspace), modified_time(Workspace(workspace).meta))


@st.cache_data(show_spinner=False, max_entries=2)
def _known_lengths(path: str, mtime: float) -> pd.Series:
    from risk.workspace import known_lengths

    return known_lengths(path)


def load_known_lengths(workspace: Path) -> pd.Series:
    """The last known length of every pipe ever loaded (:func:`risk.workspace.known_lengths`),
    read once per load of the network."""
    return _known_lengths(str(workspace), modified_time(Workspace(workspace).meta))


@st.cache_data(show_spinner=False)
def _scores(path: str, mtime: float) -> pd.DataFrame | None:
    from risk.workspace import read_parquet_file

    return read_parquet_file(path, "risk score") if mtime else None


def load_scores(workspace: Path) -> pd.DataFrame | None:
    """``scores.parquet`` from ``risk score``, or None when the network is not scored yet
    (or its file cannot be read: said, with the command that writes it anew)."""
    file = Workspace(workspace).scores
    try:
        return _scores(str(file), modified_time(file))
    except InputError:
        st.warning(tr("common.damaged_report", file=str(file), command="risk score"))
        return None


def scores_date(workspace: Path) -> None:
    """The date the page's scores rest on, and a notice when they are old
    (:func:`risk.scoring.scores_age_words`: a page in December read scores of 1 January as
    today's, without a word)."""
    from risk.scoring import scores_age_words, scores_network_words

    basis = Workspace(workspace).read_scores_basis()
    user = current_user()
    words, notice = scores_age_words(
        basis["as_of"], basis["horizon_years"], clock.today(), workspace, lang(),
        command=user is not None and user.role in auth.PLANNING_ROLES,  # who runs the model
    )  # fmt: skip
    st.caption(words)
    if notice:
        st.info(notice)
    older = scores_network_words(
        workspace,
        clock.today(),
        lang(),
        command=user is not None and user.role in auth.PLANNING_ROLES,
    )
    if older:
        st.warning(older)


@st.cache_data(show_spinner=False)
def _json(path: str, mtime: float):
    return json.loads(Path(path).read_text(encoding="utf-8")) if mtime else None


def load_json(file: Path, command: str = "risk evaluate"):
    """A JSON file (backtest report, model card), or None when missing. One that cannot be
    read (damaged, edited by hand) is said with the command that writes it (``command``),
    and the page goes on without it."""
    try:
        return _json(str(file), modified_time(file))
    except (ValueError, UnicodeDecodeError):
        st.warning(tr("common.damaged_report", file=str(file), command=command))
        return None


@st.cache_resource(show_spinner=False)
def _paths(path: str, mtime: float):
    return maplayers.lonlat_paths(_utility(path, mtime).pipes)


def load_paths(workspace: Path) -> maplayers.LonLatPaths:
    """Pipe geometry in lon/lat for the map, computed once per network."""
    return _paths(str(workspace), modified_time(Workspace(workspace).meta))


@st.cache_resource(show_spinner=False, max_entries=4)
def _map_table(path: str, mtime: float, scores_mtime: float, year: int) -> pd.DataFrame:
    return maplayers.map_table(
        _utility(path, mtime).pipes,
        _scores(str(Workspace(path).scores), scores_mtime),
        year=year,
    )


def load_map_table(workspace: Path, year: int) -> pd.DataFrame:
    """:func:`risk.maplayers.map_table` of the project (read-only, shared): once per network,
    scores and year instead of once per rerun."""
    scores = Workspace(workspace).scores
    try:  # scores that cannot be read map as none (load_scores says so)
        scores_stamp = (
            modified_time(scores)
            if _scores(str(scores), modified_time(scores)) is not None
            else 0.0
        )
    except InputError:
        scores_stamp = 0.0
    return _map_table(str(workspace), modified_time(Workspace(workspace).meta), scores_stamp, year)


@st.cache_resource(show_spinner=False)
def _store(url: str) -> OutcomeStore:
    return OutcomeStore(url)


def get_store(workspace: Path) -> OutcomeStore:
    """The project's outcome store (opened, and migrated, once per process)."""
    settings(workspace)  # a broken settings.toml stops the page with its fix
    return _store(auth.store_location(workspace))


def backtest_file(workspace: Path, suffix: str) -> Path:
    """``backtest/report.<suffix>`` of the project (or ``backtest/backtest.<suffix>``, the
    names ``risk.backtest.write_backtest`` uses)."""
    folder = Workspace(workspace).backtest
    for name in (f"report.{suffix}", f"backtest.{suffix}"):
        if (folder / name).is_file():
            return folder / name
    return folder / f"report.{suffix}"


def backtest_report_html(workspace: Path, lang: str) -> str | None:
    """The backtest's HTML report in ``lang``, made from its ``backtest.json`` (the file
    ``risk backtest`` writes beside it is in English, shown when the JSON is of an older
    shape), or None when there is none."""
    file, written = backtest_file(workspace, "json"), backtest_file(workspace, "html")
    made = _report_html(str(file), file.stat().st_mtime_ns, lang) if file.is_file() else None
    if made is None and written.is_file():
        return written.read_text(encoding="utf-8")  # a report of an older shape, as written
    return made


@st.cache_data(max_entries=4, show_spinner=False)
def _report_html(path: str, modified_ns: int, lang: str) -> str | None:
    from risk.report_html import backtest_html

    try:
        return backtest_html(json.loads(Path(path).read_text(encoding="utf-8")), lang)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # a report being written, or of an older shape: the page shows the rest


def backtest_notice(workspace: Path) -> str | None:
    """A sentence when the backtest runs in the background or stopped, else None."""
    from risk.backtest import backtest_state
    from risk.i18n import format_date, year_span

    state = backtest_state(Workspace(workspace).backtest)
    if state["state"] == "running":
        years = state.get("years") or []
        span = year_span(years[0], years[-1]) if years else ""
        started = str(state.get("started", ""))
        when = started[11:16] if len(started) >= 16 else started
        try:
            import datetime as dt

            day = dt.datetime.fromisoformat(started).date()
            if day != clock.today():
                when = f"{format_date(day, lang())} {when}"
        except ValueError:
            pass
        return tr("backtest.running", years=span, started=when)
    if state["state"] == "failed":
        return tr("backtest.failed", log=state.get("log") or Workspace(workspace).backtest)
    return None


def model_cards(workspace: Path) -> list[Path]:
    """Model cards of the project, newest name first: ``models/<version>/model_card.json``
    (``risk.scoring.save_model``) or ``models/*.json``."""
    folder = Workspace(workspace).models
    cards = [*folder.glob("*/model_card.json"), *folder.glob("*.json")]
    return sorted(
        cards, key=lambda p: p.parent.name if p.name == "model_card.json" else p.stem, reverse=True
    )


def settings(workspace: Path) -> dict:
    """The project's ``settings.toml``; a file that cannot be used stops the page with the
    problems and their fix (never a traceback)."""
    file = Workspace(workspace).settings
    try:
        return _settings(str(workspace), modified_time(file))
    except SettingsError as exc:
        st.error(said(exc))  # keyed problems in the reader's words
        st.stop()


@st.cache_data(show_spinner=False)
def _settings(path: str, mtime: float) -> dict:
    return read_settings(path)


# -- language and user ----------------------------------------------------------------------


def lang() -> str:
    """The interface language of this session: the signed-in account's (or the one chosen
    in the sidebar), else the browser's when it is one of ours, else English."""
    return st.session_state.get(LANG_KEY) or browser_language()


def browser_language() -> str:
    """The browser's language (``navigator.language``) when the interface has it."""
    try:
        locale = st.context.locale or ""
    except Exception:  # noqa: BLE001 - no browser context (bare mode, tests)
        locale = ""
    code = str(locale).split("-")[0].lower()
    return code if code in languages() else DEFAULT_LANGUAGE


#: Number formats of the charts' axes and tooltips by language (Vega's default is English).
CHART_LOCALES = {
    "fr": {
        "number": {
            "decimal": ",",
            "thousands": "\u202f",
            "grouping": [3],
            "currency": ["", "\u00a0€"],
            "percent": "\u202f%",
        }
    }
}


def localized(chart):
    """An Altair chart whose numbers read as in this session's language (1 234,5 ; 30 %),
    with whole legend labels (Vega-Lite cuts them at 160 px: "Courbes de vieillissemen…")."""
    locale = CHART_LOCALES.get(lang())
    chart = chart.configure(locale=locale) if locale else chart
    return chart.configure_legend(labelLimit=0)


def tr(key: str, **kwargs) -> str:
    """``t(key)`` in this session's language."""
    return t(key, lang(), **kwargs)


def date_order(key: str) -> bool | None:
    """The person's answer to "dates that read either way (03/12/2026)": None (as the file
    tells, else refused), True (day first) or False (month first), for
    :func:`risk.dates.read_file_dates`. The same question wherever a file is loaded."""
    orders = {
        None: tr("dates.order.none"),
        True: tr("dates.order.true"),
        False: tr("dates.order.false"),
    }
    return st.radio(
        tr("dates.order"), list(orders), format_func=orders.get, horizontal=True, key=key
    )


def new_upload(upload, order, key: str) -> bool:
    """Whether ``upload`` (a file picker's file) is to be loaded now: once per file and
    date order, not again at each rerun of the page (``key`` keeps what was tried)."""
    tried = (upload.file_id, order) if upload is not None else None
    if tried is None or st.session_state.get(key) == tried:
        return False
    st.session_state[key] = tried
    return True


def said(error: BaseException) -> str:
    """A refused input or write in this session's language (:func:`risk.errors.in_words`):
    the file, rows and fix the package names, never the command line's English alone."""
    return in_words(error, lang())


def current_user() -> auth.User | None:
    """The signed-in user of this session, or None."""
    return st.session_state.get(USER_KEY)


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False
    except Exception:  # noqa: BLE001 - a malformed secrets file must not break sign-in
        return False


def sign_in(workspace: Path) -> auth.User | None:
    """The signed-in user: this session's, or the one the utility's identity provider (OIDC)
    signed in, matched by e-mail. An e-mail without an account is refused (an administrator
    adds it with ``risk users add``)."""
    user = current_user()
    if user is not None:
        # Read again on every run: a deactivated account is signed out at once, a changed
        # role counts at once (the language chosen in this session stays).
        store = get_store(workspace)
        token = st.session_state.get(SESSION_TOKEN_KEY)
        # one read per click: the session's account, else the account alone (identity provider)
        stored = auth.resume_session(store, token) if token else auth.get_user(store, user.username)
        if stored is None or stored.username != user.username:
            keep_draft(user)
            sign_out()
            # a disabled account, else signed out in another tab, a new password, or
            # SESSION_HOURS gone by
            disabled = auth.get_user(store, user.username) is None
            st.session_state[NOTICE_KEY] = (
                "app.account_disabled" if disabled else "app.session_ended"
            )
            return None
        if stored != user:
            st.session_state[USER_KEY] = stored
        return stored
    token = _cookie_token(workspace)
    user = auth.resume_session(get_store(workspace), token) if token else None
    if user is not None:  # a reload: the browser kept the sign-in
        _signed_in(user, token)
        return user
    if _oidc_configured() and getattr(st.user, "is_logged_in", False):
        email = getattr(st.user, "email", None)
        user = auth.user_for_email(get_store(workspace), email)
        if user is None:
            st.error(tr("signin.unknown_email", email=email or ""))
            st.button(tr("signin.logout"), on_click=st.logout)
            return None
        _signed_in(user)
    return user


def sign_in_form(workspace: Path) -> auth.User | None:
    """The sign-in form, in the page (not the sidebar, which is folded away on phones).

    Returns the user who just signed in (the caller opens their page), else None."""
    with st.form("signin"):
        st.subheader(tr("signin.title"))
        username = st.text_input(tr("signin.username"), key="signin_username")
        password = st.text_input(tr("signin.password"), type="password", key="signin_password")
        submitted = st.form_submit_button(tr("signin.submit"), type="primary")
    if submitted:
        user = auth.verify(get_store(workspace), username, password)
        if user is None:
            st.error(tr("signin.failed"))
        else:
            _signed_in(user, auth.start_session(get_store(workspace), user.username))
            return user
    if _oidc_configured():
        st.button(tr("signin.oidc"), on_click=st.login)
    return None


def _signed_in(user: auth.User, token: str | None = None) -> None:
    """Start the session of ``user``, in the language saved with the account (it wins over
    the browser's and over what was chosen before signing in). ``token``: the sign-in kept
    in the browser's cookie (:func:`session_cookie`), so that a reload keeps it."""
    st.session_state.pop(NOTICE_KEY, None)
    st.session_state.pop(FORGET_COOKIE_KEY, None)
    st.session_state.pop(DRAFT_KEY, None)  # said once: not to the next person on the phone
    st.session_state[DRAFT_CHECK_KEY] = True
    if token:
        st.session_state[SESSION_TOKEN_KEY] = token
    st.session_state[USER_KEY] = user
    st.session_state[LANG_KEY] = user.language


def sign_out() -> None:
    """Sign out: the sign-in kept for reloads ends too (a shared phone is free for the next
    person: a reload opens the sign-in form, whatever the browser still holds)."""
    token = st.session_state.pop(SESSION_TOKEN_KEY, None)
    if token:
        auth.end_session(get_store(workspace_dir()), token)
        st.session_state[FORGET_COOKIE_KEY] = token
    for key in (USER_KEY, "outcome_key", "last_outcome", "plan"):
        st.session_state.pop(key, None)
    if _oidc_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


def keep_draft(user: auth.User) -> None:
    """Keep what ``user`` typed in the inspection form when their sign-in ended under it (a
    Save tapped after 12 hours, a password reset, a sign-out in another tab): the page
    cannot record it, and the sign-in page would drop the form's fields. The store keeps it
    (:mod:`risk.outcomes.drafts`) until the same person signs in again, here or on another
    phone, after a reload too (:func:`take_draft`), until they save; nobody else sees it."""
    form = crewday.form_draft(st.session_state)
    if form:
        drafts.keep_draft(get_store(workspace_dir()), user.username, form)
        st.session_state[DRAFT_KEY] = user.username  # said on the sign-in page, until a sign-in


def take_draft(user: auth.User) -> dict | None:
    """The form :func:`keep_draft` kept for ``user``, looked for once after each sign-in;
    None when there is none. It stays in the store until the crew saves
    (:func:`draft_saved`): a reload before Save brings it back again."""
    if not st.session_state.pop(DRAFT_CHECK_KEY, False):
        return None
    draft = drafts.read_draft(get_store(workspace_dir()), user.username)
    if draft is None:
        return None
    st.session_state[DRAFT_SHOWN_KEY] = True
    return draft.form


def draft_saved(user: auth.User) -> None:
    """After a save on the crew's page: a draft put back in the form is done with."""
    if st.session_state.pop(DRAFT_SHOWN_KEY, False):
        drafts.drop_draft(get_store(workspace_dir()), user.username)


#: Session key: the sidebar was folded on a phone when the session began.
SIDEBAR_FOLDED_KEY = "sidebar_folded"
#: On a screen narrower than 768 px, fold the sidebar once: its fold button clicked as soon
#: as it is drawn (one click made while the page was still drawing found no button and left
#: the sidebar open over the sign-in form); nothing when the sidebar is already folded (its
#: open button drawn), so that a person who opens it is never overruled. Looked for during
#: 3 seconds at most.
FOLD_SIDEBAR_ON_A_PHONE = (
    "if (window.innerWidth < 768) { let tries = 0; const fold = () => {"
    " const open = document.querySelector('[data-testid=stSidebarCollapseButton] button');"
    " if (open) { open.click(); return; }"
    " if (document.querySelector('[data-testid=stExpandSidebarButton]')) return;"
    " if (tries++ < 30) setTimeout(fold, 100); };"
    " setTimeout(fold, 100); }"
)
#: Session key: the language was just changed (a form's unsent taps are then lost).
LANGUAGE_RELOAD_KEY = "language_changed"
#: Session key: the browser's copy of the form was looked for (once per session).
TYPED_CHECKED_KEY = "typed_form_checked"
#: Cookies the browser's copy of the form is split over (a cookie holds 4 KB; notes 2,000
#: characters, URL-encoded, take up to 18 KB).
TYPED_COOKIE_PARTS = 6
#: Characters per cookie of the browser's copy.
TYPED_COOKIE_CHARS = 3_500


def typed_cookie_name(workspace: Path) -> str:
    """Prefix of the cookies that keep the crew form as it is typed (``<prefix>0``, ...)."""
    return session_cookie_name(workspace).replace("risk_session_", "risk_form_") + "_"


def take_typed_form(user: auth.User, results, leak_kinds) -> dict | None:
    """The crew form as this browser kept it while it was typed, looked for once when a
    session starts (a reload: a phone reloads the page when its owner switches to the
    camera, and a form's fields reach the server only at Save): session keys to put back,
    ``_pipe`` the pipe it was for; None when there is none, it is someone else's, or it was
    saved since (its outcome key is in the store). See :func:`keep_typed_form`."""
    if st.session_state.get(TYPED_CHECKED_KEY):
        return None
    st.session_state[TYPED_CHECKED_KEY] = True
    name = typed_cookie_name(workspace_dir())
    try:
        cookies = st.context.cookies
        parts = [cookies.get(f"{name}{i}") for i in range(TYPED_COOKIE_PARTS)]
    except Exception:  # noqa: BLE001 - no browser connection (a test run): no cookie
        return None
    parts = [part if isinstance(part, str) else "" for part in parts]
    text = urllib.parse.unquote("".join(parts))
    form = drafts.from_browser(text, user.username, results=results, leak_kinds=leak_kinds)
    if form is None:
        return None
    saved = get_store(workspace_dir()).outcomes()["idempotency_key"]
    return None if (saved == form["outcome_key"]).any() else form


def keep_typed_form(user: auth.User, context: dict) -> None:
    """Have the browser keep the crew form as it is typed, at each keystroke and tap, in
    cookies of this workspace (:func:`take_typed_form` reads them after a reload). The copy
    names its person, crew, day, pipe and outcome key (``context``: ``c``, ``d``, ``a``,
    ``p``, ``k``); a copy of another form (saved since: a new key; another day) is removed
    when the page shows the next one. A script in the sidebar (in the page it would
    take room); nothing leaves the browser but to this server."""
    ctx = {
        **context,
        # a language change redraws the form's choices in the new words, which drops its
        # unsent taps; a reload puts the kept copy back, in the new language
        "reload": bool(st.session_state.pop(LANGUAGE_RELOAD_KEY, False)),
        "u": user.username,
        "name": typed_cookie_name(workspace_dir()),
        "parts": TYPED_COOKIE_PARTS,
        "chars": TYPED_COOKIE_CHARS,
        "age": drafts.KEEP_DRAFT_DAYS * 86_400,
    }
    st.sidebar.html(
        f"<script>{_TYPED_SCRIPT.replace('__CONTEXT__', json.dumps(ctx))}</script>",
        unsafe_allow_javascript=True,
    )


#: The browser's half of :func:`keep_typed_form`.
_TYPED_SCRIPT = """(() => {
const ctx = __CONTEXT__;
const secure = location.protocol === 'https:' ? '; Secure' : '';
const read = () => {
  const jar = document.cookie.split('; ');
  let text = '';
  for (let i = 0; i < ctx.parts; i++) {
    const c = jar.find((c) => c.startsWith(ctx.name + i + '='));
    if (!c) break;
    text += c.slice(ctx.name.length + String(i).length + 1);
  }
  return text;
};
const write = (text) => {
  for (let i = 0; i < ctx.parts; i++) {
    const part = text.slice(i * ctx.chars, (i + 1) * ctx.chars);
    document.cookie = ctx.name + i + '=' + part + '; Max-Age=' + (part ? ctx.age : 0)
      + '; Path=/; SameSite=Strict' + secure;
  }
};
try {
  const kept = JSON.parse(decodeURIComponent(read()) || 'null');
  if (kept && (kept.u !== ctx.u || kept.k !== ctx.k || kept.d !== ctx.d)) {
    write('');
  }
} catch (e) { write(''); }
window.riskTypedForm = ctx;
if (ctx.reload && read()) { location.reload(); return; }
if (window.riskTypedFormOn) return;
window.riskTypedFormOn = true;
const tapped = (key) => [...document.querySelectorAll('.st-key-' + key + ' input[type=radio]')]
  .findIndex((i) => i.checked);
const keep = () => setTimeout(() => {
  const c = window.riskTypedForm;
  const value = (sel) => document.querySelector(sel)?.value || '';
  const form = {u: c.u, c: c.c, d: c.d, a: c.a, p: c.p, k: c.k, t: Date.now(),
    r: tapped('f_result'), lk: tapped('f_leak_kind'), flow: value('.st-key-f_flow input'),
    notes: value('.st-key-f_notes textarea'), other: value('.st-key-f_other_pipe input')};
  const typed = form.flow || form.notes || form.other || form.r >= 0 || form.lk >= 0;
  write(typed ? encodeURIComponent(JSON.stringify(form)) : '');
}, 0);
const inForm = (e) => e.target.closest?.('[class*="st-key-f_"]') && keep();
document.addEventListener('input', inForm, true);
document.addEventListener('change', inForm, true);
})();"""


def draft_kept_for() -> str | None:
    """Whose form this tab kept when their sign-in ended (until the next sign-in here)."""
    return st.session_state.get(DRAFT_KEY)


def sign_out_here() -> None:
    """The sidebar's Sign out: :func:`sign_out`, then the app's first address (the next
    person on a shared phone starts there, not at the page the last one left open)."""
    sign_out()
    st.session_state[SIGNED_OUT_KEY] = True


def keep_signed_in(workspace: Path, user: auth.User) -> None:
    """After people set their own password: a new password ends every session opened with
    the old one, this tab's too; this tab opens a new one (its cookie follows), the others
    (a lost phone) stay ended."""
    if st.session_state.get(SESSION_TOKEN_KEY):
        st.session_state[SESSION_TOKEN_KEY] = auth.start_session(
            get_store(workspace), user.username
        )


def session_cookie_name(workspace: Path) -> str:
    """The cookie of a workspace's sign-in: one per workspace, since browsers share cookies
    between the ports of one host (two dashboards side by side keep their own sign-ins)."""
    digest = hashlib.sha256(str(Path(workspace).resolve()).encode("utf-8")).hexdigest()
    return f"risk_session_{digest[:12]}"


def _cookie_token(workspace: Path) -> str | None:
    """The sign-in token the browser sent with this session's connection, if any."""
    try:
        token = st.context.cookies.get(session_cookie_name(workspace))
    except Exception:  # noqa: BLE001 - no browser connection (a test run): no cookie
        return None
    return token if isinstance(token, str) and token else None


def session_cookie(workspace: Path) -> None:
    """Keep this session's sign-in in the browser (set after a password sign-in, removed
    after a sign-out), so that a reload finds it (:func:`sign_in`). Streamlit cannot set a
    cookie from the server: a one-line script in the sidebar does (in the page it would
    push the title down). The cookie lasts as long as the session
    (:data:`risk.auth.SESSION_HOURS`), which the store enforces anyway.

    After a sign-out on a phone the sidebar, opened to reach the button, would stay over
    the sign-in form: the same script folds it."""
    name = session_cookie_name(workspace)
    token = st.session_state.get(SESSION_TOKEN_KEY)
    if token:
        script = _cookie_script(name, token, auth.SESSION_HOURS * 3600)
    elif ended := st.session_state.pop(FORGET_COOKIE_KEY, None):
        # only the ended sign-in's cookie: another tab may have signed in since
        form = typed_cookie_name(workspace)  # the form this person typed, not the next one's
        script = (
            f"if (document.cookie.split('; ').includes('{name}={ended}')) "
            f"{{{_cookie_script(name, '', 0)}"
            + "".join(_cookie_script(f"{form}{i}", "", 0) for i in range(TYPED_COOKIE_PARTS))
            + "}"
            + FOLD_SIDEBAR_ON_A_PHONE
        )
    else:
        return
    st.sidebar.html(f"<script>{script}</script>", unsafe_allow_javascript=True)


def _cookie_script(name: str, value: str, seconds: int) -> str:
    return (
        f"document.cookie = '{name}={value}; Max-Age={seconds}; Path=/; SameSite=Strict'"
        " + (location.protocol === 'https:' ? '; Secure' : '');"
    )


def _language_changed(workspace: Path) -> None:
    """The sidebar's language was changed: use it, and save it with the signed-in account."""
    chosen = st.session_state.get(LANGUAGE_WIDGET)
    if chosen not in languages():
        return
    st.session_state[LANG_KEY] = chosen
    st.session_state[LANGUAGE_RELOAD_KEY] = True  # see keep_typed_form
    user = current_user()
    if user is not None and chosen != user.language:
        auth.set_language(get_store(workspace), user.username, chosen, by=user.username)
        st.session_state[USER_KEY] = dataclasses.replace(user, language=chosen)


def sidebar(workspace: Path, user: auth.User | None) -> None:
    """Project name, language switch (saved with the account) and who is signed in."""
    st.sidebar.caption(tr("app.project", name=workspace.name))
    # The selector shows this session's language; only a change by the user (on_change)
    # sets it, never the selector's own leftover state (which once overwrote the account's
    # language at sign-in).
    st.session_state[LANGUAGE_WIDGET] = lang()
    st.sidebar.selectbox(
        tr("app.language"),
        languages(),
        format_func=language_name,
        key=LANGUAGE_WIDGET,
        on_change=_language_changed,
        args=(workspace,),
        placeholder=tr("common.choose"),
    )
    if lang() != "en":
        # Streamlit's own hints under a field being typed in ("Press Enter to apply",
        # "Press Enter to submit form") are English only: left out in another language.
        # (a text area's count of characters stays: the notes' limit)
        # The file picker's button and its "200MB per file • CSV" are English only too: said
        # in the page's language instead (every picker of the product takes a CSV).
        button, hint = (json.dumps(tr(k), ensure_ascii=False) for k in UPLOAD_WORDS)
        picker = '[data-testid="stFileUploaderDropzone"]'
        st.sidebar.html(
            '<style>[data-testid="stTextInput"] [data-testid="InputInstructions"]'
            " { display: none; }"
            f" {picker} button [data-testid=stMarkdownContainer] p {{ display: none; }}"
            f" {picker} button [data-testid=stMarkdownContainer]::after {{ content: {button}; }}"
            f" {picker} [data-testid=stFileUploaderDropzoneInstructions] span {{ display: none; }}"
            f" {picker} [data-testid=stFileUploaderDropzoneInstructions] div::after"
            f" {{ content: {hint}; font-size: 0.875rem; opacity: 0.6; }}</style>"
        )
    if not st.session_state.get(SIDEBAR_FOLDED_KEY):
        # A page opened anew (a reload, a phone back from the camera) on a phone: the
        # sidebar left open before came back open over the page; folded, as at first.
        st.session_state[SIDEBAR_FOLDED_KEY] = True
        st.sidebar.html(f"<script>{FOLD_SIDEBAR_ON_A_PHONE}</script>", unsafe_allow_javascript=True)
    if user is not None:
        role = tr(f"role.{user.role}")
        crew = f" · {user.crew}" if user.crew else ""
        st.sidebar.markdown(tr("app.signed_in_as", user=user.username, role=role) + crew)
        st.sidebar.button(tr("signin.logout"), on_click=sign_out_here, key="logout")


def require(page: str) -> tuple[Path, auth.User]:
    """The project folder and the user, stopping the page when the role may not open it."""
    workspace = workspace_dir()
    user = current_user()
    if user is None or not user.may_open(page):
        st.error(tr("app.forbidden"))
        st.stop()
    return workspace, user
