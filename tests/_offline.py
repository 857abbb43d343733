"""Installing k2data into fresh environments without the network: a local wheelhouse and a copy of the project.

The pre-commit hook and the GitHub Action install k2data and its dependencies
with pip into a new virtual environment. Tests may not use the network, so
pip is pointed at a local wheelhouse only (``PIP_NO_INDEX``,
``PIP_FIND_LINKS``) with every pip configuration file ignored. ``.ci/run``
builds the wheelhouse before the tests, from the versions it has just
installed; on a developer's machine the tests that need it skip and say how
to build it, in CI they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The files and folders of the checkout that `pip install` of the project needs.
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE", "LICENSE-DATA", "datapackage.json", "data", "src")

HOW_TO_BUILD = (
    "no wheelhouse at {path}: the pre-commit and GitHub Action tests install k2data into fresh environments "
    "from it, without the network. Build it once (with the network), from the checkout, as .ci/run does:\n"
    "    pip freeze --exclude k2data > /tmp/k2data-pins.txt\n"
    "    pip wheel -q --wheel-dir wheelhouse --constraint /tmp/k2data-pins.txt . hatchling\n"
    "    rm -f wheelhouse/k2data-*.whl\n"
    "or point K2DATA_WHEELHOUSE at one."
)


def wheelhouse_path() -> Path:
    """Where the local wheelhouse is looked for: ``$K2DATA_WHEELHOUSE``, else ``wheelhouse/`` of the checkout."""
    return Path(os.environ.get("K2DATA_WHEELHOUSE") or ROOT / "wheelhouse")


def has_wheelhouse() -> bool:
    """Whether the local wheelhouse holds wheels."""
    return any(wheelhouse_path().glob("*.whl"))


def wheelhouse() -> Path:
    """The local wheelhouse.

    Skips the calling test when there is none, or fails it in CI (``CI`` set),
    where ``.ci/run`` must have built it.
    """
    path = wheelhouse_path()
    if not has_wheelhouse():
        msg = HOW_TO_BUILD.format(path=path)
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def offline_env(wheels: Path, **extra: str) -> dict[str, str]:
    """The environment for a child process whose pip may install only from *wheels*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUALENV_", "PRE_COMMIT", "UV_"))}
    env.update(
        PIP_CONFIG_FILE=os.devnull,  # no pip.conf: no index, extra index, find-links or constraints from the machine
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheels),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        VIRTUALENV_NO_PERIODIC_UPDATE="1",  # virtualenv seeds pip from its bundled wheels and never fetches newer
        GIT_AUTHOR_NAME="k2data tests",
        GIT_AUTHOR_EMAIL="tests@k2data.invalid",
        GIT_COMMITTER_NAME="k2data tests",
        GIT_COMMITTER_EMAIL="tests@k2data.invalid",
        GIT_CONFIG_NOSYSTEM="1",
    )
    env.update(extra)
    return env


def copy_project(dest: Path, *extra: str) -> Path:
    """Copy what building the k2data package needs (and the *extra* top-level files) into *dest*."""
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache")
    for name in (*PROJECT_FILES, *extra):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        else:
            shutil.copy2(src, dest / name)
    return dest


def git_repo(folder: Path, env: dict[str, str]) -> str:
    """Make *folder* a git repository with everything in it committed; return the commit."""

    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=folder, env=env, capture_output=True, text=True, check=True)
        return out.stdout.strip()

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "--no-gpg-sign", "-m", "scratch")
    return git("rev-parse", "HEAD")
