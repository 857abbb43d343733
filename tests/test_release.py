"""`k2data build`: reproducible bytes, the committed dist/, the checksum registry, safe replacement."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import k2data.release as release_mod
from k2data.cli import main
from k2data.load import package_spec
from k2data.release import ReleaseError, build, registry_text

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
STALE = "dist/ is stale: run `k2data build` in the checkout and commit dist/ and src/k2data/registry/"


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _differences(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted(name for name in set(a) | set(b) if a.get(name) != b.get(name))


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    """A release built in this process."""
    return build(tmp_path_factory.mktemp("fresh") / "dist").out


def test_two_builds_in_separate_processes_are_byte_identical(fresh, tmp_path) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "12345", "TZ": "Pacific/Auckland", "LC_ALL": "C"}
    out = subprocess.run(
        [sys.executable, "-m", "k2data", "build", "--out", str(tmp_path / "again")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert _differences(_tree(fresh), _tree(tmp_path / "again")) == []


def test_committed_dist_equals_a_fresh_build(fresh) -> None:
    if not DIST.is_dir():
        pytest.skip("not running from a source checkout with dist/")
    assert _differences(_tree(DIST), _tree(fresh)) == [], STALE


def test_shipped_registry_matches_the_committed_release(fresh) -> None:
    pkg = package_spec()
    shipped = ROOT / "src" / "k2data" / "registry" / f"{pkg.version}.txt"
    if not shipped.is_file():
        pytest.skip("not running from a source checkout")
    files = {p.relative_to(fresh).as_posix(): release_mod.sha256_file(p) for p in sorted(fresh.rglob("*.parquet"))}
    files = {f"parquet/{t}.parquet": files[f"parquet/{t}.parquet"] for t in pkg.table_names}
    assert shipped.read_text(encoding="utf-8") == registry_text(pkg.version, files), STALE


def test_build_writes_the_registry_where_asked(tmp_path) -> None:
    result = build(tmp_path / "dist", registry=tmp_path / "reg", check=False)
    pkg = package_spec()
    assert result.registry == tmp_path / "reg" / f"{pkg.version}.txt"
    lines = [
        line.split() for line in result.registry.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    ]
    assert [name for name, _ in lines] == [f"{t}.parquet" for t in pkg.table_names]
    for name, sha in lines:
        assert release_mod.sha256_file(tmp_path / "dist" / "parquet" / name) == sha


def test_invalid_data_is_not_released(tmp_path, pkg_copy, edit_cell) -> None:
    previous = build(tmp_path / "dist", check=False).out
    before = _tree(previous)
    edit_cell("claims", 2, "verdict", "maybe")
    with pytest.raises(ReleaseError, match=r"not valid \(\d+ problems?\); run `k2data validate .*datapackage\.json`"):
        build(previous, datapackage=pkg_copy)
    assert _tree(previous) == before, "the previous release is left as it was"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist", "pkg"], "no staging folder is left behind"


def test_build_refuses_to_replace_a_folder_that_is_not_a_release(tmp_path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious", encoding="utf-8")
    with pytest.raises(ReleaseError, match="refusing to replace it, it is not a k2data release folder"):
        build(mine, check=False)
    assert (mine / "thesis.tex").read_text(encoding="utf-8") == "precious"


def test_a_failing_exporter_leaves_the_previous_release_in_place(tmp_path, monkeypatch) -> None:
    previous = build(tmp_path / "dist", check=False).out
    before = _tree(previous)

    def broken(ctx):
        raise OSError("disk full")

    import k2data.export.jsonld as jsonld_mod

    monkeypatch.setattr(jsonld_mod, "write", broken)
    with pytest.raises(OSError, match="disk full"):
        build(previous, check=False)
    assert _tree(previous) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_a_release_replaces_stale_files(tmp_path) -> None:
    out = build(tmp_path / "dist", check=False).out
    (out / "parquet" / "old_table.parquet").write_bytes(b"left over from an older release")
    build(out, check=False)
    assert not (out / "parquet" / "old_table.parquet").exists()


@pytest.fixture
def skip_validation(monkeypatch) -> None:
    """For CLI tests about other things: validation has its own tests above."""
    monkeypatch.setattr(release_mod, "_check_valid", lambda pkg: None)


def test_cli_build(runner, tmp_path, skip_validation) -> None:
    result = runner.invoke(main, ["build", "--out", str(tmp_path / "dist"), "--registry", str(tmp_path / "reg")])
    assert result.exit_code == 0, result.output
    assert f"SHA256SUMS in {tmp_path / 'dist'}" in result.output
    assert (tmp_path / "reg" / f"{package_spec().version}.txt").is_file()
    # building elsewhere than the checkout's dist/ does not touch the shipped registry
    result = runner.invoke(main, ["build", "--out", str(tmp_path / "other")])
    assert result.exit_code == 0, result.output
    assert "registry" not in result.output


def test_cli_build_of_invalid_data_exits_1_with_one_line(runner, tmp_path, pkg_copy, edit_cell) -> None:
    edit_cell("trials", 2, "n_total", "many")
    result = runner.invoke(main, ["build", "--out", str(tmp_path / "dist"), "--datapackage", str(pkg_copy)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "k2data validate" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "dist").exists()


def test_building_the_checkout_dist_refreshes_its_registry(runner, monkeypatch, tmp_path, skip_validation) -> None:
    root = tmp_path / "checkout"
    (root / "src" / "k2data").mkdir(parents=True)
    monkeypatch.setattr(release_mod, "checkout_root", lambda: root)
    monkeypatch.setattr(release_mod, "checkout_registry_dir", lambda: root / "src" / "k2data" / "registry")
    monkeypatch.chdir(root)
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert (root / "dist" / "SHA256SUMS").is_file()
    assert (root / "src" / "k2data" / "registry" / f"{package_spec().version}.txt").is_file()
    assert "wrote the checksum registry" in result.output
