"""Build the release: run the exporters, write ``SHA256SUMS``, move the result into place.

A release folder (``dist/`` beside the descriptor by default) holds::

    SHA256SUMS                  sha256 of every other file, as `sha256sum -c` reads it
    croissant.json              Croissant 1.1 metadata
    k2data.jsonld               the records as linked data, and the Dataset with its downloads
    k2data.sqlite               every table in one SQLite database, with link tables, views and full-text search
    references.bib              the references as BibTeX, RIS and CSL-JSON
    references.ris
    references.csl.json
    csv/datapackage.json        a Frictionless data package of the CSV files
    csv/<table>.csv
    parquet/<table>.parquet

Two builds from the same data with the same pyarrow and SQLite give identical bytes:
nothing depends on the clock, the locale or the order of a set. How files are
written without ever losing a user's file is in :mod:`.transaction`; which
formats exist is :data:`k2data.export.FORMATS`; the checksum registry is
:mod:`k2data._registry`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .._files import sha256_file
from .._package import PackageSpec, open_package, open_with_issues
from .._registry import Entry, checkout_registry_dir, commit_registry, stage_registry
from ..errors import ReleaseError
from ..export import FORMATS, ExportContext, sort_order
from .transaction import (
    CHECKSUMS_FILE,
    State,
    absolute,
    build_target,
    check_ancestors,
    clean_leftovers,
    install,
    make_dirs,
    reports_interrupts,
    staging_folder,
    swap_in,
    write_errors,
)

__all__ = ["BuildResult", "build", "default_out", "export", "release_assets", "write_checksums"]


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
    cleaned : list of Path
        Staging folders of an interrupted earlier run that were removed.
    """

    out: Path
    files: dict[str, str] = field(default_factory=dict)
    registry: Path | None = None
    cleaned: list[Path] = field(default_factory=list)


def default_out(pkg: PackageSpec) -> Path:
    """Where a package's release goes when no folder is named: ``dist/`` beside its descriptor."""
    return pkg.root / "dist"


def _check_valid(pkg: PackageSpec) -> None:
    from ..validation import validate

    report = validate(pkg.path)
    if not report.valid:
        n = report.problem_count
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
        wanted.update(FORMATS[f].needs)
    return [f for f in FORMATS if f in wanted]


def _stage(pkg: PackageSpec, staging: Path, formats: Iterable[str]) -> ExportContext:
    from ..load import read_table

    frames = {}
    orders = {}
    for t in pkg.tables:
        df = read_table(t, pkg)
        orders[t.name] = sort_order(t, df)
        frames[t.name] = df.iloc[orders[t.name]].reset_index(drop=True)
    ctx = ExportContext(pkg=pkg, frames=frames, orders=orders, out=staging)
    for fmt in _closure(formats):
        FORMATS[fmt].writer()(ctx)
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


def _entries(ctx: ExportContext) -> dict[str, Entry]:
    return {rel: Entry(sha, ctx.size(rel)) for rel, sha in ctx.files.items()}


def build(
    out: str | Path | None = None,
    *,
    datapackage: str | Path | None = None,
    check: bool = True,
    registry: str | Path | None = None,
) -> BuildResult:
    """Build the whole release into *out*, replacing its previous content.

    The release is written into a staging folder beside *out* and swapped in
    only when complete (see :mod:`.transaction`): if anything fails, *out* is
    left as it was and nothing partial is left behind.

    Parameters
    ----------
    out : str or Path, optional
        The release folder; default ``dist/`` beside the descriptor. It is
        replaced as a whole, so an existing folder must be empty or hold exactly
        the files its ``SHA256SUMS`` lists. A symbolic link to a folder builds
        into that folder.
    datapackage : str or Path, optional
        The package to release (default: the bundled one).
    check : bool, default True
        Validate the package first and refuse to build invalid data.
    registry : str or Path, optional
        A folder to write the checksum registry file of this version into.
        The registry of a released version is never rewritten.

    Returns
    -------
    BuildResult

    Raises
    ------
    ReleaseError
        If the data is invalid or *out* is a folder that holds files a build
        did not make, is a file, or lies under a file.
    PublishedVersionError
        If the data differs from a released version's registry; nothing is written.
    ReleaseWriteError
        If writing fails (also an :class:`OSError`); the message says what state *out* is in.
    """
    pkg = open_package(datapackage)
    state = State(absolute(out if out is not None else default_out(pkg)))
    with reports_interrupts(state):
        with write_errors(state, "checking the release folder"):
            target = build_target(state.target)
            state.target = target
        if check:
            _check_valid(pkg)
        registry_dir = None if registry is None else absolute(registry)
        with write_errors(state, "building the release"):
            cleaned = clean_leftovers(target)
            created = make_dirs(target.parent)
            with staging_folder(state, target.parent, f".{target.name}.build.", created) as staging:
                ctx = _stage(pkg, staging, FORMATS)
                release_assets(staging)
                write_checksums(staging)
                os.chmod(staging, 0o755)
                entries = _entries(ctx)
                pending = None
                if registry_dir is not None:
                    check_ancestors(registry_dir, "--registry")
                    created += make_dirs(registry_dir)
                    pending = stage_registry(registry_dir, pkg.version, entries, current=pkg.version, root=pkg.root)
                try:
                    swap_in(staging, target, state)
                    if pending is not None:
                        commit_registry(*pending)
                finally:
                    if pending is not None:
                        pending[0].unlink(missing_ok=True)
            written = registry_dir / f"{pkg.version}.txt" if registry_dir is not None else None
    return BuildResult(out=target, files=dict(ctx.files), registry=written, cleaned=cleaned)


