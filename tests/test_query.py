"""`k2data query`, `show` and `search`, and k2data.query underneath: read-only SQL, bounded output, clear errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import k2data
from k2data.cli import main
from k2data.errors import QueryError, ReadOnlyError
from k2data.query import Result, connect, database, fts_query, render, run


@pytest.fixture(scope="module")
def con(release):
    c = connect(release / "k2data.sqlite")
    yield c
    c.close()


def _ok(runner, args: list[str]):
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


# --- the read-only guard -------------------------------------------------------------------------


WRITES = [
    "INSERT INTO claims (claim_id) VALUES ('C999')",
    "UPDATE claims SET verdict = 'verified'",
    "DELETE FROM claims",
    "DROP TABLE claims",
    "CREATE TABLE mine (a)",
    "CREATE TEMP TABLE mine (a)",
    "ALTER TABLE claims ADD COLUMN mine",
    "ATTACH DATABASE 'other.sqlite' AS other",
    "PRAGMA query_only = 0",
    "PRAGMA writable_schema = 1",
    "REINDEX",
    "ANALYZE",
    "BEGIN",
    "SELECT fts3_tokenizer('simple')",
    "SELECT load_extension('libevil')",
    "UPDATE sqlite_master SET sql = ''",
]


@pytest.mark.parametrize("sql", WRITES)
def test_anything_that_would_write_is_refused(con, sql) -> None:
    with pytest.raises(ReadOnlyError, match="read-only"):
        run(con, sql)
    assert run(con, "SELECT count(*) FROM claims").rows == [(len(k2data.load("claims")),)]


def test_vacuum_into_writes_no_file(con, tmp_path) -> None:
    target = tmp_path / "copy.sqlite"
    with pytest.raises(ReadOnlyError):
        run(con, "VACUUM INTO ?", [str(target)])
    assert not target.exists()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM evidence",
        "SELECT key FROM search WHERE search MATCH 'natto'",
        "PRAGMA table_info(claims)",
        "SELECT name FROM pragma_table_info('claims')",
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5) SELECT x FROM n",
        "PRAGMA foreign_key_check",
    ],
)
def test_reading_is_allowed(con, sql) -> None:
    run(con, sql)


def test_a_bad_query_raises_sqlites_message(con) -> None:
    with pytest.raises(QueryError, match='SQLite: near "SELEC": syntax error') as info:
        run(con, "SELEC 1")
    assert not isinstance(info.value, ReadOnlyError)
    with pytest.raises(QueryError, match="no such table: nope"):
        run(con, "SELECT * FROM nope")
    with pytest.raises(QueryError, match="one statement"):
        run(con, "SELECT 1; DELETE FROM claims")


def test_a_query_past_its_deadline_is_stopped(release) -> None:
    slow = connect(release / "k2data.sqlite", timeout=0.3)
    with pytest.raises(QueryError, match=r"stopped after 0\.3 s"):
        run(slow, "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n")
    slow.close()


def test_at_most_limit_rows_are_fetched(con) -> None:
    result = run(con, "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x FROM n", limit=7)
    assert result.rows == [(i,) for i in range(1, 8)] and result.truncated


def test_fts_query_quotes_every_word() -> None:
    assert fts_query('AND OR "x" NEAR(') == '"AND" "OR" "x" "NEAR("'
    assert fts_query("   ") == ""


def test_render_formats_read_back() -> None:
    result = Result(["a", "b"], [(1, 'x, "y"\nz'), (None, "w|v")])
    rows = list(csv.reader(io.StringIO(render(result, "csv"))))
    assert rows == [["a", "b"], ["1", 'x, "y"\nz'], ["", "w|v"]]
    assert json.loads(render(result, "json")) == [{"a": 1, "b": 'x, "y"\nz'}, {"a": None, "b": "w|v"}]
    md = render(result, "markdown").splitlines()
    assert md[0] == "| a | b |" and md[3] == "|  | w\\|v |" and len(md) == 4  # the newline is escaped, not a new row
    table = render(Result(["long"], [("x" * 200,)]), "table", width=20).splitlines()
    assert max(len(line) for line in table) <= 20 and table[2].endswith("…")


def test_database_refuses_a_file_that_is_not_sqlite(tmp_path) -> None:
    (tmp_path / "x.sqlite").write_text("hello", encoding="utf-8")
    with pytest.raises(QueryError, match="not an SQLite database"), database(db=tmp_path / "x.sqlite"):
        pass


# --- the commands --------------------------------------------------------------------------------


def test_query_prints_a_table_and_names_the_package(runner) -> None:
    result = _ok(runner, ["query", "SELECT claim_id, verdict FROM claims_checked WHERE verdict = 'diverges' ORDER BY claim_id"])
    assert result.stderr.splitlines()[0].startswith("k2data: using")
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["claim_id", "verdict"]
    claims = k2data.load("claims")
    assert len(lines) - 2 == int((claims["verdict"] == "diverges").sum())


@pytest.mark.parametrize("fmt", ["csv", "json", "markdown"])
def test_query_formats(runner, fmt) -> None:
    out = _ok(runner, ["query", "SELECT trial_id, n_total FROM trials ORDER BY trial_id", "--format", fmt, "--limit", "500"]).stdout
    trials = sorted(k2data.load("trials")["trial_id"])
    if fmt == "csv":
        assert [r[0] for r in csv.reader(io.StringIO(out))][1:] == trials
    elif fmt == "json":
        assert [r["trial_id"] for r in json.loads(out)] == trials
    else:
        assert out.splitlines()[0] == "| trial_id | n_total |" and len(out.splitlines()) == len(trials) + 2


def test_query_output_is_bounded(runner) -> None:
    result = _ok(runner, ["query", "SELECT * FROM claims__reference_ids"])
    assert len(result.stdout.splitlines()) == 100 + 2
    assert "showing the first 100 rows" in result.stderr
    assert len(_ok(runner, ["query", "SELECT * FROM claims__reference_ids", "--limit", "3"]).stdout.splitlines()) == 5


@pytest.mark.parametrize("sql", ["DELETE FROM claims", "ATTACH 'x.sqlite' AS x", "PRAGMA query_only = 0", "CREATE TABLE t (a)"])
def test_query_refuses_writes_with_exit_2(runner, sql) -> None:
    result = runner.invoke(main, ["query", sql])
    assert result.exit_code == 2 and "read-only" in result.output and "Traceback" not in result.output


def test_a_bad_query_exits_1_with_sqlites_message(runner) -> None:
    result = runner.invoke(main, ["query", "SELECT nope FROM claims"])
    assert result.exit_code == 1
    assert "SQLite: no such column: nope" in result.output and "Traceback" not in result.output


def test_show_filters_columns_and_rows(runner) -> None:
    out = _ok(runner, ["show", "trials", "--columns", "trial_id,randomized", "--where", "randomized = 1", "--format", "csv", "--limit", "500"]).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    trials = k2data.load("trials")
    assert sorted(r["trial_id"] for r in rows) == sorted(trials.loc[trials["randomized"].fillna(False), "trial_id"])
    assert set(rows[0]) == {"trial_id", "randomized"}
    evidence = json.loads(_ok(runner, ["show", "evidence", "--limit", "2", "--format", "json"]).stdout)
    assert len(evidence) == 2 and "study" in evidence[0]


def test_show_names_the_choices_for_an_unknown_table_or_column(runner) -> None:
    result = runner.invoke(main, ["show", "nope"])
    assert result.exit_code == 2 and "claims_checked" in result.output
    result = runner.invoke(main, ["show", "claims", "--columns", "claim_id,nope"])
    assert result.exit_code == 2 and "no column 'nope'" in result.output and "verdict" in result.output


def test_search_finds_claims_studies_and_references(runner) -> None:
    out = _ok(runner, ["search", "menatetrenone", "--format", "json", "--limit", "200"]).stdout
    hits = json.loads(out)
    assert {h["table_name"] for h in hits} >= {"claims", "trials", "references"}
    assert all("menatetrenone" in (h["title"] + h["context"]).lower() for h in hits[:5])
    only = json.loads(_ok(runner, ["search", "menatetrenone", "--table", "trials", "--format", "json"]).stdout)
    assert only and {h["table_name"] for h in only} == {"trials"}
    assert runner.invoke(main, ["search", "  "]).exit_code == 2
    assert _ok(runner, ["search", 'AND "NEAR(']).exit_code == 0  # FTS syntax in the text is just words


def test_commands_read_a_release_file_with_db(runner, release, tmp_path) -> None:
    result = _ok(runner, ["query", "SELECT count(*) AS n FROM evidence", "--db", str(release / "k2data.sqlite"), "--format", "json"])
    assert json.loads(result.stdout) == [{"n": len(k2data.load("outcomes"))}]
    assert "k2data.sqlite" in result.stderr.splitlines()[0]
    (tmp_path / "notes.txt").write_text("not a database", encoding="utf-8")
    assert runner.invoke(main, ["show", "claims", "--db", str(tmp_path / "notes.txt")]).exit_code == 2


def test_commands_use_the_package_found_from_here(runner, mini, monkeypatch) -> None:
    pkg = mini("genes", rows=3)
    monkeypatch.chdir(pkg.folder)
    result = _ok(runner, ["query", "SELECT count(*) FROM genes", "--format", "csv"])
    assert result.stderr.splitlines()[0] == f"k2data: using {Path(pkg.descriptor).resolve()}"
    assert result.stdout.splitlines() == ["count(*)", "3"]
