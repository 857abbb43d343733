"""k2data.release: reproducible bytes, the committed dist/, the checksum registry, where a build goes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from k2data._files import sha256_file
from k2data._package import open_package
from k2data._registry import Entry, registry_text
from k2data.cli import main
from k2data.errors import ReleaseError
from k2data.release import build

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
STALE = "dist/ is stale: run `k2data build` in the checkout and commit dist/ and src/k2data/registry/"


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _differences(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted(name for name in set(a) | set(b) if a.get(name) != b.get(name))


@pytest.mark.slow
def test_two_builds_in_separate_processes_are_byte_identical(release, tmp_path) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "12345", "TZ": "Pacific/Auckland", "LC_ALL": "C"}
    out = subprocess.run(
        [sys.executable, "-m", "k2data", "build", "--out", str(tmp_path / "again")],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert _differences(_tree(release), _tree(tmp_path / "again")) == []


def test_the_committed_dist_equals_a_fresh_build(release) -> None:
    if not DIST.is_dir():
        pytest.skip("not running from a source checkout with dist/")
    assert _differences(_tree(DIST), _tree(release)) == [], STALE


def test_the_shipped_registry_matches_the_committed_release(release) -> None:
    pkg = open_package()
    shipped = ROOT / "src" / "k2data" / "registry" / f"{pkg.version}.txt"
    if not shipped.is_file():
        pytest.skip("not running from a source checkout")
    files = {
        f"parquet/{t}.parquet": Entry(sha256_file(release / "parquet" / f"{t}.parquet"), (release / "parquet" / f"{t}.parquet").stat().st_size)
        for t in pkg.table_names
    }
    assert shipped.read_text(encoding="utf-8") == registry_text(pkg.version, files), STALE


def test_build_writes_the_registry_with_sizes_where_asked(tmp_path) -> None:
    result = build(tmp_path / "dist", registry=tmp_path / "reg", check=False)
    pkg = open_package()
    assert result.registry == tmp_path / "reg" / f"{pkg.version}.txt"
    lines = [line.split() for line in result.registry.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert [name for name, _, _ in lines] == [f"{t}.parquet" for t in pkg.table_names]
    for name, sha, size in lines:
        path = tmp_path / "dist" / "parquet" / name
        assert sha256_file(path) == sha and path.stat().st_size == int(size)


def test_invalid_data_is_not_released(tmp_path, mini) -> None:
    pkg = mini("claims")
    previous = build(tmp_path / "dist", datapackage=pkg.descriptor, check=False).out
    before = _tree(previous)
    pkg.set("claims", 2, "verdict", "maybe")
    with pytest.raises(ReleaseError, match=r"not valid \(1 problem\); run `k2data validate .*datapackage\.json`"):
        build(previous, datapackage=pkg.descriptor)
    assert _tree(previous) == before, "the previous release is left as it was"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist", "pkg0"], "no staging folder is left behind"


def test_a_build_goes_beside_its_descriptor_by_default(mini, runner, monkeypatch, tmp_path) -> None:
    pkg = mini("genes")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["build", "--datapackage", str(pkg.descriptor)])
    assert result.exit_code == 0, result.output
    assert (pkg.folder / "dist" / "SHA256SUMS").is_file()
    assert not (tmp_path / "dist").exists()


def test_cli_build_of_invalid_data_exits_1_with_one_line(runner, tmp_path, mini) -> None:
    pkg = mini("trials")
    pkg.set("trials", 2, "n_total", "many")
    result = runner.invoke(main, ["build", "--out", str(tmp_path / "dist"), "--datapackage", str(pkg.descriptor)])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "k2data validate" in errors[0] and "Traceback" not in result.output
    assert not (tmp_path / "dist").exists()


def test_building_a_checkouts_dist_refreshes_its_registry(runner, mini) -> None:
    pkg = mini("genes")
    (pkg.folder / "src" / "k2data" / "registry").mkdir(parents=True)
    result = runner.invoke(main, ["build", "--datapackage", str(pkg.folder)])
    assert result.exit_code == 0, result.output
    assert (pkg.folder / "dist" / "SHA256SUMS").is_file()
    version = open_package(pkg.descriptor).version
    assert (pkg.folder / "src" / "k2data" / "registry" / f"{version}.txt").is_file()
    assert "checksum registry: " in result.output
