"""Build the release: run the exporters, write ``SHA256SUMS``, move the result into place.

A release folder (``dist/`` by default) holds::

    SHA256SUMS                  sha256 of every other file, as `sha256sum -c` reads it
    croissant.json              Croissant 1.1 metadata
    k2data.jsonld               the records as linked data, and the Dataset with its downloads
    csv/datapackage.json        a Frictionless data package of the CSV files
    csv/<table>.csv
    parquet/<table>.parquet

Two builds from the same data with the same pyarrow give identical bytes:
nothing depends on the clock, the locale or the order of a set.

Safe writes
-----------
Nothing is written where the user will see it until every file is complete:

- :func:`build` writes the whole release into a hidden staging folder beside
  the target (``.dist.build.*``) and then swaps it in with two renames; the
  previous release stays in place until that moment. It refuses to replace
  a folder that is not a release (no ``SHA256SUMS``) or that holds anything
  a release does not (a user's notes, a wheel, a ``.git``): those files are
  never deleted, the build stops and names them.
- :func:`export` writes into a hidden staging folder inside the output folder
  and then moves each file into place, replacing only the files of the same
  name. Files it does not write are never touched, also inside ``csv/`` and
  ``parquet/``. If a move fails, the files already moved are put back.
- On any failure (an exception, a full disk, ``KeyboardInterrupt``) the
  staging folder and any folder the call created are removed, and the output
  folder is as it was. An :class:`OSError` comes back as a
  :class:`ReleaseWriteError`, which is both a :class:`ReleaseError` and an
  :class:`OSError` (same ``errno``), with a message naming the output folder.
- Nothing is ever written through a symbolic link inside the output folder,
  nor outside the output folder except the staging folder of :func:`build`.

Only a hard kill (``SIGKILL``, power loss) can leave a hidden staging folder
behind; a kill during the final renames of :func:`export` (a few
microseconds) can leave some files new and others old.

The checksum registry
---------------------
:mod:`k2data.fetch` verifies downloads against ``k2data/registry/<version>.txt``
(pooch's registry format: ``<file name> <sha256>`` per line), shipped in the
package. Building the checkout's own ``dist/`` (``k2data build`` run in a
development checkout) also writes the registry file of the current version,
so a wheel built after it knows the hashes of its own release and of every
earlier one (their files stay in git). ``build(registry=...)`` /
``k2data build --registry DIR`` writes it elsewhere.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from ._descriptor import PackageSpec
from .errors import K2DataError
from .export import (
    CHECKSUMS_FILE,
    CROISSANT_FILE,
    CSV_DIR,
    FORMATS,
    JSONLD_FILE,
    PARQUET_DIR,
    ExportContext,
    csv_relpath,
    parquet_relpath,
    sha256_file,
    sort_order,
)

__all__ = [
    "BuildResult",
    "ReleaseError",
    "ReleaseWriteError",
    "build",
    "checkout_registry_dir",
    "checkout_root",
    "export",
    "registry_text",
    "release_assets",
    "write_checksums",
    "write_registry",
]

#: What each format needs written before it (its metadata describes those files).
NEEDS: dict[str, tuple[str, ...]] = {
    "csv": (),
    "parquet": (),
    "croissant": ("csv", "parquet"),
    "jsonld": ("csv", "parquet", "croissant"),
}

#: The top-level entries of a release folder that each format owns.
ENTRIES: dict[str, str] = {"csv": CSV_DIR, "parquet": PARQUET_DIR, "croissant": CROISSANT_FILE, "jsonld": JSONLD_FILE}

#: Names shown when a folder holds files that are not part of a release.
_SHOW = 5


class ReleaseError(K2DataError):
    """The release cannot be built or written where asked."""


class ReleaseWriteError(ReleaseError, OSError):
    """Writing the release failed (a full disk, no permission...); nothing was left half-written.

    Also an :class:`OSError` with the ``errno``, ``strerror`` and ``filename``
    of the error that stopped the write, so ``except OSError`` still works.
    """

    def __init__(self, message: str, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror or str(cause), cause.filename)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass
class BuildResult:
    """What a build or an export wrote.

    Attributes
    ----------
    out : Path
        The release folder.
    files : dict of str to str
        ``{path relative to out: sha256}`` of every file written, ``SHA256SUMS`` excluded.
    registry : Path or None
        The registry file written, if any.
    """

    out: Path
    files: dict[str, str] = field(default_factory=dict)
    registry: Path | None = None


def checkout_root() -> Path | None:
    """The root of the development checkout k2data runs from, or ``None`` for an installed wheel."""
    pkg_dir = Path(__file__).resolve().parent
    root = pkg_dir.parents[1]
    if pkg_dir.parent.name == "src" and (root / "pyproject.toml").is_file() and (root / "datapackage.json").is_file():
        return root
    return None


def checkout_registry_dir() -> Path | None:
    """The checksum registry folder of the development checkout, or ``None`` outside one."""
    root = checkout_root()
    return None if root is None else root / "src" / "k2data" / "registry"


def _package(datapackage: str | Path | None) -> PackageSpec:
    from .load import package_spec

    return package_spec(datapackage)


def _check_valid(pkg: PackageSpec) -> None:
    from .validate import validate

    report = validate(pkg.path)
    if not report.valid:
        n = len(report.problems)
        msg = (
            f"{pkg.path}: the data package is not valid ({n} problem{'s' if n != 1 else ''}); "
            f"run `k2data validate {pkg.path}` and fix them before building a release"
        )
        raise ReleaseError(msg)


def _closure(formats: Iterable[str]) -> list[str]:
    wanted = set(formats)
    unknown = wanted - set(FORMATS)
    if unknown:
        msg = f"unknown export format(s) {', '.join(sorted(unknown))}; choose from {', '.join(FORMATS)}, all"
        raise ReleaseError(msg)
    for f in list(wanted):
        wanted.update(NEEDS[f])
    return [f for f in FORMATS if f in wanted]


def _stage(pkg: PackageSpec, staging: Path, formats: Iterable[str]) -> ExportContext:
    from importlib import import_module

    from .load import read_table

    base = pkg.path.parent
    frames = {}
    orders = {}
    for t in pkg.tables:
        df = read_table(t, base)
        orders[t.name] = sort_order(t, df)
        frames[t.name] = df.iloc[orders[t.name]].reset_index(drop=True)
    ctx = ExportContext(pkg=pkg, frames=frames, orders=orders, out=staging)
    for fmt in _closure(formats):
        import_module(f".export.{fmt}", __package__).write(ctx)
    return ctx


def write_checksums(folder: Path) -> Path:
    """Write ``SHA256SUMS`` over every file below *folder* (sorted by path); return its path."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != CHECKSUMS_FILE):
        rel = path.relative_to(folder).as_posix()
        lines.append(f"{sha256_file(path)}  {rel}\n")
    target = folder / CHECKSUMS_FILE
    with open(target, "w", encoding="utf-8", newline="\n") as fh:
        fh.writelines(lines)
    return target


