"""Interface strings in English and French, and numbers in the reader's local format.

>>> t("impact.title", "fr")
'Impact'
>>> format_number(1234.5, "fr", decimals=1)
'1\u202f234,5'
>>> format_quantity(1234.5, "m³", "fr", decimals=1)
'1\u202f234,5\u00a0m³'
>>> format_quantity(1234.5, "m³", "en", decimals=1)
'1,234.5 m³'

Every string the dashboards show goes through :func:`t`. A key missing from a language
falls back to English, then to the key itself, so a missing translation is visible but never
breaks a page (a test checks that both catalogues have the same keys).
"""

from __future__ import annotations

import math

#: Languages of the interface, with their own names.
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
DEFAULT_LANGUAGE = "en"

_NARROW_NBSP = "\u202f"
_NBSP = "\u00a0"


CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        # app, sign-in, roles
        "app.title": "Leak risk",
        "app.welcome": "Sign in to see the risk map, inspection lists and results.",
        "app.no_workspace": "No project folder given. Start with: streamlit run dashboards/app.py -- --workspace data/workspace/NAME (or set RISK_WORKSPACE).",
        "app.project": "Project: {name}",
        "app.language": "Language",
        "app.signed_in_as": "Signed in as **{user}** ({role})",
        "app.forbidden": "Your role does not give access to this page.",
        "signin.title": "Sign in",
        "signin.username": "User name",
        "signin.password": "Password",
        "signin.submit": "Sign in",
        "signin.failed": "Unknown user name or wrong password.",
        "signin.oidc": "Sign in with your organisation account",
        "signin.unknown_email": "{email} has no account here: ask an administrator to add it.",
        "signin.logout": "Sign out",
        "role.engineer": "engineer",
        "role.crew": "field crew",
        "role.manager": "manager",
        "role.admin": "administrator",
        "page.risk_map": "Risk map",
        "page.model": "Model",
        "page.dispatch": "Dispatch",
        "page.crew": "Inspection list",
        "page.impact": "Impact",
        "page.admin": "Accounts",
        # risk map
        "map.title": "Risk map",
        "map.no_scores": "This network has no risk scores yet: run 'risk score' first. Pipes are shown in grey.",
        "map.filters": "Filters",
        "map.material": "Material",
        "map.zone": "Pressure zone",
        "map.band": "Risk band",
        "map.age": "Age (years)",
        "map.shown": "{shown} of {total} pipes shown ({km}).",
        "map.layer_breaks": "Breaks",
        "map.layer_soils": "Soils",
        "map.layer_welds": "Welds and joints",
        "map.click": "Click a pipe to see its details.",
        "map.no_geometry": "This inventory has no geometry: pipes are listed by risk. Select a row for details.",
        "map.pipe": "Pipe {pipe_id}",
        "map.probability": "Failure probability (1 year)",
        "map.rank": "Inspection rank",
        "map.attributes": "{material}, {diameter}, installed {year}, {length}, zone {zone}",
        "map.reasons": "Why this pipe",
        "map.history": "Failure history ({n})",
        "band.very_high": "very high (top 2%)",
        "band.high": "high (2-10%)",
        "band.medium": "medium (10-25%)",
        "band.low": "low (25-50%)",
        "band.very_low": "very low",
        "band.unscored": "not scored",
        # model
        "model.title": "Model",
        "model.no_report": "No backtest yet: run 'risk evaluate' to compare the model with the old ways of choosing pipes.",
        "model.capture": "Failures found for the length inspected",
        "model.capture_help": "Backtest on past years: share of the next year's failures on the pipes each method puts first, against the share of the network length inspected. Higher is better.",
        "model.length_share": "Network length inspected",
        "model.captured_share": "Failures captured",
        "model.method": "Method",
        "model.captured_at": "Failures captured at {share} of the length",
        "model.no_curves": "The backtest report has no capture curves.",
        "model.calibration": "Calibration",
        "model.predicted": "Predicted probability",
        "model.observed": "Observed frequency",
        "model.no_calibration": "The backtest report has no calibration table.",
        "model.full_report": "Full backtest report",
        "model.download_report": "Download the report (HTML)",
        "model.versions": "Model versions",
        "model.no_cards": "No model cards in models/ yet.",
        "model.version": "Version",
        "model.trained": "Trained",
        "model.as_of": "Data up to",
        "model.horizon": "Horizon (years)",
        "model.card": "Model card",
        "method.model": "This model",
        "method.random": "Random",
        "method.age": "Oldest first",
        "method.material_decade": "Material and decade",
        "method.prior_failures": "Most past failures",
        "method.weibull_leyp": "Weibull survival (LEYP)",
        "method.oracle": "Oracle (true risk)",
        # dispatch
        "dispatch.title": "Dispatch",
        "dispatch.crews": "Crews",
        "dispatch.capacity": "Capacity in",
        "dispatch.km_per_day": "km per day",
        "dispatch.checks_per_day": "pipes per day",
        "dispatch.crew_name": "Crew",
        "dispatch.start": "First day",
        "dispatch.days": "Working days",
        "dispatch.recent_days": "Skip pipes inspected in the last (days)",
        "dispatch.skip_planned": "Skip pipes already planned",
        "dispatch.generate": "Make the lists",
        "dispatch.review": "Lists",
        "dispatch.summary": "{n} pipes, {km}; {excluded} pipes left out (inspected recently or already planned).",
        "dispatch.round": "Round name",
        "dispatch.assign": "Assign to the crews",
        "dispatch.assigned": "{n} inspections assigned (round {round}).",
        "dispatch.csv": "Download CSV",
        "dispatch.geojson": "Download GeoJSON",
        "dispatch.sheets": "Download printable sheets",
        # crew
        "crew.title": "Inspection list",
        "crew.crew": "Crew",
        "crew.day": "Day",
        "crew.summary": "{crew}, {day}: {n} pipes, {left} left to do.",
        "crew.nothing": "No inspections are assigned yet.",
        "crew.nothing_today": "Nothing planned for this day.",
        "crew.form": "Record what you found",
        "crew.pipe": "Pipe",
        "crew.off_plan": "Another pipe (not on the list)",
        "crew.other_pipe": "Pipe id, if not on the list",
        "crew.result": "Result",
        "crew.leak_kind": "Where was the leak?",
        "crew.flow": "Estimated flow (m³/h)",
        "crew.inspected_on": "Inspected on",
        "crew.repair_date": "Repaired on (if known)",
        "crew.notes": "Notes",
        "crew.save": "Save",
        "crew.saved": "Saved: outcome {outcome_id} for pipe {pipe_id}.",
        "crew.already": "Already recorded: outcome {outcome_id} for pipe {pipe_id} (nothing saved twice).",
        "crew.not_saved": "Not saved: {error}",
        "result.leak_found": "Leak found",
        "result.nothing_found": "Nothing found",
        "result.no_access": "Could not access",
        "leak_kind.main": "main",
        "leak_kind.joint": "joint",
        "leak_kind.service": "service connection",
        "leak_kind.valve": "valve",
        "leak_kind.hydrant": "hydrant",
        "leak_kind.other": "other",
        "form.error.pipe": "Choose a pipe from the list or type its id.",
        "form.error.result": "Choose a result.",
        "form.error.leak_kind": "A leak needs its location (main, joint, ...).",
        "form.error.flow": "The flow cannot be negative.",
        "form.error.inspected_on": "Give the inspection date.",
        "form.error.future": "The inspection date cannot be in the future.",
        "form.error.repair_before": "The repair date cannot be before the inspection.",
        # impact
        "impact.title": "Impact",
        "impact.leaks_found": "Leaks found",
        "impact.km_inspected": "Length inspected",
        "impact.hit_rate": "Leaks per km inspected",
        "impact.per_km": "/km",
        "impact.saved_to_date": "Water saved to date",
        "impact.inspections": "Inspections",
        "impact.saved_total": "Water saved (all found leaks)",
        "impact.households": "Households supplied for a year",
        "impact.against_baselines": "Hit rate against the old ways",
        "impact.field": "Our inspections (field)",
        "impact.hit_rate_axis": "Leaks per km inspected",
        "impact.baselines_help": "The old ways: what inspecting the same length chosen by age, material or past failures would have found, from the backtest capture curves.",
        "impact.no_baselines": "Run 'risk evaluate' to compare with the old ways of choosing pipes.",
        "impact.monthly": "Water saved per month",
        "impact.month": "Month",
        "impact.saved_m3": "Saved (m³)",
        "impact.cumulative_m3": "Cumulative (m³)",
        "impact.leaks_repaired": "Leaks repaired",
        "impact.households_col": "Households (a year)",
        "impact.no_leaks": "No leaks recorded yet.",
        "impact.assumptions": "Assumptions: routine survey every {years} years, repair within {days} days, {household} per household a year, {flow} when no flow was estimated.",
        "impact.export_monthly": "Export per month (CSV)",
        "impact.export_leaks": "Export leaks found (CSV)",
        # admin
        "admin.title": "Accounts",
        "admin.add": "Add an account",
        "admin.role": "Role",
        "admin.crew": "Crew (field crews)",
        "admin.email": "E-mail (organisation sign-in)",
        "admin.create": "Create",
        "admin.created": "Account {user} created.",
        "admin.audit": "Audit log (latest first)",
    },
    "fr": {
        "app.title": "Risque de fuites",
        "app.welcome": "Connectez-vous pour voir la carte des risques, les listes d'inspection et les résultats.",
        "app.no_workspace": "Aucun dossier de projet. Lancez : streamlit run dashboards/app.py -- --workspace data/workspace/NOM (ou définissez RISK_WORKSPACE).",
        "app.project": "Projet : {name}",
        "app.language": "Langue",
        "app.signed_in_as": "Connecté : **{user}** ({role})",
        "app.forbidden": "Votre rôle ne donne pas accès à cette page.",
        "signin.title": "Connexion",
        "signin.username": "Identifiant",
        "signin.password": "Mot de passe",
        "signin.submit": "Se connecter",
        "signin.failed": "Identifiant inconnu ou mot de passe erroné.",
        "signin.oidc": "Se connecter avec le compte de l'organisation",
        "signin.unknown_email": "{email} n'a pas de compte ici : demandez à un administrateur de l'ajouter.",
        "signin.logout": "Se déconnecter",
        "role.engineer": "ingénieur",
        "role.crew": "équipe terrain",
        "role.manager": "responsable",
        "role.admin": "administrateur",
        "page.risk_map": "Carte des risques",
        "page.model": "Modèle",
        "page.dispatch": "Planification",
        "page.crew": "Liste d'inspection",
        "page.impact": "Impact",
        "page.admin": "Comptes",
        "map.title": "Carte des risques",
        "map.no_scores": "Ce réseau n'a pas encore de scores : lancez d'abord 'risk score'. Les conduites sont en gris.",
        "map.filters": "Filtres",
        "map.material": "Matériau",
        "map.zone": "Zone de pression",
        "map.band": "Classe de risque",
        "map.age": "Âge (ans)",
        "map.shown": "{shown} conduites affichées sur {total} ({km}).",
        "map.layer_breaks": "Casses",
        "map.layer_soils": "Sols",
        "map.layer_welds": "Soudures et joints",
        "map.click": "Cliquez sur une conduite pour voir son détail.",
        "map.no_geometry": "Cet inventaire n'a pas de géométrie : les conduites sont classées par risque. Sélectionnez une ligne pour le détail.",
        "map.pipe": "Conduite {pipe_id}",
        "map.probability": "Probabilité de casse (1 an)",
        "map.rank": "Rang d'inspection",
        "map.attributes": "{material}, {diameter}, posée en {year}, {length}, zone {zone}",
        "map.reasons": "Pourquoi cette conduite",
        "map.history": "Historique des casses ({n})",
        "band.very_high": "très élevé (2 % les plus à risque)",
        "band.high": "élevé (2-10 %)",
        "band.medium": "moyen (10-25 %)",
        "band.low": "faible (25-50 %)",
        "band.very_low": "très faible",
        "band.unscored": "sans score",
        "model.title": "Modèle",
        "model.no_report": "Pas encore de rétro-évaluation : lancez 'risk evaluate' pour comparer le modèle aux méthodes habituelles.",
        "model.capture": "Casses trouvées selon le linéaire inspecté",
        "model.capture_help": "Rétro-évaluation sur les années passées : part des casses de l'année suivante sur les conduites que chaque méthode place en tête, selon la part du linéaire inspecté. Plus haut est meilleur.",
        "model.length_share": "Linéaire inspecté",
        "model.captured_share": "Casses captées",
        "model.method": "Méthode",
        "model.captured_at": "Casses captées à {share} du linéaire",
        "model.no_curves": "Le rapport ne contient pas de courbes de capture.",
        "model.calibration": "Calibration",
        "model.predicted": "Probabilité prédite",
        "model.observed": "Fréquence observée",
        "model.no_calibration": "Le rapport ne contient pas de table de calibration.",
        "model.full_report": "Rapport complet",
        "model.download_report": "Télécharger le rapport (HTML)",
        "model.versions": "Versions du modèle",
        "model.no_cards": "Pas encore de fiche de modèle dans models/.",
        "model.version": "Version",
        "model.trained": "Entraîné le",
        "model.as_of": "Données jusqu'au",
        "model.horizon": "Horizon (ans)",
        "model.card": "Fiche du modèle",
        "method.model": "Ce modèle",
        "method.random": "Au hasard",
        "method.age": "Les plus anciennes",
        "method.material_decade": "Matériau et décennie",
        "method.prior_failures": "Le plus de casses passées",
        "method.weibull_leyp": "Survie de Weibull (LEYP)",
        "method.oracle": "Oracle (risque réel)",
        "dispatch.title": "Planification",
        "dispatch.crews": "Équipes",
        "dispatch.capacity": "Capacité en",
        "dispatch.km_per_day": "km par jour",
        "dispatch.checks_per_day": "conduites par jour",
        "dispatch.crew_name": "Équipe",
        "dispatch.start": "Premier jour",
        "dispatch.days": "Jours ouvrés",
        "dispatch.recent_days": "Exclure les conduites inspectées depuis (jours)",
        "dispatch.skip_planned": "Exclure les conduites déjà planifiées",
        "dispatch.generate": "Établir les listes",
        "dispatch.review": "Listes",
        "dispatch.summary": "{n} conduites, {km} ; {excluded} conduites écartées (inspectées récemment ou déjà planifiées).",
        "dispatch.round": "Nom de la campagne",
        "dispatch.assign": "Affecter aux équipes",
        "dispatch.assigned": "{n} inspections affectées (campagne {round}).",
        "dispatch.csv": "Télécharger en CSV",
        "dispatch.geojson": "Télécharger en GeoJSON",
        "dispatch.sheets": "Télécharger les fiches à imprimer",
        "crew.title": "Liste d'inspection",
        "crew.crew": "Équipe",
        "crew.day": "Jour",
        "crew.summary": "{crew}, {day} : {n} conduites, {left} restantes.",
        "crew.nothing": "Aucune inspection n'est encore affectée.",
        "crew.nothing_today": "Rien de prévu ce jour-là.",
        "crew.form": "Enregistrer le constat",
        "crew.pipe": "Conduite",
        "crew.off_plan": "Une autre conduite (hors liste)",
        "crew.other_pipe": "Identifiant de la conduite, si hors liste",
        "crew.result": "Résultat",
        "crew.leak_kind": "Où était la fuite ?",
        "crew.flow": "Débit estimé (m³/h)",
        "crew.inspected_on": "Inspectée le",
        "crew.repair_date": "Réparée le (si connu)",
        "crew.notes": "Remarques",
        "crew.save": "Enregistrer",
        "crew.saved": "Enregistré : constat {outcome_id} pour la conduite {pipe_id}.",
        "crew.already": "Déjà enregistré : constat {outcome_id} pour la conduite {pipe_id} (rien n'est enregistré deux fois).",
        "crew.not_saved": "Non enregistré : {error}",
        "result.leak_found": "Fuite trouvée",
        "result.nothing_found": "Rien trouvé",
        "result.no_access": "Accès impossible",
        "leak_kind.main": "conduite",
        "leak_kind.joint": "joint",
        "leak_kind.service": "branchement",
        "leak_kind.valve": "vanne",
        "leak_kind.hydrant": "poteau incendie",
        "leak_kind.other": "autre",
        "form.error.pipe": "Choisissez une conduite de la liste ou saisissez son identifiant.",
        "form.error.result": "Choisissez un résultat.",
        "form.error.leak_kind": "Une fuite doit être localisée (conduite, joint, ...).",
        "form.error.flow": "Le débit ne peut pas être négatif.",
        "form.error.inspected_on": "Indiquez la date d'inspection.",
        "form.error.future": "La date d'inspection ne peut pas être dans le futur.",
        "form.error.repair_before": "La réparation ne peut pas précéder l'inspection.",
        "impact.title": "Impact",
        "impact.leaks_found": "Fuites trouvées",
        "impact.km_inspected": "Linéaire inspecté",
        "impact.hit_rate": "Fuites par km inspecté",
        "impact.per_km": "/km",
        "impact.saved_to_date": "Eau économisée à ce jour",
        "impact.inspections": "Inspections",
        "impact.saved_total": "Eau économisée (toutes les fuites trouvées)",
        "impact.households": "Foyers alimentés pendant un an",
        "impact.against_baselines": "Taux de découverte face aux méthodes habituelles",
        "impact.field": "Nos inspections (terrain)",
        "impact.hit_rate_axis": "Fuites par km inspecté",
        "impact.baselines_help": "Méthodes habituelles : ce qu'aurait trouvé l'inspection du même linéaire choisi par âge, matériau ou casses passées, d'après les courbes de capture de la rétro-évaluation.",
        "impact.no_baselines": "Lancez 'risk evaluate' pour comparer aux méthodes habituelles.",
        "impact.monthly": "Eau économisée par mois",
        "impact.month": "Mois",
        "impact.saved_m3": "Économisé (m³)",
        "impact.cumulative_m3": "Cumul (m³)",
        "impact.leaks_repaired": "Fuites réparées",
        "impact.households_col": "Foyers (un an)",
        "impact.no_leaks": "Aucune fuite enregistrée pour l'instant.",
        "impact.assumptions": "Hypothèses : campagne de recherche de fuites tous les {years} ans, réparation sous {days} jours, {household} par foyer et par an, {flow} quand le débit n'est pas estimé.",
        "impact.export_monthly": "Exporter par mois (CSV)",
        "impact.export_leaks": "Exporter les fuites trouvées (CSV)",
        "admin.title": "Comptes",
        "admin.add": "Ajouter un compte",
        "admin.role": "Rôle",
        "admin.crew": "Équipe (équipes terrain)",
        "admin.email": "E-mail (connexion de l'organisation)",
        "admin.create": "Créer",
        "admin.created": "Compte {user} créé.",
        "admin.audit": "Journal d'audit (le plus récent en premier)",
    },
}


