"""The public Python API."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

import k2data
from k2data.load import package_spec


def test_public_names_are_exported() -> None:
    assert sorted(k2data.__all__) == sorted(
        [
            "TABLES",
            "DataFileError",
            "DescriptorError",
            "DownloadError",
            "K2DataError",
            "UnknownTableError",
            "__version__",
            "citation",
            "describe",
            "info",
            "load",
            "validate",
        ]
    )
    for name in k2data.__all__:
        assert getattr(k2data, name) is not None


def test_version_is_the_data_version(bundled) -> None:
    data_version = json.loads(bundled.read_text(encoding="utf-8"))["version"]
    assert k2data.__version__ == data_version


def test_load_all_returns_every_table() -> None:
    tables = k2data.load()
    assert list(tables) == list(k2data.TABLES)
    assert all(isinstance(df, pd.DataFrame) for df in tables.values())


def test_unknown_table_names_the_choices() -> None:
    with pytest.raises(k2data.UnknownTableError, match=r"no table named 'trial'; choose one of: .*trials"):
        k2data.load("trial")
    with pytest.raises(KeyError):
        k2data.describe("nope")


def test_load_from_a_contributor_checkout(pkg_copy, edit_cell) -> None:
    edit_cell("claims", 2, "explanation", "An edited explanation.")
    claims = k2data.load("claims", datapackage=pkg_copy.parent)
    assert claims.loc[0, "explanation"] == "An edited explanation."


def test_load_wraps_unparsable_files(pkg_copy, edit_cell) -> None:
    edit_cell("trials", 2, "n_total", "many")
    with pytest.raises(k2data.DataFileError, match=r"trials\.csv.*k2data validate"):
        k2data.load("trials", datapackage=pkg_copy)


def test_describe_lists_every_field() -> None:
    d = k2data.describe("outcomes")
    spec = package_spec().table("outcomes")
    assert list(d["field"]) == spec.field_names
    row = d.set_index("field").loc["endpoint"]
    assert "progression_free_survival" in row["allowed_values"]
    assert d.set_index("field").loc["trial_id", "references"] == "trials.trial_id"
    assert d.set_index("field").loc["reference_ids", "references"] == "references.reference_id"


def test_validate_returns_a_report_for_the_bundled_package() -> None:
    report = k2data.validate()
    assert report.valid, report.to_text()
    assert report.to_dict()["problem_count"] == 0


def test_info_counts_rows_and_names_licence() -> None:
    facts = k2data.info()
    assert facts["licenses"] == ["CC-BY-4.0"]
    assert facts["tables"]["claims"] == len(k2data.load("claims"))
    assert facts["version"] in k2data.citation()


def test_import_is_light() -> None:
    code = (
        "import sys, k2data; heavy = {'pandas', 'pandera', 'frictionless', 'pyarrow', 'click'};"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
