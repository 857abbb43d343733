"""Read-only SQL over the data: the SQLite database of a package (or a release file), queried safely.

:func:`database` gives the path of a database: a release file as it is, or
the ``k2data.sqlite`` of a package built into a temporary folder (the same
bytes as the release file, see :mod:`k2data.export.sqlite`). :func:`connect`
opens it read-only three times over: the file in ``mode=ro``, ``PRAGMA
query_only``, and an authorizer that allows reading and nothing else (no
write, no ``ATTACH``, no ``PRAGMA`` that sets anything, no function that
reaches outside SQL). :func:`run` runs one statement within a deadline and
returns at most *limit* rows; :func:`render` prints them as a text table,
CSV, JSON or Markdown.

A statement that would write is refused with :class:`~k2data.errors.ReadOnlyError`;
one SQLite cannot run raises :class:`~k2data.errors.QueryError` with SQLite's
message. Standard library only.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._package.paths import shown
from .errors import QueryError, ReadOnlyError

__all__ = ["DEFAULT_LIMIT", "DEFAULT_TIMEOUT", "FORMATS", "ReadOnlyConnection", "Result", "connect", "database", "fts_query", "is_database", "render", "run"]

DEFAULT_LIMIT = 100
DEFAULT_TIMEOUT = 10.0
#: Output formats of :func:`render`.
FORMATS = ("table", "csv", "json", "markdown")
_HEADER = b"SQLite format 3\x00"
#: PRAGMAs that only read (their argument, if any, names a table or an index, never a setting).
_READ_PRAGMAS = frozenset(
    {"table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo", "foreign_key_list",
     "foreign_key_check", "collation_list", "function_list", "pragma_list", "compile_options", "data_version"}
)  # fmt: skip
#: Functions that are never allowed: they load code or hand SQLite a raw pointer.
_DENIED_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer", "readfile", "writefile", "edit"})
#: SQLite's words for a statement that tried to write before the authorizer saw it.
_WRITE_MESSAGES = ("readonly", "read-only", "query_only", "may not be modified")
_ACTIONS = {
    getattr(sqlite3, name): name[7:].lower()
    for name in dir(sqlite3)
    if name.startswith("SQLITE_") and name[7:] in {
        "CREATE_INDEX", "CREATE_TABLE", "CREATE_TEMP_INDEX", "CREATE_TEMP_TABLE", "CREATE_TEMP_TRIGGER",
        "CREATE_TEMP_VIEW", "CREATE_TRIGGER", "CREATE_VIEW", "DELETE", "DROP_INDEX", "DROP_TABLE", "DROP_TEMP_INDEX",
        "DROP_TEMP_TABLE", "DROP_TEMP_TRIGGER", "DROP_TEMP_VIEW", "DROP_TRIGGER", "DROP_VIEW", "INSERT", "PRAGMA",
        "READ", "SELECT", "TRANSACTION", "UPDATE", "ATTACH", "DETACH", "ALTER_TABLE", "REINDEX", "ANALYZE",
        "CREATE_VTABLE", "DROP_VTABLE", "FUNCTION", "SAVEPOINT", "RECURSIVE",
    }
}  # fmt: skip


def is_database(path: str | Path) -> bool:
    """Whether *path* is a regular file that starts like an SQLite database."""
    p = Path(path)
    if not p.is_file():
        return False
    with open(p, "rb") as fh:
        return fh.read(16) == _HEADER


@contextmanager
def database(datapackage: str | Path | None = None, db: str | Path | None = None) -> Iterator[Path]:
    """The path of a database to query: *db* as it is, else the package's built into a temporary folder.

    The temporary database is removed when the ``with`` block ends.

    Examples
    --------
    >>> with database() as path:
    ...     path.name
    'k2data.sqlite'
    """
    if db is not None:
        if not is_database(db):
            msg = f"{shown(db)}: not an SQLite database file"
            raise QueryError(msg)
        yield Path(db)
        return
    from ._package import open_package
    from .export import sort_frame
    from .export.sqlite import build_database
    from .load import read_table

    pkg = open_package(datapackage)
    frames = {t.name: sort_frame(t, read_table(t, pkg)) for t in pkg.tables}
    with tempfile.TemporaryDirectory(prefix="k2data-db.") as tmp:
        yield build_database(pkg, frames, Path(tmp) / "k2data.sqlite")


@dataclass
class _Guard:
    """The authorizer: reading is allowed, everything else is refused and remembered."""

    denied: list[str] = field(default_factory=list)

    def __call__(self, action: int, arg1: str | None, arg2: str | None, dbname: str | None, source: str | None) -> int:
        name = _ACTIONS.get(action, str(action))
        if name in ("select", "read", "recursive"):
            return sqlite3.SQLITE_OK
        if name == "function" and (arg2 or "").lower() not in _DENIED_FUNCTIONS:
            return sqlite3.SQLITE_OK
        if name == "pragma" and (arg1 or "").lower() in _READ_PRAGMAS:
            return sqlite3.SQLITE_OK
        if name == "update" and arg1 in ("sqlite_master", "sqlite_temp_master") and source is None:
            return sqlite3.SQLITE_OK  # SQLite's own bookkeeping when a virtual table is first used; the file is read-only
        what = " ".join(p for p in (name.replace("_", " ").upper(), arg1 if name != "function" else arg2) if p)
        self.denied.append(what)
        return sqlite3.SQLITE_DENY


class ReadOnlyConnection(sqlite3.Connection):
    """A connection opened by :func:`connect`: it carries its guard and its deadline."""

    guard: _Guard
    timeout: float
    deadline: float = 0.0


def connect(path: str | Path, *, timeout: float = DEFAULT_TIMEOUT) -> ReadOnlyConnection:
    """Open *path* read-only (``mode=ro``, ``query_only``, an authorizer that allows reading only).

    Each statement run on the connection must finish within *timeout* seconds.

    Examples
    --------
    >>> with database() as path:
    ...     con = connect(path)
    ...     con.execute("SELECT count(*) > 0 FROM claims").fetchone()
    ...     con.close()
    (1,)
    """
    uri = "file:" + urllib.parse.quote(str(Path(path).resolve())) + "?mode=ro"
    con = sqlite3.connect(uri, uri=True, isolation_level=None, factory=ReadOnlyConnection)
    con.execute("PRAGMA query_only = 1")
    con.guard = _Guard()
    con.timeout = timeout
    con.set_authorizer(con.guard)

    def too_long() -> int:
        return 1 if time.monotonic() > con.deadline else 0

    con.set_progress_handler(too_long, 10_000)
    return con


@dataclass
class Result:
    """The rows a statement returned: ``columns``, ``rows`` (at most the limit) and whether more were left."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False


