"""The renewal plan in words and tables, in one language (``risk plan`` in English, the
Renewal page in the reader's): every sentence and column name goes through
:func:`risk.i18n.t`."""

from __future__ import annotations

import pandas as pd

from risk import clock
from risk.i18n import (
    format_date,
    format_number,
    format_percent,
    format_quantity,
    plural,
    t,
)
from risk.renewal.plan import RenewalPlan, Scenario


def euros(value: float, lang: str) -> str:
    """``1,234,567 €`` / ``1 234 567 €``."""
    return format_quantity(round(float(value)), "€", lang)


def failures(value: float, lang: str) -> str:
    """Expected failures: one decimal below 100, whole numbers above; none is "0"."""
    if value == 0:
        return format_number(0, lang)
    return format_number(value, lang, decimals=1 if abs(value) < 100 else 0)


def failures_column(values, lang: str) -> list[str]:
    """Expected failures of a table's column with the same decimals down the column (one
    when its largest is below 100), so that "59.1" does not stand among "159" and "233";
    none is "0".

    >>> failures_column([59.14, 159.2, 0.0], "en")
    ['59', '159', '0']
    """
    values = [float(v) for v in values]
    decimals = 1 if max((abs(v) for v in values), default=0) < 100 else 0
    return [format_number(v, lang, decimals=decimals if v else 0) for v in values]


def scenario_label(scenario: Scenario, lang: str = "en") -> str:
    """A scenario in words: "Plan: best value for money (2,000,000 €/year)", "Best value,
    70% of the budget (...)", "Oldest pipes first, the usual rule (...)", "Do nothing"."""
    budget = format_quantity(round(scenario.budget_eur_per_year), "€", lang)
    if scenario.rule == "nothing":
        return t("renewal.scenario.nothing", lang)
    if scenario.rule == "oldest_first":
        return t("renewal.scenario.age_rule", lang, budget=budget)
    if scenario.factor == 1.0:
        return t("renewal.scenario.plan", lang, budget=budget)
    return t(
        "renewal.scenario.other_budget",
        lang,
        share=format_percent(scenario.factor, lang),
        budget=budget,
    )


def scenario_table(plan: RenewalPlan, lang: str = "en") -> pd.DataFrame:
    """One row per scenario, formatted for people (column names in words)."""
    years = plan.basis["years"]
    rows = []
    for s in plan.scenarios:
        x = s.totals
        per_failure = x["cost_eur"] / x["failures_avoided"] if x["failures_avoided"] > 0 else None
        rows.append(
            {
                t("renewal.col.scenario", lang): scenario_label(s, lang),
                t("renewal.col.cost", lang, years=years): euros(x["cost_eur"], lang),
                t("renewal.col.km", lang): format_number(x["km_renewed"], lang, decimals=1),
                t("renewal.col.failures", lang, years=years): x["expected_failures"],
                t("renewal.col.avoided", lang): x["failures_avoided"],
                t("renewal.col.water", lang): format_number(x["water_saved_m3"], lang),
                t("renewal.col.saved", lang): euros(x["money_saved_eur"], lang),
                t("renewal.col.per_failure", lang): (
                    euros(per_failure, lang) if per_failure is not None else "–"
                ),
            }
        )
    table = pd.DataFrame(rows)
    for key in ("renewal.col.failures", "renewal.col.avoided"):
        column = t(key, lang, years=years)
        table[column] = failures_column(table[column], lang)
    return table


