"""Read ``datapackage.json`` once into typed field and table specs.

This module is the ground floor: it uses the standard library only, so that
``import k2data`` and ``k2data.load()`` stay light. Everything else that
needs to know about the schema (pandas dtypes, Pandera schemas, the
validator's rules) derives it from the specs built here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import DescriptorError

__all__ = ["FieldSpec", "ForeignKey", "PackageSpec", "TableSpec", "parse_descriptor", "read_descriptor"]


@dataclass(frozen=True)
class FieldSpec:
    """One field of a table, as declared in the descriptor."""

    name: str
    type: str
    description: str = ""
    unit: str | None = None
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    item_type: str | None = None
    delimiter: str = ";"
    list_reference: tuple[str, str] | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_list(self) -> bool:
        """Whether the field holds a delimited list of values."""
        return self.type == "list"


@dataclass(frozen=True)
class ForeignKey:
    """A scalar foreign key: ``fields`` of this table point at ``resource.ref_fields``."""

    fields: tuple[str, ...]
    resource: str
    ref_fields: tuple[str, ...]


@dataclass(frozen=True)
class TableSpec:
    """One tabular resource of the package."""

    name: str
    path: str
    title: str
    description: str
    fields: tuple[FieldSpec, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...]
    hash: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def field_names(self) -> list[str]:
        """Names of the fields, in descriptor order."""
        return [f.name for f in self.fields]

    def field(self, name: str) -> FieldSpec:
        """Return the spec of field *name*."""
        for f in self.fields:
            if f.name == name:
                return f
        msg = f"table {self.name!r} has no field {name!r}"
        raise KeyError(msg)


@dataclass(frozen=True)
class PackageSpec:
    """The whole package: metadata and tables, in descriptor order."""

    path: Path
    name: str
    title: str
    version: str
    tables: tuple[TableSpec, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def table_names(self) -> tuple[str, ...]:
        """Names of the tables, in descriptor order."""
        return tuple(t.name for t in self.tables)

    def table(self, name: str) -> TableSpec:
        """Return the spec of table *name*, or raise :class:`~k2data.errors.UnknownTableError`."""
        for t in self.tables:
            if t.name == name:
                return t
        from .errors import UnknownTableError

        raise UnknownTableError(name, self.table_names)


def _field(raw: dict[str, Any], where: str) -> FieldSpec:
    if not isinstance(raw, dict) or "name" not in raw:
        msg = f"{where}: every field needs a 'name'"
        raise DescriptorError(msg)
    c = raw.get("constraints") or {}
    enum = c.get("enum")
    ref = raw.get("listReference")
    return FieldSpec(
        name=str(raw["name"]),
        type=str(raw.get("type", "any")),
        description=str(raw.get("description", "")),
        unit=raw.get("unit"),
        required=bool(c.get("required", False)),
        unique=bool(c.get("unique", False)),
        enum=tuple(str(v) for v in enum) if enum is not None else None,
        pattern=c.get("pattern"),
        minimum=c.get("minimum"),
        maximum=c.get("maximum"),
        item_type=raw.get("itemType"),
        delimiter=str(raw.get("delimiter", ";")),
        list_reference=(str(ref["resource"]), str(ref["field"])) if isinstance(ref, dict) else None,
        raw=raw,
    )


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def parse_descriptor(raw: Any, path: Path) -> PackageSpec:
    """Build a :class:`PackageSpec` from a parsed descriptor.

    Raises :class:`~k2data.errors.DescriptorError` naming what is missing.
    """
    where = str(path)
    if not isinstance(raw, dict):
        msg = f"{where}: the descriptor must be a JSON object"
        raise DescriptorError(msg)
    for key in ("name", "resources"):
        if key not in raw:
            msg = f"{where}: required property {key!r} is missing"
            raise DescriptorError(msg)
    if not isinstance(raw["resources"], list) or not raw["resources"]:
        msg = f"{where}: 'resources' must be a non-empty list"
        raise DescriptorError(msg)
    tables = []
    for n, res in enumerate(raw["resources"]):
        rwhere = f"{where}: resources[{n}]"
        if not isinstance(res, dict):
            msg = f"{rwhere} must be an object"
            raise DescriptorError(msg)
        for key in ("name", "path", "schema"):
            if key not in res:
                msg = f"{rwhere}: required property {key!r} is missing"
                raise DescriptorError(msg)
        schema = res["schema"]
        if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
            msg = f"{rwhere}: 'schema' must be an object with a 'fields' list"
            raise DescriptorError(msg)
        fks = tuple(
            ForeignKey(
                fields=_as_tuple(fk.get("fields")),
                resource=str((fk.get("reference") or {}).get("resource", res["name"])),
                ref_fields=_as_tuple((fk.get("reference") or {}).get("fields")),
            )
            for fk in schema.get("foreignKeys", [])
        )
        tables.append(
            TableSpec(
                name=str(res["name"]),
                path=str(res["path"]),
                title=str(res.get("title", res["name"])),
                description=str(res.get("description", "")),
                fields=tuple(_field(f, f"{rwhere}.schema.fields") for f in schema["fields"]),
                primary_key=_as_tuple(schema.get("primaryKey")),
                foreign_keys=fks,
                hash=res.get("hash"),
                raw=res,
            )
        )
    return PackageSpec(
        path=path,
        name=str(raw["name"]),
        title=str(raw.get("title", raw["name"])),
        version=str(raw.get("version", "")),
        tables=tuple(tables),
        raw=raw,
    )


@lru_cache(maxsize=8)
def read_descriptor(path: Path) -> PackageSpec:
    """Read and parse the descriptor at *path* (cached per path).

    Raises :class:`~k2data.errors.DescriptorError` if the file is missing,
    is not JSON, or lacks required properties.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = f"{path}: no such file; pass the path of a datapackage.json"
        raise DescriptorError(msg) from None
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{path}: cannot be read as UTF-8 text ({exc})"
        raise DescriptorError(msg) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        raise DescriptorError(msg) from None
    return parse_descriptor(raw, path)
