"""The dataset keeps its promise: every seed figure is findable, and divergences show as verdicts."""

from __future__ import annotations

import re

import pytest

import k2data

CLAIMS = k2data.load("claims")
SECTIONS = list(CLAIMS["seed_section"].cat.categories)


def claims_with_seed_figure(text: str):
    return CLAIMS[CLAIMS["seed_figure"].fillna("").str.contains(text, regex=False)]


# every figure the seed article states, as it appears in the seed's own wording
SEED_FIGURES = [
    "45-90 mg/day", "20-30%", "6 to 12", "7.0 vs 2.0", "P < 0.001", "28%", "62%", "50-70%",
    "100 mcg", "2 years", "1000", "75-120", "32", "50% vs 25%", "61 patients", "2025",
]


@pytest.mark.parametrize("figure", SEED_FIGURES)
def test_every_seed_figure_is_in_claims(figure: str) -> None:
    assert len(claims_with_seed_figure(figure)) >= 1, f"no claim records the seed figure {figure!r}"


@pytest.mark.parametrize("section", SECTIONS)
def test_every_seed_section_has_claims(section: str) -> None:
    assert (CLAIMS["seed_section"] == section).sum() >= 1


@pytest.mark.parametrize(
    ("seed_figure", "verdicts"),
    [
        ("6 to 12", {"diverges"}),  # real medians 146 vs 262 days
        ("7.0 vs 2.0", {"diverges"}),  # the retrospective study reports 6.0 vs 2.0
        ("50% vs 25%", {"diverges"}),  # the phase II RCT reports ORR 27.3% vs 4.5%
        ("61 patients", {"diverges"}),  # Mizuta used 45 mg/d, not 45-90
        ("75-120", {"diverges"}),  # Brie is soft cheese; no source for 120
        ("50-70%", {"not_found"}),  # no xenograft figure in any source
        ("2025", {"diverges"}),  # the menadione paper is Science 2024, and menadione is K3
    ],
)
def test_known_divergences_show_as_verdicts(seed_figure: str, verdicts: set[str]) -> None:
    rows = claims_with_seed_figure(seed_figure)
    assert len(rows) >= 1
    assert set(rows["verdict"].astype(str)) <= verdicts, rows[["claim_id", "verdict"]]


def test_diverging_figures_record_both_sides() -> None:
    diverging = CLAIMS[(CLAIMS["verdict"] == "diverges") & CLAIMS["seed_figure"].notna()]
    assert len(diverging) >= 5
    assert diverging["source_figure"].notna().all(), diverging["claim_id"].tolist()
    numeric = diverging[diverging["seed_value_low"].notna() & diverging["source_value_low"].notna()]
    assert len(numeric) >= 3
    assert (numeric["value_unit"].notna()).all()


def test_seed_article_is_a_reference() -> None:
    refs = k2data.load("references").set_index("reference_id")
    assert refs.loc["seed_article", "kind"] == "blog_post"
    assert refs.loc["seed_article", "year"] == 2025


def test_studies_without_benefit_are_included() -> None:
    trials = k2data.load("trials")
    cohorts = k2data.load("cohorts")
    assert (trials["result_summary"] == "no_benefit").sum() >= 3
    assert {"null", "adverse"} <= set(cohorts["result_summary"].astype(str))
    yoshida = trials.set_index("trial_id").loc["yoshida2011"]
    assert yoshida["blinding"] == "double_blind" and yoshida["n_total"] == 548


def test_identifiers_have_valid_forms() -> None:
    refs = k2data.load("references")
    assert refs["doi"].dropna().map(lambda d: re.fullmatch(r"10\.\d{4,9}/\S+", d) is not None).all()
    assert refs["pmid"].dropna().str.fullmatch(r"[1-9]\d{0,8}").all()
    # identifiers that the research marked unverified stay empty
    r = refs.set_index("reference_id")
    assert r.loc["haruna2025_bjc", ["doi", "pmid"]].isna().all()
    genes = k2data.load("genes").set_index("gene_id")
    assert genes["hgnc_id"].isna()["HSD17B4"]
    assert genes.loc["TP53", "hgnc_id"] == "HGNC:11998"


# ------------------------------------------------------------ 0.2: graded evidence

TRIALS = k2data.load("trials")
COHORTS = k2data.load("cohorts")
OUTCOMES = k2data.load("outcomes")
ROB = k2data.load("risk_of_bias")
NRS = k2data.load("risk_of_bias_nrs")
CERTAINTY = k2data.load("certainty")
RANK = {"low": 0, "some_concerns": 1, "high": 2}
SEVERITY = {"low": 0, "moderate": 1, "serious": 2, "critical": 3, "no_information": -1}
GRADE = ["very_low", "low", "moderate", "high"]