def checkout_registry(pkg: PackageSpec) -> Path | None:
    """The registry folder to refresh when building *pkg*'s own ``dist/`` in a development checkout."""
    folder = pkg.root / "src" / "k2data" / "registry"
    if folder.is_dir():
        return folder
    return checkout_registry_dir() if pkg.bundled else None


def _export_paths(pkg: PackageSpec, wanted: list[str], with_checksums: bool) -> list[str]:
    paths = [rel for fmt in wanted for rel in FORMATS[fmt].files(pkg)]
    return [*paths, CHECKSUMS_FILE] if with_checksums else paths


def _check_export_paths(target: Path, paths: list[str]) -> None:
    """Refuse before writing anything when a file of the export cannot go where it belongs."""
    from .._package.paths import inside

    if target.exists() or target.is_symlink():
        if not target.is_dir():
            msg = f"{target}: is a file, not a folder; choose another --out"
            raise ReleaseError(msg)
    else:
        check_ancestors(target, "--out")
    for rel in paths:
        if target.exists():
            _check_export_place(target, rel)
        try:
            inside(target, rel)
        except ValueError as exc:
            raise ReleaseError(str(exc)) from None


def _check_export_place(target: Path, rel: str) -> None:
    """Refuse a file of the export whose folder is a link or a file, or whose place is a folder."""
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


def export(formats: str | Iterable[str], out: str | Path, *, datapackage: str | Path | None = None) -> BuildResult:
    """Write the files of one format, several, or ``"all"`` into *out*, leaving other files alone.

    The metadata formats describe the data files by their sha256, so those are
    built too (in a scratch folder) even when not asked for: ``export("jsonld",
    ...)`` writes the same ``k2data.jsonld`` as a full build. ``"all"`` also
    writes ``SHA256SUMS``. The data is not validated first (``build`` does
    that), but every file is read only from inside the package and written only
    inside *out*.

    Parameters
    ----------
    formats : str or iterable of str
        A name of :data:`k2data.export.FORMATS`, a list of them, or ``"all"``.
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
        If writing fails (also an :class:`OSError`); the message says what state *out* is in.

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
    pkg, issues = open_with_issues(datapackage)
    if issues:
        where = issues[0].where
        msg = (
            f"{pkg.path}: the descriptor has {len(issues)} problem(s), the first at {where}: {issues[0].message}; "
            f"run `k2data validate {pkg.path}`"
        )
        raise ReleaseError(msg)
    state = State(absolute(out))
    target = state.target
    paths = _export_paths(pkg, wanted, with_checksums=formats == "all")
    with reports_interrupts(state):
        with write_errors(state, "checking the output folder"):
            _check_export_paths(target, paths)
        with write_errors(state, "writing the export"):
            cleaned = clean_leftovers(target) if target.is_dir() else []
            created = make_dirs(target)
            with staging_folder(state, target, ".k2data-export.", created) as staging:
                ctx = _stage(pkg, staging, wanted)
                if formats == "all":
                    write_checksums(staging)
                written = {rel: sha for rel, sha in ctx.files.items() if rel in paths}
                install(staging, target, paths, state)
    return BuildResult(out=Path(out), files=written, cleaned=cleaned)
