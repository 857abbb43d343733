"""Data-driven tests, parametrised over every table of the bundled package."""

from __future__ import annotations

import pandas as pd
import pytest

import k2data
from k2data.load import package_spec
from k2data.rules import reference_problems
from k2data.schemas import schema

PKG = package_spec()
TABLES = list(k2data.TABLES)
UCUM_UNITS = {"mg/d", "ug/(100.g)", "umol/L", "d", "mo", "a", "%", "1"}


def test_tables_constant_lists_every_resource() -> None:
    assert TABLES == [r["name"] for r in PKG.raw["resources"]]
    for required in ("mechanisms", "trials", "cohorts", "sources", "combinations", "references", "claims"):
        assert required in TABLES


@pytest.mark.parametrize("name", TABLES)
def test_table_loads_non_empty_with_schema_columns(name: str, frames: dict) -> None:
    df = frames[name]
    assert len(df) > 0
    assert list(df.columns) == PKG.table(name).field_names


@pytest.mark.parametrize("name", TABLES)
def test_dtypes_follow_the_descriptor(name: str, frames: dict) -> None:
    df = frames[name]
    for f in PKG.table(name).fields:
        col = df[f.name]
        if f.type == "string" and f.enum is not None:
            assert isinstance(col.dtype, pd.CategoricalDtype), f.name
            assert list(col.dtype.categories) == list(f.enum), f.name
        elif f.type == "string":
            assert isinstance(col.dtype, pd.StringDtype), f.name
        elif f.type == "integer":
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
def test_primary_key_is_unique_and_complete(name: str, frames: dict) -> None:
    key = list(PKG.table(name).primary_key)
    assert key, "every table declares a primary key"
    df = frames[name]
    assert df[key].notna().all().all()
    assert not df.duplicated(key).any()


@pytest.mark.parametrize("name", TABLES)
def test_fields_are_described_with_declared_units(name: str) -> None:
    table = PKG.table(name)
    assert table.title and len(table.description) > 40
    for f in table.fields:
        assert len(f.description) > 5, f"{name}.{f.name} needs a description"
        if f.unit is not None:
            assert f.unit in UCUM_UNITS, f"{name}.{f.name} unit {f.unit!r}"
        # a field whose name carries a unit suffix declares that unit
        for suffix, unit in (("_mg_d", "mg/d"), ("_umol_l", "umol/L"), ("_mo", "mo"), ("_d", "d"), ("_pct", "%")):
            if f.name.endswith(suffix) and f.type == "number":
                assert f.unit == unit, f"{name}.{f.name} should declare {unit}"
                break


@pytest.mark.parametrize("name", TABLES)
def test_foreign_keys_resolve(name: str, frames: dict) -> None:
    problems = [p for p in reference_problems(PKG, frames) if p.file == PKG.table(name).path]
    assert problems == []


@pytest.mark.parametrize("name", TABLES)
def test_pandera_schema_agrees_with_descriptor(name: str, frames: dict) -> None:
    s = schema(name)
    table = PKG.table(name)
    assert list(s.columns) == table.field_names
    for f in table.fields:
        col = s.columns[f.name]
        assert col.nullable is (not f.required), f.name
        assert col.unique is f.unique, f.name
        assert col.description == (f.description or None)
        assert (col.metadata or {}).get("unit") == f.unit
    validated = s.validate(frames[name])
    assert validated.shape == frames[name].shape


EVIDENCE_TABLES = [t.name for t in PKG.tables if "reference_ids" in t.field_names]


def test_the_evidence_tables_are_the_expected_ones() -> None:
    assert set(EVIDENCE_TABLES) >= {"mechanisms", "trials", "cohorts", "outcomes", "sources", "combinations", "claims"}


@pytest.mark.parametrize("name", EVIDENCE_TABLES)
def test_evidence_rows_cite_a_reference(name: str, frames: dict) -> None:
    assert frames[name]["reference_ids"].map(len).gt(0).all()
