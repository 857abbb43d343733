"""Where releases are published, and the checksum registry that pins their files.

One module owns these facts:

- the **release URL** of a version: ``releaseUrl`` in ``datapackage.json``
  (derived from its ``homepage`` when absent), unless ``K2DATA_RELEASE_URL``
  names a mirror;
- the **registry**: ``k2data/registry/<version>.txt`` in the package, one line
  per Parquet file, ``<file name> <sha256> <bytes>`` (the size is missing in
  registries written before 0.2.0). :mod:`k2data.fetch` verifies downloads
  against it, and caps each download at the recorded size;
- which versions are **released**, and so immutable: a version whose
  ``CHANGELOG.md`` heading carries a date, or that has a ``v<version>`` git tag,
  or any version other than the one the descriptor is building. The registry
  of a released version is never rewritten: a build of changed data under a
  released version is refused with the next version to use.

Examples
--------
>>> from k2data._registry import known_versions, next_version
>>> "0.1.0" in known_versions()
True
>>> next_version("0.2.0", "patch"), next_version("0.2.0", "minor")
('0.2.1', '0.3.0')
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from ._package.paths import SEMVER, version_problem
from .errors import DownloadError, PublishedVersionError

__all__ = [
    "ENV_RELEASE_URL",
    "Entry",
    "checkout_registry_dir",
    "checkout_root",
    "commit_registry",
    "is_released",
    "known_versions",
    "next_version",
    "normalise_version",
    "read_registry",
    "registry_dir",
    "registry_text",
    "release_base_url",
    "stage_registry",
    "write_registry",
]

ENV_RELEASE_URL = "K2DATA_RELEASE_URL"
_HEADER = "# k2data {version}: sha256 and size of the release's Parquet files. Written by `k2data build`; do not edit.\n"


@dataclass(frozen=True)
class Entry:
    """One file of a release: its sha256 and, for registries since 0.2.0, its size in bytes."""

    sha256: str
    size: int | None = None


def normalise_version(version: str) -> str:
    """*version* without a leading ``v``; raises :class:`DownloadError` if it is not SemVer.

    Examples
    --------
    >>> normalise_version("v0.1.0")
    '0.1.0'
    """
    v = str(version).strip()
    v = v[1:] if v[:1] in ("v", "V") else v
    if version_problem(v) is not None:
        msg = f"{version!r} is not a release version; give one like 0.1.0"
        raise DownloadError(msg)
    return v


def _key(version: str) -> tuple[int, int, int, str]:
    m = SEMVER.match(version)
    assert m is not None
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4) or "~"


def next_version(version: str, part: str) -> str:
    """The version after *version* when *part* (``major``, ``minor`` or ``patch``) moves."""
    major, minor, patch, _ = _key(version)
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    if part == "patch":
        return f"{major}.{minor}.{patch + 1}"
    msg = f"part must be major, minor or patch, not {part!r}"
    raise ValueError(msg)


def registry_dir() -> Path:
    """The registry folder shipped in the installed package."""
    return Path(str(files("k2data"))) / "registry"


def checkout_root() -> Path | None:
    """The root of the development checkout k2data runs from, or ``None`` for an installed wheel."""
    pkg_dir = Path(__file__).resolve().parent
    root = pkg_dir.parents[1]
    if pkg_dir.parent.name == "src" and (root / "pyproject.toml").is_file() and (root / "datapackage.json").is_file():
        return root
    return None


def checkout_registry_dir(root: Path | None = None) -> Path | None:
    """The registry folder of a development checkout (default: the one k2data runs from), if it has one."""
    root = checkout_root() if root is None else root
    if root is None:
        return None
    folder = root / "src" / "k2data" / "registry"
    return folder if folder.is_dir() else None


def known_versions(folder: Path | None = None) -> list[str]:
    """The versions whose checksums a registry folder (default: the installed one) knows, oldest first."""
    folder = registry_dir() if folder is None else folder
    if not folder.is_dir():
        return []
    return sorted((p.stem for p in folder.glob("*.txt") if version_problem(p.stem) is None), key=_key)


def read_registry(version: str, folder: Path | None = None) -> dict[str, Entry]:
    """``{file name: Entry}`` of release *version*'s Parquet files, in table order.

    Raises
    ------
    DownloadError
        If the registry knows no checksums for *version*, or its file is malformed.
    """
    version = normalise_version(version)
    folder = registry_dir() if folder is None else folder
    path = folder / f"{version}.txt"
    if not path.is_file():
        known = ", ".join(known_versions(folder)) or "none"
        msg = (
            f"no checksums known for k2data release {version} (known: {known}); "
            "upgrade k2data to fetch a newer release, or check the version number"
        )
        raise DownloadError(msg)
    out: dict[str, Entry] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        ok = len(parts) in (2, 3) and re.fullmatch(r"[0-9a-f]{64}", parts[1]) and (len(parts) == 2 or parts[2].isdigit())
        if not ok or "/" in parts[0] or parts[0] in (".", ".."):
            msg = f"{path}:{n}: expected '<file name> <sha256> [<bytes>]' but got {line!r}; reinstall k2data"
            raise DownloadError(msg)
        out[parts[0]] = Entry(parts[1], int(parts[2]) if len(parts) == 3 else None)
    return out


def registry_text(version: str, files: Mapping[str, Entry]) -> str:
    """The registry file of *version*: a ``<file name> <sha256> <bytes>`` line per Parquet file, in table order."""
    lines = [_HEADER.format(version=version)]
    for rel, entry in files.items():
        if rel.startswith("parquet/"):
            lines.append(f"{rel.rsplit('/', 1)[-1]} {entry.sha256} {entry.size}\n")
    return "".join(lines)


def _changelog_dated(root: Path, version: str) -> bool:
    changelog = root / "CHANGELOG.md"
    try:
        text = changelog.read_text(encoding="utf-8")
    except OSError:
        return False
    pattern = rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}\s*$"
    return re.search(pattern, text, flags=re.MULTILINE) is not None


def _tagged(root: Path, version: str) -> bool:
    if not (root / ".git").exists():
        return False
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "tag", "--list", f"v{version}"],
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return False
    return out.stdout.strip() == f"v{version}"


def is_released(version: str, root: Path | None) -> bool:
    """Whether *version* has been released: dated in ``CHANGELOG.md`` beside the descriptor, or tagged in git."""
    return root is not None and (_changelog_dated(root, version) or _tagged(root, version))


def stage_registry(
    folder: Path, version: str, files: Mapping[str, Entry], *, current: str, root: Path | None
) -> tuple[Path, Path] | None:
    """Write the registry of *version* into a temporary file beside its place, refusing to rewrite a released one.

    *current* is the version the descriptor is building and *root* the folder
    holding it (for ``CHANGELOG.md`` and git tags). Returns ``(temporary,
    final)`` for :func:`commit_registry`, or ``None`` when the file already
    says the same. Nothing is changed until the commit.

    Raises
    ------
    PublishedVersionError
        If the registry of *version* exists with other checksums and *version*
        is released or is not the version being built; the message names the
        next version to use.
    """
    if version_problem(version) is not None:
        msg = f"{version!r} is not a SemVer version; the registry file is not written"
        raise PublishedVersionError(msg)
    target = folder / f"{version}.txt"
    text = registry_text(version, files)
    old = target.read_text(encoding="utf-8") if target.is_file() else None
    if old == text:
        return None
    if old is not None and (version != current or is_released(version, root)):
        msg = (
            f"k2data {version} has been released, and its checksums in {target} are not rewritten; the data "
            f"changed since, so move the version on: `k2data update --bump patch` (to {next_version(version, 'patch')}) "
            f"for corrections or `--bump minor` (to {next_version(version, 'minor')}) for new rows or tables"
        )
        raise PublishedVersionError(msg)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp), target


def commit_registry(tmp: Path, target: Path) -> None:
    """Move a staged registry file into place."""
    os.replace(tmp, target)


def write_registry(folder: Path, version: str, files: Mapping[str, Entry], *, current: str, root: Path | None) -> Path:
    """Write (or keep) ``<folder>/<version>.txt`` at once; see :func:`stage_registry` for the rule."""
    folder.mkdir(parents=True, exist_ok=True)
    pending = stage_registry(folder, version, files, current=current, root=root)
    if pending is not None:
        try:
            commit_registry(*pending)
        finally:
            pending[0].unlink(missing_ok=True)
    return folder / f"{version}.txt"


def release_base_url(version: str, pattern: str) -> str:
    """The base URL of release *version*'s files: ``K2DATA_RELEASE_URL`` or *pattern*, ending in ``/``.

    ``{version}`` in either is replaced by the version.
    """
    base = os.environ.get(ENV_RELEASE_URL) or pattern
    base = base.replace("{version}", normalise_version(version))
    return base if base.endswith("/") else base + "/"
