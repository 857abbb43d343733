"""Hostile packages: every attack of the security review, and what must happen.

A package is untrusted input: the validator runs on strangers' pull requests.
Each case here is refused and named, writes nothing outside its destination,
deletes nothing, prints no secret, and stays bounded. The cases span modules
(the package model, the validator, the release, the command line), so they
live together; the denial-of-service cases use small files with a lowered
limit, and run in a child process whose peak memory is checked, under a
generous timeout that only a hang would reach.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import k2data
from conftest import write_rows
from k2data.cli import main

SECRET = "k2data-test-secret-3f9c1a"


def formats(runner, target: Path) -> dict[str, str]:
    """The output of `k2data validate` in every format, with the secret in the environment."""
    out = {}
    for fmt in ("text", "json", "github"):
        result = runner.invoke(main, ["validate", "--format", fmt, str(target)], env={"K2DATA_TEST_SECRET": SECRET})
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        out[fmt] = result.output
    json.loads(out["json"][out["json"].index("{"):])
    return out


# --- symbolic links and paths out of the package -----------------------------------------------


@pytest.mark.parametrize("target", ["/proc/self/environ", "/etc/passwd", "outside"], ids=["environ", "passwd", "valid-csv-outside"])
def test_a_symlink_out_of_the_package_is_refused_without_its_content(mini, runner, tmp_path, target) -> None:
    pkg = mini("genes")
    if target == "outside":
        outside = tmp_path / "outside.csv"
        outside.write_bytes(pkg.path("genes").read_bytes())
        target = str(outside)
    pkg.path("genes").unlink()
    os.symlink(target, pkg.path("genes"))
    report = pkg.validate()
    assert not report.valid
    assert [p.check for p in report.problems] == ["descriptor"]
    assert "outside the package" in report.problems[0].message
    for text in formats(runner, pkg.descriptor).values():
        assert SECRET not in text and "root:" not in text and "PATH=" not in text
    with pytest.raises(k2data.DataFileError, match="outside the package"):
        k2data.load("genes", datapackage=pkg.descriptor)


@pytest.mark.parametrize("path", ["../../victim/results.csv", "/tmp/victim.csv", "data/../../x.csv"])
def test_paths_out_of_the_package_are_refused_by_every_reader(mini, tmp_path, path) -> None:
    pkg = mini("genes")
    pkg.edit_descriptor(lambda d: d["resources"][0].update(path=path))
    report = pkg.validate()
    assert [(p.field, p.check) for p in report.problems] == [("resources[genes].path", "descriptor")]
    with pytest.raises(k2data.DataFileError):
        k2data.load("genes", datapackage=pkg.descriptor)
    from k2data.release import export

    with pytest.raises(k2data.ReleaseError, match=r"resources\[genes\]\.path"):
        export("csv", tmp_path / "out", datapackage=pkg.descriptor)


def test_a_resource_name_that_climbs_out_writes_nothing_outside(mini, tmp_path, runner) -> None:
    pkg = mini("genes")
    pkg.edit_descriptor(lambda d: d["resources"][0].update(name="../../victim/results"))
    report = pkg.validate()
    assert any("resource name" in p.message for p in report.problems)
    out = tmp_path / "X" / "dist"
    for args in (["build", "--datapackage", str(pkg.descriptor), "--out", str(out)],
                 ["export", "--datapackage", str(pkg.descriptor), "--out", str(out)]):  # fmt: skip
        result = runner.invoke(main, args)
        assert result.exit_code == 1 and "Traceback" not in result.output
    assert not (tmp_path / "X" / "victim").exists() and not (tmp_path / "victim").exists()


def test_a_version_that_climbs_out_of_the_registry_is_refused(mini, tmp_path, runner) -> None:
    pkg = mini("genes")
    pkg.edit_descriptor(lambda d: d.update(version="../../x"))
    assert any(p.field == "version" for p in pkg.validate().problems)
    registry = tmp_path / "reg" / "registry"
    result = runner.invoke(main, ["build", "--datapackage", str(pkg.descriptor), "--out", str(tmp_path / "d"), "--registry", str(registry)])
    assert result.exit_code == 1
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file() and pkg.folder not in p.parents) == []


# --- build never deletes what it did not make ---------------------------------------------------


def test_build_refuses_a_release_folder_holding_a_users_file(tmp_path, runner) -> None:
    out = tmp_path / "rel"
    assert runner.invoke(main, ["build", "--out", str(out)]).exit_code == 0
    mine = out / "csv" / "my_analysis.csv"
    mine.write_text("my,own\n1,2\n", encoding="utf-8")
    result = runner.invoke(main, ["build", "--out", str(out)])
    assert result.exit_code == 1
    assert "csv/my_analysis.csv" in result.output
    assert mine.read_text(encoding="utf-8") == "my,own\n1,2\n"


# --- small malformed inputs never crash -------------------------------------------------------


def _nested(depth: int) -> str:
    return '{"name": "x", "resources": [{"name": "t", "path": "t.csv", "schema": {"fields": []}, "deep": ' + "[" * depth + "]" * depth + "}]}"


@pytest.mark.parametrize(
    ("descriptor", "words"),
    [
        (_nested(600), "nested more deeply"),
        ('{"name": "x", "resources": [{"name": "t", "path": "t.csv", "schema": {"fields": [{"name": "a", "type": "integer", "constraints": {"minimum": NaN}}]}}]}', "NaN is not a JSON number"),
        ('{"name": "x", "resources": [{"name": "t", "path": "t.csv", "schema": {"fields": [{"name": "a", "type": "number", "constraints": {"maximum": 1e400}}]}}]}', "finite number"),
        ('{"name": "x", "resources": [{"name": "t", "path": "t.csv", "dialect": {"delimiter": ""}, "schema": {"fields": [{"name": "a"}]}}]}', "one character"),
        ('{"name": "x", "resources": [{"name": "t", "path": "' + "a" * 300 + '/t.csv", "schema": {"fields": [{"name": "a"}]}}]}', "cannot be examined"),
        ('{"name": "x", "resources": [{"name": "t", "path": "t.csv", "schema": {"fields": [{"name": "a"}], "foreignKeys": [{"fields": ["a"], "reference": {"resource": "ghost", "fields": ["id"]}}]}}]}', "which the package does not have"),
        ('{"name": "x", "resources": [{"name": "t", "path": "t.csv", "schema": {"fields": [{"name": "a", "type": "list", "listReference": {"resource": "ghost", "field": "id"}}]}}]}', "which the package does not have"),
        ("[1, 2", "not valid JSON"),
        ("\xff\xfe", "not UTF-8"),
    ],
    ids=["deep-nesting", "nan-minimum", "infinite-maximum", "empty-delimiter", "over-long-name", "fk-to-ghost-table", "list-to-ghost-table", "truncated-json", "not-utf8"],
)
def test_malformed_descriptors_give_a_report_not_a_crash(tmp_path, runner, descriptor, words) -> None:
    (tmp_path / "t.csv").write_text("a\n1\n", encoding="utf-8")
    path = tmp_path / "datapackage.json"
    path.write_bytes(descriptor.encode("utf-8", errors="surrogateescape") if descriptor != "\xff\xfe" else b"\xff\xfe{}")
    report = k2data.validate(path)
    assert not report.valid
    assert any(words in p.message for p in report.problems), report.to_text()
    assert all(p.check != "internal-error" for p in report.problems)
    for fmt in ("text", "json", "github"):
        result = runner.invoke(main, ["validate", "--format", fmt, str(path)])
        assert result.exit_code == 1 and "Traceback" not in result.output and "internal error" not in result.output


def test_an_unreadable_file_and_a_folder_in_place_of_a_file_are_problems(mini, monkeypatch) -> None:
    pkg = mini("genes", "processes")
    pkg.path("genes").unlink()
    pkg.path("genes").mkdir()
    real_open = open

    def denied(file, *args, **kwargs):
        if str(file).endswith("processes.csv"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", denied)
    report = pkg.validate()
    messages = {(p.file, p.field): p.message for p in report.problems}
    assert "not a regular file" in messages[("datapackage.json", "resources[genes].path")]
    assert messages[("data/processes.csv", None)] == "cannot be read (Permission denied)"


def test_one_broken_package_does_not_lose_the_others_reports(mini, runner, tmp_path) -> None:
    good = mini("genes")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "datapackage.json").write_text(_nested(600), encoding="utf-8")
    result = runner.invoke(main, ["validate", "--format", "json", str(good.descriptor), str(bad)])
    data = json.loads(result.stdout)
    assert result.exit_code == 1
    assert [r["valid"] for r in data["reports"]] == [True, False]


def test_validate_never_raises_even_on_a_bug(mini, monkeypatch) -> None:
    pkg = mini("genes")
    import k2data.validation.table as table_module

    monkeypatch.setattr(table_module, "check_table", lambda *a, **k: 1 / 0)
    report = pkg.validate()
    assert [p.check for p in report.problems] == ["internal-error"]
    assert "ZeroDivisionError" in report.problems[0].message


# --- workflow-command injection -----------------------------------------------------------------


def test_a_crafted_path_cannot_forge_a_workflow_command(mini, runner) -> None:
    pkg = mini("genes")
    pkg.edit_descriptor(lambda d: d["resources"][0].update(path="data/x\n::error file=evil::forged.csv"))
    result = runner.invoke(main, ["validate", "--format", "github", str(pkg.descriptor)])
    lines = result.output.splitlines()
    assert not any(line.startswith("::error file=evil") for line in lines)
    assert all(not line.startswith("::") or line.startswith("::error file=datapackage.json") for line in lines)


# --- never fetch ----------------------------------------------------------------------------------


def test_remote_profiles_dialects_and_paths_are_refused_without_a_connection(mini, served_requests) -> None:
    url, seen = served_requests
    pkg = mini("genes")

    def remote(d: dict) -> None:
        d["profile"] = f"{url}profile.json"
        d["$schema"] = f"{url}schema.json"
        res = d["resources"][0]
        res["dialect"] = f"{url}dialect.json"
        res["schema"]["$schema"] = f"{url}tableschema.json"
        d["resources"].append({"name": "remote", "path": f"{url}data.csv", "schema": {"fields": [{"name": "a"}]}})

    pkg.edit_descriptor(remote)
    report = pkg.validate()
    assert {p.field for p in report.problems} >= {"profile", "$schema", "resources[genes].dialect", "resources[remote].path"}
    assert seen == []


@pytest.fixture
def served_requests():
    """A server on 127.0.0.1 that records every request it gets."""
    import http.server
    import threading

    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", seen
    server.shutdown()
    server.server_close()


# --- denial of service: refused early, bounded -----------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import re, sys
    from k2data.cli import main
    sys.argv = ["k2data", "validate", "--format", "json", *sys.argv[1:]]
    try:
        main()
    finally:
        status = open("/proc/self/status").read()
        print("peak-rss-kb", re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1), file=sys.stderr)
    """
)
PEAK_RSS_KB = 600 * 1024  # the inputs below are small; a run that loads them whole would still pass, a blow-up would not


