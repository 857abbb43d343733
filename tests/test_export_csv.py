"""k2data.export.csv: the CSV files and their data package, read back by frictionless and DuckDB."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

import k2data
from k2data._package import open_package as package_spec
from k2data.export import sort_frame

PKG = package_spec()
TABLES = list(PKG.table_names)
IS_ENUM = {(t.name, f.name) for t in PKG.tables for f in t.fields if f.type == "string" and f.enum is not None}



@pytest.fixture(scope="module")
def frames() -> dict[str, Any]:
    return {t.name: sort_frame(t, k2data.load(t.name)) for t in PKG.tables}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _key(table: str, row: dict[str, Any] | Any) -> tuple[str, ...]:
    return tuple(str(row[k]) for k in PKG.table(table).primary_key)


def _missing(value: Any) -> bool:
    return k2data.export.is_missing(value)


# --- CSV ----------------------------------------------------------------------------------------


def test_frictionless_accepts_the_csv_release(release) -> None:
    from frictionless import validate

    descriptor = release / "csv" / "datapackage.json"
    report = validate(str(descriptor))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert [task.name for task in report.tasks] == TABLES
    raw = json.loads(descriptor.read_text(encoding="utf-8"))
    for res in raw["resources"]:
        assert res["path"] == f"{res['name']}.csv"
        assert res["hash"] == "sha256:" + _sha256(release / "csv" / res["path"])
        assert res["bytes"] == (release / "csv" / res["path"]).stat().st_size


@pytest.mark.parametrize("name", TABLES)
def test_csv_is_rfc4180_sorted_by_primary_key_with_schema_header(release, frames, name) -> None:
    text = (release / "csv" / f"{name}.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines(keepends=True)))
    assert rows[0] == PKG.table(name).field_names
    assert len(rows) - 1 == len(frames[name])
    keys = [_key(name, dict(zip(rows[0], r, strict=True))) for r in rows[1:]]
    assert keys == [_key(name, row) for row in frames[name].to_dict("records")]


def test_duckdb_reads_every_csv_file(release, frames) -> None:
    import duckdb

    for name in TABLES:
        path = (release / "csv" / f"{name}.csv").as_posix()
        rel = duckdb.sql(f"SELECT * FROM read_csv('{path}', header = true)")
        assert rel.columns == PKG.table(name).field_names, name
        assert duckdb.sql(f"SELECT count(*) FROM read_csv('{path}', header = true)").fetchall() == [
            (len(frames[name]),)
        ]
