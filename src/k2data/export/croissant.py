"""Croissant 1.1 metadata (``croissant.json``) for the release.

One ``cr:RecordSet`` per table, read from the table's Parquet file, with a
``cr:Field`` per column (data type, description with its unit, ``isArray``
for list fields), the primary key as ``key`` and each scalar foreign key
as ``references`` in the ``{"field": {"@id": ...}}`` form that mlcroissant
1.1 reads. Each CSV and Parquet file is a ``cr:FileObject`` with
its sha256, and ``contentUrl`` is relative to ``croissant.json``, so a
Croissant reader finds the files of an unpacked release next to it.

Three mlcroissant (1.1.1) habits shape the output:

- the ``@context`` is the official 1.1 context (any other warns);
- it reads ``references`` as a join and merges on the first referencing
  field, which fails on an array (``unhashable type``), so a list field
  that references another table (``listReference``) says so in its
  description instead (``Each item is a references.reference_id.``);
- a reference from a table to itself is left out, because mlcroissant
  reads it as a cycle and cannot order the record sets.
"""

from __future__ import annotations

import json
from typing import Any

from .._package import TYPES, FieldSpec, TableSpec
from . import FORMATS, ExportContext, csv_relpath, parquet_relpath

__all__ = ["CONFORMS_TO", "CONTEXT", "croissant", "write"]

CONFORMS_TO = "http://mlcommons.org/croissant/1.1"

#: The official Croissant 1.1 ``@context``.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

#: mlcroissant's name for Parquet (it does not know the IANA type).
PARQUET_MEDIA_TYPE = "application/x-parquet"


def _description(spec: FieldSpec) -> str:
    text = spec.description or spec.name
    if spec.list_reference is not None:
        text += f" Each item is a {spec.list_reference[0]}.{spec.list_reference[1]}."
    if spec.unit:
        text += f" Unit (UCUM): {spec.unit}."
    if spec.enum is not None:
        text += f" One of: {', '.join(spec.enum)}."
    return text


def _record_set(table: TableSpec) -> dict[str, Any]:
    refs = {link.field: (link.target, link.target_field) for link in table.links if not link.is_list}
    fields = []
    for f in table.fields:
        out: dict[str, Any] = {
            "@type": "cr:Field",
            "@id": f"{table.name}/{f.name}",
            "name": f.name,
            "description": _description(f),
            "dataType": TYPES[f.value_type].croissant,
            "source": {"fileObject": {"@id": parquet_relpath(table.name)}, "extract": {"column": f.name}},
        }
        if f.is_list:
            out["isArray"] = True
            out["arrayShape"] = "-1"
        ref = refs.get(f.name)
        if ref is not None and ref[0] != table.name:
            out["references"] = {"field": {"@id": f"{ref[0]}/{ref[1]}"}}
        fields.append(out)
    keys = [{"@id": f"{table.name}/{k}"} for k in table.primary_key]
    record_set: dict[str, Any] = {
        "@type": "cr:RecordSet",
        "@id": table.name,
        "name": table.name,
        "description": table.description or table.title,
    }
    if keys:
        record_set["key"] = keys[0] if len(keys) == 1 else keys
    record_set["field"] = fields
    return record_set


def _file_object(ctx: ExportContext, relpath: str, media_type: str) -> dict[str, Any]:
    return {
        "@type": "cr:FileObject",
        "@id": relpath,
        "name": relpath,
        "contentUrl": relpath,
        "contentSize": f"{ctx.size(relpath)} B",
        "encodingFormat": media_type,
        "sha256": ctx.files[relpath],
    }


def croissant(ctx: ExportContext) -> dict[str, Any]:
    """The Croissant document of the release whose CSV and Parquet files are in ``ctx``."""
    pkg = ctx.pkg
    distribution = []
    for table in pkg.tables:
        distribution.append(_file_object(ctx, parquet_relpath(table.name), PARQUET_MEDIA_TYPE))
    for table in pkg.tables:
        distribution.append(_file_object(ctx, csv_relpath(table.name), "text/csv"))
    distribution.append(_file_object(ctx, "csv/datapackage.json", "application/json"))
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": pkg.name,
        "alternateName": pkg.title,
        "description": pkg.description or pkg.title,
        "version": pkg.version,
        "url": pkg.homepage,
        "license": [lic.iri for lic in pkg.licenses],
        "creator": [{"@type": "sc:Person" if c.is_person else "sc:Organization", "name": c.name} for c in pkg.creators],
        "datePublished": pkg.date,
        "keywords": list(pkg.keywords),
        "citeAs": pkg.citation,
        "isLiveDataset": False,
        "distribution": distribution,
        "recordSet": [_record_set(t) for t in pkg.tables],
    }
    return {k: v for k, v in doc.items() if v not in ("", [], None)}


def write(ctx: ExportContext) -> list[str]:
    """Write ``croissant.json``; the CSV and Parquet files must already be in ``ctx``."""
    rel = FORMATS["croissant"].entry
    with open(ctx.path(rel), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(croissant(ctx), indent=2, ensure_ascii=False) + "\n")
    return [ctx.record(rel)]