def release_assets(folder: Path) -> dict[str, Path]:
    """The files of a release folder by the flat name they are published under (their file name).

    Raises :class:`ReleaseError` if two files share a name, which would make
    the flat release ambiguous.
    """
    assets: dict[str, Path] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.name in assets:
            msg = f"{path}: file name also used by {assets[path.name]}; release file names must be unique"
            raise ReleaseError(msg)
        assets[path.name] = path
    return assets


def registry_text(version: str, files: dict[str, str]) -> str:
    """The registry file of *version*: one ``<file name> <sha256>`` line per Parquet file, in table order."""
    lines = [f"# k2data {version}: sha256 of the release's Parquet files. Written by `k2data build`; do not edit.\n"]
    for rel in files:
        if rel.startswith(f"{PARQUET_DIR}/"):
            lines.append(f"{rel.rsplit('/', 1)[-1]} {files[rel]}\n")
    return "".join(lines)


def _stage_registry(registry_dir: Path, version: str, files: dict[str, str]) -> tuple[Path, Path]:
    """Write the registry of *version* into a temporary file beside its place; return (temporary, final)."""
    registry_dir.mkdir(parents=True, exist_ok=True)
    target = registry_dir / f"{version}.txt"
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=registry_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(registry_text(version, files))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp), target


