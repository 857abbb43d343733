"""Filesystem transactions of the release: staged writes that never lose a user's file.

Nothing is written where the user will see it until every file is complete:

- a build writes the whole release into a hidden staging folder beside the
  target (``.<name>.build.*``) and swaps it in with two renames; the previous
  release stays in place until that moment. It replaces a folder only if that
  folder is empty or holds exactly the files its ``SHA256SUMS`` lists (a
  release k2data made): any other file is named and the build refuses, so a
  build never deletes what it did not make;
- an export writes into a hidden staging folder inside the output folder and
  moves each file into place, replacing only files of the same name; if a move
  fails, the files already moved are put back;
- every path is checked to stay inside its destination before anything is
  written, and nothing is written through a symbolic link;
- a staging folder left by an interrupted run (only a hard kill can leave one)
  is removed by the next run, which says so.

:class:`State` records how far a run got, so that a message after an
interrupt or a failure says truthfully what state the folder is in.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from .._package.paths import inside, shown
from ..errors import ReleaseError, ReleaseWriteError

__all__ = [
    "CHECKSUMS_FILE",
    "State",
    "absolute",
    "build_target",
    "check_ancestors",
    "clean_leftovers",
    "install",
    "listed_files",
    "make_dirs",
    "remove_dirs",
    "reports_interrupts",
    "staging_folder",
    "swap_in",
    "write_errors",
]

CHECKSUMS_FILE = "SHA256SUMS"
#: Names shown when a folder holds files that are not part of a release.
_SHOW = 5


@dataclass
class State:
    """How far a write got: ``unchanged`` (nothing the user sees has changed), ``installed`` (the new
    files are in place) or ``partial`` (an export's moves were under way and could not all be undone)."""

    target: Path
    phase: str = "unchanged"
    leftovers: list[Path] = field(default_factory=list)

    def describe(self) -> str:
        """What the folder holds now, for a message after an interrupt or a failure."""
        if self.phase == "installed":
            left = f"; a hidden staging folder may remain ({self.leftovers[0].name}), the next run removes it" if self.leftovers else ""
            return f"the new files were already installed in {self.target}{left}"
        if self.phase == "partial":
            return f"{self.target} may hold some new and some old files; run the command again"
        return f"{self.target} is as it was; no partial files were left"


def absolute(out: str | os.PathLike[str]) -> Path:
    """*out* made absolute without resolving symbolic links (``.`` gets a real name)."""
    return Path(os.path.abspath(os.fspath(out)))


def check_ancestors(target: Path, flag: str) -> None:
    """Refuse when the nearest existing ancestor of *target* is not a folder."""
    for parent in target.parents:
        if parent.is_dir():
            return
        if parent.exists() or parent.is_symlink():
            msg = f"{parent}: is a file, not a folder, so {target} cannot be created under it; choose another {flag}"
            raise ReleaseError(msg)


def make_dirs(folder: Path) -> list[Path]:
    """Create *folder* and its missing parents; return the folders created, outermost first."""
    missing = []
    p = folder
    while not p.is_dir():
        if p.exists() or p.is_symlink():
            msg = f"{p}: is a file, not a folder; cannot write {folder}"
            raise ReleaseError(msg)
        missing.append(p)
        if p.parent == p:  # pragma: no cover - the root always exists
            break
        p = p.parent
    created: list[Path] = []
    try:
        for d in reversed(missing):
            try:
                d.mkdir()
            except FileExistsError:
                if not d.is_dir():
                    raise
                continue  # made by someone else meanwhile: not ours to remove
            created.append(d)
    except BaseException:
        remove_dirs(created)
        raise
    return created


def remove_dirs(created: list[Path]) -> None:
    """Remove the folders *created* by :func:`make_dirs` again, innermost first, if they are empty."""
    for d in reversed(created):
        with suppress(OSError):
            d.rmdir()


@contextmanager
def reports_interrupts(state: State) -> Iterator[None]:
    """Let an interrupt carry the state the target is in (``exc.k2data_state``), for the command line to say."""
    try:
        yield
    except KeyboardInterrupt as exc:
        exc.k2data_state = state.describe()  # type: ignore[attr-defined]
        raise


@contextmanager
def staging_folder(state: State, parent: Path, prefix: str, created: list[Path]) -> Iterator[Path]:
    """A new hidden folder in *parent* to stage a write in, always removed afterwards.

    If the write fails before the target was touched, the folders in *created*
    (made for this write by :func:`make_dirs`; the list may grow inside the
    block) are removed too.
    """
    try:
        staging = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        try:
            yield staging
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        if state.phase == "unchanged":
            remove_dirs(created)
        raise


@contextmanager
def write_errors(state: State, what: str) -> Iterator[None]:
    """Turn an :class:`OSError` into a :class:`ReleaseWriteError` that says what state the target is in."""
    try:
        yield
    except ReleaseWriteError:
        raise
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        where = f": {shown(exc.filename)}" if exc.filename else ""
        msg = f"{state.target}: {what} failed ({reason}{where}); {state.describe()}"
        raise ReleaseWriteError(msg, exc) from exc


def listed_files(folder: Path) -> set[str]:
    """The paths a release folder's ``SHA256SUMS`` lists (empty if it has none or cannot be read)."""
    sums = folder / CHECKSUMS_FILE
    listed: set[str] = set()
    if sums.is_file() and not sums.is_symlink():
        with suppress(OSError, UnicodeDecodeError):
            for line in sums.read_text(encoding="utf-8").splitlines():
                _, sep, rel = line.partition("  ")
                if sep:
                    listed.add(rel)
    return listed


def _foreign_entries(folder: Path) -> list[str]:
    """Paths under *folder* that its ``SHA256SUMS`` does not list: a build must not delete them."""
    listed = listed_files(folder)
    dirs = {rel.rsplit("/", 1)[0] for rel in listed if "/" in rel}
    foreign = []
    for dirpath, dirnames, filenames in os.walk(folder):
        rel_dir = os.path.relpath(dirpath, folder).replace(os.sep, "/")
        prefix = "" if rel_dir == "." else f"{rel_dir}/"
        for d in sorted(dirnames):
            full = Path(dirpath) / d
            rel = prefix + d
            if full.is_symlink() or rel not in dirs:
                foreign.append(rel + "/")
        dirnames[:] = [d for d in dirnames if (prefix + d) in dirs and not (Path(dirpath) / d).is_symlink()]
        for f in sorted(filenames):
            rel = prefix + f
            full = Path(dirpath) / f
            if rel == CHECKSUMS_FILE and not full.is_symlink():
                continue
            if full.is_symlink() or not full.is_file() or rel not in listed:
                foreign.append(rel)
    return sorted(foreign)


def clean_leftovers(target: Path) -> list[Path]:
    """Remove staging folders an interrupted run left beside *target* (or, for an export, inside it)."""
    removed = []
    patterns = (f".{target.name}.build.", f".{target.name}.old.")
    candidates = [p for p in target.parent.iterdir() if p.name.startswith(patterns)] if target.parent.is_dir() else []
    if target.is_dir():
        candidates += [p for p in target.iterdir() if p.name.startswith(".k2data-export.")]
    for p in candidates:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
            if not p.exists():
                removed.append(p)
    return removed


def build_target(out: str | os.PathLike[str]) -> Path:
    """The absolute release folder a build will replace, after checking that doing so loses nothing."""
    target = absolute(out)
    if target.is_symlink():
        if not target.exists():
            msg = f"{target}: is a broken symbolic link; remove it or choose another --out"
            raise ReleaseError(msg)
        target = Path(os.path.realpath(target))  # build into what the link points at
    cwd = absolute(".")
    if target.parent == target or cwd == target or target in cwd.parents:
        msg = f"{target}: refusing to replace the current folder or one holding it; choose another --out"
        raise ReleaseError(msg)
    check_ancestors(target, "--out")
    if target.exists() or target.is_symlink():
        if not target.is_dir():
            msg = f"{target}: is a file, not a folder; choose another --out"
            raise ReleaseError(msg)
        if any(target.iterdir()):
            if not (target / CHECKSUMS_FILE).is_file():
                msg = (
                    f"{target}: refusing to replace it, it is not a k2data release folder (no {CHECKSUMS_FILE}); "
                    "choose a new or empty folder with --out"
                )
                raise ReleaseError(msg)
            foreign = _foreign_entries(target)
            if foreign:
                names = ", ".join(shown(f, 80) for f in foreign[:_SHOW])
                more = f" and {len(foreign) - _SHOW} more" if len(foreign) > _SHOW else ""
                msg = (
                    f"{target}: refusing to replace it, it holds files its {CHECKSUMS_FILE} does not list, which a "
                    f"build did not make ({names}{more}); move them elsewhere or choose another --out"
                )
                raise ReleaseError(msg)
    return target


def swap_in(new: Path, target: Path, state: State) -> None:
    """Put the folder *new* at *target*, replacing what is there only once *new* is complete."""
    if target.is_dir() and not target.is_symlink():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        try:
            os.replace(target, old / target.name)
            try:
                os.replace(new, target)
            except BaseException:
                os.replace(old / target.name, target)
                raise
            state.phase = "installed"
            state.leftovers.append(old)
        finally:
            shutil.rmtree(old, ignore_errors=True)
            if not old.exists() and old in state.leftovers:
                state.leftovers.remove(old)
    else:
        os.replace(new, target)
        state.phase = "installed"


def install(staging: Path, target: Path, paths: list[str], state: State) -> None:
    """Move each staged file to its place in *target*, all or none: on failure, undo the moves."""
    backup = staging / ".replaced"
    done: list[tuple[Path, Path | None]] = []
    created: list[Path] = []
    try:
        for rel in paths:
            dest = inside(target, rel)
            created += make_dirs(dest.parent)
            saved = None
            if dest.exists() or dest.is_symlink():
                saved = backup / rel
                saved.parent.mkdir(parents=True, exist_ok=True)
                os.replace(dest, saved)
            done.append((dest, saved))
            state.phase = "partial"
            os.replace(staging / rel, dest)
        state.phase = "installed"
    except BaseException:
        undone = True
        for dest, saved in reversed(done):
            try:
                if saved is None:
                    dest.unlink(missing_ok=True)
                else:
                    os.replace(saved, dest)
            except OSError:
                undone = False
        remove_dirs(created)
        if undone:
            state.phase = "unchanged"
        raise
