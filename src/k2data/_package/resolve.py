"""Find and open a package: the one resolver every module and command uses.

:func:`open_package` takes ``None`` (the copy bundled with k2data), a folder
holding ``datapackage.json``, or the descriptor itself, and returns the parsed
:class:`~k2data._package.spec.PackageSpec`. It is cached by the resolved path,
the modification time and the size of the file, so an edited descriptor is
read again and an unchanged one is parsed once.

:func:`discover` is the rule of the command line: an explicit path wins;
otherwise a ``datapackage.json`` in the current folder or one above it (the
way git finds its repository); otherwise the bundled copy.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from importlib.resources import files
from pathlib import Path
from threading import Lock

from .parse import Issue, parse_descriptor, read_descriptor_file
from .spec import PackageSpec

__all__ = ["DESCRIPTOR", "bundled_descriptor_path", "descriptor_path", "discover", "open_package", "open_with_issues"]

DESCRIPTOR = "datapackage.json"
_CACHE: OrderedDict[tuple[str, int, int], tuple[PackageSpec, tuple[Issue, ...]]] = OrderedDict()
_CACHE_SIZE = 16
_LOCK = Lock()


def bundled_descriptor_path() -> Path:
    """The ``datapackage.json`` shipped with k2data.

    In an installed wheel the package data lives in ``k2data/_data/``; in a
    development checkout (editable install) it is the repository's top level.
    """
    inside = Path(str(files("k2data"))) / "_data" / DESCRIPTOR
    if inside.is_file():
        return inside
    checkout = Path(__file__).resolve().parents[3] / DESCRIPTOR
    if checkout.is_file():
        return checkout
    return inside  # reported as missing when opened


def descriptor_path(where: str | os.PathLike[str] | None) -> Path:
    """The descriptor *where* means: the bundled one, a file, or ``datapackage.json`` in a folder."""
    if where is None:
        return bundled_descriptor_path()
    p = Path(where)
    return p / DESCRIPTOR if p.is_dir() else p


def discover(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The ``datapackage.json`` in *start* (default: the current folder) or the nearest folder above it.

    Returns ``None`` when there is none, so that the caller falls back to the bundled copy.
    """
    here = Path(os.path.abspath(start if start is not None else os.curdir))
    for folder in (here, *here.parents):
        candidate = folder / DESCRIPTOR
        if candidate.is_file():
            return candidate
    return None


def open_with_issues(where: str | os.PathLike[str] | None = None) -> tuple[PackageSpec, tuple[Issue, ...]]:
    """Open a package and return it with the issues found in its descriptor (see :func:`open_package`)."""
    path = descriptor_path(where)
    bundled = where is None
    absolute = Path(os.path.abspath(path))
    try:
        st = os.stat(absolute)
        key = (str(absolute), st.st_mtime_ns, st.st_size)
    except OSError:
        key = None
    if key is not None:
        with _LOCK:
            hit = _CACHE.get(key)
            if hit is not None:
                _CACHE.move_to_end(key)
                return hit
    raw = read_descriptor_file(absolute)
    result = parse_descriptor(raw, absolute, bundled=bundled or absolute == Path(os.path.abspath(bundled_descriptor_path())))
    if key is not None:
        with _LOCK:
            _CACHE[key] = result
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return result


def open_package(where: str | os.PathLike[str] | None = None) -> PackageSpec:
    """Open the package at *where*: ``None`` for the bundled copy, a folder, or a ``datapackage.json``.

    Raises :class:`~k2data.errors.DescriptorError` if the descriptor cannot be
    read or describes no package; smaller problems of the descriptor are left
    to :func:`k2data.validate` to report.

    Examples
    --------
    >>> from k2data._package import open_package
    >>> pkg = open_package()
    >>> "claims" in pkg.table_names
    True
    """
    return open_with_issues(where)[0]
