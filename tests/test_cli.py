"""The k2data command line, through click's CliRunner."""

from __future__ import annotations

import json
import re

import pytest

import k2data
from k2data.cli import main


def test_validate_bundled_exits_zero(runner) -> None:
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_validate_broken_copy_exits_one_and_names_the_place(runner, mini) -> None:
    pkg = mini("claims")
    pkg.set("claims", 2, "verdict", "maybe")
    result = runner.invoke(main, ["validate", str(pkg.descriptor)])
    assert result.exit_code == 1
    assert "data/claims.csv:2: verdict='maybe':" in result.output
    assert "Traceback" not in result.output


def test_validate_json_format(runner, mini) -> None:
    pkg = mini("trials")
    pkg.set("trials", 2, "n_total", "many")
    result = runner.invoke(main, ["validate", "--format", "json", str(pkg.folder)])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["valid"] is False
    assert {"file": "data/trials.csv", "row": 2, "field": "n_total", "value": "many"}.items() <= data["problems"][0].items()


def test_usage_error_exits_two(runner) -> None:
    assert runner.invoke(main, ["validate", "--format", "xml"]).exit_code == 2
    assert runner.invoke(main, ["nonsense"]).exit_code == 2
    result = runner.invoke(main, ["describe", "nope"])
    assert result.exit_code == 2 and "choose one of" in result.output


def test_describe_shows_fields_units_and_values(runner) -> None:
    result = runner.invoke(main, ["describe", "trials"])
    assert result.exit_code == 0
    assert re.search(r"^dose_min_mg_d\s+number\s+mg/d\s", result.output, re.MULTILINE)  # an aligned table row
    assert "-> cancer_types.cancer_type_id" in result.output


def test_info_shows_version_tables_licence_citation(runner) -> None:
    result = runner.invoke(main, ["info"])
    assert result.exit_code == 0
    assert k2data.__version__ in result.output
    assert "CC-BY-4.0" in result.output
    for name in k2data.TABLES:
        assert name in result.output
    assert "not medical advice" in result.output


def test_update_refreshes_hashes(runner, mini) -> None:
    pkg = mini("claims")
    pkg.set("claims", 2, "explanation", "Edited.", rehash=False)
    assert not k2data.validate(pkg.descriptor).valid
    result = runner.invoke(main, ["update", str(pkg.descriptor)])
    assert result.exit_code == 0 and "claims" in result.output
    assert k2data.validate(pkg.descriptor).valid
    again = runner.invoke(main, ["update", str(pkg.descriptor)])
    assert "already up to date" in again.output


def test_an_internal_error_is_one_line_without_a_traceback(runner, monkeypatch) -> None:
    import importlib

    monkeypatch.setattr(importlib.import_module("k2data.describe"), "row_counts", lambda **k: 1 / 0)
    result = runner.invoke(main, ["info"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "internal error (ZeroDivisionError" in result.output


def test_every_export_format_is_offered(runner) -> None:
    from k2data.export import FORMATS

    text = runner.invoke(main, ["export", "--help"]).output
    for name in [*FORMATS, "all"]:
        assert name in text


def test_the_browse_and_query_commands_are_registered(runner) -> None:
    text = runner.invoke(main, ["--help"]).output
    for name in ("query", "show", "search", "serve"):
        assert re.search(rf"^\s+{name}\s", text, re.MULTILINE), name
        assert runner.invoke(main, [name, "--help"]).exit_code == 0


@pytest.mark.parametrize("args", [["info"], ["describe", "claims"], ["query", "SELECT * FROM claims"]])
def test_a_reader_that_goes_away_ends_the_command_quietly(args) -> None:
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)  # like `| head` that has already exited: every write to stdout fails with EPIPE
    try:
        out = subprocess.run(
            [sys.executable, "-m", "k2data", *args], stdout=write, stderr=subprocess.PIPE, text=True, timeout=60
        )
    finally:
        os.close(write)
    assert out.returncode != 0
    assert "Traceback" not in out.stderr and "Broken pipe" not in out.stderr and "internal error" not in out.stderr