def run(con: ReadOnlyConnection, sql: str, params: Sequence[Any] | Mapping[str, Any] = (), *, limit: int = DEFAULT_LIMIT) -> Result:
    """Run one read-only statement on a connection from :func:`connect`; return at most *limit* rows.

    *params* fill the statement's ``?`` (a sequence) or ``:name`` (a mapping) parameters.

    Raises
    ------
    ReadOnlyError
        If the statement would write, attach a database, set a PRAGMA or call a denied function.
    QueryError
        If SQLite cannot run it (a syntax error, an unknown table...) or it passes its deadline.

    Examples
    --------
    >>> with database() as path:
    ...     con = connect(path)
    ...     result = run(con, "SELECT verdict, count(*) AS n FROM claims GROUP BY verdict ORDER BY verdict", limit=2)
    ...     con.close()
    >>> result.columns, len(result.rows), result.truncated
    (['verdict', 'n'], 2, True)
    """
    guard = con.guard
    guard.denied.clear()
    con.deadline = time.monotonic() + con.timeout
    try:
        cursor = con.execute(sql, params if isinstance(params, Mapping) else tuple(params))
        rows = cursor.fetchmany(limit + 1)
        columns = [d[0] for d in cursor.description or ()]
        cursor.close()
    except (sqlite3.Error, sqlite3.Warning, ValueError, OverflowError) as exc:
        message = str(exc) or type(exc).__name__
        if guard.denied or any(m in message for m in _WRITE_MESSAGES):
            what = guard.denied[0] if guard.denied else "writing"
            msg = f"refused: k2data queries are read-only ({what} is not allowed)"
            raise ReadOnlyError(msg) from None
        if message == "interrupted":
            message = f"stopped after {con.timeout:g} s; narrow the query"
        raise QueryError(f"SQLite: {message}") from None
    return Result(columns, rows[:limit], truncated=len(rows) > limit)


def fts_query(text: str) -> str:
    """Words of *text* as an FTS5 query that matches rows holding all of them (no FTS syntax needed).

    Examples
    --------
    >>> print(fts_query('vitamin K2 "HCC"'))
    "vitamin" "K2" "HCC"
    """
    words = [w.replace('"', "") for w in text.split()]
    return " ".join(f'"{w}"' for w in words if w)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _table(result: Result, width: int) -> str:
    cells = [[shown(_text(v), width) if len(_text(v)) <= width else shown(_text(v)[: width - 1], width) + "…" for v in row] for row in result.rows]
    header = [shown(c, width) for c in result.columns]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def _markdown(result: Result) -> str:
    def cell(v: Any) -> str:
        return shown(_text(v), 10_000).replace("\\", "\\\\").replace("|", "\\|")

    lines = ["| " + " | ".join(map(cell, result.columns)) + " |", "|" + "---|" * len(result.columns)]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in result.rows]
    return "\n".join(lines)


def render(result: Result, fmt: str = "table", *, width: int = 60) -> str:
    """*result* as text: an aligned ``table`` (cells cut at *width*), ``csv``, ``json`` (a list of objects) or ``markdown``.

    Examples
    --------
    >>> print(render(Result(["a", "b"], [(1, "x|y"), (None, "z")]), "markdown"))
    | a | b |
    |---|---|
    | 1 | x\\|y |
    |  | z |
    """
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([[_text(v) for v in row] for row in result.rows])
        return buf.getvalue().rstrip("\n")
    if fmt == "json":
        rows = [dict(zip(result.columns, (v.hex() if isinstance(v, bytes) else v for v in row), strict=True)) for row in result.rows]
        return json.dumps(rows, indent=2, ensure_ascii=False)
    if fmt == "markdown":
        return _markdown(result)
    return _table(result, width)
