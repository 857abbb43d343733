"""CSV export: one RFC 4180 file per table and a data package describing them.

Writes ``csv/<table>.csv`` and ``csv/datapackage.json``. Each CSV is UTF-8
with LF line ends, a header row in descriptor order, rows sorted by primary
key (the typed key, so ``2`` sorts before ``10``) and quotes only where RFC
4180 needs them. Cells keep the curators' text (``0.80`` stays ``0.80``, so a
figure keeps the precision it was reported with); the typed loader has
already checked that each one parses as its field says. ``datapackage.json``
is the source descriptor with each resource's ``path``, ``hash`` (sha256) and
``bytes`` pointing at the written files, so ``frictionless validate
csv/datapackage.json`` checks the release itself.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

from .._package import TableSpec
from ..errors import DataFileError
from . import ExportContext, csv_relpath

__all__ = ["table_text", "write"]


def _source_rows(path: Path, table: TableSpec) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = [row for row in csv.reader(fh) if row]  # pandas skips blank lines too
    if not rows or rows[0] != table.field_names:
        msg = f"{path}: the header differs from the schema's fields {table.field_names}; run `k2data validate`"
        raise DataFileError(msg)
    return rows[1:]


def table_text(table: TableSpec, source: Path, order: list[int]) -> str:
    """The CSV file of one table, as text: the rows of *source* in *order*."""
    rows = _source_rows(source, table)
    if len(rows) != len(order):
        msg = f"{source}: {len(rows)} data rows, but {len(order)} were loaded; run `k2data validate`"
        raise DataFileError(msg)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(table.field_names)
    writer.writerows(rows[i] for i in order)
    return buf.getvalue()


def write(ctx: ExportContext) -> list[str]:
    """Write every table as CSV plus ``csv/datapackage.json``; return the paths written."""
    written: list[str] = []
    raw = copy.deepcopy(ctx.pkg.raw)
    by_name = {r.get("name"): r for r in raw.get("resources", [])}
    for table in ctx.pkg.tables:
        rel = csv_relpath(table.name)
        with open(ctx.path(rel), "w", encoding="utf-8", newline="") as fh:
            fh.write(table_text(table, ctx.pkg.file(table), ctx.orders[table.name]))
        written.append(ctx.record(rel))
        res = by_name[table.name]
        res["path"] = rel.split("/", 1)[1]
        res["hash"] = f"sha256:{ctx.files[rel]}"
        res["bytes"] = ctx.size(rel)
    rel = "csv/datapackage.json"
    with open(ctx.path(rel), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(raw, indent=2, ensure_ascii=False) + "\n")
    written.append(ctx.record(rel))
    return written