def year_table(scenario: Scenario, lang: str = "en") -> pd.DataFrame:
    """A scenario year by year, formatted for people."""
    y = scenario.yearly
    return pd.DataFrame(
        {
            t("renewal.col.year", lang): y["year"].astype(str),
            t("renewal.col.pipes", lang): [format_number(v, lang) for v in y["pipes_renewed"]],
            t("renewal.col.km", lang): [
                format_number(v, lang, decimals=1) for v in y["km_renewed"]
            ],
            t("renewal.col.cost_year", lang): [euros(v, lang) for v in y["cost_eur"]],
            t("renewal.col.failures_year", lang): failures_column(y["expected_failures"], lang),
            t("renewal.col.avoided", lang): failures_column(y["failures_avoided"], lang),
            t("renewal.col.water", lang): [format_number(v, lang) for v in y["water_saved_m3"]],
            t("renewal.col.saved", lang): [euros(v, lang) for v in y["money_saved_eur"]],
        }
    )


def plan_story(plan: RenewalPlan, lang: str = "en", *, today=None) -> list[str]:
    """The plan in a few sentences: what it renews, avoids and saves, against the age rule
    and doing nothing (and that it starts in a past year when the scores are of one, as of
    ``today``, default :func:`risk.clock.today`); then the assumptions."""
    b = plan.basis
    main, nothing = plan.main.totals, plan.scenario("nothing").totals
    age = plan.scenario("age_rule")
    story = [
        t(
            "renewal.story.plan",
            lang,
            budget=euros(b["budget_eur_per_year"], lang),
            years=b["years"],
            first=b["first_year"],
            km=format_number(main["km_renewed"], lang, decimals=1),
            pipes=format_number(main["pipes_renewed"], lang),
            avoided=failures(main["failures_avoided"], lang),
            expected=failures(nothing["expected_failures"], lang),
            water=format_quantity(main["water_saved_m3"], "m³", lang),
            saved=euros(main["money_saved_eur"], lang),
        ),
        t(
            "renewal.story.age_rule",
            lang,
            avoided=failures(age.totals["failures_avoided"], lang),
            km=format_number(age.totals["km_renewed"], lang, decimals=1),
        )
        if age is not None
        else t(
            "renewal.story.no_age_rule",
            lang,
            share=format_percent(b.get("install_year_known_share", 0.0), lang),
        ),
    ]
    cheapest = b.get("cheapest_eur")
    if cheapest is not None and b["budget_eur_per_year"] < cheapest:
        key = (
            "renewal.story.below_cheapest_unit"
            if b.get("by_unit")
            else "renewal.story.below_cheapest"
        )
        story.insert(1, t(key, lang, budget=euros(b["budget_eur_per_year"], lang),
                          cheapest=euros(cheapest, lang), pipe=b["cheapest_id"]))  # fmt: skip
    this_year = (today or clock.today()).year
    if b["first_year"] < this_year:  # scores of a past year: the plan's first years are gone
        story.insert(
            1,
            t(
                "renewal.story.past_start",
                lang,
                as_of=format_date(pd.Timestamp(b["as_of"]).date(), lang),
                first=b["first_year"],
                year=this_year,
            ),
        )
    if b.get("weighted_by_consequence"):
        story.append(
            t("renewal.story.consequence", lang, pipes=format_number(b["consequence_pipes"], lang))
        )
    if b.get("by_unit"):
        story.append(t("renewal.story.by_unit", lang))
    story.append(assumptions(plan, lang))
    return story


def assumptions(plan: RenewalPlan, lang: str = "en") -> str:
    """Where the figures come from, in one sentence."""
    b, costs = plan.basis, plan.inputs.costs
    source = t(f"renewal.ageing.{b['ageing_source']}", lang)
    return t(
        "renewal.assumptions",
        lang,
        as_of=format_date(pd.Timestamp(b["as_of"]).date(), lang),
        model=plural("renewal.horizon_model", b["horizon_years"], lang, n=int(b["horizon_years"])),
        exponent=format_number(b["ageing_exponent"], lang, decimals=2),
        source=source,
        repair=euros(costs.repair_eur_per_break, lang),
        water=format_quantity(costs.water_lost_m3_per_break, "m³", lang),
        price=format_quantity(costs.water_eur_per_m3, "€/m³", lang, decimals=2),
    )
