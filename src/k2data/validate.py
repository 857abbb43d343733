"""Validate a data package: bytes, structure (frictionless), meaning (Pandera) and cross-table links.

:func:`validate` never raises for bad data or a bad descriptor: it returns a
:class:`~k2data._report.ValidationReport` listing every problem with its
file, row number as in the file, field, value and message. Tables are read in
chunks, so memory stays bounded for large files.
"""

from __future__ import annotations

import copy
import csv
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from ._descriptor import PackageSpec, TableSpec, read_descriptor
from ._fileformat import file_format_problems
from ._report import Problem, ValidationReport, finalize
from ._resources import bundled_descriptor_path
from .errors import DescriptorError
from .load import coerce_frame
from .rules import reference_problems, row_rules

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["resolve_descriptor", "unsafe_path_reason", "validate"]

UPDATE_HINT = "run `k2data update` to refresh the hashes after editing a data file"
#: problems kept in memory at most; beyond this they are only counted
KEEP_LIMIT = 100_000
#: frictionless stops a table after this many errors
FRICTIONLESS_LIMIT = 100_000
CHUNK_ROWS = 100_000


def resolve_descriptor(path: str | Path | None) -> Path:
    """The descriptor a user means: the bundled one, a file, or a folder holding ``datapackage.json``."""
    if path is None:
        return bundled_descriptor_path()
    p = Path(path)
    if p.is_dir():
        p = p / "datapackage.json"
    return p


def unsafe_path_reason(path: str) -> str | None:
    """Why a resource path must not be read, or ``None`` if it is a safe relative path."""
    if urlparse(path).scheme not in ("", "file") or "://" in path:
        return "is a remote URL; k2data reads only files inside the package and never fetches"
    if path.startswith(("/", "\\")) or Path(path).is_absolute() or (len(path) > 1 and path[1] == ":"):
        return "is an absolute path; resource paths must be relative to datapackage.json"
    if ".." in path.replace("\\", "/").split("/"):
        return "points outside the package ('..'); resource paths must stay inside its folder"
    return None


class _Collector:
    """Keeps problems up to :data:`KEEP_LIMIT` and counts the rest."""

    def __init__(self) -> None:
        self.kept: list[Problem] = []
        self.dropped = 0

    def add(self, problems: list[Problem]) -> None:
        room = KEEP_LIMIT - len(self.kept)
        self.kept.extend(problems[:room])
        self.dropped += max(0, len(problems) - room)


def validate(
    path: str | Path | None = None, *, max_problems: int | None = 1000, chunk_rows: int = CHUNK_ROWS
) -> ValidationReport:
    """Validate a data package and return a report (never raises for bad data).

    Runs byte-level checks (UTF-8 without BOM, LF line ends, closed quotes,
    at least one row), the frictionless structural checks (header, types,
    constraints, primary and foreign keys, hashes), the Pandera schemas
    derived from the descriptor with k2data's row rules, and the cross-table
    rules (list-valued foreign keys).

    Parameters
    ----------
    path : str or Path, optional
        A ``datapackage.json`` or a folder holding one. Default: the package
        bundled with k2data.
    max_problems : int or None, default 1000
        Problems listed in the report, the first by file and row; the rest
        are only counted (``report.problem_count``). ``None`` lists all.
    chunk_rows : int, default 100000
        Rows read at a time, which bounds memory on large tables.

    Returns
    -------
    ValidationReport
        ``report.valid`` is ``True`` when nothing was found;
        ``report.problems`` lists problems with ``file``, ``row``,
        ``field``, ``value`` and ``message``.

    Examples
    --------
    >>> import k2data
    >>> report = k2data.validate()
    >>> report.valid, report.problems
    (True, [])
    """
    descriptor = resolve_descriptor(path)
    shown = str(descriptor)
    try:
        pkg = read_descriptor.__wrapped__(descriptor.resolve())
    except DescriptorError as exc:
        message = str(exc).split(": ", 1)[-1]
        return ValidationReport(shown, [Problem(descriptor.name, None, None, None, message, "descriptor")])
    base = pkg.path.parent
    found = _Collector()
    readable: list[TableSpec] = []
    parsable: list[TableSpec] = []
    for table in pkg.tables:
        reason = unsafe_path_reason(table.path)
        if reason is not None:
            found.add([Problem(descriptor.name, None, f"resources[{table.name}].path", table.path, f"resource path {reason}", "unsafe-path")])
            continue
        file = base / table.path
        if not file.is_file():
            found.add([Problem(table.path, None, None, None, f"data file of resource {table.name!r} is missing", "missing-file")])
            continue
        readable.append(table)
        format_problems = file_format_problems(file, table.path)
        found.add(format_problems)
        if not any(p.check in ("empty-file", "encoding", "unbalanced-quote") for p in format_problems):
            parsable.append(table)
    found.add(_frictionless_problems(pkg, readable))
    keys = _key_sets(pkg, parsable, base)
    for table in parsable:
        for chunk_problems in _table_problems(pkg, table, base, keys, chunk_rows):
            found.add(chunk_problems)
    problems = finalize(found.kept)
    total = len(problems) + found.dropped
    return ValidationReport(shown, problems, problem_count=total, max_problems=max_problems)


