"""Parquet export: one file per table, with an Arrow schema derived from the descriptor.

Types: ``integer``/``year`` -> int64, ``number`` -> float64, ``boolean`` ->
bool, ``date`` -> date32, ``datetime`` -> timestamp[us], ``list`` ->
list<item type>, a string with an ``enum`` -> dictionary<int32, string>
holding every allowed value in declared order, other strings -> string.
Fields that are ``required`` are not nullable. Each field's description,
unit and referenced key sit in its field metadata; the schema metadata holds
the package version, the table name and its primary key. No pandas metadata
is written.

The bytes are reproducible for a given pyarrow version (it is written into the
footer's ``created_by``): rows are sorted by primary key, the columns are built
from Python values with an explicit schema, and every writer option is fixed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .._package import TYPES, FieldSpec, TableSpec
from .._package import arrow_type as _arrow_of
from ..errors import DataFileError, UnsupportedFieldType
from . import ExportContext, is_missing, parquet_relpath

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["arrow_schema", "arrow_table", "write"]

#: Every option that affects the bytes, fixed.
WRITE_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "version": "2.6",
    "data_page_version": "1.0",
    "use_dictionary": True,
    "write_statistics": True,
    "row_group_size": 1_000_000,
    "store_schema": True,
}


def _scalar_type(type_: str | None, where: str) -> pa.DataType:
    if type_ is None:
        type_ = "string"
    if type_ not in TYPES:
        msg = f"{where}: field type {type_!r} has no Arrow mapping; add one to k2data/_package/types.py"
        raise UnsupportedFieldType(msg)
    return _arrow_of(type_)


def arrow_type(spec: FieldSpec, where: str = "") -> pa.DataType:
    """The Arrow type of a descriptor field."""
    import pyarrow as pa

    if spec.is_list:
        return pa.list_(_scalar_type(spec.item_type or "string", f"{where}.{spec.name}"))
    if spec.type == "string" and spec.enum is not None:
        return pa.dictionary(pa.int32(), pa.string(), ordered=False)
    return _scalar_type(spec.type, f"{where}.{spec.name}")


def arrow_schema(table: TableSpec, version: str) -> pa.Schema:
    """The Arrow schema of *table*, with field and schema metadata.

    Examples
    --------
    >>> from k2data._package import open_package
    >>> pkg = open_package()
    >>> schema = arrow_schema(pkg.table("trials"), pkg.version)
    >>> schema.field("dose_min_mg_d").metadata[b"unit"]
    b'mg/d'
    """
    import pyarrow as pa

    refs = {link.field: link.dotted for link in table.links}
    fields = []
    for f in table.fields:
        meta = {}
        if f.description:
            meta["description"] = f.description
        if f.unit:
            meta["unit"] = f.unit
        if f.name in refs:
            meta["references"] = refs[f.name]
        nullable = not f.required and not f.is_list  # an empty list is [], never null
        fields.append(pa.field(f.name, arrow_type(f, table.name), nullable=nullable, metadata=meta or None))
    meta = {
        "k2data.version": version,
        "k2data.table": table.name,
        "k2data.primary_key": json.dumps(list(table.primary_key)),
    }
    return pa.schema(fields, metadata=meta)


def _values(spec: FieldSpec, values: list[Any]) -> list[Any]:
    if spec.is_list:
        return [[] if is_missing(v) else [_py(spec.item_type, x) for x in v] for v in values]
    return [None if is_missing(v) else _py(spec.type, v) for v in values]


def _py(type_: str | None, v: Any) -> Any:
    if type_ in ("integer", "year"):
        return int(v)
    if type_ == "number":
        return float(v)
    if type_ == "boolean":
        return bool(v)
    if type_ == "date":
        return v.date() if hasattr(v, "date") else v
    if type_ == "datetime":
        return v.to_pydatetime() if hasattr(v, "to_pydatetime") else v
    return str(v)


def arrow_table(table: TableSpec, frame: pd.DataFrame, version: str) -> pa.Table:
    """Build the Arrow table of one typed, sorted frame."""
    import pyarrow as pa

    schema = arrow_schema(table, version)
    arrays = []
    for f, af in zip(table.fields, schema, strict=True):
        values = _values(f, frame[f.name].tolist())
        if pa.types.is_dictionary(af.type):
            enum = list(f.enum or ())
            index = {v: i for i, v in enumerate(enum)}
            unknown = sorted({v for v in values if v is not None and v not in index})
            if unknown:
                msg = (
                    f"{table.path}: field {f.name!r} has values outside its enum: {', '.join(unknown)}; "
                    "run `k2data validate` for details"
                )
                raise DataFileError(msg)
            indices = pa.array([None if v is None else index[v] for v in values], type=pa.int32())
            arrays.append(pa.DictionaryArray.from_arrays(indices, pa.array(enum, type=pa.string())))
        else:
            arrays.append(pa.array(values, type=af.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def write(ctx: ExportContext) -> list[str]:
    """Write every table as Parquet; return the paths written."""
    import pyarrow.parquet as pq

    written = []
    for table in ctx.pkg.tables:
        rel = parquet_relpath(table.name)
        pq.write_table(arrow_table(table, ctx.frames[table.name], ctx.pkg.version), ctx.path(rel), **WRITE_OPTIONS)
        written.append(ctx.record(rel))
    return written
