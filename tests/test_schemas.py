"""k2data.schemas: the Pandera schemas agree with the descriptor and catch what the validator catches."""

from __future__ import annotations

import pytest

import k2data
from k2data._package import open_package

PKG = open_package()


@pytest.mark.parametrize("name", list(k2data.TABLES))
def test_a_schema_agrees_with_the_descriptor_and_accepts_the_table(name: str, frames: dict) -> None:
    s = k2data.schema(name)
    table = PKG.table(name)
    assert list(s.columns) == table.field_names
    for f in table.fields:
        col = s.columns[f.name]
        assert col.nullable is (not f.required), f.name
        assert col.unique is f.unique, f.name
        assert col.description == (f.description or None)
        assert (col.metadata or {}).get("unit") == f.unit
    assert s.validate(frames[name]).shape == frames[name].shape


@pytest.mark.parametrize(
    ("table", "change", "check"),
    [
        ("outcomes", lambda df: df.assign(ci_low=df["ci_high"] * 10 + 1), "ci_low <= ci_high"),
        ("claims", lambda df: df.assign(statement="=1+1"), "clean text"),
        ("claims", lambda df: df.assign(reference_ids=[["seed_article", " x"]] * len(df)), "clean text"),
        ("trials", lambda df: df.assign(n_intervention=10**6), "arms <= n_total"),
    ],
    ids=["inverted-ci", "formula", "padded-list-item", "arms"],
)
def test_a_schema_catches_a_broken_frame(frames, table, change, check) -> None:
    import pandera.errors

    with pytest.raises(pandera.errors.SchemaErrors) as info:
        k2data.schema(table).validate(change(frames[table].copy()), lazy=True)
    assert check in set(info.value.failure_cases["check"].astype(str))
