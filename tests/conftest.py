"""Shared fixtures: a writable copy of the bundled package and a CSV cell editor."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import k2data
from k2data._resources import bundled_descriptor_path
from k2data.update import update_hashes


@pytest.fixture(scope="session")
def bundled() -> Path:
    """The datapackage.json installed with k2data."""
    return bundled_descriptor_path()


@pytest.fixture
def pkg_copy(tmp_path: Path, bundled: Path) -> Path:
    """A writable copy of the bundled package; returns its datapackage.json."""
    dest = tmp_path / "pkg"
    dest.mkdir()
    shutil.copy2(bundled, dest / "datapackage.json")
    shutil.copytree(bundled.parent / "data", dest / "data")
    return dest / "datapackage.json"


def read_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


@pytest.fixture
def edit_cell(pkg_copy: Path) -> Callable[..., None]:
    """Set one cell of a copied table (file row numbers: the header is row 1) and refresh hashes."""

    def edit(table: str, row: int, field: str, value: str, *, rehash: bool = True) -> None:
        path = pkg_copy.parent / "data" / f"{table}.csv"
        rows = read_rows(path)
        col = rows[0].index(field)
        rows[row - 1][col] = value
        write_rows(path, rows)
        if rehash:
            update_hashes(pkg_copy)

    return edit


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def frames() -> dict:
    return dict(k2data.load())
