"""JSON-LD export (``k2data.jsonld``): every record a linked node, and the release as a Dataset.

Shape of the graph, all derived from the descriptor:

- every row of every table is a node with a stable ``@id``
  (``<homepage>/id/<table>/<primary key>``), the primary key as
  ``identifier``, a k2data class per table (``k2:Trials``...) and, where one
  fits, a schema.org type: the resource's ``schemaOrgType`` in the
  descriptor, refined per row by the ``schemaOrgType`` of the category a
  vocabulary field holds (such as ``references.kind``);
- each field is a property: a few common ones are schema.org properties
  (:data:`SCHEMA_PROPERTIES`), all others live in the k2data vocabulary
  (``<homepage>/vocab#<field>``); so every key of the document maps to an IRI
  and JSON-LD expansion drops nothing;
- foreign keys, scalar and list (``listReference``), are links to the
  referenced nodes (a primary key that is also a foreign key is both the
  node's identifier and a link); ontology identifiers (CURIEs such as ``NCIT:C3099``), DOIs,
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

from .._package import TYPES, FieldSpec, PackageSpec, TableSpec
from . import FORMATS, ExportContext, is_missing, media_type

__all__ = ["SCHEMA_PROPERTIES", "context", "curie_iri", "document", "node_id", "write"]

SCHEMA = "https://schema.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
OBO = "http://purl.obolibrary.org/obo/"

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
    home = pkg.homepage or f"https://example.org/{pkg.name}"
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
    python = TYPES[type_ or "string"].python
    if python is int or python is bool:
        return python(value)
    if python is float:
        number = float(value)
        if math.isinf(number):  # JSON has no infinity; the validator rejects it, but export does not validate
            return {"@value": "INF" if number > 0 else "-INF", "@type": "xsd:double"}
        return number
    if type_ == "date" and isinstance(value, (date, datetime)):
        return {"@value": value.strftime("%Y-%m-%d"), "@type": TYPES["date"].xsd}
    if type_ == "datetime" and isinstance(value, datetime):
        return {"@value": value.isoformat(), "@type": TYPES["datetime"].xsd}
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
    return {link.field: (link.target, link.target_field) for link in table.links}


def _types(table: TableSpec, row: Mapping[str, Any]) -> list[str]:
    schema_type = table.schema_org_type
    for f in table.fields:
        if f.enum is not None and not is_missing(row.get(f.name)):
            schema_type = f.category(str(row[f.name])).get("schemaOrgType", schema_type)
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
            if len(key) == 1 and f.name == key[0] and f.name not in targets:
                continue  # it is the node's identifier (a key that is also a link stays, as the link)
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
    home = pkg.homepage
    created = pkg.date
    downloads = []
    for relpath, sha in ctx.files.items():
        downloads.append(
            {
                "@type": "DataDownload",
                "name": relpath,
                "contentUrl": pkg.release_file_url(relpath),
                "encodingFormat": media_type(relpath),
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
        "description": pkg.description,
        "version": pkg.version,
        "url": home,
        "license": [lic.iri for lic in pkg.licenses],
        "creator": [{"@type": "Person" if c.is_person else "Organization", "name": c.name} for c in pkg.creators],
        "keywords": list(pkg.keywords),
        "dateCreated": created,
        "datePublished": created,
        "creditText": pkg.citation,
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
    rel = FORMATS["jsonld"].entry
    with open(ctx.path(rel), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(document(ctx), indent=2, ensure_ascii=False) + "\n")
    return [ctx.record(rel)]
