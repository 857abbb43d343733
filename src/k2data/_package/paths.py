"""The containment rule: what a package may name, and where k2data may read and write.

A package is untrusted input (its validator runs on strangers' pull requests),
so every reader and writer applies the same rule, stated here once:

- a data file is read only if it is a **regular file whose resolved path**
  (symbolic links followed) **stays inside the package folder**;
- a resource path is relative, uses ``/``, names no ``..``, no URL and no
  control character, and is not over-long;
- resource (table) names match the Data Package name pattern and contain no
  ``..`` or separator, because they become file names of the release;
- versions are SemVer, because they become file names of the registry;
- every file that ``build``, ``export``, ``update`` or the registry writer
  creates is checked to stay inside its destination before anything is written.

A refusal is a reason (a short phrase), never a crash: the validator reports it
as a problem that names the resource, and the readers raise with it.
Standard library only.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

__all__ = [
    "MAX_PATH_CHARS",
    "NAME_PATTERN",
    "SEMVER",
    "inside",
    "name_problem",
    "path_problem",
    "readable_problem",
    "shown",
    "version_problem",
]

#: The Data Package name pattern (lower case letters, digits, ``.``, ``-`` and ``_``), starting with a letter or digit.
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
#: SemVer 2.0.0, as published at semver.org.
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
#: Longest resource path accepted, in characters (file systems refuse much longer names with an error).
MAX_PATH_CHARS = 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def shown(text: object, limit: int = 200) -> str:
    """*text* made safe to print: control characters escaped, shortened to about *limit* characters.

    Examples
    --------
    >>> shown("a\\nb")
    'a\\\\nb'
    >>> shown("x" * 300, limit=10)
    'xxxxxxxxxx… (300 characters)'
    """
    s = str(text)
    n = len(s)
    if n > limit:
        s = s[:limit]
    s = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), s)
    s = s.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"{s}… ({n} characters)" if n > limit else s


def name_problem(name: object) -> str | None:
    """Why *name* cannot be a resource name, or ``None`` if it can."""
    if not isinstance(name, str) or not name:
        return "is not a name (a non-empty string is needed)"
    if len(name) > 200:
        return "is longer than 200 characters"
    if not NAME_PATTERN.match(name) or ".." in name:
        return "is not a valid name: use lower-case letters, digits, '.', '-' and '_', starting with a letter or digit"
    return None


def version_problem(version: object) -> str | None:
    """Why *version* is not a SemVer version, or ``None`` if it is."""
    if not isinstance(version, str) or not SEMVER.match(version) or len(version) > 100:
        return "is not a SemVer version such as 1.2.3"
    return None


def path_problem(path: object) -> str | None:
    """Why a resource *path* must not be read, judged from the text alone; ``None`` if it may be.

    Examples
    --------
    >>> path_problem("data/trials.csv") is None
    True
    >>> path_problem("../secrets.csv")
    "points outside the package ('..'); resource paths must stay inside its folder"
    >>> path_problem("https://example.org/t.csv")
    'is a remote URL; k2data reads only files inside the package and never fetches'
    """
    if not isinstance(path, str) or not path:
        return "is not a file path (a non-empty string is needed)"
    if _CONTROL.search(path):
        return "contains a control character"
    if len(path) > MAX_PATH_CHARS:
        return f"is longer than {MAX_PATH_CHARS} characters"
    if (_URL.match(path) and not re.match(r"^[A-Za-z]:[\\/]", path)) or "://" in path:
        return "is a remote URL; k2data reads only files inside the package and never fetches"
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path) or Path(path).is_absolute():
        return "is an absolute path; resource paths must be relative to datapackage.json"
    if "\\" in path:
        return "uses '\\'; resource paths use '/' between folders"
    if ".." in path.split("/"):
        return "points outside the package ('..'); resource paths must stay inside its folder"
    return None


def readable_problem(root: Path, path: str) -> str | None:
    """Why the resource file *path* of the package in *root* must not be read; ``None`` if it may.

    Adds to :func:`path_problem` what only the file system can tell: the
    resolved path (symbolic links followed) must stay inside *root*, and it
    must be a regular file (not a folder, device, pipe or socket). A missing
    file is not a problem here (the validator reports it separately).
    """
    reason = path_problem(path)
    if reason is not None:
        return reason
    try:
        fast = _plain_file(root, path)
        if fast is not None:
            return None if fast else "is not a regular file (a folder, device, pipe or socket); not read"
        real_root = os.path.realpath(root)
        real = os.path.realpath(os.path.join(real_root, path))
        if os.path.commonpath([real_root, real]) != real_root:
            return "resolves (through a symbolic link) to a file outside the package; not read"
        os.lstat(os.path.join(root, path))
        st = os.stat(real)
    except FileNotFoundError:
        return None  # reported as missing by the caller
    except (OSError, ValueError) as exc:
        return f"cannot be examined ({exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__})"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file (a folder, device, pipe or socket); not read"
    return None


def _plain_file(root: Path, path: str) -> bool | None:
    """Whether *path* (judged safe from its text) is a regular file, when no part of it under *root* is a link.

    With no symbolic link among its parts, the file resolves inside *root*
    whatever *root* itself resolves to, so one ``lstat`` per part answers
    what :func:`os.path.realpath` would; ``None`` when a part is a link (or
    is ``.`` or empty), for the caller to resolve the long way. Raises
    :class:`OSError` as ``lstat`` does.
    """
    parts = path.split("/")
    if "" in parts or "." in parts:
        return None
    where = os.fspath(root)
    mode = 0
    for part in parts:
        where = os.path.join(where, part)
        mode = os.lstat(where).st_mode
        if stat.S_ISLNK(mode):
            return None
    return stat.S_ISREG(mode)


def inside(destination: Path, relpath: str) -> Path:
    """The path of *relpath* inside *destination*, refusing one that would land outside it.

    Raises :class:`ValueError` naming the path when *relpath* is absolute,
    names ``..``, or would be written (through a symbolic link to a folder
    already in *destination*) outside it. A symbolic link in the last place is
    fine: writers replace the link, never write through it.

    Examples
    --------
    >>> from pathlib import Path
    >>> inside(Path("/tmp/out"), "csv/trials.csv")
    PosixPath('/tmp/out/csv/trials.csv')
    >>> inside(Path("/tmp/out"), "../victim.csv")
    Traceback (most recent call last):
    ...
    ValueError: '../victim.csv' would be written outside /tmp/out; refused
    """
    reason = path_problem(relpath)
    target = destination / relpath
    if reason is None:
        real_dest = os.path.realpath(destination)
        real = os.path.join(os.path.realpath(target.parent), target.name)
        if os.path.commonpath([real_dest, real]) != real_dest:
            reason = "outside"
    if reason is not None:
        msg = f"{shown(relpath)!r} would be written outside {destination}; refused"
        raise ValueError(msg)
    return target
