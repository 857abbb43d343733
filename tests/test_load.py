"""k2data.load: every table loads as a typed DataFrame, from the wheel or a checkout, and only from inside it."""

from __future__ import annotations

import pandas as pd
import pytest

import k2data
from k2data._package import open_package

PKG = open_package()
TABLES = list(k2data.TABLES)


def test_tables_lists_every_resource_in_order() -> None:
    assert TABLES == [r["name"] for r in PKG.raw["resources"]]
    for required in ("mechanisms", "trials", "cohorts", "sources", "combinations", "references", "claims"):
        assert required in TABLES


@pytest.mark.parametrize("name", TABLES)
def test_a_table_loads_non_empty_with_its_schema_columns(name: str, frames: dict) -> None:
    df = frames[name]
    assert len(df) > 0
    assert list(df.columns) == PKG.table(name).field_names
    assert df.attrs["k2data_table"] == name


@pytest.mark.parametrize("name", TABLES)
def test_dtypes_follow_the_descriptor(name: str, frames: dict) -> None:
    df = frames[name]
    for f in PKG.table(name).fields:
        col = df[f.name]
        if f.enum is not None:
            assert isinstance(col.dtype, pd.CategoricalDtype), f.name
            assert list(col.dtype.categories) == list(f.enum), f.name
        elif f.type == "string":
            assert isinstance(col.dtype, pd.StringDtype), f.name
        elif f.type in ("integer", "year"):
            assert str(col.dtype) == "Int64", f.name
        elif f.type == "number":
            assert str(col.dtype) == "float64", f.name
        elif f.type == "boolean":
            assert str(col.dtype) == "boolean", f.name
        elif f.type == "list":
            assert all(isinstance(v, list) for v in col), f.name
        else:  # pragma: no cover - a new type needs a test
            pytest.fail(f"untested field type {f.type}")


@pytest.mark.parametrize("name", TABLES)
def test_the_primary_key_is_unique_and_complete(name: str, frames: dict) -> None:
    key = list(PKG.table(name).primary_key)
    assert key, "every table declares a primary key"
    df = frames[name]
    assert df[key].notna().all().all()
    assert not df.duplicated(key).any()


def test_unknown_table_names_the_choices() -> None:
    with pytest.raises(k2data.UnknownTableError, match=r"no table named 'trial'; choose one of: .*trials"):
        k2data.load("trial")
    with pytest.raises(KeyError):
        k2data.load("nope")


def test_load_from_a_checkout_sees_its_edits(mini) -> None:
    pkg = mini("claims")
    pkg.set("claims", 2, "explanation", "An edited explanation.")
    claims = k2data.load("claims", datapackage=pkg.folder)
    assert claims.loc[0, "explanation"] == "An edited explanation."


@pytest.mark.parametrize(("field", "value"), [("n_total", "many"), ("dose_min_mg_d", "inf"), ("dose_min_mg_d", "nan")])
def test_load_refuses_a_cell_it_cannot_type(mini, field, value) -> None:
    pkg = mini("trials", rows=None)
    pkg.set("trials", pkg.first_row("trials", field), field, value)
    with pytest.raises(k2data.DataFileError, match=r"trials\.csv.*k2data validate"):
        k2data.load("trials", datapackage=pkg.descriptor)


def test_a_value_outside_a_vocabulary_is_named(mini) -> None:
    pkg = mini("claims")
    pkg.set("claims", 2, "verdict", "maybe")
    with pytest.raises(k2data.DataFileError, match="'maybe'"):
        k2data.load("claims", datapackage=pkg.descriptor)


def test_loading_all_tables_pauses_and_restores_the_garbage_collector(monkeypatch) -> None:
    import gc

    seen = []
    real = gc.disable

    def spy() -> None:
        seen.append(gc.isenabled())
        real()

    monkeypatch.setattr(gc, "disable", spy)
    k2data.load("genes")
    assert seen == [True] and gc.isenabled()


# --- backends -----------------------------------------------------------------------------------

BACKEND_TABLES = list(k2data.TABLES)


@pytest.mark.parametrize("name", BACKEND_TABLES)
def test_the_pyarrow_backend_gives_the_parquet_exporters_table(release, name) -> None:
    import pyarrow.parquet as pq

    from k2data._package import open_package
    from k2data.export.parquet import arrow_schema

    pkg = open_package()
    table = k2data.load(name, backend="pyarrow")
    assert table.schema.equals(arrow_schema(pkg.table(name), pkg.version), check_metadata=True)
    released = pq.read_table(release / "parquet" / f"{name}.parquet")
    key = [(k, "ascending") for k in pkg.table(name).primary_key]
    assert table.sort_by(key).to_pylist() == released.sort_by(key).to_pylist()


def test_the_polars_backend_gives_typed_polars_frames() -> None:
    import polars as pl

    trials = k2data.load("trials", backend="polars")
    assert isinstance(trials, pl.DataFrame) and trials.height == len(k2data.load("trials"))
    assert trials.schema["n_total"] == pl.Int64 and trials.schema["dose_min_mg_d"] == pl.Float64
    assert trials.schema["randomized"] == pl.Boolean and trials.schema["reference_ids"] == pl.List(pl.String)
    assert trials.schema["blinding"] == pl.Categorical
    every = k2data.load(backend="polars")
    assert list(every) == list(k2data.TABLES) and all(isinstance(df, pl.DataFrame) for df in every.values())


def test_the_polars_backend_without_polars_names_the_extra(monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "polars", None)  # `import polars` now raises ImportError
    with pytest.raises(k2data.MissingDependencyError, match=r'pip install "k2data\[polars\]"'):
        k2data.load("trials", backend="polars")
    assert len(k2data.load("trials", backend="pyarrow")) > 0  # pyarrow is always there


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="pandas, polars, pyarrow"):
        k2data.load("trials", backend="spark")
