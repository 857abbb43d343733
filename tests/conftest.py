"""Shared fixtures: small packages cut from the bundled one, a full writable copy, one release build."""

from __future__ import annotations

import copy
import csv
import json
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from click.testing import CliRunner

import k2data
from k2data._files import sha256_file
from k2data._package import bundled_descriptor_path, open_package

BUNDLED = bundled_descriptor_path()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-screenshots",
        action="store_true",
        default=False,
        help="write the screenshots the browser tests take into docs/img/ (e.g. docs/img/datasette.png)",
    )


def read_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def rehash(descriptor: Path) -> None:
    """Record each resource's sha256 and size, as `k2data update` does."""
    raw = json.loads(descriptor.read_text(encoding="utf-8"))
    for res in raw["resources"]:
        f = descriptor.parent / res["path"]
        if f.is_file() and not f.is_symlink():
            res["hash"] = f"sha256:{sha256_file(f)}"
            res["bytes"] = f.stat().st_size
    descriptor.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")


class Mini:
    """A small package holding some tables of the bundled one, with its first rows; edit it and validate it."""

    def __init__(self, folder: Path, tables: Iterable[str], rows: int | None) -> None:
        raw = copy.deepcopy(open_package().raw)
        keep = list(tables)
        raw["resources"] = [r for r in raw["resources"] if r["name"] in keep]
        for res in raw["resources"]:
            schema = res["schema"]
            schema["foreignKeys"] = [fk for fk in schema.get("foreignKeys", []) if fk["reference"]["resource"] in keep]
            if not schema["foreignKeys"]:
                schema.pop("foreignKeys")
            for f in schema["fields"]:
                if f.get("listReference", {}).get("resource") not in (None, *keep):
                    f.pop("listReference")
            src = read_rows(BUNDLED.parent / res["path"])
            write_rows(folder / res["path"], src if rows is None else src[: rows + 1])
        self.folder = folder
        self.descriptor = folder / "datapackage.json"
        self.descriptor.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
        self.rehash()

    def path(self, table: str) -> Path:
        return self.folder / "data" / f"{table}.csv"

    def rows(self, table: str) -> list[list[str]]:
        return read_rows(self.path(table))

    def set(self, table: str, row: int, field: str, value: str, *, rehash: bool = True) -> None:
        """Set one cell (file row numbers: the header is row 1)."""
        rows = self.rows(table)
        rows[row - 1][rows[0].index(field)] = value
        write_rows(self.path(table), rows)
        if rehash:
            self.rehash()

    def get(self, table: str, row: int, field: str) -> str:
        rows = self.rows(table)
        return rows[row - 1][rows[0].index(field)]

    def first_row(self, table: str, field: str, where: Callable[[dict], bool] = lambda r: True) -> int:
        """File row number of the first row whose *field* is set and that satisfies *where*."""
        rows = self.rows(table)
        for n, r in enumerate(rows[1:], start=2):
            rec = dict(zip(rows[0], r, strict=True))
            if rec[field] != "" and where(rec):
                return n
        raise AssertionError(f"no row of {table} has {field} set")

    def write_bytes(self, table: str, data: bytes, *, rehash: bool = True) -> None:
        self.path(table).write_bytes(data)
        if rehash:
            self.rehash()

    def edit_descriptor(self, change: Callable[[dict], object]) -> None:
        raw = json.loads(self.descriptor.read_text(encoding="utf-8"))
        change(raw)
        self.descriptor.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")

    def rehash(self) -> None:
        rehash(self.descriptor)

    def validate(self, **kwargs: object) -> k2data.ValidationReport:
        return k2data.validate(self.descriptor, **kwargs)


@pytest.fixture
def mini(tmp_path: Path) -> Callable[..., Mini]:
    """Make a small package of some bundled tables: ``mini("genes")``, ``mini("trials", "references", rows=5)``."""
    made = iter(range(100))

    def make(*tables: str, rows: int | None = 4) -> Mini:
        return Mini(tmp_path / f"pkg{next(made)}", tables, rows)

    return make


@pytest.fixture(scope="session")
def bundled() -> Path:
    """The datapackage.json installed with k2data."""
    return BUNDLED


@pytest.fixture
def pkg_copy(tmp_path: Path) -> Path:
    """A writable copy of the whole bundled package; returns its datapackage.json."""
    dest = tmp_path / "pkg"
    dest.mkdir()
    shutil.copy2(BUNDLED, dest / "datapackage.json")
    shutil.copytree(BUNDLED.parent / "data", dest / "data")
    return dest / "datapackage.json"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def frames() -> dict:
    return dict(k2data.load())


@pytest.fixture(scope="session")
def sorted_frames() -> dict:
    """Every bundled table as loaded, rows in primary-key order (the order of the release files)."""
    from k2data.export import sort_frame

    return {t.name: sort_frame(t, k2data.load(t.name)) for t in open_package().tables}


def sha256(path: Path) -> str:
    return sha256_file(path)


def row_key(table: str, row: object) -> tuple[str, ...]:
    """The primary key of *row* (a dict or a named row) of a bundled table, as strings."""
    return tuple(str(row[k]) for k in open_package().table(table).primary_key)  # type: ignore[index]


def missing(value: object) -> bool:
    from k2data.export import is_missing

    return is_missing(value)


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build of the bundled package for the whole session (read it; never write into it)."""
    from k2data.release import build

    out = tmp_path_factory.mktemp("release") / "dist"
    build(out)
    return out
