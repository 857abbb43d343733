"""The pre-commit hook, run for real with `pre-commit try-repo` against scratch repositories, offline."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from _offline import ROOT, copy_project, git_repo, offline_env, wheelhouse
from conftest import read_rows, write_rows
from k2data._package import open_package
from k2data.update import update_hashes

MANIFEST = ROOT / ".pre-commit-hooks.yaml"
HOOK_ID = "k2data-validate"


def _hook() -> dict:
    hooks = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    (hook,) = [h for h in hooks if h["id"] == HOOK_ID]
    return hook


def test_manifest_is_valid_for_pre_commit() -> None:
    from pre_commit.clientlib import load_manifest

    ids = [h["id"] for h in load_manifest(str(MANIFEST))]
    assert ids == [HOOK_ID]


def test_hook_validates_the_whole_package() -> None:
    hook = _hook()
    assert hook["language"] == "python"
    assert hook["entry"].split() == ["k2data", "validate"]
    assert hook["pass_filenames"] is False, "a CSV edit can break a key in another table: validate the package"
    assert hook["args"] == ["."]


@pytest.mark.parametrize(
    ("path", "runs"),
    [
        ("datapackage.json", True),
        ("data/claims.csv", True),
        ("datasets/k2/datapackage.json", True),
        ("datasets/k2/data/trials.csv", True),
        ("README.md", False),
        ("src/k2data/cli.py", False),
        ("my-datapackage.json", False),
        ("data/claims.csv.orig", False),
    ],
)
def test_hook_runs_when_the_descriptor_or_a_csv_changes(path: str, runs: bool) -> None:
    # pre-commit matches `files` with re.search against the path from the repository root
    assert bool(re.search(_hook()["files"], path)) is runs


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> Path:
    """A git repository holding this project and its .pre-commit-hooks.yaml, committed."""
    repo = copy_project(tmp_path_factory.mktemp("hook-repo") / "k2data", ".pre-commit-hooks.yaml")
    git_repo(repo, offline_env(Path("/nonexistent")))
    return repo


def _user_repo(tmp_path: Path, bundled: Path, *, break_it: bool) -> Path:
    """A scratch git repository holding a copy of the package at its top level, optionally with one defect."""
    repo = tmp_path / "user-repo"
    repo.mkdir()
    shutil.copy2(bundled, repo / "datapackage.json")
    shutil.copytree(bundled.parent / "data", repo / "data")
    if break_it:
        path = repo / "data" / "claims.csv"
        rows = read_rows(path)
        rows[2][rows[0].index("verdict")] = "maybe"  # file row 3
        write_rows(path, rows)
        update_hashes(repo / "datapackage.json")
    return repo


def _try_repo(hook: Path, repo: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = offline_env(wheelhouse(), PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    git_repo(repo, env)
    cmd = [sys.executable, "-m", "pre_commit", "try-repo", str(hook), HOOK_ID, "--all-files", "--color", "never"]
    return subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)


@pytest.mark.slow
def test_try_repo_passes_on_the_clean_package(hook_repo, tmp_path, bundled) -> None:
    out = _try_repo(hook_repo, _user_repo(tmp_path, bundled, break_it=False), tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.search(r"^k2data validate\.+Passed$", out.stdout, re.MULTILINE), out.stdout


@pytest.mark.slow
def test_try_repo_fails_on_a_defect_and_names_file_row_and_field(hook_repo, tmp_path, bundled) -> None:
    out = _try_repo(hook_repo, _user_repo(tmp_path, bundled, break_it=True), tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    assert re.search(r"^k2data validate\.+Failed$", out.stdout, re.MULTILINE), out.stdout
    assert "data/claims.csv:3: verdict='maybe': " in out.stdout
    assert "datapackage.json: 1 problem(s) found" in out.stdout


def test_readme_shows_a_config_that_uses_this_hook() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL)]
    configs = [b for b in blocks if isinstance(b, dict) and "repos" in b]
    assert configs, "README.md: add the .pre-commit-config.yaml example"
    (repo,) = configs[0]["repos"]
    assert repo["repo"] == open_package().homepage and repo["rev"]
    assert [h["id"] for h in repo["hooks"]] == [HOOK_ID]
