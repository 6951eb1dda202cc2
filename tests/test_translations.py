"""The interface's gettext catalogues: complete, compiled, and open to a new language."""

from __future__ import annotations

import datetime
import io
import re
import shutil
import string
import warnings
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from risk import auth, i18n
from risk.store import OutcomeStore
from risk.store.db import upgrade_engine

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "risk" / "locale"


def po(lang: str):
    with open(LOCALE / lang / "LC_MESSAGES" / "risk.po", "rb") as f:
        return read_po(f, locale=lang)


def messages(catalogue) -> dict[str, str]:
    return {m.id: m.string for m in catalogue if m.id}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", i18n.languages())
def test_each_compiled_catalogue_is_its_po_file(lang):
    """The shipped .mo files are compiled from the .po files as they are now
    (`pybabel compile -d risk/locale -D risk`)."""
    with open(LOCALE / lang / "LC_MESSAGES" / "risk.mo", "rb") as f:
        compiled = messages(read_mo(f))
    source = {k: v for k, v in messages(po(lang)).items() if v}
    assert compiled == source


def test_every_language_has_every_message_with_the_same_fields():
    with open(LOCALE / "risk.pot", "rb") as f:
        template = set(messages(read_po(f)))
    english = messages(po("en"))
    assert set(english) == template
    assert all(english.values()), "every message has its English text"
    for lang in i18n.languages():
        texts = messages(po(lang))
        assert set(texts) == template, lang
        untranslated = sorted(k for k, v in texts.items() if not v)
        assert not untranslated, f"{lang} leaves {untranslated[:5]} untranslated"
        wrong = [k for k, v in texts.items() if fields(v) != fields(english[k])]
        assert not wrong, f"{lang}: placeholders differ from English in {wrong[:5]}"


@pytest.mark.parametrize("lang", i18n.languages())
def test_no_message_shows_a_setting_code_to_people(lang):
    """Pages speak plain words: no "[costs]" section code, no key=value, no snake_case."""
    coded = {
        k: v
        for k, v in messages(po(lang)).items()
        if re.search(r"\[[a-z_]+\]|\b[a-z]+_[a-z_]+\s*=", v)
    }
    assert not coded


def test_every_key_the_code_names_is_in_the_catalogue():
    """Babel extracts the literal keys of t(...), tr(...) and label(...) calls."""
    keywords = {"t": None, "tr": None, "has": None}
    used = set()
    for folder in ("risk", "dashboards"):
        with warnings.catch_warnings():  # f-string keys, as t(f"role.{role}"), are skipped
            warnings.simplefilter("ignore")
            found = list(extract_from_dir(ROOT / folder, keywords=keywords))
        for _, _, key, _, _ in found:
            if isinstance(key, str) and re.fullmatch(r"[a-z_]+(\.[a-z0-9_]+)+", key):
                used.add(key)
    assert len(used) > 200
    missing = sorted(k for k in used if not i18n.has(k))
    assert not missing, f"keys used in the code but not in risk/locale: {missing}"


