"""SQLite export: ``k2data.sqlite``, every table in one database with keys, link tables, views and search.

The file holds, built with the standard library's :mod:`sqlite3`:

- every table, with its declared column types, constraints, primary key and
  foreign keys (see :mod:`._sqlschema`); list fields keep their text
  (``a;b``) and also get a link table ``<table>__<field>``, so a join needs no
  string splitting;
- the views of :data:`k2data.views.VIEWS` (``evidence``, ``claims_checked``);
- ``search``, an FTS5 table over claim statements and explanations, study
  names and summaries and reference titles (with authors and venue): one row
  per row of those tables, ``table_name`` and ``key`` saying which;
- what the descriptor says about it all: ``_k2data_tables(name, kind, title,
  description, primary_key)``, ``_k2data_columns(table_name, column_name,
  position, type, unit, description, links_to)``, ``_k2data_values(table_name,
  column_name, position, value, label)`` for the vocabularies, and
  ``_k2data_package(key, value)`` for the version, licence, citation and the
  educational-use notice.

The database is built in memory, then written with ``VACUUM INTO``: rows go in primary-key order, the page size is
fixed and nothing depends on the clock, so two builds with the same SQLite
library give the same bytes (its version is in the file header).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._package import PackageSpec, TableSpec
from ..errors import DataFileError
from ..views import VIEWS, View, view_sql
from . import FORMATS, ExportContext, is_missing
from ._sqlschema import check_names, link_tables, quote, table_ddl

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["NOTICE", "PAGE_SIZE", "SEARCH_SOURCES", "SearchSource", "build_database", "write"]

PAGE_SIZE = 4096
NOTICE = "Educational material, not medical advice."


@dataclass(frozen=True)
class SearchSource:
    """Which text of a table the ``search`` index holds: a title field and body fields."""

    table: str
    title: str
    body: tuple[str, ...]


#: The text the full-text index holds, table by table.
SEARCH_SOURCES = (
    SearchSource("claims", "statement", ("explanation",)),
    SearchSource("trials", "short_name", ("summary",)),
    SearchSource("cohorts", "short_name", ("summary",)),
    SearchSource("references", "title", ("authors", "venue")),
)

_META_DDL = (
    """CREATE TABLE "_k2data_tables" (
  "name" TEXT NOT NULL PRIMARY KEY,
  "kind" TEXT NOT NULL CHECK ("kind" IN ('table', 'link', 'view', 'search', 'metadata')),
  "title" TEXT,
  "description" TEXT,
  "primary_key" TEXT
)""",
    """CREATE TABLE "_k2data_columns" (
  "table_name" TEXT NOT NULL REFERENCES "_k2data_tables"("name"),
  "column_name" TEXT NOT NULL,
  "position" INTEGER NOT NULL,
  "type" TEXT NOT NULL,
  "unit" TEXT,
  "description" TEXT,
  "links_to" TEXT,
  PRIMARY KEY ("table_name", "column_name")
)""",
    """CREATE TABLE "_k2data_values" (
  "table_name" TEXT NOT NULL,
  "column_name" TEXT NOT NULL,
  "position" INTEGER NOT NULL,
  "value" TEXT NOT NULL,
  "label" TEXT,
  PRIMARY KEY ("table_name", "column_name", "value"),
  FOREIGN KEY ("table_name", "column_name") REFERENCES "_k2data_columns"("table_name", "column_name")
)""",
    """CREATE TABLE "_k2data_package" ("key" TEXT NOT NULL PRIMARY KEY, "value" TEXT)""",
)
_SEARCH_DDL = (
    'CREATE VIRTUAL TABLE "search" USING fts5('
    "table_name UNINDEXED, key UNINDEXED, title, body, tokenize = 'porter unicode61 remove_diacritics 2')"
)
_META_TABLES = {
    "_k2data_tables": (
        "Every table, link table and view of this file, with its title and description.",
        {"name": "The table or view.", "kind": "table, link (a list field's items), view, search or metadata.",
         "title": "Its title.", "description": "What it holds.", "primary_key": "Its key columns, separated by ';'."},
    ),
    "_k2data_columns": (
        "Every column of every table and view, with its type, unit, description and what it links to.",
        {"table_name": "The table or view.", "column_name": "The column.", "position": "Its position, from 1.",
         "type": "Its type in the descriptor (list of T for a list field).", "unit": "Its unit (UCUM), if any.",
         "description": "What it means.", "links_to": "The table.column it points at, if it is a link."},
    ),
    "_k2data_values": (
        "The allowed values of each vocabulary column, in declared order, with their labels.",
        {"table_name": "The table.", "column_name": "The vocabulary column.", "position": "Declared order, from 1.",
         "value": "An allowed value.", "label": "Its label."},
    ),
    "_k2data_package": (
        "The package: name, title, version, licence, citation and the educational-use notice.",
        {"key": "What the value is.", "value": "The value."},
    ),
}  # fmt: skip
_SEARCH_COLUMNS = (
    ("table_name", "The table the hit is in."),
    ("key", "The primary key of the row, in that table."),
    ("title", "The row's claim statement, study name or reference title."),
    ("body", "The rest of its text: explanation, summary, or authors and venue."),
)


def _cell(type_: str, value: Any) -> Any:
    if is_missing(value):
        return None
    if type_ in ("integer", "year"):
        return int(value)
    if type_ == "number":
        return float(value)
    if type_ == "boolean":
        return 1 if value else 0
    if type_ == "date":
        return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else str(value)
    if type_ == "datetime":
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return str(value)


def _list_text(value: Any, delimiter: str) -> str | None:
    if is_missing(value) or len(value) == 0:
        return None
    return delimiter.join(str(v) for v in value)


def _insert(con: sqlite3.Connection, table: str, columns: Iterable[str], rows: Iterable[tuple[Any, ...]]) -> None:
    names = list(columns)
    sql = f"INSERT INTO {quote(table)} ({', '.join(map(quote, names))}) VALUES ({', '.join('?' * len(names))})"
    for row in rows:
        try:
            con.execute(sql, row)
        except sqlite3.IntegrityError as exc:
            shown_row = dict(zip(names, row, strict=True))
            msg = f"table {table!r}: row {json.dumps(shown_row, default=str)[:300]} breaks a constraint ({exc}); run `k2data validate`"
            raise DataFileError(msg) from None


def _fill_table(con: sqlite3.Connection, table: TableSpec, frame: pd.DataFrame) -> None:
    columns = [frame[f.name].tolist() for f in table.fields]
    rows = []
    for values in zip(*columns, strict=True) if columns else ():
        rows.append(
            tuple(
                _list_text(v, f.delimiter) if f.is_list else _cell(f.type, v)
                for f, v in zip(table.fields, values, strict=True)
            )
        )
    _insert(con, table.name, table.field_names, rows)


def _fill_links(con: sqlite3.Connection, pkg: PackageSpec, frames: Mapping[str, pd.DataFrame]) -> None:
    for lt in link_tables(pkg):
        frame = frames[lt.parent.name]
        keys = [[_cell(lt.parent.field(k).type, v) for v in frame[k].tolist()] for k in lt.parent.primary_key]
        rows = []
        for i, items in enumerate(frame[lt.field.name].tolist()):
            if is_missing(items):
                continue
            for pos, item in enumerate(items, start=1):
                rows.append((*(k[i] for k in keys), pos, _cell(lt.field.value_type, item)))
        _insert(con, lt.name, lt.columns, rows)


def _search_rows(pkg: PackageSpec, frames: Mapping[str, pd.DataFrame]) -> list[tuple[str, str, str, str]]:
    rows = []
    for src in SEARCH_SOURCES:
        if src.table not in pkg.table_names:
            continue
        table = pkg.table(src.table)
        if len(table.primary_key) != 1 or not {src.title, *src.body} <= set(table.field_names):
            continue
        frame = frames[src.table]
        for rec in frame.to_dict("records"):
            parts = []
            for name in src.body:
                v = rec[name]
                parts.append(", ".join(map(str, v)) if isinstance(v, list) else "" if is_missing(v) else str(v))
            title = "" if is_missing(rec[src.title]) else str(rec[src.title])
            rows.append((src.table, str(rec[table.primary_key[0]]), title, " ".join(p for p in parts if p)))
    return rows


def _views(pkg: PackageSpec) -> list[View]:
    return [v for v in VIEWS.values() if v.available(pkg)]


def _fill_metadata(con: sqlite3.Connection, pkg: PackageSpec) -> None:
    tables, columns, values = [], [], []
    for t in pkg.tables:
        tables.append((t.name, "table", t.title, t.description, ";".join(t.primary_key) or None))
        links = {link.field: link.dotted for link in t.links}
        for pos, f in enumerate(t.fields, start=1):
            type_ = f"list of {f.value_type}" if f.is_list else f.type
            columns.append((t.name, f.name, pos, type_, f.unit, f.description or None, links.get(f.name)))
            labels = dict(f.labels)
            for i, v in enumerate(f.enum or (), start=1):
                values.append((t.name, f.name, i, v, labels.get(v)))
    for lt in link_tables(pkg):
        tables.append((lt.name, "link", f"{lt.parent.title}: {lt.field.name}", lt.describe(), ";".join((*lt.parent.primary_key, "position"))))
        for pos, name in enumerate(lt.columns, start=1):
            if name == "position":
                columns.append((lt.name, name, pos, "integer", None, "Position of the item in the list, from 1.", None))
            elif name == lt.item:
                link = lt.link.dotted if lt.link is not None else None
                columns.append((lt.name, name, pos, lt.field.value_type, None, f"One item of {lt.parent.name}.{lt.field.name}.", link))
            else:
                columns.append((lt.name, name, pos, lt.parent.field(name).type, None, f"The row of {lt.parent.name}.", f"{lt.parent.name}.{name}"))
    for view in _views(pkg):
        tables.append((view.name, "view", view.title, view.description, None))
        for pos, c in enumerate(view.columns, start=1):
            spec = view.source(c, pkg)
            type_ = "string" if spec is None else f"list of {spec.value_type}" if spec.is_list else spec.type
            columns.append((view.name, c.name, pos, type_, spec.unit if spec else None, c.description or None, None))
    tables.append(("search", "search", "Full-text search", "FTS5 index over claims, studies and references.", None))
    columns += [("search", name, i, "string", None, d, None) for i, (name, d) in enumerate(_SEARCH_COLUMNS, start=1)]
    for name, (description, described) in _META_TABLES.items():
        tables.append((name, "metadata", name, description, None))
        columns += [(name, c, i, "string", None, d, None) for i, (c, d) in enumerate(described.items(), start=1)]
    _insert(con, "_k2data_tables", ("name", "kind", "title", "description", "primary_key"), tables)
    _insert(con, "_k2data_columns", ("table_name", "column_name", "position", "type", "unit", "description", "links_to"), columns)
    _insert(con, "_k2data_values", ("table_name", "column_name", "position", "value", "label"), values)
    lic = pkg.licenses[0] if pkg.licenses else None
    facts = {
        "name": pkg.name, "title": pkg.title, "version": pkg.version, "description": pkg.description,
        "created": pkg.created, "homepage": pkg.homepage, "license": lic.label if lic else "",
        "license_url": lic.path if lic else "", "citation": pkg.citation, "notice": NOTICE,
    }  # fmt: skip
    _insert(con, "_k2data_package", ("key", "value"), [(k, v or None) for k, v in facts.items()])


def build_database(pkg: PackageSpec, frames: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write the SQLite database of *pkg* to *path* (which must not exist yet); return *path*.

    *frames* are the typed tables (rows in primary-key order for
    reproducible bytes, as in :class:`~k2data.export.ExportContext`).

    The foreign keys are declared, not enforced while loading: for a valid
    package (``k2data build`` validates first) ``PRAGMA foreign_key_check``
    finds nothing, and an export of rows whose links point nowhere still
    writes the file (the check then lists them).

    Raises
    ------
    DataFileError
        If a row breaks a ``NOT NULL``, ``UNIQUE`` or ``CHECK`` constraint.
    DescriptorError
        If a table name is one the file uses for itself (``search``, a view, ``_k2data_*``).

    Examples
    --------
    >>> import sqlite3, tempfile, k2data
    >>> from pathlib import Path
    >>> from k2data._package import open_package
    >>> pkg = open_package()
    >>> with tempfile.TemporaryDirectory() as d:
    ...     db = build_database(pkg, k2data.load(), Path(d) / "k2.sqlite")
    ...     con = sqlite3.connect(db)
    ...     n = con.execute("SELECT count(*) FROM claims WHERE verdict = 'diverges'").fetchone()[0]
    ...     con.close()
    >>> n > 0
    True
    """
    target = Path(path)
    views = _views(pkg)
    check_names(pkg, tuple(v.name for v in views))
    con = sqlite3.connect(":memory:", isolation_level=None)
    try:
        con.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        con.execute("BEGIN")
        for ddl in _META_DDL:
            con.execute(ddl)
        for t in pkg.tables:
            con.execute(table_ddl(t, pkg))
        for lt in link_tables(pkg):
            con.execute(lt.ddl(pkg))
        for view in views:
            con.execute(view_sql(view, pkg))
        con.execute(_SEARCH_DDL)
        for t in pkg.tables:
            _fill_table(con, t, frames[t.name])
        _fill_links(con, pkg, frames)
        _insert(con, "search", ("table_name", "key", "title", "body"), _search_rows(pkg, frames))
        _fill_metadata(con, pkg)
        con.execute("COMMIT")
        con.execute("VACUUM INTO ?", (str(target),))
    finally:
        con.close()
    return target


def write(ctx: ExportContext) -> list[str]:
    """Write ``k2data.sqlite``; return its path."""
    rel = FORMATS["sqlite"].entry
    build_database(ctx.pkg, ctx.frames, ctx.path(rel))
    return [ctx.record(rel)]
