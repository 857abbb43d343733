"""One small defect per class: each must be reported at its exact file, row and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import k2data
from conftest import read_rows, write_rows


def first_row(pkg: Path, table: str, field: str, where=lambda row: True) -> int:
    """File row number (header = 1) of the first row whose *field* is set and that satisfies *where*."""
    rows = read_rows(pkg.parent / "data" / f"{table}.csv")
    header = rows[0]
    col = header.index(field)
    for n, r in enumerate(rows[1:], start=2):
        rec = dict(zip(header, r, strict=True))
        if r[col] != "" and where(rec):
            return n
    raise AssertionError(f"no row of {table} has {field} set")


def located(report, file: str, row: int | None, field: str | None) -> list:
    return [p for p in report.problems if p.file == file and p.row == row and p.field == field]


CELL_DEFECTS = [
    # id, table, field, row selector, new value, expected check substring
    ("wrong-type", "trials", "n_total", None, "many", "type"),
    ("out-of-range", "outcomes", "p_value", None, "1.5", "constraint"),
    ("not-in-vocabulary", "claims", "verdict", None, "true", "constraint"),
    ("blank-required", "claims", "explanation", None, "", "constraint"),
    ("dangling-foreign-key", "trials", "cancer_type_id", None, "liver", "foreign-key"),
    ("dangling-key-in-list", "claims", "reference_ids", None, "seed_article;nobody2020", "foreign-key"),
    ("malformed-doi", "references", "doi", None, "doi:10.1000/xyz", "constraint"),
    ("malformed-pmid", "references", "pmid", None, "PMID28819398", "constraint"),
    ("malformed-curie", "cancer_types", "ncit_id", None, "C3099", "constraint"),
    ("implausible-year", "references", "year", None, "2099", "constraint"),
    ("formula-in-text", "claims", "statement", None, "=HYPERLINK(\"http://x\")", "rule"),
    ("stray-whitespace-in-id", "trials", "cancer_type_id", None, " hcc", ""),
]


@pytest.mark.parametrize(("defect", "table", "field", "where", "value", "check"), CELL_DEFECTS, ids=[d[0] for d in CELL_DEFECTS])
def test_cell_defect_is_located(pkg_copy, edit_cell, defect, table, field, where, value, check) -> None:
    row = first_row(pkg_copy, table, field)
    edit_cell(table, row, field, value)
    report = k2data.validate(pkg_copy)
    assert not report.valid
    hits = located(report, f"data/{table}.csv", row, field)
    assert hits, report.to_text()
    assert check in hits[0].check
    assert hits[0].value is not None or value == ""


def test_duplicate_primary_key(pkg_copy, edit_cell) -> None:
    rows = read_rows(pkg_copy.parent / "data" / "claims.csv")
    edit_cell("claims", 3, "claim_id", rows[1][0])
    report = k2data.validate(pkg_copy)
    hits = located(report, "data/claims.csv", 3, "claim_id")
    assert hits and hits[0].value == rows[1][0], report.to_text()


@pytest.mark.parametrize(
    ("table", "low", "mid", "high"),
    [("outcomes", "ci_low", "estimate", "ci_high"), ("trials", "dose_min_mg_d", None, "dose_max_mg_d")],
)
def test_inverted_interval(pkg_copy, edit_cell, table, low, mid, high) -> None:
    row = first_row(pkg_copy, table, high, where=lambda r: r[low] != "")
    rows = read_rows(pkg_copy.parent / "data" / f"{table}.csv")
    top = float(rows[row - 1][rows[0].index(high)])
    edit_cell(table, row, low, str(top * 10 + 1))
    report = k2data.validate(pkg_copy)
    hits = located(report, f"data/{table}.csv", row, low)
    assert hits and hits[0].check == "rule", report.to_text()
    assert "greater than" in hits[0].message


def test_arms_larger_than_total(pkg_copy, edit_cell) -> None:
    row = first_row(pkg_copy, "trials", "n_intervention", where=lambda r: r["n_total"] != "")
    edit_cell("trials", row, "n_intervention", "100000")
    report = k2data.validate(pkg_copy)
    hits = located(report, "data/trials.csv", row, "n_intervention")
    assert hits and "n_total" in hits[0].message, report.to_text()


def test_percentage_above_100(pkg_copy, edit_cell) -> None:
    row = first_row(pkg_copy, "outcomes", "intervention_value", where=lambda r: r["arm_value_unit"] == "%")
    edit_cell("outcomes", row, "intervention_value", "150")
    report = k2data.validate(pkg_copy)
    hits = located(report, "data/outcomes.csv", row, "intervention_value")
    assert hits and "0-100" in hits[0].message, report.to_text()


def test_outcome_linked_to_two_studies(pkg_copy, edit_cell) -> None:
    row = first_row(pkg_copy, "outcomes", "trial_id")
    cohort = read_rows(pkg_copy.parent / "data" / "cohorts.csv")[1][0]
    edit_cell("outcomes", row, "cohort_id", cohort)
    report = k2data.validate(pkg_copy)
    hits = located(report, "data/outcomes.csv", row, "trial_id")
    assert hits and "exactly one" in hits[0].message, report.to_text()


def test_stale_hash_says_how_to_fix(pkg_copy, edit_cell) -> None:
    edit_cell("claims", 2, "explanation", "Changed by hand.", rehash=False)
    report = k2data.validate(pkg_copy)
    hits = [p for p in report.problems if p.file == "data/claims.csv" and p.check == "hash-count"]
    assert hits and "k2data update" in hits[0].message


def test_missing_resource_file(pkg_copy) -> None:
    (pkg_copy.parent / "data" / "sources.csv").unlink()
    report = k2data.validate(pkg_copy)
    hits = [p for p in report.problems if p.file == "data/sources.csv"]
    assert hits and "missing" in hits[0].message


def test_descriptor_not_json(tmp_path) -> None:
    bad = tmp_path / "datapackage.json"
    bad.write_text("{ not json", encoding="utf-8")
    report = k2data.validate(bad)
    assert not report.valid
    assert report.problems[0].file == "datapackage.json"
    assert "not valid JSON" in report.problems[0].message


def test_descriptor_without_resources(tmp_path) -> None:
    bad = tmp_path / "datapackage.json"
    bad.write_text(json.dumps({"name": "x"}), encoding="utf-8")
    report = k2data.validate(bad)
    assert not report.valid and "'resources'" in report.problems[0].message


@pytest.mark.parametrize(
    ("path", "reason"),
    [("../outside.csv", "outside"), ("/etc/passwd", "absolute"), ("https://example.org/x.csv", "remote URL")],
)
def test_unsafe_resource_path_is_neither_read_nor_fetched(pkg_copy, path, reason) -> None:
    raw = json.loads(pkg_copy.read_text(encoding="utf-8"))
    raw["resources"][-1]["path"] = path
    pkg_copy.write_text(json.dumps(raw), encoding="utf-8")
    report = k2data.validate(pkg_copy)
    hits = [p for p in report.problems if p.check == "unsafe-path"]
    assert hits and reason in hits[0].message and hits[0].value == path


def test_every_problem_is_reported_sorted(pkg_copy, edit_cell) -> None:
    edit_cell("trials", 3, "n_total", "x")
    edit_cell("claims", 2, "verdict", "maybe")
    edit_cell("trials", 2, "n_total", "y")
    report = k2data.validate(pkg_copy)
    places = [(p.file, p.row, p.field) for p in report.problems]
    assert ("data/claims.csv", 2, "verdict") in places
    assert ("data/trials.csv", 2, "n_total") in places and ("data/trials.csv", 3, "n_total") in places
    assert places == sorted(places, key=lambda t: (t[0], -1 if t[1] is None else t[1], t[2] or ""))


def test_extra_column_is_reported(pkg_copy) -> None:
    path = pkg_copy.parent / "data" / "genes.csv"
    rows = read_rows(path)
    write_rows(path, [[*r, "x"] for r in rows])
    from k2data.update import update_hashes

    update_hashes(pkg_copy)
    report = k2data.validate(pkg_copy)
    assert any(p.file == "data/genes.csv" for p in report.problems), report.to_text()