def _frictionless_problems(pkg: PackageSpec, readable: list[TableSpec]) -> list[Problem]:
    from frictionless import FrictionlessException, Package

    names = {t.name for t in readable}
    raw = copy.deepcopy(pkg.raw)
    raw["resources"] = [r for r in raw.get("resources", []) if r.get("name") in names]
    for res in raw["resources"]:
        schema = res.get("schema", {})
        fks = schema.get("foreignKeys", [])
        kept = [fk for fk in fks if (fk.get("reference") or {}).get("resource", res["name"]) in names]
        if len(kept) != len(fks):
            schema["foreignKeys"] = kept
        if not res.get("hash"):
            res.pop("hash", None)
    by_name = {t.name: t for t in readable}
    try:
        package = Package(raw, basepath=str(pkg.path.parent))
        report = package.validate(limit_errors=FRICTIONLESS_LIMIT)
    except FrictionlessException as exc:
        message = f"descriptor is not a valid data package: {exc.error.message}"
        return [Problem(pkg.path.name, None, None, None, message, "descriptor")]
    problems = [Problem(pkg.path.name, None, None, None, e.message, e.type) for e in report.errors]
    for task in report.tasks:
        table = by_name.get(task.name)
        file = table.path if table else str(task.place)
        for e in task.errors:
            problems.append(_from_frictionless(e, file, table))
    return problems


def _from_frictionless(e: Any, file: str, table: TableSpec | None) -> Problem:
    row = getattr(e, "row_number", None)
    field = getattr(e, "field_name", None) or None
    value = getattr(e, "cell", None)
    message = e.message
    if e.type in ("missing-label", "extra-label", "incorrect-label", "blank-label", "duplicate-label"):
        row = 1
        label = getattr(e, "label", None)
        value = label or None
        field = field or label or None
        message = {
            "missing-label": "column is missing from the header",
            "extra-label": "the header has a column that the schema does not declare",
            "incorrect-label": f"header has {label!r} where the schema expects {field!r} (columns missing or reordered)",
        }.get(e.type, e.message)
    elif e.type == "foreign-key":
        fields = list(getattr(e, "field_names", None) or [])
        cells = list(getattr(e, "field_cells", None) or [])
        field = ",".join(fields) or None
        value = ",".join(str(c) for c in cells) or None
        ref = getattr(e, "reference_name", "")
        message = f"{value!r} not found in the lookup table {ref!r}"
    elif e.type == "primary-key" and table is not None:
        field = ",".join(table.primary_key)
        message = "duplicate primary key: the same value as an earlier row"
    elif e.type in ("hash-count", "byte-count"):
        message = f"{e.message}; {UPDATE_HINT}"
    elif e.type == "type-error":
        message = f"value is not of type {getattr(e, 'field_type', '')!s}".rstrip()
        if getattr(e, "note", ""):
            message += f" ({e.note})"
    elif getattr(e, "note", ""):
        message = e.note
    return Problem(file, row, field, None if value is None else str(value), message, e.type)


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh), [])


