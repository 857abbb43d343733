"""The SQLite schema of the release file, derived from the package model.

One ``CREATE TABLE`` per table: the column types of :data:`k2data._package.TYPES`
(``sqlite``), ``NOT NULL`` for required fields, ``UNIQUE`` for unique ones,
``CHECK`` constraints for vocabularies (``IN (...)``), minimum and maximum and
booleans (``IN (0, 1)``), the primary key, and a foreign key for each scalar
link whose target is a one-field primary key or unique field. Patterns are
not checked (SQLite has no regular expressions built in).

Each list field becomes a link table ``<table>__<field>``: the parent's key,
the item's ``position`` (from 1) and the item, named after the key it points
at (``reference_id``) or ``value`` for a list of plain values, with foreign
keys on both sides. The list column stays in the main table as its text.

Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._package import TYPES, FieldSpec, Link, PackageSpec, TableSpec
from ..errors import DescriptorError, UnsupportedFieldType

__all__ = ["RESERVED", "LinkTable", "check_names", "column_type", "link_tables", "literal", "quote", "table_ddl"]

#: Names the SQLite file uses for itself; no table of a package may take them.
RESERVED = ("search", "_k2data_tables", "_k2data_columns", "_k2data_values", "_k2data_package")


def quote(name: str) -> str:
    """*name* as an SQL identifier.

    Examples
    --------
    >>> print(quote('a"b'))
    "a""b"
    """
    return '"' + name.replace('"', '""') + '"'


def literal(value: object) -> str:
    """*value* as an SQL literal (text quoted, numbers as they are).

    Examples
    --------
    >>> literal("it's"), literal(2), literal(0.5)
    ("'it''s'", '2', '0.5')
    """
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def column_type(type_: str, where: str) -> str:
    """The declared SQLite type of a descriptor type (``list`` columns hold their text)."""
    if type_ == "list":
        return "TEXT"
    if type_ not in TYPES:
        msg = f"{where}: field type {type_!r} has no SQLite mapping; add one to k2data/_package/types.py"
        raise UnsupportedFieldType(msg)
    return TYPES[type_].sqlite


def _checks(f: FieldSpec) -> list[str]:
    col = quote(f.name)
    out = []
    if f.enum is not None and not f.is_list:
        out.append(f"{col} IN ({', '.join(literal(v) for v in f.enum)})")
    if f.type == "boolean":
        out.append(f"{col} IN (0, 1)")
    if f.type in ("integer", "year", "number"):
        if f.minimum is not None:
            out.append(f"{col} >= {literal(f.minimum)}")
        if f.maximum is not None:
            out.append(f"{col} <= {literal(f.maximum)}")
    return out


def _is_key(pkg: PackageSpec, table: str, field: str) -> bool:
    """Whether *field* alone identifies a row of *table* (so a foreign key may point at it)."""
    if table not in pkg.table_names:
        return False
    spec = pkg.table(table)
    return spec.primary_key == (field,) or (field in spec.field_names and spec.field(field).unique)


def _reference(pkg: PackageSpec, link: Link | None) -> str | None:
    if link is None or not _is_key(pkg, link.target, link.target_field):
        return None
    return f"REFERENCES {quote(link.target)}({quote(link.target_field)})"


def table_ddl(table: TableSpec, pkg: PackageSpec) -> str:
    """The ``CREATE TABLE`` statement of *table*.

    Examples
    --------
    >>> from k2data._package import open_package
    >>> pkg = open_package()
    >>> print(table_ddl(pkg.table("evidence_levels"), pkg))
    CREATE TABLE "evidence_levels" (
      "level" INTEGER NOT NULL CHECK ("level" >= 1) CHECK ("level" <= 5),
      "label" TEXT NOT NULL,
      "description" TEXT NOT NULL,
      PRIMARY KEY ("level")
    )
    """
    lines = []
    for f in table.fields:
        parts = [quote(f.name), column_type(f.type, f"{table.name}.{f.name}")]
        if f.required:
            parts.append("NOT NULL")
        if f.unique and table.primary_key != (f.name,):
            parts.append("UNIQUE")
        parts += [f"CHECK ({c})" for c in _checks(f)]
        lines.append(" ".join(parts))
    if table.primary_key:
        lines.append(f"PRIMARY KEY ({', '.join(map(quote, table.primary_key))})")
    for link in table.links:
        ref = None if link.is_list else _reference(pkg, link)
        if ref is not None:
            lines.append(f"FOREIGN KEY ({quote(link.field)}) {ref}")
    body = ",\n  ".join(lines)
    return f"CREATE TABLE {quote(table.name)} (\n  {body}\n)"


@dataclass(frozen=True)
class LinkTable:
    """The link table of one list field: ``<table>__<field>(key..., position, item)``."""

    parent: TableSpec
    field: FieldSpec
    link: Link | None

    @property
    def name(self) -> str:
        """``<table>__<field>``."""
        return f"{self.parent.name}__{self.field.name}"

    @property
    def item(self) -> str:
        """The item column: the name of the key it points at, else ``value``; ``item`` if that is taken."""
        name = self.link.target_field if self.link is not None else "value"
        return "item" if name in (*self.parent.primary_key, "position") else name

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column: the parent's key, ``position``, the item."""
        return (*self.parent.primary_key, "position", self.item)

    def ddl(self, pkg: PackageSpec) -> str:
        """The ``CREATE TABLE`` statement."""
        key = self.parent.primary_key
        lines = [f"{quote(k)} {column_type(self.parent.field(k).type, self.name)} NOT NULL" for k in key]
        lines.append('"position" INTEGER NOT NULL CHECK ("position" >= 1)')
        lines.append(f"{quote(self.item)} {column_type(self.field.value_type, self.name)} NOT NULL")
        lines.append(f"PRIMARY KEY ({', '.join(map(quote, (*key, 'position')))})")
        parent = ", ".join(map(quote, key))
        lines.append(f"FOREIGN KEY ({parent}) REFERENCES {quote(self.parent.name)}({parent})")
        ref = _reference(pkg, self.link)
        if ref is not None:
            lines.append(f"FOREIGN KEY ({quote(self.item)}) {ref}")
        body = ",\n  ".join(lines)
        return f"CREATE TABLE {quote(self.name)} (\n  {body}\n)"

    def describe(self) -> str:
        """What the table holds, in a sentence."""
        where = f", each a {self.link.dotted}" if self.link is not None else ""
        return f"The items of the list {self.parent.name}.{self.field.name}, one row each, in order{where}."


def link_tables(pkg: PackageSpec) -> list[LinkTable]:
    """The link table of every list field of every table with a primary key, in descriptor order."""
    out = []
    for table in pkg.tables:
        if not table.primary_key:
            continue
        for f in table.fields:
            if f.is_list:
                out.append(LinkTable(table, f, table.link(f.name)))
    return out


def check_names(pkg: PackageSpec, extra: tuple[str, ...]) -> None:
    """Refuse a package whose table names collide with the file's own names or with each other's link tables."""
    taken = set(RESERVED) | set(extra)
    names = [t.name for t in pkg.tables] + [lt.name for lt in link_tables(pkg)]
    for name in names:
        if name in taken or name.startswith("sqlite_"):
            msg = f"{pkg.path}: table name {name!r} is reserved in the SQLite export (or used twice); rename the table"
            raise DescriptorError(msg)
        taken.add(name)