def test_every_plural_the_code_names_has_both_forms():
    """plural("key", n) reads key.one or key.other: both are in every catalogue."""
    keys = set()
    for folder in ("risk", "dashboards"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = list(
                extract_from_dir(ROOT / folder, keywords={"plural": None, "_plural": None})
            )
        keys |= {key for _, _, key, _, _ in found if isinstance(key, str) and "." in key}
    assert {"impact.n_leaks", "modelcard.yearly_dates", "riskmatrix.pipes"} <= keys
    missing = sorted(f"{k}.{f}" for k in keys for f in ("one", "other") if not i18n.has(f"{k}.{f}"))
    assert not missing, f"plural forms used in the code but not in risk/locale: {missing}"


def test_plural_follows_the_language():
    assert i18n.plural("impact.n_leaks", 1, "en") == "1 leak found"
    assert i18n.plural("impact.n_leaks", 0, "en") == "0 leaks found"
    assert i18n.plural("impact.n_leaks", 0, "fr") == "0 fuite trouvée"  # French: 0 and 1
    assert i18n.plural("impact.n_leaks", 2, "fr") == "2 fuites trouvées"
    assert i18n.plural("impact.n_leaks", 1, "de") == "1 leak found"  # no German: English


def test_plain_words_for_codes_come_from_the_catalogue():
    assert i18n.label("material", "cast_iron", "fr") == "fonte grise"
    assert i18n.label("material", "cast_iron") == "cast iron"
    assert i18n.label("material", "bamboo_pipe", "fr") == "bamboo pipe"  # unknown code: words
    assert i18n.label("value", "fort") == "high"
    assert i18n.t("no.such.key", "fr") == "no.such.key"


def test_numbers_and_dates_follow_the_language():
    day = datetime.date(2026, 1, 5)
    assert i18n.format_date(day, "en") == "Jan 5, 2026"
    assert i18n.format_date(day, "fr") == "5 janv. 2026"
    assert i18n.format_number(1234567.891, "de", decimals=2) == "1.234.567,89"
    assert i18n.format_percent(0.125, "en", decimals=1) == "12.5%"
    assert i18n.format_percent(0.125, "fr", decimals=1) == "12,5\u00a0%"
    assert i18n.format_number(None, "fr") == "–"
    assert i18n.format_number(3, "xx") == "3"  # a language Babel does not know: English


@pytest.fixture
def spanish(tmp_path, monkeypatch):
    """A translator's new language: copied from the template, partly translated, compiled."""
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE, locale)
    with open(LOCALE / "risk.pot", "rb") as f:
        catalogue = read_po(f, locale="es")
    catalogue.locale = "es"
    catalogue.get("app.title").string = "Riesgo de fugas"
    catalogue.get("label.material.cast_iron").string = "fundición gris"
    folder = locale / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    (folder / "risk.mo").write_bytes(buffer.getvalue())
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    i18n._catalogue.cache_clear()
    yield "es"
    i18n._catalogue.cache_clear()


def test_a_new_language_needs_no_change_to_the_code(spanish, tmp_path):
    assert i18n.languages() == ["en", "es", "fr"]
    assert i18n.language_name("es") == "Español"
    assert i18n.t("app.title", "es") == "Riesgo de fugas"
    assert i18n.label("material", "cast_iron", "es") == "fundición gris"
    assert i18n.t("signin.title", "es") == "Sign in"  # not yet translated: English
    assert i18n.format_number(1234.5, "es", decimals=1) == "1.234,5"
    with OutcomeStore(tmp_path / "o.sqlite") as store:
        auth.create_user(store, "ana", "a long password", "engineer", language="es")
        assert auth.get_user(store, "ana").language == "es"
        with pytest.raises(ValueError, match="language must be one of en, es, fr"):
            auth.create_user(store, "bo", "a long password", "engineer", language="pt")


def test_a_store_made_before_any_language_was_allowed_accepts_them_after_upgrade(tmp_path):
    """Revision 0003 drops the store's list of languages and keeps the accounts."""
    import sqlalchemy as sa
    from alembic import command

    from risk.store.db import _alembic_config

    path = tmp_path / "o.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.exec_driver_sql(
            "INSERT INTO users (username, role, language, active, created_by, created_at) "
            "VALUES ('old', 'engineer', 'fr', 1, 'cli', '2026-01-01 00:00:00')"
        )
        with pytest.raises(sa.exc.IntegrityError):
            with connection.begin_nested():
                connection.exec_driver_sql(
                    "UPDATE users SET language = 'es' WHERE username = 'old'"
                )
    upgrade_engine(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE users SET language = 'es' WHERE username = 'old'")
        rows = connection.exec_driver_sql("SELECT username, language FROM users").fetchall()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("old", "es")]
