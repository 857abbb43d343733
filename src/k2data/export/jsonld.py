"""JSON-LD export (``k2data.jsonld``): every record a linked node, and the release as a Dataset.

Shape of the graph, all derived from the descriptor:

- every row of every table is a node with a stable ``@id``
  (``<homepage>/id/<table>/<primary key>``), the primary key as
  ``identifier``, a k2data class per table (``k2:Trials``...) and, where one
  fits, a schema.org type (:data:`SCHEMA_TYPES`, refined per row by the
  ``kind`` vocabularies in :data:`TYPE_BY_KIND`);
- each field is a property: a few common ones are schema.org properties
  (:data:`SCHEMA_PROPERTIES`), all others live in the k2data vocabulary
  (``<homepage>/vocab#<field>``); so every key of the document maps to an IRI
  and JSON-LD expansion drops nothing;
- foreign keys, scalar and list (``listReference``), are links to the
  referenced nodes; ontology identifiers (CURIEs such as ``NCIT:C3099``), DOIs,
  PubMed, PMC, MeSH and PubChem ids and URLs are IRIs; lists that are not
  references keep their order (``@list``); missing values are left out;
- one ``Dataset`` node describes the release: metadata, a ``hasPart`` per
  table with its variables and units, and a ``DataDownload`` (``contentUrl``,
  ``encodingFormat``, ``sha256``) per release file written before it (all but
  ``k2data.jsonld`` itself and ``SHA256SUMS``, which hash this file).

The ``@context`` is inline, so reading the file fetches nothing.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from .._descriptor import FieldSpec, PackageSpec, TableSpec
from . import JSONLD_FILE, MEDIA_TYPES, ExportContext, citation, creators, is_missing, release_url

__all__ = ["SCHEMA_PROPERTIES", "SCHEMA_TYPES", "TYPE_BY_KIND", "context", "curie_iri", "document", "node_id", "write"]

SCHEMA = "https://schema.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
OBO = "http://purl.obolibrary.org/obo/"

#: schema.org type of each table's rows, where one fits.
SCHEMA_TYPES: Mapping[str, str] = {
    "trials": "MedicalTrial",
    "cohorts": "MedicalObservationalStudy",
    "preclinical": "MedicalStudy",
    "references": "ScholarlyArticle",
    "cancer_types": "MedicalCondition",
    "agents": "Substance",
    "genes": "Gene",
    "processes": "DefinedTerm",
    "study_designs": "DefinedTerm",
    "evidence_levels": "DefinedTerm",
    "claims": "Claim",
}

#: Per-row refinement of :data:`SCHEMA_TYPES` by a vocabulary field: ``{(table, field): {value: type}}``.
TYPE_BY_KIND: Mapping[tuple[str, str], Mapping[str, str]] = {
    ("references", "kind"): {
        "journal_article": "MedicalScholarlyArticle",
        "review": "MedicalScholarlyArticle",
        "conference_abstract": "ScholarlyArticle",
        "erratum": "ScholarlyArticle",
        "thesis": "Thesis",
        "press_release": "NewsArticle",
        "news_article": "NewsArticle",
        "web_page": "WebPage",
        "blog_post": "BlogPosting",
        "drug_label": "CreativeWork",
    },
    ("agents", "kind"): {
        "vitamin_k": "DietarySupplement",
        "nutrient": "DietarySupplement",
        "drug": "Drug",
        "hormone": "Drug",
        "vitamin_k_analogue": "ChemicalSubstance",
        "procedure": "MedicalProcedure",
    },
}

#: Fields that are schema.org properties (by field name, in every table).
SCHEMA_PROPERTIES: Mapping[str, str] = {
    "label": "name",
    "short_name": "name",
    "name": "name",
    "title": "headline",
    "description": "description",
    "url": "url",
    "authors": "author",
}

#: CURIE prefixes of ontology identifiers and the IRI each stands for.
CURIE_PREFIXES: Mapping[str, str] = {
    "NCIT": OBO + "NCIT_",
    "MONDO": OBO + "MONDO_",
    "DOID": OBO + "DOID_",
    "CHEBI": OBO + "CHEBI_",
    "GO": OBO + "GO_",
    "HP": OBO + "HP_",
    "UBERON": OBO + "UBERON_",
    "CL": OBO + "CL_",
    "HGNC": "https://identifiers.org/HGNC:",
    "MESH": "http://id.nlm.nih.gov/mesh/",
}

#: Identifier fields whose values are not CURIEs: field name -> IRI template.
IRI_TEMPLATES: Mapping[str, str] = {
    "doi": "https://doi.org/{}",
    "pmid": "https://pubmed.ncbi.nlm.nih.gov/{}",
    "pmcid": "https://pmc.ncbi.nlm.nih.gov/articles/{}",
    "mesh_id": "http://id.nlm.nih.gov/mesh/{}",
    "pubchem_cid": "https://pubchem.ncbi.nlm.nih.gov/compound/{}",
}

#: Keys the Dataset node uses; a field with one of these names gets a prefixed key instead.
_RESERVED = {
    "alternateName", "contentSize", "contentUrl", "creator", "creditText", "dateCreated", "datePublished",
    "description", "distribution", "encodingFormat", "hasPart", "identifier", "isBasedOn", "keywords",
    "license", "name", "propertyID", "sha256", "unitText", "url", "variableMeasured", "version",
    "k2", "k2id", "schema", "xsd",
}  # fmt: skip
_CURIE_PATTERN = re.compile(r"^\^\(?([A-Za-z][A-Za-z0-9]*):")
_IRI_SAFE = "/:;,.-_~!$&'()*+=@"


def namespaces(pkg: PackageSpec) -> tuple[str, str]:
    """The node-id base and the vocabulary IRI, both derived from the descriptor's ``homepage``."""
    home = str(pkg.raw.get("homepage") or f"https://example.org/{pkg.name}").rstrip("/")
    return f"{home}/id/", f"{home}/vocab#"


