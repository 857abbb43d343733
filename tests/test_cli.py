"""The k2data command line, through click's CliRunner."""

from __future__ import annotations

import json
import re

import k2data
from k2data.cli import main


def test_validate_bundled_exits_zero(runner) -> None:
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_validate_broken_copy_exits_one_and_names_the_place(runner, pkg_copy, edit_cell) -> None:
    edit_cell("claims", 2, "verdict", "maybe")
    result = runner.invoke(main, ["validate", str(pkg_copy)])
    assert result.exit_code == 1
    assert "data/claims.csv:2: verdict='maybe':" in result.output
    assert "Traceback" not in result.output


def test_validate_json_format(runner, pkg_copy, edit_cell) -> None:
    edit_cell("trials", 2, "n_total", "many")
    result = runner.invoke(main, ["validate", "--format", "json", str(pkg_copy.parent)])
    assert result.exit_code == 1
    data = json.loads(result.output)
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


def test_update_refreshes_hashes(runner, pkg_copy, edit_cell) -> None:
    edit_cell("claims", 2, "explanation", "Edited.", rehash=False)
    assert not k2data.validate(pkg_copy).valid
    result = runner.invoke(main, ["update", str(pkg_copy)])
    assert result.exit_code == 0 and "claims" in result.output
    assert k2data.validate(pkg_copy).valid
    again = runner.invoke(main, ["update", str(pkg_copy)])
    assert "already up to date" in again.output