def _bounded(*args: str) -> dict:
    """Run `k2data validate --format json ARGS` in a child process; its peak memory must stay under the bound."""
    proc = subprocess.run([sys.executable, "-c", _CHILD, *args], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 1, proc.stderr[-2000:]
    peak = int(proc.stderr.rsplit("peak-rss-kb", 1)[1].split()[0])
    assert peak < PEAK_RSS_KB, f"peak memory {peak} kB"
    return json.loads(proc.stdout)


def test_a_table_with_thousands_of_extra_columns_is_refused_early(mini) -> None:
    pkg = mini("genes")
    rows = pkg.rows("genes")
    write_rows(pkg.path("genes"), [[*r, *[f"x{i}" for i in range(3000)]] for r in rows])
    pkg.rehash()
    data = _bounded(str(pkg.descriptor), "--max-columns", "500")
    (problem,) = data["problems"]
    assert "3004 columns, more than the limit of 500" in problem["message"] and "--max-columns" in problem["message"]


def test_a_descriptor_declaring_thousands_of_columns_is_refused_early(mini) -> None:
    pkg = mini("genes")
    pkg.edit_descriptor(lambda d: d["resources"][0]["schema"]["fields"].extend({"name": f"c{i}"} for i in range(3000)))
    data = _bounded(str(pkg.descriptor), "--max-columns", "500")
    assert any("more than the limit of 500" in p["message"] for p in data["problems"])


def test_a_huge_cell_is_refused_and_shown_short(mini) -> None:
    pkg = mini("genes")
    pkg.set("genes", 2, "note", "x" * 3_000_000)
    data = _bounded(str(pkg.descriptor), "--max-cell-bytes", "100000")
    (problem,) = data["problems"]
    assert problem["check"] == "limit" and "--max-cell-bytes" in problem["message"]
    assert len(json.dumps(data)) < 5000


def test_a_large_sparse_file_stops_at_the_problem_limit(mini) -> None:
    pkg = mini("genes")
    with open(pkg.path("genes"), "ab") as fh:
        fh.write(b",,,\n" * 2_000_000)  # two million blank rows, 8 MB
    pkg.rehash()
    data = _bounded(str(pkg.descriptor), "--stop-after", "1000")
    assert data["problem_count"] >= 1000 and "--stop-after" in data["stopped"]
    assert len(data["problems"]) <= 1000


def test_a_file_over_the_size_limit_is_not_read(mini) -> None:
    pkg = mini("genes")
    data = _bounded(str(pkg.descriptor), "--max-file-bytes", "10")
    assert any("--max-file-bytes" in p["message"] for p in data["problems"])