def write_registry(registry_dir: Path, version: str, files: dict[str, str]) -> Path:
    """Write (or refresh) ``<registry_dir>/<version>.txt``; return its path."""
    tmp, target = _stage_registry(Path(registry_dir), version, files)
    try:
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


# --- where a release may be written ----------------------------------------------------------


def _absolute(out: str | Path) -> Path:
    """*out* made absolute without resolving symbolic links (``.`` gets a real name)."""
    return Path(os.path.abspath(os.fspath(out)))


def _check_ancestors(target: Path, flag: str) -> None:
    """Refuse when the nearest existing ancestor of *target* is not a folder."""
    for parent in target.parents:
        if parent.is_dir():
            return
        if parent.exists() or parent.is_symlink():
            msg = f"{parent}: is a file, not a folder, so {target} cannot be created under it; choose another {flag}"
            raise ReleaseError(msg)


def _make_dirs(folder: Path) -> list[Path]:
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
        _remove_dirs(created)
        raise
    return created


def _remove_dirs(created: list[Path]) -> None:
    """Remove the folders *created* by :func:`_make_dirs` again, innermost first, if they are empty."""
    for d in reversed(created):
        with suppress(OSError):
            d.rmdir()


@contextmanager
def _write_errors(target: Path, what: str) -> Iterator[None]:
    """Turn an :class:`OSError` into a :class:`ReleaseWriteError` that names *target*."""
    try:
        yield
    except ReleaseWriteError:
        raise
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        where = f": {exc.filename}" if exc.filename else ""
        msg = f"{target}: {what} failed ({reason}{where}); nothing was changed and no partial files were left"
        raise ReleaseWriteError(msg, exc) from exc


def _release_entry(rel: str, listed: set[str]) -> bool:
    """Whether *rel* (a path inside a release folder) is something a build writes or wrote."""
    if rel in listed:
        return True
    head, _, tail = rel.partition("/")
    if not tail:
        return rel in (CHECKSUMS_FILE, CROISSANT_FILE, JSONLD_FILE)
    if "/" in tail:
        return False
    if head == CSV_DIR:
        return tail.endswith(".csv") or tail == "datapackage.json"
    return head == PARQUET_DIR and tail.endswith(".parquet")


def _foreign_entries(folder: Path) -> list[str]:
    """Paths (relative to *folder*) that a release would not hold: they must not be deleted by a build."""
    listed: set[str] = set()
    sums = folder / CHECKSUMS_FILE
    if sums.is_file() and not sums.is_symlink():
        with suppress(OSError, UnicodeDecodeError):
            for line in sums.read_text(encoding="utf-8").splitlines():
                _, sep, rel = line.partition("  ")
                if sep:
                    listed.add(rel)
    foreign = []
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and not entry.is_symlink() and entry.name in (CSV_DIR, PARQUET_DIR):
            for sub in sorted(entry.iterdir()):
                rel = f"{entry.name}/{sub.name}"
                if sub.is_symlink() or not sub.is_file() or not _release_entry(rel, listed):
                    foreign.append(rel + ("/" if sub.is_dir() and not sub.is_symlink() else ""))
        elif entry.is_symlink() or not entry.is_file() or not _release_entry(entry.name, listed):
            foreign.append(entry.name + ("/" if entry.is_dir() and not entry.is_symlink() else ""))
    return foreign


def _build_target(out: str | Path) -> Path:
    """The absolute release folder a build will replace, after checking that doing so loses nothing."""
    target = _absolute(out)
    if target.is_symlink():
        if not target.exists():
            msg = f"{target}: is a broken symbolic link; remove it or choose another --out"
            raise ReleaseError(msg)
        target = Path(os.path.realpath(target))  # build into what the link points at
    cwd = _absolute(".")
    if target.parent == target or cwd == target or target in cwd.parents:
        msg = f"{target}: refusing to replace the current folder or one holding it; choose another --out"
        raise ReleaseError(msg)
    _check_ancestors(target, "--out")
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
                shown = ", ".join(foreign[:_SHOW]) + (f" and {len(foreign) - _SHOW} more" if len(foreign) > _SHOW else "")
                msg = (
                    f"{target}: refusing to replace it, it holds files that are not part of a k2data release "
                    f"({shown}); move them elsewhere or choose another --out"
                )
                raise ReleaseError(msg)
    return target


