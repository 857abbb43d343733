"""k2data.export.jsonld: every record a linked node, read back by rdflib and PyLD (nothing fetched)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import missing as _missing
from conftest import row_key as _key
from conftest import sha256 as _sha256
from k2data._package import open_package as package_spec
from k2data.export import jsonld as jsonld_mod

PKG = package_spec()
TABLES = list(PKG.table_names)



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


def test_rdflib_finds_a_typed_node_per_row(graph, sorted_frames) -> None:
    import rdflib

    ids, vocab = jsonld_mod.namespaces(PKG)
    k2 = rdflib.Namespace(vocab)
    schema = rdflib.Namespace("https://schema.org/")
    for name in TABLES:
        subjects = set(graph.subjects(rdflib.RDF.type, k2[jsonld_mod.class_name(name)]))
        expected = {
            rdflib.URIRef(ids + f"{name}/" + "/".join(_key(name, row))) for row in sorted_frames[name].to_dict("records")
        }
        assert subjects == expected, name
        if PKG.table(name).schema_org_type:
            for s in subjects:
                assert any(str(t).startswith(str(schema)) for t in graph.objects(s, rdflib.RDF.type)), s
    assert (None, rdflib.RDF.type, schema.MedicalTrial) in graph
    assert (None, rdflib.RDF.type, schema.MedicalObservationalStudy) in graph
    assert (None, rdflib.RDF.type, schema.MedicalCondition) in graph
    assert (None, rdflib.RDF.type, schema.DietarySupplement) in graph


def test_rdflib_finds_a_link_per_foreign_key(graph, sorted_frames) -> None:
    import rdflib

    ids, vocab = jsonld_mod.namespaces(PKG)
    k2 = rdflib.Namespace(vocab)
    links = 0
    for table in PKG.tables:
        refs = {fk.fields[0]: fk.resource for fk in table.foreign_keys if len(fk.fields) == 1}
        refs.update({f.name: f.list_reference[0] for f in table.fields if f.list_reference})
        for field, target in refs.items():
            expected = set()
            for row in sorted_frames[table.name].to_dict("records"):
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


def test_identifiers_are_iris(graph, sorted_frames) -> None:
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
        for row in sorted_frames[table].to_dict("records"):
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
        assert str(url) == f"{PKG.homepage}/releases/download/v{PKG.version}/{Path(rel).name}"
        assert str(graph.value(d, schema.encodingFormat)) in {
            "text/csv",
            "application/vnd.apache.parquet",
            "application/json",
            "application/vnd.sqlite3",
            "application/x-bibtex",
            "application/x-research-info-systems",
            "application/vnd.citationstyles.csl+json",
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
