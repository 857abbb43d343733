"""Build the release: run the exporters, write ``SHA256SUMS``, move the result into place.

A release folder (``dist/`` by default) holds::

    SHA256SUMS                  sha256 of every other file, as `sha256sum -c` reads it
    croissant.json              Croissant 1.1 metadata
    k2data.jsonld               the records as linked data, and the Dataset with its downloads
    csv/datapackage.json        a Frictionless data package of the CSV files
    csv/<table>.csv
    parquet/<table>.parquet

Everything is written into a staging folder beside the target and moved into
place only when complete, so a failed build leaves the previous release as it
was. Two builds from the same data with the same pyarrow give identical bytes:
nothing depends on the clock, the locale or the order of a set.

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
from collections.abc import Iterable
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
    sha256_file,
    sort_order,
)

__all__ = [
    "BuildResult",
    "ReleaseError",
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


class ReleaseError(K2DataError):
    """The release cannot be built or written where asked."""


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


def write_registry(registry_dir: Path, version: str, files: dict[str, str]) -> Path:
    """Write (or refresh) ``<registry_dir>/<version>.txt``; return its path."""
    registry_dir.mkdir(parents=True, exist_ok=True)
    target = registry_dir / f"{version}.txt"
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=registry_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(registry_text(version, files))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _looks_like_release(folder: Path) -> bool:
    return not any(folder.iterdir()) or (folder / CHECKSUMS_FILE).is_file()


def _swap_in(new: Path, target: Path) -> None:
    """Put *new* (a file or folder) at *target*, replacing what is there only once *new* is complete."""
    if target.is_dir() and not target.is_symlink():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
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


def build(
    out: str | Path = "dist",
    *,
    datapackage: str | Path | None = None,
    check: bool = True,
    registry: str | Path | None = None,
) -> BuildResult:
    """Build the whole release into *out*, replacing its previous content.

    Parameters
    ----------
    out : str or Path, default ``"dist"``
        The release folder. It is replaced as a whole; an existing folder must
        be empty or a previous release (hold a ``SHA256SUMS``).
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
        If the data is invalid or *out* is a folder that is not a release.
    """
    pkg = _package(datapackage)
    target = Path(out)
    if target.exists() and (not target.is_dir() or not _looks_like_release(target)):
        msg = (
            f"{target}: refusing to replace it, it is not a k2data release folder (no {CHECKSUMS_FILE}); "
            "choose a new or empty folder with --out"
        )
        raise ReleaseError(msg)
    if check:
        _check_valid(pkg)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.build.", dir=target.parent))
    try:
        ctx = _stage(pkg, staging, FORMATS)
        release_assets(staging)
        write_checksums(staging)
        os.chmod(staging, 0o755)
        _swap_in(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result = BuildResult(out=target, files=dict(ctx.files))
    if registry is not None:
        result.registry = write_registry(Path(registry), pkg.version, ctx.files)
    return result


def export(formats: str | Iterable[str], out: str | Path, *, datapackage: str | Path | None = None) -> BuildResult:
    """Write the files of one format, several, or ``"all"`` into *out*, leaving other files alone.

    The metadata formats describe the data files by their sha256, so those are
    built too (in a scratch folder) even when not asked for: ``export("jsonld",
    ...)`` writes the same ``k2data.jsonld`` as a full build. ``"all"`` also
    writes ``SHA256SUMS``. An existing ``csv/`` or ``parquet/`` folder in *out*
    is replaced as a whole. The data is not validated first (``build`` does that).

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
        For an unknown format.

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
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    pkg = _package(datapackage)
    staging = Path(tempfile.mkdtemp(prefix=".k2data-export.", dir=target))
    try:
        ctx = _stage(pkg, staging, wanted)
        if formats == "all":
            write_checksums(staging)
        written = {rel: sha for rel, sha in ctx.files.items() if rel.split("/", 1)[0] in {ENTRIES[f] for f in wanted}}
        for fmt in wanted:
            _swap_in(staging / ENTRIES[fmt], target / ENTRIES[fmt])
        if formats == "all":
            _swap_in(staging / CHECKSUMS_FILE, target / CHECKSUMS_FILE)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildResult(out=target, files=written)