def t(key: str, lang: str = DEFAULT_LANGUAGE, **kwargs) -> str:
    """The string ``key`` in ``lang``, formatted with ``kwargs`` (``str.format`` fields)."""
    text = CATALOGUE.get(lang, {}).get(key) or CATALOGUE[DEFAULT_LANGUAGE].get(key) or key
    return text.format(**kwargs) if kwargs else text


def format_number(value, lang: str = DEFAULT_LANGUAGE, *, decimals: int = 0) -> str:
    """``value`` with the thousands separator and decimal mark of ``lang``; '–' when missing.

    English: ``1,234.5``; French: ``1 234,5`` (narrow no-break space, decimal comma).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{float(value):,.{decimals}f}"
    if lang == "fr":
        text = text.replace(",", _NARROW_NBSP).replace(".", ",")
    return text


def format_quantity(value, unit: str, lang: str = DEFAULT_LANGUAGE, *, decimals: int = 0) -> str:
    """A number and its metric unit: ``1,234.5 m³`` or ``1 234,5 m³`` (no-break space in French)."""
    number = format_number(value, lang, decimals=decimals)
    return f"{number}{_NBSP if lang == 'fr' else ' '}{unit}"


def format_percent(share, lang: str = DEFAULT_LANGUAGE, *, decimals: int = 0) -> str:
    """A share (0.125) as a percentage: ``12.5%`` or ``12,5 %``."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "–"
    number = format_number(100 * float(share), lang, decimals=decimals)
    return f"{number}{_NBSP}%" if lang == "fr" else f"{number}%"


