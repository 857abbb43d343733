"""Broken packages, one defect each: exit 1 (2 for usage errors), no traceback, the precise place reported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import k2data
from conftest import read_rows, write_rows
from k2data.cli import main
from k2data.update import update_hashes


def data_file(pkg: Path, table: str) -> Path:
    return pkg.parent / "data" / f"{table}.csv"


def rewrite_bytes(pkg: Path, table: str, fn) -> None:
    path = data_file(pkg, table)
    path.write_bytes(fn(path.read_bytes()))
    update_hashes(pkg)


def run_cli(runner, *args: str):
    result = runner.invoke(main, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def places(report) -> set[tuple]:
    return {(p.file, p.row, p.field, p.check) for p in report.problems}


HEADER_DEFECTS = {
    "missing-column": (lambda rows: [r[:-1] for r in rows], ("data/genes.csv", 1, "note", "missing-label")),
    "extra-column": (lambda rows: [[*r, "x"] for r in rows], ("data/genes.csv", 1, "x", "extra-label")),
    "reordered-columns": (lambda rows: [[r[1], r[0], *r[2:]] for r in rows], ("data/genes.csv", 1, "gene_id", "incorrect-label")),
}


@pytest.mark.parametrize("defect", list(HEADER_DEFECTS))
def test_header_defects(pkg_copy, runner, defect) -> None:
    change, expected = HEADER_DEFECTS[defect]
    path = data_file(pkg_copy, "genes")
    write_rows(path, change(read_rows(path)))
    update_hashes(pkg_copy)
    assert expected in places(k2data.validate(pkg_copy))
    assert run_cli(runner, "validate", str(pkg_copy)).exit_code == 1


BYTE_DEFECTS = {
    "empty-file": (lambda b: b"", ("data/genes.csv", None, None, "empty-file")),
    "header-only": (lambda b: b.split(b"\n", 1)[0] + b"\n", ("data/genes.csv", None, None, "no-rows")),
    "byte-order-mark": (lambda b: b"\xef\xbb\xbf" + b, ("data/genes.csv", 1, None, "bom")),
    "crlf-line-ends": (lambda b: b.replace(b"\n", b"\r\n"), ("data/genes.csv", 1, None, "line-ending")),
    "invalid-utf8": (lambda b: b.replace(b"\n", b"\n\xff\xfe", 3).replace(b"\n\xff\xfe", b"\n", 2), ("data/genes.csv", 4, None, "encoding")),
    "unbalanced-quote": (lambda b: b.replace(b"\n", b'\n"', 2).replace(b'\n"', b"\n", 1), ("data/genes.csv", 3, None, "unbalanced-quote")),
    "blank-row": (lambda b: b.replace(b"\n", b"\n\n", 2).replace(b"\n\n", b"\n", 1), ("data/genes.csv", 3, None, "blank-row")),
}


@pytest.mark.parametrize("defect", list(BYTE_DEFECTS))
def test_byte_level_defects(pkg_copy, runner, defect) -> None:
    change, expected = BYTE_DEFECTS[defect]
    rewrite_bytes(pkg_copy, "genes", change)
    report = k2data.validate(pkg_copy)
    assert expected in places(report), report.to_text()
    assert run_cli(runner, "validate", str(pkg_copy)).exit_code == 1


def test_github_annotations_point_at_the_line(pkg_copy, edit_cell, runner, monkeypatch) -> None:
    edit_cell("claims", 3, "verdict", "maybe")
    monkeypatch.chdir(pkg_copy.parent.parent)
    result = run_cli(runner, "validate", "--format", "github", "pkg")
    assert result.exit_code == 1
    line = next(ln for ln in result.output.splitlines() if ln.startswith("::error"))
    assert line.startswith("::error file=pkg/data/claims.csv,line=3,title=k2data validate%3A verdict::verdict='maybe': ")


def test_cap_lists_the_first_problems_and_counts_the_rest(pkg_copy, runner) -> None:
    path = data_file(pkg_copy, "outcomes")
    rows = read_rows(path)
    col = rows[0].index("direction")
    for r in rows[1:]:
        r[col] = "sideways"
    write_rows(path, rows)
    update_hashes(pkg_copy)
    report = k2data.validate(pkg_copy, max_problems=5)
    assert len(report.problems) == 5 and report.problem_count >= len(rows) - 1
    assert [p.row for p in report.problems] == [2, 3, 4, 5, 6]
    result = run_cli(runner, "validate", "--max-problems", "3", "--format", "json", str(pkg_copy))
    data = json.loads(result.output)
    assert len(data["problems"]) == 3 and data["not_listed"] == data["problem_count"] - 3


def test_several_packages_exit_non_zero_and_say_which(pkg_copy, edit_cell, bundled, runner) -> None:
    edit_cell("claims", 2, "verdict", "maybe")
    result = run_cli(runner, "validate", str(bundled), str(pkg_copy.parent))
    assert result.exit_code == 1
    assert f"1 of 2 package(s) valid; invalid: {pkg_copy}" in result.output


def test_missing_path_is_a_usage_error(runner, tmp_path) -> None:
    assert run_cli(runner, "validate", str(tmp_path / "nope.json")).exit_code == 2


MILLION = 1_000_000


@pytest.fixture(scope="module")
def million_row_package(tmp_path_factory) -> Path:
    """A one-table package of 1,000,000 rows with three defects planted at known rows."""
    root = tmp_path_factory.mktemp("million")
    (root / "data").mkdir()
    descriptor = {
        "name": "big",
        "resources": [
            {
                "name": "genes",
                "path": "data/genes.csv",
                "type": "table",
                "format": "csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [
                        {"name": "gene_id", "type": "string", "constraints": {"required": True, "unique": True, "pattern": "^G[0-9]+$"}},
                        {"name": "score", "type": "number", "constraints": {"minimum": 0, "maximum": 1}},
                        {"name": "note", "type": "string"},
                    ],
                    "primaryKey": ["gene_id"],
                },
            }
        ],
    }
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    bad = {10: "G10,1.5,x", 500_000: "G500000,0.5,=cmd()", 999_999: "g999999,0.1,x"}
    with open(root / "data" / "genes.csv", "w", encoding="utf-8", newline="") as fh:
        fh.write("gene_id,score,note\n")
        fh.writelines(f"{bad.get(i, f'G{i},0.5,x')}\n" for i in range(1, MILLION + 1))
    return root / "datapackage.json"


@pytest.mark.slow
def test_million_rows_in_bounded_memory(million_row_package) -> None:
    code = (
        "import json, resource, sys, k2data\n"
        "r = k2data.validate(sys.argv[1], max_problems=2)\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024\n"
        "print(json.dumps({'report': r.to_dict(), 'peak': peak}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(million_row_package)], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    report = result["report"]
    assert report["problem_count"] == 3 and report["not_listed"] == 1
    first = [(p["row"], p["field"]) for p in report["problems"]]
    assert first == [(11, "score"), (500_001, "note")]
    # a generous ceiling: the table alone, loaded whole as Python strings, would need far more
    assert result["peak"] < 1.5 * 2**30