def _swap_in(new: Path, target: Path) -> None:
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
        finally:
            shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)


def _commit_registry(target: Path, tmp: Path, final: Path) -> None:
    """Move the staged registry file into place, after the release is."""
    try:
        os.replace(tmp, final)
    except OSError as exc:
        msg = (
            f"{target}: the release was written, but its checksum registry {final} could not be "
            f"({exc.strerror or exc}); run the build again"
        )
        raise ReleaseWriteError(msg, exc) from exc


def build(
    out: str | Path = "dist",
    *,
    datapackage: str | Path | None = None,
    check: bool = True,
    registry: str | Path | None = None,
) -> BuildResult:
    """Build the whole release into *out*, replacing its previous content.

    The release is written into a staging folder beside *out* and swapped in
    only when complete (see the module docstring): if anything fails, *out*
    is left as it was and nothing partial is left behind.

    Parameters
    ----------
    out : str or Path, default ``"dist"``
        The release folder. It is replaced as a whole, so an existing folder
        must be empty or a previous release: hold a ``SHA256SUMS`` and nothing
        a release does not hold. A symbolic link to a folder builds into that folder.
    datapackage : str or Path, optional
        The package to release (default: the bundled one).
    check : bool, default True
        Validate the package first and refuse to build invalid data.
    registry : str or Path, optional
        A folder to write the checksum registry file of this version into.

    Returns
    -------
    BuildResult

    Raises
    ------
    ReleaseError
        If the data is invalid or *out* is a folder that is not a release, holds
        other files, is a file, or lies under a file.
    ReleaseWriteError
        If writing fails (also an :class:`OSError`); *out* is unchanged.
    """
    pkg = _package(datapackage)
    with _write_errors(_absolute(out), "checking the release folder"):
        target = _build_target(out)
    if check:
        _check_valid(pkg)
    registry_dir = None if registry is None else _absolute(registry)
    with _write_errors(target, "building the release"):
        created = _make_dirs(target.parent)
        try:
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.build.", dir=target.parent))
            try:
                ctx = _stage(pkg, staging, FORMATS)
                release_assets(staging)
                write_checksums(staging)
                os.chmod(staging, 0o755)
                pending = None
                if registry_dir is not None:
                    created += _make_dirs(registry_dir)
                    pending = _stage_registry(registry_dir, pkg.version, ctx.files)
                try:
                    _swap_in(staging, target)
                    if pending is not None:
                        _commit_registry(target, *pending)
                finally:
                    if pending is not None:
                        pending[0].unlink(missing_ok=True)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        except BaseException:
            _remove_dirs(created)
            raise
    result = BuildResult(out=Path(out), files=dict(ctx.files))
    if pending is not None:
        result.registry = pending[1]
    return result


# --- export: add or replace release files in a folder of the user's ----------------------------


def _export_paths(pkg: PackageSpec, wanted: list[str], with_checksums: bool) -> list[str]:
    """The paths (relative to the output folder) an export of *wanted* writes."""
    paths: list[str] = []
    for fmt in wanted:
        if fmt == "csv":
            paths += [csv_relpath(t) for t in pkg.table_names] + [f"{CSV_DIR}/datapackage.json"]
        elif fmt == "parquet":
            paths += [parquet_relpath(t) for t in pkg.table_names]
        else:
            paths.append(ENTRIES[fmt])
    return [*paths, CHECKSUMS_FILE] if with_checksums else paths


def _check_export_paths(target: Path, paths: list[str]) -> None:
    """Refuse before writing anything when a file of the export cannot go where it belongs."""
    if target.exists() or target.is_symlink():
        if not target.is_dir():
            msg = f"{target}: is a file, not a folder; choose another --out"
            raise ReleaseError(msg)
    else:
        _check_ancestors(target, "--out")
        return
    for rel in paths:
        parts = rel.split("/")
        for i in range(1, len(parts)):
            folder = target.joinpath(*parts[:i])
            if folder.is_symlink():
                msg = f"{folder}: is a symbolic link; k2data export writes only inside {target}, so move it away"
                raise ReleaseError(msg)
            if folder.exists() and not folder.is_dir():
                msg = f"{folder}: is a file where export needs the folder {'/'.join(parts[:i])}/; move it away"
                raise ReleaseError(msg)
        dest = target / rel
        if dest.is_dir() and not dest.is_symlink():
            msg = f"{dest}: is a folder where export writes the file {rel}; move it away"
            raise ReleaseError(msg)


