"""k2data.export.sqlite: one database with the declared types, constraints, keys, link tables, metadata and search."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import k2data
from k2data._package import TYPES, open_package
from k2data.errors import DataFileError, DescriptorError
from k2data.export import sort_frame
from k2data.export.sqlite import SEARCH_SOURCES, build_database
from k2data.release import export

PKG = open_package()
TABLES = list(PKG.table_names)
LISTS = [(t.name, f.name) for t in PKG.tables for f in t.fields if f.is_list]


@pytest.fixture(scope="module")
def db(release) -> Iterator[sqlite3.Connection]:
    con = sqlite3.connect(f"file:{release / 'k2data.sqlite'}?mode=ro", uri=True)
    yield con
    con.close()


@pytest.fixture
def scratch(release) -> Iterator[sqlite3.Connection]:
    """A writable in-memory copy of the release database, foreign keys enforced."""
    src = sqlite3.connect(release / "k2data.sqlite")
    con = sqlite3.connect(":memory:")
    src.backup(con)
    src.close()
    con.execute("PRAGMA foreign_keys = ON")
    yield con
    con.close()


def _rows(con: sqlite3.Connection, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return con.execute(sql, params).fetchall()


@pytest.mark.parametrize("name", TABLES)
def test_every_table_has_its_rows_declared_types_not_null_and_key(db, name) -> None:
    spec = PKG.table(name)
    info = {r[1]: r for r in _rows(db, f'PRAGMA table_info("{name}")')}  # cid, name, type, notnull, default, pk
    assert list(info) == spec.field_names
    for f in spec.fields:
        assert info[f.name][2] == ("TEXT" if f.is_list else TYPES[f.type].sqlite), f.name
        assert bool(info[f.name][3]) == f.required, f.name
    assert tuple(n for n, r in sorted(info.items(), key=lambda kv: kv[1][5]) if r[5]) == spec.primary_key
    assert _rows(db, f'SELECT count(*) FROM "{name}"') == [(len(k2data.load(name)),)]


@pytest.mark.parametrize("name", TABLES)
def test_the_values_are_those_load_gives(db, name) -> None:
    spec = PKG.table(name)
    frame = sort_frame(spec, k2data.load(name))
    got = _rows(db, f'SELECT * FROM "{name}"')
    for row, expected in zip(got, frame.to_dict("records"), strict=True):
        for f, value in zip(spec.fields, row, strict=True):
            want = expected[f.name]
            if f.is_list:
                assert value == (";".join(want) if want else None), (name, f.name)
            elif k2data.export.is_missing(want):
                assert value is None, (name, f.name)
            elif f.type == "boolean":
                assert value == int(want)
            else:
                assert value == (want if f.type in ("integer", "number", "year") else str(want)), (name, f.name)


def test_check_constraints_refuse_what_the_descriptor_forbids(scratch) -> None:
    row = dict(zip(PKG.table("claims").field_names, _rows(scratch, "SELECT * FROM claims LIMIT 1")[0], strict=True))

    def insert_claim(**change: Any) -> None:
        values = {**row, "claim_id": "C999", **change}
        cols = ", ".join(f'"{k}"' for k in values)
        scratch.execute(f"INSERT INTO claims ({cols}) VALUES ({', '.join('?' * len(values))})", list(values.values()))

    insert_claim()  # the row itself is fine
    scratch.execute("DELETE FROM claims WHERE claim_id = 'C999'")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        insert_claim(verdict="maybe")  # enum
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"):
        insert_claim(statement=None)  # required
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        scratch.execute("UPDATE trials SET randomized = 2 WHERE trial_id = (SELECT min(trial_id) FROM trials)")  # boolean
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        scratch.execute("UPDATE outcomes SET p_value = 1.5 WHERE outcome_id = (SELECT min(outcome_id) FROM outcomes)")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        scratch.execute("INSERT INTO evidence_levels SELECT * FROM evidence_levels LIMIT 1")  # primary key


def test_foreign_keys_are_declared_on_scalar_links_and_clean(db, scratch) -> None:
    assert _rows(db, "PRAGMA foreign_key_check") == []
    for t in PKG.tables:
        declared = {(r[3], r[2], r[4]) for r in _rows(db, f'PRAGMA foreign_key_list("{t.name}")')}
        assert declared == {(link.field, link.target, link.target_field) for link in t.links if not link.is_list}
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        scratch.execute("UPDATE outcomes SET trial_id = 'no_such_trial' WHERE trial_id IS NOT NULL")


@pytest.mark.parametrize(("table", "field"), LISTS)
def test_each_list_field_is_a_link_table_with_keys_on_both_sides(db, table, field) -> None:
    spec = PKG.table(table)
    link = spec.link(field)
    name = f"{table}__{field}"
    item = link.target_field if link is not None else "value"
    cols = [r[1] for r in _rows(db, f'PRAGMA table_info("{name}")')]
    assert cols == [*spec.primary_key, "position", item]
    fks = {(r[2], r[3]) for r in _rows(db, f'PRAGMA foreign_key_list("{name}")')}
    assert (table, spec.primary_key[0]) in fks
    if link is not None:
        assert (link.target, item) in fks
    frame = sort_frame(spec, k2data.load(table))
    expected = [(k, i, v) for k, items in zip(frame[spec.primary_key[0]], frame[field], strict=True) for i, v in enumerate(items, 1)]
    got = _rows(db, f'SELECT "{spec.primary_key[0]}", position, "{item}" FROM "{name}" ORDER BY 1, 2')
    assert got == sorted(expected)


def test_a_join_through_a_link_table_needs_no_string_splitting(db) -> None:
    claims = k2data.load("claims").set_index("claim_id")
    refs = k2data.load("references").set_index("reference_id")
    claim = next(c for c, ids in claims["reference_ids"].items() if len(ids) > 1)
    got = _rows(
        db,
        'SELECT r.title FROM claims__reference_ids l JOIN "references" r USING (reference_id) WHERE l.claim_id = ? ORDER BY l.position',
        claim,
    )
    assert [t for (t,) in got] == [None if pd_missing(refs.at[i, "title"]) else refs.at[i, "title"] for i in claims.at[claim, "reference_ids"]]


def pd_missing(value: Any) -> bool:
    return k2data.export.is_missing(value)


def test_descriptions_units_and_vocabularies_are_in_the_file(db) -> None:
    described = {(t, c): (unit, d, links) for t, c, unit, d, links in _rows(db, "SELECT table_name, column_name, unit, description, links_to FROM _k2data_columns")}
    for t in PKG.tables:
        for f in t.fields:
            unit, description, links = described[(t.name, f.name)]
            assert (unit, description) == (f.unit, f.description or None)
            assert links == (t.link(f.name).dotted if t.link(f.name) else None)
        assert _rows(db, "SELECT kind, title, description FROM _k2data_tables WHERE name = ?", t.name) == [("table", t.title, t.description)]
    assert described[("trials", "dose_min_mg_d")][0] == "mg/d"
    views = {n for (n,) in _rows(db, "SELECT name FROM _k2data_tables WHERE kind = 'view'")}
    assert views == {"evidence", "claims_checked"}
    view_columns = {c: (type_, unit) for c, type_, unit in _rows(db, "SELECT column_name, type, unit FROM _k2data_columns WHERE table_name = 'evidence'")}
    assert view_columns["estimate"] == ("number", PKG.table("outcomes").field("estimate").unit)
    assert view_columns["reference_ids"] == ("list of string", None) and view_columns["study_type"] == ("string", None)
    every = {(t, c) for t, c in _rows(db, "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'search%' AND m.name NOT LIKE 'sqlite%'")}
    assert every <= set(described), "every column of every table and view is described"
    verdict = PKG.table("claims").field("verdict")
    assert _rows(db, "SELECT value, label FROM _k2data_values WHERE table_name = 'claims' AND column_name = 'verdict' ORDER BY position") == list(verdict.labels)
    facts = dict(_rows(db, "SELECT key, value FROM _k2data_package"))
    assert facts["version"] == PKG.version and facts["notice"] == "Educational material, not medical advice."
    assert facts["citation"] == PKG.citation


def test_full_text_search_finds_claims_studies_and_references(db) -> None:
    tables = {src.table for src in SEARCH_SOURCES}
    counts = dict(_rows(db, "SELECT table_name, count(*) FROM search GROUP BY table_name"))
    assert counts == {t: len(k2data.load(t)) for t in tables}
    hits = _rows(db, "SELECT table_name, key FROM search WHERE search MATCH 'menatetrenone' ORDER BY rank")
    assert {t for t, _ in hits} >= {"trials", "references", "claims"}
    for table, key in hits:
        pk = PKG.table(table).primary_key[0]
        assert _rows(db, f'SELECT count(*) FROM "{table}" WHERE "{pk}" = ?', key) == [(1,)]
    assert _rows(db, "SELECT key FROM search WHERE search MATCH 'title: natto' AND table_name = 'references'")


def test_two_builds_give_the_same_bytes(tmp_path) -> None:
    frames = {t.name: sort_frame(t, k2data.load(t.name)) for t in PKG.tables}
    a = build_database(PKG, frames, tmp_path / "a.sqlite").read_bytes()
    b = build_database(PKG, frames, tmp_path / "b.sqlite").read_bytes()
    assert a == b
    assert a[16:18] == (4096).to_bytes(2, "big"), "the page size is fixed"


def test_a_small_package_exports_without_the_views_it_cannot_build(mini, tmp_path) -> None:
    pkg = mini("trials", "references", rows=None)
    export("sqlite", tmp_path, datapackage=pkg.descriptor)
    con = sqlite3.connect(tmp_path / "k2data.sqlite")
    names = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    assert {"trials", "references", "trials__reference_ids", "search"} <= names
    assert "evidence" not in names and "claims_checked" not in names
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()


def test_a_table_named_like_the_files_own_tables_is_refused(mini, tmp_path) -> None:
    pkg = mini("genes")

    def rename(raw: dict) -> None:
        raw["resources"][0]["name"] = "search"

    pkg.edit_descriptor(rename)
    with pytest.raises(DescriptorError, match="'search' is reserved"):
        export("sqlite", tmp_path, datapackage=pkg.descriptor)


def test_a_value_that_breaks_a_constraint_names_its_table(mini, tmp_path) -> None:
    pkg = mini("trials")
    pkg.set("trials", 2, "dose_min_mg_d", "-1")
    with pytest.raises(DataFileError, match=r"table 'trials'.*CHECK"):
        export("sqlite", tmp_path, datapackage=pkg.descriptor)
    assert not (tmp_path / "k2data.sqlite").exists()


def test_the_release_file_is_read_by_the_sqlite3_shell_view(release) -> None:
    """The views are plain SQL any SQLite reader runs (here: Python's, read-only)."""
    con = sqlite3.connect(f"file:{Path(release) / 'k2data.sqlite'}?mode=ro", uri=True)
    diverges = con.execute("SELECT count(*) FROM claims_checked WHERE verdict = 'diverges'").fetchone()[0]
    con.close()
    claims = k2data.load("claims")
    assert diverges == int((claims["verdict"] == "diverges").sum()) > 0
