"""k2data.load: every table loads as a typed DataFrame, from the wheel or a checkout, and only from inside it."""

from __future__ import annotations

import csv
import json
import math
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import k2data
from conftest import read_rows, write_rows
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


def test_loading_every_table_names_the_file_with_the_bad_cell(mini) -> None:
    pkg = mini("claims", "trials", rows=None)
    pkg.set("trials", pkg.first_row("trials", "n_total"), "n_total", "many")
    with pytest.raises(k2data.DataFileError, match=r"trials\.csv.*'n_total'"):
        k2data.load(datapackage=pkg.descriptor)


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


def test_loading_leaves_the_programs_objects_where_the_collector_had_them(monkeypatch) -> None:
    import gc

    moved = []
    monkeypatch.setattr(gc, "freeze", lambda: moved.append("freeze"))
    monkeypatch.setattr(gc, "unfreeze", lambda: moved.append("unfreeze"))
    k2data.load()
    assert moved == [] and gc.isenabled()


# --- the frames load() builds are pinned: to the release's Parquet files, and to a plain reading of the CSV ----------

DIST = Path(__file__).resolve().parents[1] / "dist" / "parquet"


def _python(value: object) -> object:
    """A cell as plain Python, missing values as None (NaN, NA and the empty list alike)."""
    if isinstance(value, list):
        return value or None
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _exact_dtype(f) -> object:
    if f.enum is not None:
        return pd.CategoricalDtype(list(f.enum))
    return {
        "string": pd.StringDtype(), "integer": pd.Int64Dtype(), "year": pd.Int64Dtype(),
        "number": np.dtype("float64"), "boolean": pd.BooleanDtype(), "list": np.dtype(object),
    }[f.type]  # fmt: skip


@pytest.mark.skipif(not DIST.is_dir(), reason="the release files are in the checkout, not in the wheel")
@pytest.mark.parametrize("name", TABLES)
def test_every_table_holds_what_its_release_parquet_file_holds(name: str, frames: dict) -> None:
    import pyarrow.parquet as pq

    table = PKG.table(name)
    df = frames[name]
    assert [df[f.name].dtype for f in table.fields] == [_exact_dtype(f) for f in table.fields]
    for f in table.fields:
        if f.type == "string" and f.enum is None:
            assert str(df[f.name].array._pa_array.type) == "large_string", f.name
    released = pq.read_table(DIST / f"{name}.parquet").to_pylist()
    key = list(table.primary_key)
    ours = df.sort_values(key).to_dict("records")
    assert len(ours) == len(released)
    for mine, theirs in zip(ours, released, strict=True):
        assert {k: _python(v) for k, v in mine.items()} == {k: _python(v) for k, v in theirs.items()}