def class_name(table: str) -> str:
    """The k2data class of a table's rows: ``study_designs`` -> ``StudyDesigns``."""
    return "".join(part.capitalize() for part in table.split("_"))


def node_id(table: str, key: str | tuple[Any, ...]) -> str:
    """The compact ``@id`` of a row: ``k2id:<table>/<key>`` (parts of a composite key joined by ``/``)."""
    parts = key if isinstance(key, tuple) else (key,)
    return f"k2id:{table}/" + "/".join(quote(str(p), safe="") for p in parts)


def curie_iri(value: str) -> str | None:
    """The IRI of an ontology CURIE such as ``NCIT:C3099``, or ``None`` for an unknown prefix.

    Examples
    --------
    >>> curie_iri("NCIT:C3099")
    'http://purl.obolibrary.org/obo/NCIT_C3099'
    >>> curie_iri("HGNC:11998")
    'https://identifiers.org/HGNC:11998'
    """
    prefix, sep, local = value.partition(":")
    if not sep or prefix.upper() not in CURIE_PREFIXES or not local:
        return None
    return CURIE_PREFIXES[prefix.upper()] + quote(local, safe=_IRI_SAFE)


def _is_iri_field(spec: FieldSpec) -> bool:
    if spec.name in IRI_TEMPLATES or spec.raw.get("format") == "uri":
        return True
    m = _CURIE_PATTERN.match(spec.pattern or "")
    return bool(m and m.group(1).upper() in CURIE_PREFIXES)


def _iri(spec: FieldSpec, value: Any) -> str | None:
    text = str(value)
    if spec.name in IRI_TEMPLATES:
        return IRI_TEMPLATES[spec.name].format(quote(text, safe=_IRI_SAFE))
    if spec.raw.get("format") == "uri":
        return text
    return curie_iri(text)


def field_key(name: str) -> str:
    """The JSON key of a field: its name, or ``k2:<name>`` if the name is taken by the Dataset node."""
    if name in SCHEMA_PROPERTIES:
        return name
    if name in _RESERVED or name.startswith("@") or ":" in name:
        return f"k2:{name}"
    return name


def context(pkg: PackageSpec) -> dict[str, Any]:
    """The inline ``@context``: prefixes, then one term per field name of the package."""
    ids, vocab = namespaces(pkg)
    ctx: dict[str, Any] = {
        "@vocab": SCHEMA,
        "schema": SCHEMA,
        "xsd": XSD,
        "k2": vocab,
        "k2id": ids,
        "url": {"@id": "schema:url", "@type": "@id"},
        "contentUrl": {"@id": "schema:contentUrl", "@type": "@id"},
        "license": {"@id": "schema:license", "@type": "@id"},
        "isBasedOn": {"@id": "schema:isBasedOn", "@type": "@id"},
    }
    for table in pkg.tables:
        for f in table.fields:
            key = field_key(f.name)
            if key in ctx or ":" in key:
                continue
            ctx[key] = f"schema:{SCHEMA_PROPERTIES[f.name]}" if f.name in SCHEMA_PROPERTIES else f"k2:{f.name}"
    return ctx


def _literal(type_: str | None, value: Any) -> Any:
    if type_ in ("integer", "year"):
        return int(value)
    if type_ == "number":
        number = float(value)
        if math.isinf(number):  # JSON has no infinity; the validator rejects it, but export does not validate
            return {"@value": "INF" if number > 0 else "-INF", "@type": "xsd:double"}
        return number
    if type_ == "boolean":
        return bool(value)
    if type_ == "date" and isinstance(value, (date, datetime)):
        return {"@value": value.strftime("%Y-%m-%d"), "@type": "xsd:date"}
    if type_ == "datetime" and isinstance(value, datetime):
        return {"@value": value.isoformat(), "@type": "xsd:dateTime"}
    return str(value)


def _value(spec: FieldSpec, value: Any, target: tuple[str, str] | None) -> Any:
    """The JSON-LD value of one cell; ``None`` when there is nothing to say."""
    if spec.is_list:
        items = [] if is_missing(value) else [v for v in value if not is_missing(v)]
        if not items:
            return None
        if target is not None:
            return [{"@id": node_id(target[0], str(v))} for v in items]
        return {"@list": [_literal(spec.item_type, v) for v in items]}
    if is_missing(value) or value == "":
        return None
    if target is not None:
        return {"@id": node_id(target[0], _literal(spec.type, value))}
    if _is_iri_field(spec):
        iri = _iri(spec, value)
        if iri is not None:
            return {"@id": iri}
    return _literal(spec.type, value)


