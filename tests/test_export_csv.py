"""k2data.export.csv: the CSV files and their data package, read back by frictionless and DuckDB."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import row_key as _key
from conftest import sha256 as _sha256
from k2data._package import open_package as package_spec

PKG = package_spec()
TABLES = list(PKG.table_names)



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
def test_csv_is_rfc4180_sorted_by_primary_key_with_schema_header(release, sorted_frames, name) -> None:
    text = (release / "csv" / f"{name}.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines(keepends=True)))
    assert rows[0] == PKG.table(name).field_names
    assert len(rows) - 1 == len(sorted_frames[name])
    keys = [_key(name, dict(zip(rows[0], r, strict=True))) for r in rows[1:]]
    assert keys == [_key(name, row) for row in sorted_frames[name].to_dict("records")]


def test_duckdb_reads_every_csv_file(release, sorted_frames) -> None:
    import duckdb

    for name in TABLES:
        path = (release / "csv" / f"{name}.csv").as_posix()
        rel = duckdb.sql(f"SELECT * FROM read_csv('{path}', header = true)")
        assert rel.columns == PKG.table(name).field_names, name
        assert duckdb.sql(f"SELECT count(*) FROM read_csv('{path}', header = true)").fetchall() == [
            (len(sorted_frames[name]),)
        ]
