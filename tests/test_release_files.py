"""k2data.release: the whole release built once, its layout and checksums, and export beside build."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from k2data._package import open_package as package_spec
from k2data.cli import main
from k2data.errors import ReleaseError
from k2data.release import export

PKG = package_spec()
TABLES = list(PKG.table_names)



# --- layout and checksums ---------------------------------------------------------------------


def test_release_holds_exactly_the_expected_files(release) -> None:
    found = sorted(p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file())
    expected = sorted(
        ["SHA256SUMS", "croissant.json", "k2data.jsonld", "csv/datapackage.json", "k2data.sqlite"]
        + ["references.bib", "references.ris", "references.csl.json"]
        + [f"csv/{t}.csv" for t in TABLES]
        + [f"parquet/{t}.parquet" for t in TABLES]
    )
    assert found == expected
    assert len({Path(p).name for p in found}) == len(found), "file names are unique, so the release can be flat"


def test_sha256sum_accepts_the_release(release) -> None:
    if shutil.which("sha256sum") is None:  # pragma: no cover - coreutils is on every CI machine
        pytest.skip("sha256sum is not installed")
    out = subprocess.run(["sha256sum", "-c", "--strict", "SHA256SUMS"], cwd=release, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    listed = [line.split("  ", 1)[1] for line in (release / "SHA256SUMS").read_text(encoding="utf-8").splitlines()]
    every = sorted(
        p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file() and p.name != "SHA256SUMS"
    )
    assert listed == every


def test_text_files_are_utf8_with_lf_endings(release) -> None:
    for path in release.rglob("*"):
        if path.is_file() and path.suffix not in (".parquet", ".sqlite"):
            data = path.read_bytes()
            assert b"\r" not in data, path
            assert data.endswith(b"\n"), path
            data.decode("utf-8")


# --- export -------------------------------------------------------------------------------------


def test_export_one_format_writes_only_it_with_the_release_bytes(release, tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = export("jsonld", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k2data.jsonld", "notes.txt"]
    assert list(result.files) == ["k2data.jsonld"]
    assert (tmp_path / "k2data.jsonld").read_bytes() == (release / "k2data.jsonld").read_bytes()
    export(["csv", "parquet"], tmp_path)
    for rel in [f"csv/{t}.csv" for t in TABLES] + [f"parquet/{t}.parquet" for t in TABLES]:
        assert (tmp_path / rel).read_bytes() == (release / rel).read_bytes(), rel
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no staging folder is left behind"


def test_export_all_matches_the_build(release, tmp_path) -> None:
    export("all", tmp_path)
    for path in release.rglob("*"):
        if path.is_file():
            assert (tmp_path / path.relative_to(release)).read_bytes() == path.read_bytes(), path


def test_cli_export(runner, tmp_path) -> None:
    result = runner.invoke(main, ["export", "--format", "croissant", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(tmp_path / "croissant.json")
    result = runner.invoke(main, ["export", "--format", "xml", "--out", str(tmp_path)])
    assert result.exit_code == 2
    result = runner.invoke(main, ["export", "--format", "csv"])
    assert result.exit_code == 2
    with pytest.raises(ReleaseError, match="unknown export format"):
        export("xml", tmp_path)
