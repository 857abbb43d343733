"""Bring the derived parts of a package up to date after a hand edit of its data.

The contributor's loop is: edit a CSV file, run ``k2data update``, commit.
:func:`update` does, in this order:

1. recompute each resource's ``hash`` (sha256) and ``bytes`` in
   ``datapackage.json`` (:func:`update_hashes`);
2. validate the package (:func:`k2data.validate`); if it is invalid, stop
   there and leave everything else alone;
3. rebuild the release folder ``dist/`` beside ``datapackage.json`` with
   :func:`k2data.release.build`, and the checksum registry
   ``src/k2data/registry/<version>.txt`` when that folder exists;
4. regenerate the data dictionary ``docs/data-dictionary.md``, the table list
   between the markers of ``README.md`` and ``CITATION.cff`` with
   :mod:`k2data.dictionary`.

Each derived part is updated only where it exists beside ``datapackage.json``
(and, for the generated documents, only where the file is one that k2data
generated), so the same command serves this repository, a fork of it, and a
package of another layout that has only a descriptor and CSV files.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ._files import sha256_file as sha256_of
from ._files import write_text_atomic
from .validate import resolve_descriptor, unsafe_path_reason

if TYPE_CHECKING:
    from ._descriptor import PackageSpec
    from ._report import ValidationReport

__all__ = ["DocUpdate", "UpdateResult", "sha256_of", "update", "update_hashes", "write_json_atomic"]

#: Where the derived parts live, relative to the folder of ``datapackage.json``.
DIST_DIR = "dist"
REGISTRY_DIR = "src/k2data/registry"
DICTIONARY_FILE = "docs/data-dictionary.md"
README_FILE = "README.md"
CITATION_FILE = "CITATION.cff"


def write_json_atomic(path: Path, data: object) -> None:
    """Write *data* as indented UTF-8 JSON to *path*, replacing it only when complete."""
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    write_text_atomic(path, text)


def update_hashes(datapackage: str | Path | None = None) -> list[str]:
    """Recompute each resource's ``sha256`` hash and ``bytes`` in the descriptor.

    Returns the names of the resources whose hash changed. Resources with an
    unsafe or missing path are left alone (``k2data validate`` reports them).
    """
    from ._descriptor import read_descriptor

    path = resolve_descriptor(datapackage)
    raw = json.loads(path.read_text(encoding="utf-8"))
    changed = []
    for res in raw.get("resources", []):
        rel = str(res.get("path", ""))
        file = path.parent / rel
        if unsafe_path_reason(rel) is not None or not file.is_file():
            continue
        new = f"sha256:{sha256_of(file)}"
        size = file.stat().st_size
        if res.get("hash") != new or res.get("bytes") != size:
            changed.append(str(res.get("name")))
        res["hash"] = new
        res["bytes"] = size
    if changed:
        write_json_atomic(path, raw)
        read_descriptor.cache_clear()  # the parsed copy of this descriptor is stale now
    return changed


@dataclass
class DocUpdate:
    """One generated document considered by :func:`update`.

    Attributes
    ----------
    path : Path
        The file.
    what : str
        What it is, for people (``"data dictionary"``, ``"README tables section"``, ...).
    changed : bool
        Whether it was rewritten.
    """

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
    return {p.relative_to(folder).as_posix(): sha256_of(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0]


def _refresh(path: Path, text: str, what: str) -> DocUpdate:
    changed = _read(path) != text
    if changed:
        write_text_atomic(path, text)
    return DocUpdate(path, what, changed)


def _update_docs(pkg: PackageSpec, root: Path, skipped: list[str]) -> list[DocUpdate]:
    """Regenerate the documents k2data generates, where they exist beside the descriptor."""
    from .dictionary import citation_cff, data_dictionary, readme_tables, splice
    from .errors import K2DataError

    docs: list[DocUpdate] = []
    dictionary = root / DICTIONARY_FILE
    current = _read(dictionary)
    if current is None:
        skipped.append(f"{DICTIONARY_FILE} (not found)")
    else:
        text = data_dictionary(pkg=pkg)
        if _first_line(current) == _first_line(text):
            docs.append(_refresh(dictionary, text, "data dictionary"))
        else:
            skipped.append(f"{DICTIONARY_FILE} (not generated by k2data)")
    readme = root / README_FILE
    current = _read(readme)
    if current is None:
        skipped.append(f"{README_FILE} (not found)")
    else:
        link = os.path.relpath(dictionary, readme.parent).replace(os.sep, "/")
        try:
            text = splice(current, readme_tables(pkg=pkg, dictionary_path=link))
        except K2DataError:
            skipped.append(f"{README_FILE} (no tables section markers)")
        else:
            docs.append(_refresh(readme, text, "README tables section"))
    citation = root / CITATION_FILE
    current = _read(citation)
    if current is not None:
        text = citation_cff(pkg=pkg)
        if _first_line(current) == _first_line(text):
            docs.append(_refresh(citation, text, "citation"))
        else:
            skipped.append(f"{CITATION_FILE} (not generated by k2data)")
    return docs


def update(datapackage: str | Path = "datapackage.json", *, max_problems: int | None = 1000) -> UpdateResult:
    """Bring every derived part of a package up to date after its CSV files were edited.

    Refreshes the resource hashes and sizes in the descriptor, validates the
    package, and only if it is valid rebuilds ``dist/`` (and the checksum
    registry), the data dictionary, the README's table list and
    ``CITATION.cff``: each where it exists beside the descriptor.

    Parameters
    ----------
    datapackage : str or Path, default ``"datapackage.json"``
        The descriptor to update, or the folder holding it.
    max_problems : int or None, default 1000
        Problems listed in the validation report (see :func:`k2data.validate`).

    Returns
    -------
    UpdateResult
        What changed; ``result.valid`` is ``False`` (and nothing but the
        hashes was touched) when the data is invalid.

    Raises
    ------
    k2data.release.ReleaseError
        If ``dist/`` exists but is not a k2data release folder.

    Examples
    --------
    A package with no ``dist/`` or generated documents beside it only gets its
    hashes refreshed:

    >>> import shutil
    >>> from pathlib import Path
    >>> from k2data._resources import bundled_descriptor_path
    >>> src = bundled_descriptor_path().parent
    >>> _ = shutil.copytree(src / "data", "pkg/data")
    >>> _ = shutil.copy(src / "datapackage.json", "pkg/datapackage.json")
    >>> with open("pkg/data/genes.csv", "a", encoding="utf-8") as fh:
    ...     _ = fh.write("EXAMPLE1,,Example gene,Added by hand.\\n")
    >>> result = update("pkg")
    >>> result.hashes, result.valid, result.dist
    (['genes'], True, None)
    """
    from .load import package_spec
    from .release import build
    from .validate import validate

    path = resolve_descriptor(datapackage)
    hashes = update_hashes(path)
    report = validate(path, max_problems=max_problems)
    result = UpdateResult(datapackage=path, hashes=hashes, report=report)
    if not report.valid:
        return result
    root = path.parent
    pkg = package_spec(path)
    dist = root / DIST_DIR
    if dist.is_dir():
        registry_dir = root / REGISTRY_DIR
        registry = registry_dir if registry_dir.is_dir() else None
        old_registry = _read(registry_dir / f"{pkg.version}.txt") if registry is not None else None
        before = _tree(dist)
        built = build(dist, datapackage=path, check=False, registry=registry)
        after = _tree(dist)
        result.dist = dist
        result.dist_changed = sorted(n for n in set(before) | set(after) if before.get(n) != after.get(n))
        if built.registry is not None:
            result.registry = built.registry
            result.registry_changed = _read(built.registry) != old_registry
        else:
            result.skipped.append(f"{REGISTRY_DIR}/ (not found)")
    else:
        result.skipped.append(f"{DIST_DIR}/ (not found; `k2data build` creates it)")
    result.docs = _update_docs(pkg, root, result.skipped)
    return result
