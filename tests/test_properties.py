"""Property-based tests: random mutations of valid rows are always reported at their place."""

from __future__ import annotations

import shutil
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import k2data
from conftest import read_rows, write_rows
from k2data._package import bundled_descriptor_path
from k2data._package import open_package as package_spec
from k2data.update import update_hashes

TABLES = k2data.load()
WORD = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=12)


def _rows(table: str) -> int:
    return len(TABLES[table])


# kind -> (table, field, strategy of the bad value, expected problem check)
MUTATIONS = {
    "wrong type": ("trials", "n_total", WORD, "type"),
    "out of range": ("outcomes", "p_value", st.floats(min_value=1.001, max_value=1e6).map(lambda x: f"{x:.3f}"), "maximum"),
    "not in vocabulary": ("claims", "verdict", WORD.filter(lambda w: w not in {"verified", "diverges", "not_found"}), "enum"),
    "blank required": ("claims", "explanation", st.just(""), "required"),
    "dangling key": ("trials", "design_id", WORD.map(lambda w: f"zz_{w}"), "foreign-key"),
    "dangling key in a list": ("claims", "reference_ids", WORD.map(lambda w: f"seed_article;zz_{w}"), "foreign-key"),
    "formula in text": ("claims", "statement", st.tuples(st.sampled_from("=+-@"), WORD).map("".join), "text"),
    "malformed DOI": ("references", "doi", WORD, "pattern"),
    "stray whitespace": ("cohorts", "design_id", st.sampled_from([" prospective_cohort", "prospective_cohort "]), ""),
}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    src = bundled_descriptor_path()
    dest = tmp_path_factory.mktemp("prop")
    shutil.copy2(src, dest / "datapackage.json")
    shutil.copytree(src.parent / "data", dest / "data")
    return dest / "datapackage.json"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_mutation_is_reported_where_it_is(scratch: Path, data) -> None:
    kind = data.draw(st.sampled_from(sorted(MUTATIONS)), label="kind")
    table, field, values, check = MUTATIONS[kind]
    row = data.draw(st.integers(min_value=2, max_value=_rows(table) + 1), label="row")
    value = data.draw(values, label="value")
    path = scratch.parent / "data" / f"{table}.csv"
    original = path.read_bytes()
    descriptor = scratch.read_bytes()
    try:
        rows = read_rows(path)
        rows[row - 1][rows[0].index(field)] = value
        write_rows(path, rows)
        update_hashes(scratch)
        report = k2data.validate(scratch)
        hits = [p for p in report.problems if (p.file, p.row, p.field) == (f"data/{table}.csv", row, field)]
        assert hits, f"{kind} at row {row} not reported:\n{report.to_text()}"
        assert check in hits[0].check
    finally:
        path.write_bytes(original)
        scratch.write_bytes(descriptor)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_duplicate_primary_key_reported_at_the_later_row(scratch: Path, data) -> None:
    table = data.draw(st.sampled_from(["trials", "claims", "outcomes", "references"]))
    n = _rows(table)
    first = data.draw(st.integers(min_value=2, max_value=n))
    second = data.draw(st.integers(min_value=first + 1, max_value=n + 1))
    path = scratch.parent / "data" / f"{table}.csv"
    original, descriptor = path.read_bytes(), scratch.read_bytes()
    try:
        rows = read_rows(path)
        rows[second - 1][0] = rows[first - 1][0]
        write_rows(path, rows)
        update_hashes(scratch)
        report = k2data.validate(scratch)
        key = package_spec().table(table).primary_key[0]
        assert any((p.file, p.row, p.field) == (f"data/{table}.csv", second, key) for p in report.problems), report.to_text()
    finally:
        path.write_bytes(original)
        scratch.write_bytes(descriptor)
