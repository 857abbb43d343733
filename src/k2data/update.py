"""Bring the derived parts of a package up to date after a hand edit of its data.

The contributor's loop is: edit a CSV file, run ``k2data update``, commit.
:func:`update` does, in this order:

1. with ``bump``, move the version on in ``datapackage.json`` (the one place it
   lives) and start its ``CHANGELOG.md`` entry (:func:`bump_version`);
2. recompute each resource's ``hash`` (sha256) and ``bytes`` in
   ``datapackage.json`` (:func:`update_hashes`);
3. validate the package (:func:`k2data.validate`); if it is invalid, stop
   there and leave everything else alone;
4. rebuild the release folder ``dist/`` beside ``datapackage.json`` with
   :func:`k2data.release.build`, and the checksum registry
   ``src/k2data/registry/<version>.txt`` when that folder exists; a released
   version's registry is never rewritten (the error names the next version);
5. regenerate the documents k2data generates beside the descriptor (the data
   dictionary, the README's table list, ``CITATION.cff``, ``.zenodo.json``),
   through the same generate-and-check step as ``k2data dictionary --check``.

Each derived part is updated only where it exists beside ``datapackage.json``
(and, for the generated documents, only where the file is one that k2data
generated), so the same command serves this repository, a fork of it, and a
package of another layout that has only a descriptor and CSV files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ._files import sha256_file, write_text_atomic
from ._package import descriptor_path, open_package
from ._package.parse import read_descriptor_file
from ._package.paths import readable_problem
from ._registry import next_version

if TYPE_CHECKING:
    from ._report import ValidationReport

__all__ = ["DocUpdate", "UpdateResult", "bump_version", "update", "update_hashes", "write_json_atomic"]

#: Where the release folder lives, relative to the folder of ``datapackage.json``.
DIST_DIR = "dist"


def write_json_atomic(path: Path, data: object) -> None:
    """Write *data* as indented UTF-8 JSON to *path*, replacing it only when complete."""
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def update_hashes(datapackage: str | Path | None = None) -> list[str]:
    """Recompute each resource's ``sha256`` hash and ``bytes`` in the descriptor.

    Returns the names of the resources whose hash changed. Resources whose
    path is unsafe (outside the package, not a regular file...) or missing are
    left alone (``k2data validate`` reports them).
    """
    path = descriptor_path(datapackage)
    raw = read_descriptor_file(path)
    changed = []
    for res in raw.get("resources", []) if isinstance(raw, dict) else []:
        if not isinstance(res, dict):
            continue
        rel = res.get("path")
        if not isinstance(rel, str) or readable_problem(path.parent, rel) is not None:
            continue
        file = path.parent / rel
        if not file.is_file():
            continue
        new = f"sha256:{sha256_file(file)}"
        size = file.stat().st_size
        if res.get("hash") != new or res.get("bytes") != size:
            changed.append(str(res.get("name")))
        res["hash"] = new
        res["bytes"] = size
    if changed:
        write_json_atomic(path, raw)
    return changed


def bump_version(datapackage: str | Path, part: str) -> tuple[str, str]:
    """Move the version in ``datapackage.json`` on by *part* and start its ``CHANGELOG.md`` entry.

    Returns ``(old, new)``. The entry ``## [new] - Unreleased`` is added above
    the newest release of a ``CHANGELOG.md`` beside the descriptor, if there is one.
    """
    path = descriptor_path(datapackage)
    raw = read_descriptor_file(path)
    old = str(raw.get("version", ""))
    new = next_version(old, part)
    raw["version"] = new
    write_json_atomic(path, raw)
    changelog = path.parent / "CHANGELOG.md"
    if changelog.is_file():
        text = changelog.read_text(encoding="utf-8")
        entry = f"## [{new}] - Unreleased\n\n### Data\n\n### Code\n\n"
        m = re.search(r"^## \[(?!Unreleased\])", text, flags=re.MULTILINE)
        if f"## [{new}]" not in text:
            text = text[: m.start()] + entry + text[m.start() :] if m else text.rstrip("\n") + "\n\n" + entry
            write_text_atomic(changelog, text)
    return old, new


@dataclass
class DocUpdate:
    """One generated document considered by :func:`update`: its path, what it is, whether it was rewritten."""

    path: Path
    what: str
    changed: bool


@dataclass
class UpdateResult:
    """What :func:`update` found and changed.

    Attributes
    ----------
    datapackage : Path
        The descriptor.
    hashes : list of str
        Resources whose ``hash`` or ``bytes`` were refreshed.
    report : ValidationReport
        The validation of the package after the hashes were refreshed.
    version : tuple of str or None
        ``(old, new)`` when the version was bumped.
    dist : Path or None
        The release folder rebuilt (``None``: none beside the descriptor, or the data is invalid).
    dist_changed : list of str
        Files of the release folder added, changed or removed, relative to it, sorted.
    registry : Path or None
        The checksum registry file written, if any.
    registry_changed : bool
        Whether its content changed.
    docs : list of DocUpdate
        The generated documents found and whether each was rewritten.
    skipped : list of str
        Derived parts not found beside the descriptor, for people.
    """

    datapackage: Path
    hashes: list[str]
    report: ValidationReport
    version: tuple[str, str] | None = None
    dist: Path | None = None
    dist_changed: list[str] = field(default_factory=list)
    registry: Path | None = None
    registry_changed: bool = False
    docs: list[DocUpdate] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """Whether the package is valid (only then are dist/ and the documents refreshed)."""
        return self.report.valid

    @property
    def changed(self) -> bool:
        """Whether anything at all was rewritten."""
        return bool(self.hashes or self.dist_changed or self.registry_changed or any(d.changed for d in self.docs))


def _tree(folder: Path) -> dict[str, str]:
    """``{path relative to folder: sha256}`` of every file below *folder*."""
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def update(
    datapackage: str | Path = "datapackage.json", *, max_problems: int | None = 1000, bump: str | None = None
) -> UpdateResult:
    """Bring every derived part of a package up to date after its CSV files were edited.

    Refreshes the resource hashes and sizes in the descriptor, validates the
    package, and only if it is valid rebuilds ``dist/`` (and the checksum
    registry) and the generated documents: each where it exists beside the
    descriptor.

    Parameters
    ----------
    datapackage : str or Path, default ``"datapackage.json"``
        The descriptor to update, or the folder holding it.
    max_problems : int or None, default 1000
        Problems listed in the validation report (see :func:`k2data.validate`).
    bump : {"major", "minor", "patch"}, optional
        First move the version on (see :func:`bump_version`).

    Returns
    -------
    UpdateResult
        What changed; ``result.valid`` is ``False`` (and nothing but the
        hashes was touched) when the data is invalid.

    Raises
    ------
    k2data.errors.ReleaseError
        If ``dist/`` exists but holds files a build did not make.
    k2data.errors.PublishedVersionError
        If the data changed under a released version; nothing but the hashes was touched.

    Examples
    --------
    A package with no ``dist/`` or generated documents beside it only gets its
    hashes refreshed:

    >>> import shutil
    >>> from k2data._package import bundled_descriptor_path
    >>> src = bundled_descriptor_path().parent
    >>> _ = shutil.copytree(src / "data", "pkg/data")
    >>> _ = shutil.copy(src / "datapackage.json", "pkg/datapackage.json")
    >>> with open("pkg/data/genes.csv", "a", encoding="utf-8") as fh:
    ...     _ = fh.write("EXAMPLE1,,Example gene,Added by hand.\\n")
    >>> result = update("pkg")
    >>> result.hashes, result.valid, result.dist
    (['genes'], True, None)
    """
    from .docgen import generate
    from .release import build
    from .validation import validate

    path = descriptor_path(datapackage)
    version = bump_version(path, bump) if bump else None
    hashes = update_hashes(path)
    report = validate(path, max_problems=max_problems)
    result = UpdateResult(datapackage=path, hashes=hashes, report=report, version=version)
    if not report.valid:
        return result
    pkg = open_package(path)
    dist = pkg.root / DIST_DIR
    if dist.is_dir():
        folder = pkg.root / "src" / "k2data" / "registry"
        registry_dir = folder if folder.is_dir() else None
        old_registry = None
        if registry_dir is not None and (registry_dir / f"{pkg.version}.txt").is_file():
            old_registry = (registry_dir / f"{pkg.version}.txt").read_text(encoding="utf-8")
        before = _tree(dist)
        built = build(dist, datapackage=path, check=False, registry=registry_dir)
        after = _tree(dist)
        result.dist = dist
        result.dist_changed = sorted(n for n in set(before) | set(after) if before.get(n) != after.get(n))
        if built.registry is not None:
            result.registry = built.registry
            result.registry_changed = built.registry.read_text(encoding="utf-8") != old_registry
        else:
            result.skipped.append("src/k2data/registry/ (not found)")
    else:
        result.skipped.append(f"{DIST_DIR}/ (not found; `k2data build` creates it)")
    for outcome in generate.plan(pkg):
        if outcome.skipped is not None:
            result.skipped.append(f"{outcome.target.relpath} ({outcome.skipped})")
            continue
        generate.write([outcome])
        result.docs.append(DocUpdate(outcome.path, outcome.target.what, outcome.stale))
    return result