def _install(staging: Path, target: Path, paths: list[str]) -> None:
    """Move each staged file to its place in *target*, all or none: on failure, undo the moves."""
    backup = staging / ".replaced"
    done: list[tuple[Path, Path | None]] = []
    created: list[Path] = []
    try:
        for rel in paths:
            dest = target / rel
            created += _make_dirs(dest.parent)
            saved = None
            if dest.exists() or dest.is_symlink():
                saved = backup / rel
                saved.parent.mkdir(parents=True, exist_ok=True)
                os.replace(dest, saved)
            done.append((dest, saved))
            os.replace(staging / rel, dest)
    except BaseException:
        for dest, saved in reversed(done):
            with suppress(OSError):
                if saved is None:
                    dest.unlink(missing_ok=True)
                else:
                    os.replace(saved, dest)
        _remove_dirs(created)
        raise


def export(formats: str | Iterable[str], out: str | Path, *, datapackage: str | Path | None = None) -> BuildResult:
    """Write the files of one format, several, or ``"all"`` into *out*, leaving other files alone.

    The metadata formats describe the data files by their sha256, so those are
    built too (in a scratch folder) even when not asked for: ``export("jsonld",
    ...)`` writes the same ``k2data.jsonld`` as a full build. ``"all"`` also
    writes ``SHA256SUMS``. The data is not validated first (``build`` does that).

    Only the files of the export are added or replaced: anything else in *out*
    stays, also inside ``csv/`` and ``parquet/`` (use :func:`build` for a clean
    release folder). Everything is written into a hidden staging folder in
    *out* first and moved into place only when complete; if anything fails,
    the files already moved are put back, so *out* is left as it was.

    Parameters
    ----------
    formats : str or iterable of str
        ``"csv"``, ``"parquet"``, ``"croissant"``, ``"jsonld"``, a list of them, or ``"all"``.
    out : str or Path
        The folder to write into (created if missing).
    datapackage : str or Path, optional
        The package to export (default: the bundled one).

    Returns
    -------
    BuildResult
        ``files`` lists the files written into *out* (``SHA256SUMS`` excluded).

    Raises
    ------
    ReleaseError
        For an unknown format, or when a file of the export cannot go where it
        belongs (*out* or a folder it needs is a file or a symbolic link, or a
        folder has the name of a file the export writes).
    ReleaseWriteError
        If writing fails (also an :class:`OSError`); *out* is unchanged.

    Examples
    --------
    >>> import tempfile
    >>> from k2data.release import export
    >>> with tempfile.TemporaryDirectory() as out:
    ...     sorted(export("croissant", out).files)
    ['croissant.json']
    """
    asked = list(FORMATS) if formats == "all" else [formats] if isinstance(formats, str) else list(formats)
    _closure(asked)  # refuses unknown formats
    wanted = [f for f in FORMATS if f in asked]
    target = _absolute(out)
    pkg = _package(datapackage)
    paths = _export_paths(pkg, wanted, with_checksums=formats == "all")
    with _write_errors(target, "checking the output folder"):
        _check_export_paths(target, paths)
    with _write_errors(target, "writing the export"):
        created = _make_dirs(target)
        try:
            staging = Path(tempfile.mkdtemp(prefix=".k2data-export.", dir=target))
            try:
                ctx = _stage(pkg, staging, wanted)
                if formats == "all":
                    write_checksums(staging)
                written = {rel: sha for rel, sha in ctx.files.items() if rel in paths}
                if set(written) | {CHECKSUMS_FILE} != set(paths) | {CHECKSUMS_FILE}:  # pragma: no cover
                    msg = f"internal error: the export wrote {sorted(written)}, expected {sorted(paths)}"
                    raise ReleaseError(msg)
                _install(staging, target, paths)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        except BaseException:
            _remove_dirs(created)
            raise
    return BuildResult(out=Path(out), files=written)
