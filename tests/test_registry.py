"""k2data._registry: where releases live, the checksum registry, and released versions that never change."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import k2data
from k2data._package import open_package
from k2data._registry import (
    Entry,
    is_released,
    known_versions,
    next_version,
    read_registry,
    registry_dir,
    release_base_url,
    stage_registry,
    write_registry,
)
from k2data.cli import main

FILES = {"parquet/a.parquet": Entry("a" * 64, 10), "parquet/b.parquet": Entry("b" * 64, 20)}


def test_the_shipped_registry_knows_0_1_0_and_the_bundled_version() -> None:
    versions = known_versions()
    assert "0.1.0" in versions and open_package().version in versions
    old = read_registry("0.1.0")
    assert all(e.size is None for e in old.values())  # written before sizes were recorded
    new = read_registry(open_package().version)
    assert all(isinstance(e.size, int) and e.size > 0 for e in new.values())


def test_the_release_url_is_derived_from_the_homepage(monkeypatch) -> None:
    pkg = open_package()
    assert pkg.release_url == pkg.homepage + "/releases/download/v{version}/"
    monkeypatch.delenv("K2DATA_RELEASE_URL", raising=False)
    assert release_base_url("0.1.0", pkg.release_url) == f"{pkg.homepage}/releases/download/v0.1.0/"
    monkeypatch.setenv("K2DATA_RELEASE_URL", "https://mirror.example/{version}")
    assert release_base_url("v0.1.0", pkg.release_url) == "https://mirror.example/0.1.0/"


def test_next_versions() -> None:
    assert [next_version("1.2.3", p) for p in ("major", "minor", "patch")] == ["2.0.0", "1.3.0", "1.2.4"]


def test_a_registry_round_trips(tmp_path) -> None:
    write_registry(tmp_path, "1.0.0", FILES, current="1.0.0", root=None)
    assert read_registry("1.0.0", tmp_path) == {"a.parquet": Entry("a" * 64, 10), "b.parquet": Entry("b" * 64, 20)}


def test_a_malformed_registry_names_its_line(tmp_path) -> None:
    (tmp_path / "1.0.0.txt").write_text("# x\na.parquet nothex\n", encoding="utf-8")
    with pytest.raises(k2data.DownloadError, match=r"1\.0\.0\.txt:2: expected"):
        read_registry("1.0.0", tmp_path)


def test_the_registry_of_an_earlier_version_is_never_rewritten(tmp_path) -> None:
    write_registry(tmp_path, "1.0.0", FILES, current="1.0.0", root=None)
    before = (tmp_path / "1.0.0.txt").read_bytes()
    changed = {**FILES, "parquet/a.parquet": Entry("c" * 64, 11)}
    with pytest.raises(k2data.PublishedVersionError, match=r"--bump patch` \(to 1\.0\.1\)"):
        write_registry(tmp_path, "1.0.0", changed, current="1.1.0", root=None)
    assert (tmp_path / "1.0.0.txt").read_bytes() == before
    assert stage_registry(tmp_path, "1.0.0", FILES, current="1.1.0", root=None) is None  # the same checksums: fine


def test_a_dated_changelog_entry_or_a_tag_marks_a_release(tmp_path) -> None:
    assert not is_released("1.0.0", tmp_path)
    (tmp_path / "CHANGELOG.md").write_text("## [1.0.0] - Unreleased\n", encoding="utf-8")
    assert not is_released("1.0.0", tmp_path)
    (tmp_path / "CHANGELOG.md").write_text("## [1.0.0] - 2026-11-30\n", encoding="utf-8")
    assert is_released("1.0.0", tmp_path)
    (tmp_path / "CHANGELOG.md").unlink()
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "tag", "v1.0.0"], check=True)
    assert is_released("1.0.0", tmp_path)


def test_editing_data_after_a_release_leaves_its_registry_byte_identical(mini, runner) -> None:
    pkg = mini("genes")
    registry = pkg.folder / "src" / "k2data" / "registry"
    registry.mkdir(parents=True)
    (pkg.folder / "dist").mkdir()
    pkg.edit_descriptor(lambda d: d.update(version="1.0.0"))
    (pkg.folder / "CHANGELOG.md").write_text("# Changelog\n\n## [1.0.0] - Unreleased\n\n### Data\n\n### Code\n", encoding="utf-8")
    assert runner.invoke(main, ["update", str(pkg.descriptor)]).exit_code == 0
    released = (registry / "1.0.0.txt").read_bytes()
    (pkg.folder / "CHANGELOG.md").write_text("# Changelog\n\n## [1.0.0] - 2026-11-30\n\n### Data\n\n### Code\n", encoding="utf-8")
    pkg.set("genes", 2, "note", "Edited after the release.", rehash=False)
    result = runner.invoke(main, ["update", str(pkg.descriptor)])
    assert result.exit_code == 1
    assert "k2data 1.0.0 has been released" in result.output and "--bump patch` (to 1.0.1)" in result.output
    assert (registry / "1.0.0.txt").read_bytes() == released
    bumped = runner.invoke(main, ["update", "--bump", "patch", str(pkg.descriptor)])
    assert bumped.exit_code == 0, bumped.output
    assert "version 1.0.0 -> 1.0.1" in bumped.output
    assert json.loads(pkg.descriptor.read_text(encoding="utf-8"))["version"] == "1.0.1"
    assert (registry / "1.0.0.txt").read_bytes() == released and (registry / "1.0.1.txt").is_file()
    assert "## [1.0.1] - Unreleased" in (pkg.folder / "CHANGELOG.md").read_text(encoding="utf-8")


def test_the_installed_registry_folder_is_the_package_data() -> None:
    assert registry_dir() == Path(k2data.__file__).parent / "registry"