def _reference(descriptor: Path, name: str) -> pd.DataFrame:
    """What load() must return, read cell by cell with the csv module (slow and plain)."""
    pkg = open_package(descriptor)
    table = pkg.table(name)
    with open(pkg.root / table.path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    columns = {}
    for i, f in enumerate(table.fields):
        cells = [r[i] if r[i] != "" else None for r in rows]
        if f.is_list:
            values = np.empty(len(cells), dtype=object)
            values[:] = [c.split(f.delimiter) if c is not None else [] for c in cells]
            columns[f.name] = values
        elif f.enum is not None:
            columns[f.name] = pd.Categorical(cells, categories=list(f.enum))
        elif f.type == "number":
            columns[f.name] = np.array([float(c) if c is not None else np.nan for c in cells])
        elif f.type == "integer":
            columns[f.name] = pd.array([int(c) if c is not None else None for c in cells], dtype="Int64")
        elif f.type == "boolean":
            columns[f.name] = pd.array([{"true": True, "false": False}[c] if c is not None else None for c in cells], dtype="boolean")
        else:
            columns[f.name] = pd.array(cells, dtype=pd.StringDtype())
    return pd.DataFrame(columns)


@pytest.fixture(scope="module")
def wide(tmp_path_factory) -> Path:
    """A table far larger than the bundled ones (several CSV blocks), with every kind of cell load() converts."""
    root = tmp_path_factory.mktemp("wide")
    fields = [
        {"name": "id", "type": "string", "constraints": {"required": True, "unique": True}},
        {"name": "tags", "type": "list", "itemType": "string", "delimiter": ";"},
        {"name": "refs", "type": "list", "itemType": "string", "delimiter": ";"},
        {"name": "kind", "type": "string", "constraints": {"enum": ["b", "a", "c"]}},
        {"name": "x", "type": "number"},
        {"name": "n", "type": "integer"},
        {"name": "ok", "type": "boolean"},
        {"name": "text", "type": "string"},
        {"name": "none", "type": "list", "itemType": "string", "delimiter": ";"},
        {"name": "unset", "type": "string", "constraints": {"enum": ["x"]}},
    ]
    descriptor = {"name": "wide", "resources": [{"name": "t", "path": "data/t.csv", "schema": {"fields": fields, "primaryKey": ["id"]}}]}
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    rng = random.Random(7)
    rows = [[f.get("name") for f in fields]]
    for i in range(30_000):
        rows.append([
            f"r{i}",
            "" if i % 7 == 0 else ";".join([f"t{i}", *(f"t{rng.randrange(99)}" for _ in range(rng.randint(0, 2)))]),  # distinct cells
            "" if i % 5 == 0 else rng.choice(["a;b", "c", "a;;d", "e;f;g", "é;ü"]),  # cells repeated on many rows
            "" if i % 11 == 0 else rng.choice("abc"),
            "" if i % 13 == 0 else repr(rng.uniform(-1e6, 1e6)),
            "" if i % 3 == 0 else str(rng.randrange(-(2**62), 2**62)),
            rng.choice(["true", "false", ""]),
            "" if i % 4 == 0 else f"text, with \"quotes\" {i} " + "x" * rng.randrange(80),
            "",
            "",
        ])  # fmt: skip
    write_rows(root / "data" / "t.csv", rows)
    return root / "datapackage.json"


def test_a_large_table_loads_as_a_plain_reading_of_its_csv(wide: Path) -> None:
    df = k2data.load("t", datapackage=wide)
    assert (wide.parent / "data" / "t.csv").stat().st_size > 2 << 20  # more than one block of the CSV reader
    pd.testing.assert_frame_equal(df, _reference(wide, "t"))
    for name in ("tags", "refs", "none"):
        cells = df[name].tolist()
        assert all(type(c) is list for c in cells) and len({id(c) for c in cells}) == len(cells), "a new list per row"
    assert df.attrs["k2data_table"] == "t"


def test_the_bundled_tables_load_as_a_plain_reading_of_their_csv(frames: dict) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(frames[name], _reference(PKG.path, name), obj=name)


def _as_python_lists(df: pd.DataFrame) -> pd.DataFrame:
    """*df* with every Arrow list column turned into an object column of Python lists."""
    out = df.copy()
    for name, dtype in df.dtypes.items():
        if isinstance(dtype, pd.ArrowDtype) and str(dtype.pyarrow_dtype).startswith("list"):
            values = np.empty(len(df), dtype=object)
            values[:] = df[name].tolist()
            out[name] = values
    return out


def test_arrow_lists_hold_the_same_items_as_python_lists(wide: Path, frames: dict) -> None:
    import pyarrow as pa

    kind = pd.ArrowDtype(pa.list_(pa.string()))
    large = k2data.load("t", datapackage=wide, lists="arrow")
    assert [str(large[c].dtype) for c in ("tags", "refs", "none")] == [str(kind)] * 3
    assert large["none"].tolist()[:3] == [[], [], []] and not large["tags"].isna().any()
    pd.testing.assert_frame_equal(_as_python_lists(large), _reference(wide, "t"))
    bundled = k2data.load(lists="arrow")
    for name in TABLES:
        lists = [f.name for f in PKG.table(name).fields if f.is_list]
        assert all(bundled[name][c].dtype == kind for c in lists), name
        pd.testing.assert_frame_equal(_as_python_lists(bundled[name]), frames[name], obj=name)


def test_an_empty_cell_is_an_empty_arrow_list_even_where_arrow_kept_items_behind_a_null() -> None:
    import pyarrow as pa

    from k2data._frames import empty_for_null

    kind = pa.list_(pa.string())
    behind = pa.ListArray.from_arrays(pa.array([0, 2, 3, 4], pa.int32()), pa.array(["a", "b", "c", "d"]), mask=pa.array([False, True, False]))
    assert behind.to_pylist() == [["a", "b"], None, ["d"]] and len(behind.values) == 4  # "c" sits behind the null
    lists = pa.chunked_array([behind, pa.array([None, ["e"]], kind)], type=kind)
    assert empty_for_null(lists).to_pylist() == [["a", "b"], [], ["d"], [], ["e"]]
    assert empty_for_null(lists).null_count == 0


def test_loaded_frames_do_not_depend_on_the_files_they_were_read_from(pkg_copy: Path) -> None:
    """load() memory-maps each file while parsing it; nothing it returns may still point into the mapping."""
    import subprocess
    import sys

    code = (
        "import sys, k2data\n"
        "from pathlib import Path\n"
        "frames = {lists: k2data.load(datapackage=sys.argv[1], lists=lists) for lists in ('python', 'arrow')}\n"
        "for f in (Path(sys.argv[1]).parent / 'data').glob('*.csv'):\n"
        "    f.write_bytes(b'')  # shortened after loading: touching mapped memory now would end the process\n"
        "print(sum(len(repr(df[c].tolist())) for d in frames.values() for df in d.values() for c in df.columns))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(pkg_copy)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout) > 100_000


def test_an_unknown_lists_option_is_refused() -> None:
    with pytest.raises(ValueError, match="python, arrow"):
        k2data.load("trials", lists="numpy")


@pytest.mark.parametrize(("field", "value", "match"), [("kind", "d", "'d'"), ("x", "nan", "not finite"), ("n", "1.5", "cannot be loaded")])
def test_a_large_table_with_a_cell_it_cannot_type_is_refused(wide: Path, tmp_path: Path, field: str, value: str, match: str) -> None:
    import shutil

    shutil.copytree(wide.parent, tmp_path / "copy")
    rows = read_rows(tmp_path / "copy" / "data" / "t.csv")
    rows[25_000][rows[0].index(field)] = value
    write_rows(tmp_path / "copy" / "data" / "t.csv", rows)
    with pytest.raises(k2data.DataFileError, match=match):
        k2data.load("t", datapackage=tmp_path / "copy")


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
