"""k2data.validation.table: every cell defect is reported once, at its file, row and field, in plain words."""

from __future__ import annotations

import pytest

CELL_DEFECTS = [
    # id, table, field, new value, expected check, words the message must hold
    ("wrong-type", "trials", "n_total", "many", "type", "is not a whole number"),
    ("not-finite", "outcomes", "estimate", "1e400", "type", "not a number"),
    ("infinity", "outcomes", "estimate", "inf", "type", "not a number"),
    ("nan", "outcomes", "ci_low", "NaN", "type", "not a number"),
    ("huge-integer", "trials", "n_total", "12345678901234567890123456", "type", "not a whole number"),
    ("out-of-range", "outcomes", "p_value", "1.5", "maximum", "above the maximum 1"),
    ("not-in-vocabulary", "claims", "verdict", "true", "enum", "is not one of: verified, partly_verified"),
    ("blank-required", "claims", "explanation", "", "required", "a required value is missing"),
    ("malformed-doi", "references", "doi", "doi:10.1000/xyz", "pattern", "does not match the pattern"),
    ("malformed-pmid", "references", "pmid", "PMID28819398", "pattern", "does not match the pattern"),
    ("malformed-curie", "cancer_types", "ncit_id", "C3099", "pattern", "does not match the pattern"),
    ("implausible-year", "references", "year", "2099", "maximum", "above the maximum"),
    ("formula-in-text", "claims", "statement", '=HYPERLINK("http://x")', "text", "spreadsheet formula"),
    ("stray-whitespace", "trials", "short_name", " Habu 2004", "text", "whitespace"),
    ("nul-in-text", "claims", "statement", "a\x00b", "text", "control character"),
    ("ansi-escape-in-text", "claims", "explanation", "\x1b[31mred\x1b[0m", "text", "control character"),
    ("bad-list-item", "claims", "reference_ids", "seed_article; mizuta", "list", "item of the list"),
    ("empty-list-item", "claims", "reference_ids", "seed_article;;x", "list", "empty"),
]


@pytest.mark.parametrize(("defect", "table", "field", "value", "check", "words"), CELL_DEFECTS, ids=[d[0] for d in CELL_DEFECTS])
def test_a_cell_defect_is_reported_once_at_its_place(mini, defect, table, field, value, check, words) -> None:
    pkg = mini(table, rows=None)
    row = pkg.first_row(table, field) if defect != "blank-required" else 2
    pkg.set(table, row, field, value)
    report = pkg.validate()
    assert not report.valid
    hits = [p for p in report.problems if (p.file, p.row, p.field) == (f"data/{table}.csv", row, field)]
    assert len(hits) == 1, report.to_text()
    assert hits[0].check == check
    assert words in hits[0].message
    assert "\x00" not in report.to_text() and "\x1b" not in report.to_text()


def test_a_value_outside_a_vocabulary_suggests_the_near_miss(mini) -> None:
    pkg = mini("outcomes", rows=None)
    row = pkg.first_row("outcomes", "measure")
    pkg.set("outcomes", row, "measure", "hazard ratio")
    (problem,) = [p for p in pkg.validate().problems if p.field == "measure"]
    assert problem.message == "'hazard ratio' is not one of: hazard_ratio, relative_risk, odds_ratio (did you mean hazard_ratio?)"


def test_an_invalid_required_cell_is_not_also_reported_as_empty(mini) -> None:
    pkg = mini("outcomes", rows=None)
    pkg.set("outcomes", 2, "direction", "better")
    problems = [p for p in pkg.validate().problems if p.row == 2 and p.field == "direction"]
    assert [p.check for p in problems] == ["enum"]


def test_a_type_error_does_not_also_fail_the_row_rules(mini) -> None:
    pkg = mini("outcomes", rows=None)
    row = pkg.first_row("outcomes", "ci_low")
    pkg.set("outcomes", row, "ci_low", "abc")
    problems = [p for p in pkg.validate().problems if p.row == row]
    assert [(p.field, p.check) for p in problems] == [("ci_low", "type")]


@pytest.mark.parametrize(
    ("table", "low", "high", "setup"),
    [
        ("outcomes", "ci_low", "ci_high", {}),
        ("outcomes", "ci_low", "ci_high", {"estimate": "", "measure": ""}),  # no estimate: still ordered
        ("outcomes", "intervention_ci_low", "intervention_ci_high", {"intervention_value": ""}),
        ("trials", "dose_min_mg_d", "dose_max_mg_d", {}),
    ],
    ids=["ci-with-estimate", "ci-without-estimate", "arm-ci-without-value", "dose"],
)
def test_an_inverted_interval_is_reported_with_or_without_its_estimate(mini, table, low, high, setup) -> None:
    pkg = mini(table, rows=None)
    row = pkg.first_row(table, high) if table == "trials" else 2
    for f, v in setup.items():
        pkg.set(table, row, f, v, rehash=False)
    pkg.set(table, row, low, "50", rehash=False)
    pkg.set(table, row, high, "5")
    hits = [p for p in pkg.validate().problems if p.row == row and p.check == "rule"]
    assert any(f"{low} is greater than {high}" == p.message for p in hits), [p.to_text() for p in hits]