def _targets(table: TableSpec) -> dict[str, tuple[str, str]]:
    out = {fk.fields[0]: (fk.resource, fk.ref_fields[0]) for fk in table.foreign_keys if len(fk.fields) == 1}
    for f in table.fields:
        if f.list_reference:
            out[f.name] = f.list_reference
    return out


def _types(table: TableSpec, row: Mapping[str, Any]) -> list[str]:
    schema_type = SCHEMA_TYPES.get(table.name)
    for (tname, fname), by_value in TYPE_BY_KIND.items():
        if tname == table.name and fname in row and not is_missing(row[fname]):
            schema_type = by_value.get(str(row[fname]), schema_type)
    return [t for t in (schema_type, f"k2:{class_name(table.name)}") if t]


def record_nodes(table: TableSpec, frame: Any) -> list[dict[str, Any]]:
    """One node per row of a typed, sorted frame."""
    targets = _targets(table)
    key = list(table.primary_key)
    columns = {f.name: frame[f.name].tolist() for f in table.fields}
    nodes = []
    for i in range(len(frame)):
        row = {name: col[i] for name, col in columns.items()}
        parts = tuple(str(_literal(table.field(k).type, row[k])) for k in key) if key else (str(i + 1),)
        node: dict[str, Any] = {
            "@id": node_id(table.name, parts),
            "@type": _types(table, row),
            "identifier": "/".join(parts),
        }
        for f in table.fields:
            if len(key) == 1 and f.name == key[0]:
                continue  # it is the node's identifier
            v = _value(f, row[f.name], targets.get(f.name))
            if v is not None:
                node[field_key(f.name)] = v
        nodes.append(node)
    return nodes


def _part(pkg: PackageSpec, table: TableSpec) -> dict[str, Any]:
    _, vocab = namespaces(pkg)
    variables = []
    for f in table.fields:
        var: dict[str, Any] = {
            "@type": "PropertyValue",
            "name": f.name,
            "propertyID": f"{SCHEMA}{SCHEMA_PROPERTIES[f.name]}" if f.name in SCHEMA_PROPERTIES else f"{vocab}{f.name}",
        }
        if f.description:
            var["description"] = f.description
        if f.unit:
            var["unitText"] = f.unit
        variables.append(var)
    part: dict[str, Any] = {"@id": f"k2id:{table.name}", "@type": "Dataset", "name": table.title}
    if table.description:
        part["description"] = table.description
    part["variableMeasured"] = variables
    return part


def dataset_node(ctx: ExportContext) -> dict[str, Any]:
    """The ``Dataset`` node: release metadata, a part per table and a download per file."""
    pkg = ctx.pkg
    raw = pkg.raw
    home = str(raw.get("homepage", "")).rstrip("/")
    created = str(raw.get("created", ""))[:10]
    downloads = []
    for relpath, sha in ctx.files.items():
        suffix = "." + relpath.rsplit(".", 1)[-1]
        downloads.append(
            {
                "@type": "DataDownload",
                "name": relpath,
                "contentUrl": release_url(pkg.version, relpath),
                "encodingFormat": MEDIA_TYPES.get(suffix, "application/octet-stream"),
                "contentSize": f"{ctx.size(relpath)} B",
                "sha256": sha,
            }
        )
    sources: list[Any] = []
    for s in raw.get("sources", []):
        if s.get("path"):
            sources.append(s["path"])
        elif s.get("title"):
            sources.append({"@type": "CreativeWork", "name": s["title"]})
    node: dict[str, Any] = {
        "@id": f"{home}/releases/tag/v{pkg.version}" if home else f"k2id:release/{pkg.version}",
        "@type": "Dataset",
        "name": pkg.title,
        "alternateName": pkg.name,
        "description": str(raw.get("description", "")),
        "version": pkg.version,
        "url": home,
        "license": [str(lic["path"]) for lic in raw.get("licenses", []) if lic.get("path")],
        "creator": creators(pkg),
        "keywords": list(raw.get("keywords", [])),
        "dateCreated": created,
        "datePublished": created,
        "creditText": citation(pkg),
        "isBasedOn": sources,
        "hasPart": [_part(pkg, t) for t in pkg.tables],
        "distribution": downloads,
    }
    return {k: v for k, v in node.items() if v not in ("", [], None)}


def document(ctx: ExportContext) -> dict[str, Any]:
    """The whole JSON-LD document."""
    graph = [dataset_node(ctx)]
    for table in ctx.pkg.tables:
        graph += record_nodes(table, ctx.frames[table.name])
    return {"@context": context(ctx.pkg), "@graph": graph}


def write(ctx: ExportContext) -> list[str]:
    """Write ``k2data.jsonld``, describing every file already in ``ctx``."""
    with open(ctx.out / JSONLD_FILE, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(document(ctx), indent=2, ensure_ascii=False) + "\n")
    return [ctx.record(JSONLD_FILE)]