def test_every_randomised_trial_has_a_rob2_row() -> None:
    randomised = set(TRIALS.loc[TRIALS["randomized"].fillna(False).astype(bool) & (TRIALS["design_id"] == "rct"), "trial_id"])
    assert randomised and randomised == set(ROB["trial_id"])


def test_every_non_randomised_comparison_and_every_cohort_has_a_robins_i_row() -> None:
    comparisons = set(TRIALS.loc[TRIALS["design_id"].isin(["retrospective_cohort", "non_randomised_trial"]), "trial_id"])
    assert comparisons <= set(NRS["trial_id"].dropna())
    assert set(COHORTS["cohort_id"]) <= set(NRS["cohort_id"].dropna())


def test_rob2_overall_follows_its_domains() -> None:
    domains = ["randomisation", "deviations", "missing_data", "measurement", "reported_result"]
    for r in ROB.itertuples():
        levels = [RANK[str(getattr(r, d))] for d in domains]
        concerns = sum(1 for x in levels if x == 1)
        expected = "high" if 2 in levels or concerns >= 3 else "some_concerns" if concerns else "low"
        assert r.overall == expected, r.trial_id
        assert all(len(str(getattr(r, f"{d}_reason"))) > 20 for d in domains)


def test_robins_i_overall_is_at_least_the_most_severe_domain() -> None:
    domains = ["confounding", "selection", "classification", "deviations", "missing_data", "measurement", "reported_result"]
    for r in NRS.itertuples():
        worst = max(SEVERITY[str(getattr(r, d))] for d in domains)
        assert SEVERITY[str(r.overall)] >= worst, r.assessment_id


def test_grade_certainty_is_its_start_minus_downgrades_plus_upgrades() -> None:
    downs = ["risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias"]
    for r in CERTAINTY.itertuples():
        start = GRADE.index(str(r.starting_certainty))
        expected = GRADE[max(0, min(3, start - sum(int(getattr(r, d)) for d in downs) + int(r.upgrade)))]
        assert r.certainty == expected, r.question_id
        if r.cohort_ids and not r.trial_ids:
            assert r.starting_certainty == "low", r.question_id  # observational evidence starts low


def test_the_questions_cover_hcc_recurrence_safety_cohorts_and_k1() -> None:
    text = " ".join(CERTAINTY["question"].str.lower())
    for words in ("recurrence", "safe", "vitamin k1", "mortality"):
        assert words in text, words
    claims = CLAIMS.set_index("claim_id")
    for claim in ("C04", "C48", "C17", "C20", "C31"):
        assert claims.loc[claim, "question_ids"], claim


def test_meta_analyses_are_level_1_only_when_they_pool_randomised_trials_only() -> None:
    ma = TRIALS[TRIALS["design_id"] == "meta_analysis"].set_index("trial_id")
    assert ma.loc["riaz2012_ma", "cebm_level"] == 1
    for trial in ("zhong2013_ma", "guo2026_ma", "ganbat2021_ma", "ma_booksci"):
        assert ma.loc[trial, "cebm_level"] == 3, trial


def test_every_ratio_between_groups_says_which_way_it_runs() -> None:
    from k2data._package import open_package

    comparison = open_package().table("outcomes").field("comparison")
    between = OUTCOMES["comparison"].astype(str).map(lambda c: bool(comparison.category(c).get("betweenGroups")))
    rows = OUTCOMES[between & OUTCOMES["estimate"].notna()]
    assert rows["numerator"].notna().all() and rows["ratio_event"].notna().all()


def test_the_audit_items_are_corrected() -> None:
    trials = TRIALS.set_index("trial_id")
    assert trials.loc["jiang2014_osteoporosis", "blinding"] == "double_blind"
    assert "single-centre" not in trials.loc["haruna2025_tace", "summary"].lower()
    assert COHORTS.set_index("cohort_id").loc["epic_heidelberg_2010", "follow_up_statistic"] == "median"
    c48 = CLAIMS.set_index("claim_id").loc["C48"]
    assert c48["verdict"] == "diverges" and "yoshida" in c48["explanation"].lower()
    within = OUTCOMES[OUTCOMES["outcome_id"].str.contains("responders")]
    assert set(within["comparison"].astype(str)) == {"within_arm"} and within["ci_low"].notna().all()