def test_arms_larger_than_the_total(mini) -> None:
    pkg = mini("trials", rows=None)
    row = pkg.first_row("trials", "n_intervention", where=lambda r: r["n_total"] != "")
    pkg.set("trials", row, "n_intervention", "100000")
    hits = [p for p in pkg.validate().problems if p.row == row]
    assert hits and "n_total" in hits[0].message and hits[0].field == "n_intervention"


def test_a_percentage_above_100(mini) -> None:
    pkg = mini("outcomes", rows=None)
    row = pkg.first_row("outcomes", "intervention_value", where=lambda r: r["arm_value_unit"] == "%")
    pkg.set("outcomes", row, "intervention_value", "150")
    hits = [p for p in pkg.validate().problems if p.row == row and p.field == "intervention_value"]
    assert hits and "0-100" in hits[0].message


def test_an_outcome_linked_to_two_studies(mini) -> None:
    pkg = mini("outcomes", rows=None)
    row = pkg.first_row("outcomes", "trial_id")
    pkg.set("outcomes", row, "cohort_id", "some_cohort")
    hits = [p for p in pkg.validate().problems if p.row == row and p.field == "trial_id"]
    assert hits and "exactly one" in hits[0].message


def test_a_duplicate_primary_key_is_reported_on_the_later_row(mini) -> None:
    pkg = mini("claims")
    first = pkg.get("claims", 2, "claim_id")
    pkg.set("claims", 4, "claim_id", first)
    hits = [p for p in pkg.validate().problems if p.check == "unique"]
    assert [(p.row, p.field, p.value) for p in hits] == [(4, "claim_id", first)]
    assert "duplicate primary key" in hits[0].message


@pytest.mark.parametrize(
    ("change", "row", "check"),
    [
        (lambda b: b.replace(b"\n", b"\n\n", 2).replace(b"\n\n", b"\n", 1), 3, "blank-row"),
        (lambda b: b.replace(b"\n", b",extra\n", 2).replace(b",extra\n", b"\n", 1), 2, "cell-count"),
        (lambda b: b.rsplit(b"\n", 2)[0] + b"\nONLYONE\n", 5, "cell-count"),
    ],
    ids=["blank-row", "too-many-cells", "too-few-cells"],
)
def test_rows_of_the_wrong_shape_are_numbered_as_in_the_file(mini, change, row, check) -> None:
    pkg = mini("genes")
    pkg.write_bytes("genes", change(pkg.path("genes").read_bytes()))
    report = pkg.validate()
    assert ("data/genes.csv", row, None, check) in {(p.file, p.row, p.field, p.check) for p in report.problems}, report.to_text()


def test_rows_after_a_skipped_row_keep_their_numbers(mini) -> None:
    pkg = mini("genes", rows=None)
    rows = pkg.rows("genes")
    data = pkg.path("genes").read_bytes().replace(b"\n", b",extra\n", 3).replace(b",extra\n", b"\n", 2)
    pkg.write_bytes("genes", data)
    pkg.set("genes", 9, "hgnc_id", "HGNC-1")
    assert rows[8][0] == pkg.get("genes", 9, "gene_id")
    hits = {(p.row, p.field) for p in pkg.validate().problems}
    assert (3, None) in hits and (9, "hgnc_id") in hits


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda rows: [r[:-1] for r in rows], (1, "note", "missing-label")),
        (lambda rows: [[*r, "x"] for r in rows], (1, "x", "extra-label")),
        (lambda rows: [[r[1], r[0], *r[2:]] for r in rows], (1, "hgnc_id", "incorrect-label")),
        (lambda rows: [[*rows[0][:-1], "=cmd|' /C calc'!A0"], *rows[1:]], (1, "=cmd|' /C calc'!A0", "header")),
    ],
    ids=["missing-column", "extra-column", "reordered-columns", "formula-column-name"],
)
def test_header_defects(mini, change, expected) -> None:
    from conftest import write_rows

    pkg = mini("genes")
    write_rows(pkg.path("genes"), change(pkg.rows("genes")))
    pkg.rehash()
    assert expected in {(p.row, p.field, p.check) for p in pkg.validate().problems}


def test_every_problem_is_listed_sorted_by_file_and_row(mini) -> None:
    pkg = mini("claims", "genes", rows=None)
    pkg.set("genes", 5, "hgnc_id", "bad", rehash=False)
    pkg.set("claims", 3, "verdict", "maybe", rehash=False)
    pkg.set("claims", 7, "claim_id", "X1")
    places = [(p.file, p.row) for p in pkg.validate().problems]
    assert places == sorted(places, key=lambda x: (x[0], x[1] or -1))
    assert ("data/claims.csv", 3) in places and ("data/claims.csv", 7) in places and ("data/genes.csv", 5) in places
