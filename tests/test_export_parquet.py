"""k2data.export.parquet: one file per table with the descriptor's types, read back by DuckDB, polars and pyarrow."""

from __future__ import annotations

import pytest

from k2data._package import open_package as package_spec

PKG = package_spec()
TABLES = list(PKG.table_names)
IS_ENUM = {(t.name, f.name) for t in PKG.tables for f in t.fields if f.enum is not None}



# --- Parquet ------------------------------------------------------------------------------------

DUCKDB_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "year": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
}


@pytest.mark.parametrize("name", TABLES)
def test_duckdb_reads_every_parquet_file_with_its_types(release, sorted_frames, name) -> None:
    import duckdb

    path = (release / "parquet" / f"{name}.parquet").as_posix()
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{path}')")
    expected = []
    for f in PKG.table(name).fields:
        expected.append(DUCKDB_TYPES[f.item_type or "string"] + "[]" if f.is_list else DUCKDB_TYPES[f.type])
    assert rel.columns == PKG.table(name).field_names
    assert [str(t) for t in rel.types] == expected
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall() == [(len(sorted_frames[name]),)]


@pytest.mark.parametrize("name", TABLES)
def test_polars_reads_every_parquet_file_with_its_types(release, sorted_frames, name) -> None:
    import polars as pl

    scalar = {
        "string": pl.String,
        "integer": pl.Int64,
        "year": pl.Int64,
        "number": pl.Float64,
        "boolean": pl.Boolean,
        "date": pl.Date,
    }
    df = pl.read_parquet(release / "parquet" / f"{name}.parquet")
    assert df.height == len(sorted_frames[name])
    assert df.columns == PKG.table(name).field_names
    for f in PKG.table(name).fields:
        dtype = df.schema[f.name]
        if f.is_list:
            assert dtype == pl.List(scalar[f.item_type or "string"]), f.name
        elif (name, f.name) in IS_ENUM:
            assert isinstance(dtype, pl.Categorical), f.name
        else:
            assert dtype == scalar[f.type], f.name
    key = list(PKG.table(name).primary_key)
    assert df.select(key).rows() == sorted(df.select(key).rows()), "rows are sorted by primary key"


@pytest.mark.parametrize("name", TABLES)
def test_parquet_schema_carries_the_descriptor(release, name) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = release / "parquet" / f"{name}.parquet"
    schema = pq.read_schema(path)
    meta = schema.metadata
    assert meta[b"k2data.version"] == PKG.version.encode()
    assert meta[b"k2data.table"] == name.encode()
    assert b"pandas" not in meta
    table = PKG.table(name)
    for f in table.fields:
        af = schema.field(f.name)
        fmeta = af.metadata or {}
        assert fmeta.get(b"description", b"").decode() == f.description, f.name
        assert fmeta.get(b"unit", b"").decode() == (f.unit or ""), f.name
        assert af.nullable == (not f.required and not f.is_list), f.name
        if (name, f.name) in IS_ENUM:
            assert pa.types.is_dictionary(af.type), f.name
            column = pq.read_table(path, columns=[f.name]).column(0)
            assert column.chunk(0).dictionary.to_pylist() == list(f.enum), f.name
    pf = pq.ParquetFile(path)
    assert pf.metadata.created_by.startswith("parquet-cpp-arrow")
    chunks = [pf.metadata.row_group(0).column(i) for i in range(pf.metadata.num_columns)]
    assert {c.compression for c in chunks} == {"ZSTD"}


def test_parquet_values_equal_the_loaded_tables(release, sorted_frames) -> None:
    import pandas as pd

    from k2data.fetch import read_parquet

    for name in TABLES:
        pd.testing.assert_frame_equal(read_parquet(release / "parquet" / f"{name}.parquet"), sorted_frames[name], obj=name)