def _key_sets(pkg: PackageSpec, tables: list[TableSpec], base: Path) -> dict[tuple[str, str], set[str]]:
    """The values of every referenced key column (only that column is read)."""
    import pandas as pd

    wanted: set[tuple[str, str]] = set()
    for t in pkg.tables:
        wanted |= {(fk.resource, fk.ref_fields[0]) for fk in t.foreign_keys if len(fk.ref_fields) == 1}
        wanted |= {f.list_reference for f in t.fields if f.list_reference is not None}
    available = {t.name: t for t in tables}
    keys: dict[tuple[str, str], set[str]] = {}
    for resource, field in sorted(wanted):
        table = available.get(resource)
        if table is None or field not in _header(base / table.path):
            continue
        col = pd.read_csv(base / table.path, usecols=[field], dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
        keys[(resource, field)] = set(col[field].dropna().tolist())
    return keys


def _table_problems(
    pkg: PackageSpec, table: TableSpec, base: Path, keys: dict[tuple[str, str], set[str]], chunk_rows: int
) -> Iterator[list[Problem]]:
    """Pandera and cross-table problems of one table, a chunk of rows at a time."""
    import pandas as pd

    os.environ.setdefault("DISABLE_PANDERA_IMPORT_WARNING", "True")
    import pandera.pandas as pa

    from .schemas import table_schema

    path = base / table.path
    if _header(path) != table.field_names:
        return  # header problems are reported by the structural checks
    schema = table_schema(table)
    rules = {r.name: r for r in row_rules(table)}
    seen_unique: set[tuple[str, str]] = set()
    try:
        chunks = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            encoding="utf-8",
            chunksize=chunk_rows,
        )
        for raw in chunks:
            blank = raw.isna().all(axis=1)
            frame = coerce_frame(raw[~blank], table)
            problems: list[Problem] = []
            try:
                schema.validate(frame, lazy=True)
            except pa.errors.SchemaErrors as exc:
                problems += _from_pandera(exc.failure_cases, table, raw, frame, rules, seen_unique)
            problems += reference_problems(pkg, {table.name: frame}, keys=keys)
            yield problems
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        yield [Problem(table.path, None, None, None, f"cannot be parsed as CSV: {first}", "source-error")]


def _from_pandera(
    fc: pd.DataFrame,
    table: TableSpec,
    raw: pd.DataFrame,
    frame: pd.DataFrame,
    rules: dict[str, Any],
    seen_unique: set[tuple[str, str]],
) -> list[Problem]:
    problems: list[Problem] = []
    seen_rule_rows: set[tuple[str, Any]] = set()
    for rec in fc.to_dict("records"):
        idx = rec.get("index")
        if idx is None or (isinstance(idx, float) and idx != idx):
            continue
        row = int(idx) + 2
        check = str(rec.get("check"))
        column = rec.get("column")
        if rec.get("schema_context") == "DataFrameSchema" and check in rules:
            if (check, idx) in seen_rule_rows:
                continue
            seen_rule_rows.add((check, idx))
            rule = rules[check]
            value = ", ".join(f"{f}={_show(frame.at[idx, f])}" for f in rule.fields)
            problems.append(Problem(table.path, row, rule.fields[0], value, rule.message, "rule"))
            continue
        if column not in table.field_names:
            continue
        value = _show(raw.at[idx, column]) if idx in raw.index else _show(rec.get("failure_case"))
        if check == "field_uniqueness":
            key = (str(column), value)
            if key not in seen_unique:
                seen_unique.add(key)  # the first occurrence is not the duplicate
                continue
        problems.append(Problem(table.path, row, str(column), value, _message(check, table.field(str(column))), "schema"))
    return problems


def _show(value: Any) -> str:
    import pandas as pd

    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return ""
    return str(value)


def _message(check: str, spec: Any) -> str:
    if check == "not_nullable":
        return "a required value is missing"
    if check == "field_uniqueness":
        return "duplicate value in a unique field"
    if check == "enum" or check.startswith("isin"):
        return f"value is not one of the allowed values: {', '.join(spec.enum or ())}"
    if check.startswith("str_matches"):
        return f"value does not match the pattern {spec.pattern}"
    if check.startswith("greater_than_or_equal_to"):
        return f"value is below the minimum {spec.minimum}"
    if check.startswith("less_than_or_equal_to"):
        return f"value is above the maximum {spec.maximum}"
    if check == "non-empty list":
        return "a required list is empty"
    return f"failed check {check}"
