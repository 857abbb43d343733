"""The release files, read back by the real third-party readers.

One release is built (validated, as `k2data build` does) into a temporary
folder for the whole module; every test reads it with the library a user
would: sha256sum, frictionless, DuckDB, polars, pyarrow, rdflib, PyLD and
mlcroissant. Nothing here uses the network.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import k2data
from k2data.cli import main
from k2data.export import jsonld as jsonld_mod
from k2data.export import sort_frame
from k2data.load import package_spec
from k2data.release import ReleaseError, build, export

PKG = package_spec()
TABLES = list(PKG.table_names)
IS_ENUM = {(t.name, f.name) for t in PKG.tables for f in t.fields if f.type == "string" and f.enum is not None}


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("release") / "dist").out


@pytest.fixture(scope="module")
def frames() -> dict[str, Any]:
    return {t.name: sort_frame(t, k2data.load(t.name)) for t in PKG.tables}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _key(table: str, row: dict[str, Any] | Any) -> tuple[str, ...]:
    return tuple(str(row[k]) for k in PKG.table(table).primary_key)


def _missing(value: Any) -> bool:
    return k2data.export.is_missing(value)


# --- layout and checksums ---------------------------------------------------------------------


def test_release_holds_exactly_the_expected_files(release) -> None:
    found = sorted(p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file())
    expected = sorted(
        ["SHA256SUMS", "croissant.json", "k2data.jsonld", "csv/datapackage.json"]
        + [f"csv/{t}.csv" for t in TABLES]
        + [f"parquet/{t}.parquet" for t in TABLES]
    )
    assert found == expected
    assert len({Path(p).name for p in found}) == len(found), "file names are unique, so the release can be flat"


def test_sha256sum_accepts_the_release(release) -> None:
    if shutil.which("sha256sum") is None:  # pragma: no cover - coreutils is on every CI machine
        pytest.skip("sha256sum is not installed")
    out = subprocess.run(["sha256sum", "-c", "--strict", "SHA256SUMS"], cwd=release, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    listed = [line.split("  ", 1)[1] for line in (release / "SHA256SUMS").read_text(encoding="utf-8").splitlines()]
    every = sorted(
        p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file() and p.name != "SHA256SUMS"
    )
    assert listed == every


def test_text_files_are_utf8_with_lf_endings(release) -> None:
    for path in release.rglob("*"):
        if path.is_file() and path.suffix != ".parquet":
            data = path.read_bytes()
            assert b"\r" not in data, path
            assert data.endswith(b"\n"), path
            data.decode("utf-8")


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
def test_duckdb_reads_every_parquet_file_with_its_types(release, frames, name) -> None:
    import duckdb

    path = (release / "parquet" / f"{name}.parquet").as_posix()
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{path}')")
    expected = []
    for f in PKG.table(name).fields:
        expected.append(DUCKDB_TYPES[f.item_type or "string"] + "[]" if f.is_list else DUCKDB_TYPES[f.type])
    assert rel.columns == PKG.table(name).field_names
    assert [str(t) for t in rel.types] == expected
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall() == [(len(frames[name]),)]


@pytest.mark.parametrize("name", TABLES)
def test_polars_reads_every_parquet_file_with_its_types(release, frames, name) -> None:
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
    assert df.height == len(frames[name])
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


def test_parquet_values_equal_the_loaded_tables(release, frames) -> None:
    import pandas as pd

    from k2data.fetch import read_parquet

    for name in TABLES:
        pd.testing.assert_frame_equal(read_parquet(release / "parquet" / f"{name}.parquet"), frames[name], obj=name)


# --- JSON-LD ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def doc(release) -> dict[str, Any]:
    return json.loads((release / "k2data.jsonld").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def graph(doc):
    import rdflib

    g = rdflib.Graph()
    g.parse(data=json.dumps(doc), format="json-ld")
    return g


def _walk(value: Any):
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def test_jsonld_context_is_inline_and_nothing_is_null(doc) -> None:
    assert isinstance(doc["@context"], dict)
    assert all(
        not isinstance(v, str) or not v.startswith("http") or k in ("@vocab", "schema", "xsd", "k2", "k2id")
        for k, v in doc["@context"].items()
    )
    assert all(v is not None for v in _walk(doc))


def test_rdflib_finds_a_typed_node_per_row(graph, frames) -> None:
    import rdflib

    ids, vocab = jsonld_mod.namespaces(PKG)
    k2 = rdflib.Namespace(vocab)
    schema = rdflib.Namespace("https://schema.org/")
    for name in TABLES:
        subjects = set(graph.subjects(rdflib.RDF.type, k2[jsonld_mod.class_name(name)]))
        expected = {
            rdflib.URIRef(ids + f"{name}/" + "/".join(_key(name, row))) for row in frames[name].to_dict("records")
        }
        assert subjects == expected, name
        if name in jsonld_mod.SCHEMA_TYPES:
            for s in subjects:
                assert any(str(t).startswith(str(schema)) for t in graph.objects(s, rdflib.RDF.type)), s
    assert (None, rdflib.RDF.type, schema.MedicalTrial) in graph
    assert (None, rdflib.RDF.type, schema.MedicalObservationalStudy) in graph
    assert (None, rdflib.RDF.type, schema.MedicalCondition) in graph
    assert (None, rdflib.RDF.type, schema.DietarySupplement) in graph


def test_rdflib_finds_a_link_per_foreign_key(graph, frames) -> None:
    import rdflib

    ids, vocab = jsonld_mod.namespaces(PKG)
    k2 = rdflib.Namespace(vocab)
    links = 0
    for table in PKG.tables:
        refs = {fk.fields[0]: fk.resource for fk in table.foreign_keys if len(fk.fields) == 1}
        refs.update({f.name: f.list_reference[0] for f in table.fields if f.list_reference})
        for field, target in refs.items():
            expected = set()
            for row in frames[table.name].to_dict("records"):
                values = row[field] if isinstance(row[field], list) else [row[field]]
                subject = rdflib.URIRef(ids + f"{table.name}/" + "/".join(_key(table.name, row)))
                expected |= {(subject, rdflib.URIRef(f"{ids}{target}/{v}")) for v in values if not _missing(v)}
            found = set(graph.subject_objects(k2[field])) if field not in jsonld_mod.SCHEMA_PROPERTIES else set()
            found = {(s, o) for s, o in found if str(s).startswith(f"{ids}{table.name}/")}
            assert found == expected, f"{table.name}.{field}"
            for _, o in expected:
                assert (o, rdflib.RDF.type, k2[jsonld_mod.class_name(target)]) in graph, f"{o} is a node of {target}"
            links += len(expected)
    assert links > 100


def test_identifiers_are_iris(graph, frames) -> None:
    import rdflib

    ids, vocab = jsonld_mod.namespaces(PKG)
    k2 = rdflib.Namespace(vocab)
    obo = "http://purl.obolibrary.org/obo/"
    expected_iri = {
        ("cancer_types", "ncit_id"): lambda v: obo + v.replace(":", "_"),
        ("cancer_types", "mondo_id"): lambda v: obo + v.replace(":", "_"),
        ("agents", "chebi_id"): lambda v: obo + v.replace(":", "_"),
        ("processes", "go_id"): lambda v: obo + v.replace(":", "_"),
        ("genes", "hgnc_id"): lambda v: "https://identifiers.org/" + v,
        ("references", "doi"): lambda v: "https://doi.org/" + v,
        ("references", "pmid"): lambda v: "https://pubmed.ncbi.nlm.nih.gov/" + v,
    }
    for (table, field), iri in expected_iri.items():
        seen = 0
        for row in frames[table].to_dict("records"):
            if _missing(row[field]):
                continue
            subject = rdflib.URIRef(ids + f"{table}/" + "/".join(_key(table, row)))
            assert (subject, k2[field], rdflib.URIRef(iri(str(row[field])))) in graph, (table, field, row[field])
            seen += 1
        assert seen, f"no {table}.{field} value to check"


def test_dataset_node_has_a_download_per_release_file(graph, release) -> None:
    import rdflib

    schema = rdflib.Namespace("https://schema.org/")
    (dataset,) = graph.subjects(rdflib.RDF.type, schema.Dataset, unique=True) and [
        s for s in graph.subjects(rdflib.RDF.type, schema.Dataset) if (s, schema.distribution, None) in graph
    ]
    assert str(graph.value(dataset, schema.version)) == PKG.version
    downloads = {}
    for d in graph.objects(dataset, schema.distribution):
        assert (d, rdflib.RDF.type, schema.DataDownload) in graph
        downloads[str(graph.value(d, schema.name))] = d
    expected = sorted(
        p.relative_to(release).as_posix()
        for p in release.rglob("*")
        if p.is_file() and p.name not in ("k2data.jsonld", "SHA256SUMS")
    )
    assert sorted(downloads) == expected
    for rel, d in downloads.items():
        assert str(graph.value(d, schema.sha256)) == _sha256(release / rel)
        url = graph.value(d, schema.contentUrl)
        assert isinstance(url, rdflib.URIRef)
        assert str(url) == f"https://github.com/k2data/k2data/releases/download/v{PKG.version}/{Path(rel).name}"
        assert str(graph.value(d, schema.encodingFormat)) in {
            "text/csv",
            "application/vnd.apache.parquet",
            "application/json",
        }


def _leaves(value: Any) -> int:
    """Scalar values, @id references and @value objects in a JSON-LD value."""
    if isinstance(value, list):
        return sum(_leaves(v) for v in value)
    if isinstance(value, dict):
        if "@value" in value or set(value) == {"@id"}:
            return 1
        if "@list" in value:
            return _leaves(value["@list"])
        return sum(_leaves(v) for k, v in value.items() if not k.startswith("@")) + (1 if "@type" in value else 0)
    return 1


def test_pyld_expansion_keeps_every_property(doc) -> None:
    from pyld import jsonld

    def no_fetching(url: str, options: Any = None) -> Any:
        raise AssertionError(f"PyLD tried to fetch {url}")

    jsonld.set_document_loader(no_fetching)
    expanded = jsonld.expand(doc)
    assert len(expanded) == len(doc["@graph"])
    ids, _ = jsonld_mod.namespaces(PKG)
    by_id = {node["@id"]: node for node in expanded}
    for compact in doc["@graph"]:
        full = by_id[compact["@id"].replace("k2id:", ids, 1)]
        assert _leaves(full) == _leaves(compact), compact["@id"]
    for node in _walk(expanded):
        if isinstance(node, dict):
            for key in node:
                assert key.startswith("@") or key.startswith(("http://", "https://")), key


# --- Croissant ----------------------------------------------------------------------------------


def test_mlcroissant_validate_accepts_croissant_json(release) -> None:
    cli = Path(sys.executable).parent / "mlcroissant"
    out = subprocess.run(
        [str(cli), "validate", "--jsonld", str(release / "croissant.json")], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "error" not in (out.stdout + out.stderr).lower()


def test_mlcroissant_reads_every_record_set(release, frames) -> None:
    import mlcroissant as mlc

    dataset = mlc.Dataset(str(release / "croissant.json"))
    assert not dataset.metadata.issues.errors
    assert not dataset.metadata.issues.warnings
    for name in TABLES:
        table = PKG.table(name)
        # a fresh Dataset per record set: mlcroissant 1.1.1 caches a read record set as a spent
        # generator, which breaks a later record set that joins it through a reference
        records = list(mlc.Dataset(str(release / "croissant.json")).records(name))
        assert len(records) == len(frames[name]), name
        got = [tuple(_text(r[f"{name}/{k}"]) for k in table.primary_key) for r in records]
        assert got == [_key(name, row) for row in frames[name].to_dict("records")], name


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def test_croissant_describes_files_keys_and_references(release) -> None:
    doc = json.loads((release / "croissant.json").read_text(encoding="utf-8"))
    assert doc["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    files = {d["@id"]: d for d in doc["distribution"]}
    for rel, d in files.items():
        assert d["@type"] == "cr:FileObject"
        assert d["sha256"] == _sha256(release / d["contentUrl"]), rel
    sets = {rs["@id"]: rs for rs in doc["recordSet"]}
    assert list(sets) == TABLES
    for table in PKG.tables:
        rs = sets[table.name]
        assert rs["key"] == {"@id": f"{table.name}/{table.primary_key[0]}"}
        fields = {f["name"]: f for f in rs["field"]}
        assert list(fields) == table.field_names
        for f in table.fields:
            assert fields[f.name]["source"]["fileObject"]["@id"] == f"parquet/{table.name}.parquet"
            assert fields[f.name].get("isArray", False) == f.is_list
        for fk in table.foreign_keys:
            assert fields[fk.fields[0]]["references"] == {"field": {"@id": f"{fk.resource}/{fk.ref_fields[0]}"}}
        for f in table.fields:
            if f.list_reference:  # mlcroissant cannot join on arrays: the description says it
                assert "references" not in fields[f.name]
                assert f"Each item is a {f.list_reference[0]}.{f.list_reference[1]}." in fields[f.name]["description"]


# --- export -------------------------------------------------------------------------------------


def test_export_one_format_writes_only_it_with_the_release_bytes(release, tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = export("jsonld", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k2data.jsonld", "notes.txt"]
    assert list(result.files) == ["k2data.jsonld"]
    assert (tmp_path / "k2data.jsonld").read_bytes() == (release / "k2data.jsonld").read_bytes()
    export(["csv", "parquet"], tmp_path)
    for rel in [f"csv/{t}.csv" for t in TABLES] + [f"parquet/{t}.parquet" for t in TABLES]:
        assert (tmp_path / rel).read_bytes() == (release / rel).read_bytes(), rel
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no staging folder is left behind"


def test_export_all_matches_the_build(release, tmp_path) -> None:
    export("all", tmp_path)
    for path in release.rglob("*"):
        if path.is_file():
            assert (tmp_path / path.relative_to(release)).read_bytes() == path.read_bytes(), path


def test_cli_export(runner, tmp_path) -> None:
    result = runner.invoke(main, ["export", "--format", "croissant", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(tmp_path / "croissant.json")
    result = runner.invoke(main, ["export", "--format", "xml", "--out", str(tmp_path)])
    assert result.exit_code == 2
    result = runner.invoke(main, ["export", "--format", "csv"])
    assert result.exit_code == 2
    with pytest.raises(ReleaseError, match="unknown export format"):
        export("xml", tmp_path)
