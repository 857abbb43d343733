"""`k2data query`, `show` and `search`: read-only SQL over the data, no Python needed.

Each builds the package's SQLite database (the release's ``k2data.sqlite``)
into a temporary file, or reads the release file given with ``--db``, and
opens it read-only (see :mod:`k2data.query`). Exit 0 with rows, 1 when SQLite
rejects the query, 2 when it would write (or on a usage error).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import QueryError, ReadOnlyError
from ..query import DEFAULT_LIMIT, DEFAULT_TIMEOUT, FORMATS
from . import _announce, _package_path, main


def _source_options(default_limit: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--datapackage``, ``--db``, ``--format``, ``--limit``, ``--timeout``: the options every query command shares."""
    options = [
        click.option("--datapackage", type=click.Path(path_type=Path), default=None, help="A datapackage.json or its folder (default: found from here, else the bundled one)."),
        click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Query this SQLite file (such as a release's k2data.sqlite) instead."),
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help="How to print the rows."),
        click.option("--limit", type=click.IntRange(min=1), default=default_limit, show_default=True, help="Print at most this many rows."),
        click.option("--timeout", type=click.FloatRange(min=0.1), default=DEFAULT_TIMEOUT, show_default=True, help="Seconds a query may run."),
    ]  # fmt: skip

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


def _run(datapackage: Path | None, db: Path | None, statement: Callable[[Any], tuple[str, list[Any]]], fmt: str, limit: int, timeout: float) -> None:
    """Open the database, build the statement (it may look at the schema), run it and print the rows."""
    from .._package.paths import shown
    from ..query import connect, database, is_database, render, run

    if db is not None:
        if not is_database(db):
            raise click.BadParameter(f"{shown(db)} is not an SQLite database file", param_hint="--db")
        click.echo(f"k2data: using the database {shown(db)}", err=True)
        path = None
    else:
        path = _package_path(datapackage)
        _announce(path)
    try:
        with database(path, db) as file:
            con = connect(file, timeout=timeout)
            try:
                sql, params = statement(con)
                result = run(con, sql, params, limit=limit)
            finally:
                con.close()
    except ReadOnlyError as exc:
        raise click.UsageError(str(exc)) from None
    except QueryError as exc:
        raise click.ClickException(str(exc)) from None
    if result.columns:
        click.echo(render(result, fmt))
    if result.truncated:
        click.echo(f"k2data: showing the first {limit} rows; use --limit for more", err=True)


def _names(con: Any, kinds: tuple[str, ...] = ("table", "view")) -> list[str]:
    marks = ", ".join("?" * len(kinds))
    rows = con.execute(f"SELECT name FROM sqlite_master WHERE type IN ({marks}) AND name NOT LIKE 'search_%' ORDER BY name", kinds)
    return [r[0] for r in rows]


@main.command()
@click.argument("sql")
@_source_options(DEFAULT_LIMIT)
def query(sql: str, datapackage: Path | None, db: Path | None, fmt: str, limit: int, timeout: float) -> None:
    """Run one read-only SQL statement over the data and print the rows.

    Every table is there with its types and keys, list fields also as link
    tables (claims__reference_ids...), the views evidence and claims_checked,
    the full-text table search, and _k2data_columns with every column's
    description and unit. Statements that would write are refused (exit 2);
    one SQLite rejects prints its message (exit 1).

    \b
    Example:
      k2data query "SELECT claim_id, seed_figure, source_figure FROM claims_checked WHERE verdict = 'diverges'"
    """
    _run(datapackage, db, lambda con: (sql, []), fmt, limit, timeout)


@main.command()
@click.argument("table")
@click.option("--where", default=None, help="An SQL condition, such as \"verdict = 'diverges'\".")
@click.option("--columns", default=None, help="Columns to show, separated by commas (default: all).")
@_source_options(DEFAULT_LIMIT)
def show(table: str, where: str | None, columns: str | None, datapackage: Path | None, db: Path | None, fmt: str, limit: int, timeout: float) -> None:
    """Print the rows of TABLE (a table or a view such as evidence), optionally filtered.

    \b
    Example:
      k2data show trials --columns trial_id,short_name,n_total --where "randomized = 1"
    """
    from ..export._sqlschema import quote

    def statement(con: Any) -> tuple[str, list[Any]]:
        names = _names(con)
        if table not in names:
            raise click.UsageError(f"no table or view named {table!r}; choose one of: {', '.join(names)}")
        known = [r[1] for r in con.execute(f"PRAGMA table_info({quote(table)})")]
        wanted = [c.strip() for c in columns.split(",") if c.strip()] if columns else known
        unknown = [c for c in wanted if c not in known]
        if unknown:
            raise click.UsageError(f"{table} has no column {', '.join(map(repr, unknown))}; its columns: {', '.join(known)}")
        sql = f"SELECT {', '.join(map(quote, wanted))} FROM {quote(table)}"
        return (sql + f" WHERE {where}" if where else sql), []

    _run(datapackage, db, statement, fmt, limit, timeout)


@main.command()
@click.argument("text")
@click.option("--table", "tables", multiple=True, help="Only hits in this table (claims, trials, cohorts or references); repeat for several.")
@_source_options(20)
def search(text: str, tables: tuple[str, ...], datapackage: Path | None, db: Path | None, fmt: str, limit: int, timeout: float) -> None:
    """Find the claims, studies and references whose text holds every word of TEXT.

    Searches claim statements and explanations, study names and summaries,
    and reference titles, authors and venues (full-text, so "trial" also
    finds "trials"); the best matches first.

    \b
    Example:
      k2data search "hepatocellular recurrence"
    """
    from ..query import fts_query

    match = fts_query(text)
    if not match:
        raise click.UsageError("give at least one word to search for")

    def statement(con: Any) -> tuple[str, list[Any]]:
        sql = (
            "SELECT table_name, key, title, snippet(search, 3, '[', ']', '…', 12) AS context "
            "FROM search WHERE search MATCH ?"
        )
        params: list[Any] = [match]
        if tables:
            sql += f" AND table_name IN ({', '.join('?' * len(tables))})"
            params += list(tables)
        return sql + " ORDER BY rank", params

    _run(datapackage, db, statement, fmt, limit, timeout)