def format_date(value, lang: str = DEFAULT_LANGUAGE) -> str:
    """A date as ``2026-11-23`` (English) or ``23/11/2026`` (French)."""
    if value is None:
        return "–"
    return value.strftime("%d/%m/%Y") if lang == "fr" else value.strftime("%Y-%m-%d")


#: Plain words for the codes of the data contract and the store (materials, results, leak
#: kinds), per language. Codes never reach a person: :func:`label` turns them into words.
LABELS: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        "material": {
            "cast_iron": "cast iron", "ductile_iron": "ductile iron", "steel": "steel",
            "galvanized_steel": "galvanised steel", "asbestos_cement": "asbestos cement",
            "concrete": "concrete", "pvc": "PVC", "pe": "polyethylene", "copper": "copper",
            "lead": "lead", "other": "other material", "unknown": "unknown material",
        },
        "result": {
            "leak_found": "leak found", "nothing_found": "nothing found",
            "no_access": "no access",
        },
        "leak_kind": {
            "main": "on the main", "joint": "at a joint", "service": "on a service pipe",
            "valve": "at a valve", "hydrant": "at a hydrant", "other": "elsewhere",
        },
    },
    "fr": {
        "material": {
            "cast_iron": "fonte grise", "ductile_iron": "fonte ductile", "steel": "acier",
            "galvanized_steel": "acier galvanisé", "asbestos_cement": "amiante-ciment",
            "concrete": "béton", "pvc": "PVC", "pe": "polyéthylène", "copper": "cuivre",
            "lead": "plomb", "other": "autre matériau", "unknown": "matériau inconnu",
        },
        "result": {
            "leak_found": "fuite trouvée", "nothing_found": "rien trouvé",
            "no_access": "pas d'accès",
        },
        "leak_kind": {
            "main": "sur la conduite", "joint": "à un joint", "service": "sur un branchement",
            "valve": "à une vanne", "hydrant": "à un poteau incendie", "other": "ailleurs",
        },
    },
}  # fmt: skip


def label(kind: str, code, lang: str = DEFAULT_LANGUAGE) -> str:
    """Plain words for a code: ``label("material", "cast_iron", "fr")`` is "fonte grise".

    Unknown codes read as words too (underscores become spaces); a missing value is "–",
    never "None".

    >>> label("material", "asbestos_cement")
    'asbestos cement'
    >>> label("result", None)
    '–'
    """
    if code is None or (isinstance(code, float) and math.isnan(code)) or code is _pd_na():
        return "–"
    code = str(code)
    words = LABELS.get(lang, {}).get(kind, {}).get(code)
    words = words or LABELS[DEFAULT_LANGUAGE].get(kind, {}).get(code)
    return words or code.replace("_", " ")


def _pd_na():
    """pandas' missing value (imported late: this module stays light)."""
    import pandas as pd

    return pd.NA


def languages() -> list[str]:
    """Language codes of the catalogue."""
    return list(CATALOGUE)
