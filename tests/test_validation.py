"""k2data.validation: the whole check of a package, its report, and `k2data validate` on the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import k2data
from conftest import write_rows
from k2data.cli import main


def run_cli(runner, *args: str):
    result = runner.invoke(main, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def test_the_bundled_package_is_valid(runner) -> None:
    assert k2data.validate().valid
    result = run_cli(runner, "validate")
    assert result.exit_code == 0 and result.output.rstrip().endswith(": valid")


def test_a_folder_or_its_descriptor_validate_alike(mini) -> None:
    pkg = mini("genes")
    assert k2data.validate(pkg.folder).valid and k2data.validate(pkg.descriptor).valid


def test_descriptor_not_json_and_without_resources(tmp_path) -> None:
    bad = tmp_path / "datapackage.json"
    bad.write_text("{ not json", encoding="utf-8")
    (problem,) = k2data.validate(bad).problems
    assert problem.file == "datapackage.json" and "not valid JSON" in problem.message
    bad.write_text(json.dumps({"name": "x"}), encoding="utf-8")
    (problem,) = k2data.validate(bad).problems
    assert "'resources'" in problem.message


def test_a_missing_data_file(mini) -> None:
    pkg = mini("genes", "processes")
    pkg.path("processes").unlink()
    (problem,) = pkg.validate().problems
    assert (problem.file, problem.check) == ("data/processes.csv", "missing-file")


def test_the_descriptor_is_checked_against_the_data_package_profile(mini) -> None:
    pkg = mini("genes")
    pkg.edit_descriptor(lambda d: d.update(licenses="CC-BY-4.0"))
    problems = pkg.validate().problems
    assert problems and all(p.file == "datapackage.json" for p in problems)
    assert "Data Package standard" in problems[0].message


def test_github_annotations_point_at_the_line(mini, runner, monkeypatch) -> None:
    pkg = mini("claims")
    pkg.set("claims", 3, "verdict", "maybe")
    monkeypatch.chdir(pkg.folder.parent)
    result = run_cli(runner, "validate", "--format", "github", pkg.folder.name)
    assert result.exit_code == 1
    line = next(ln for ln in result.output.splitlines() if ln.startswith("::error"))
    assert line.startswith(f"::error file={pkg.folder.name}/data/claims.csv,line=3,title=k2data validate%3A verdict::verdict='maybe': ")


def test_the_cap_lists_the_first_problems_and_counts_the_rest(mini, runner) -> None:
    pkg = mini("outcomes", rows=None)
    rows = pkg.rows("outcomes")
    col = rows[0].index("direction")
    for r in rows[1:]:
        r[col] = "sideways"
    write_rows(pkg.path("outcomes"), rows)
    pkg.rehash()
    report = pkg.validate(max_problems=5)
    assert len(report.problems) == 5 and report.problem_count == len(rows) - 1
    assert [p.row for p in report.problems] == [2, 3, 4, 5, 6]
    result = run_cli(runner, "validate", "--max-problems", "3", "--format", "json", str(pkg.descriptor))
    data = json.loads(result.stdout)
    assert len(data["problems"]) == 3 and data["not_listed"] == data["problem_count"] - 3


def test_several_packages_exit_non_zero_and_say_which(mini, bundled, runner) -> None:
    pkg = mini("claims")
    pkg.set("claims", 2, "verdict", "maybe")
    result = run_cli(runner, "validate", str(bundled), str(pkg.folder))
    assert result.exit_code == 1
    assert f"1 of 2 package(s) valid; invalid: {pkg.descriptor}" in result.output


def test_a_missing_path_is_a_usage_error(runner, tmp_path) -> None:
    assert run_cli(runner, "validate", str(tmp_path / "nope.json")).exit_code == 2


def test_the_first_line_names_the_package(runner, mini, monkeypatch, bundled) -> None:
    pkg = mini("genes")
    result = runner.invoke(main, ["validate", str(pkg.folder)])
    assert result.output.splitlines()[0] == f"k2data: using {pkg.descriptor}"
    monkeypatch.chdir(pkg.folder / "data")
    assert runner.invoke(main, ["validate"]).output.splitlines()[0] == f"k2data: using {pkg.descriptor}"
    monkeypatch.chdir("/")
    assert runner.invoke(main, ["validate"]).output.splitlines()[0].startswith("k2data: using the package bundled with k2data")


def test_validation_imports_only_what_its_checks_need(mini) -> None:
    # pandas would cost a cold `k2data validate` more than all its checks of a small package
    pkg = mini("trials", "references", rows=3)
    pkg.set("trials", 2, "n_total", "many")
    code = (
        "import sys, k2data\n"
        "r = k2data.validate(sys.argv[1])\n"
        "heavy = ('pandas', 'pandera', 'matplotlib', 'pooch', 'requests')\n"
        "print(r.valid, sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(pkg.descriptor)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False []"


@pytest.fixture(scope="module")
def million_row_package(tmp_path_factory) -> Path:
    """The benchmarks' million-row package: one table of 1,000,000 rows, three defects planted at known rows."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "generate.py"
    if not path.is_file():
        pytest.skip("the benchmarks are in the checkout, not in the wheel")
    spec = importlib.util.spec_from_file_location("k2data_benchmarks_generate", path)
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    return generate.million(tmp_path_factory.mktemp("million"))


@pytest.mark.slow
def test_a_million_rows_in_bounded_memory_with_every_defect_found(million_row_package) -> None:
    # the peak resident memory of this process alone (VmHWM starts afresh at exec; ru_maxrss would not)
    code = (
        "import json, re, sys, k2data\n"
        "r = k2data.validate(sys.argv[1], max_problems=2)\n"
        "status = open('/proc/self/status').read()\n"
        "peak = int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1)) * 1024\n"
        "print(json.dumps({'report': r.to_dict(), 'peak': peak}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(million_row_package)], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    report = result["report"]
    assert report["problem_count"] == 3 and report["not_listed"] == 1
    assert [(p["row"], p["field"]) for p in report["problems"]] == [(11, "score"), (500_001, "note")]
    assert result["peak"] < 300 * 2**20
