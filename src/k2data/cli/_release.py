"""`k2data export`, `build` and `fetch`: the release files and pinned versions."""

from __future__ import annotations

from pathlib import Path

import click

from .._package.paths import shown
from ..export import FORMATS
from . import _announce, _package_path, main

_DATAPACKAGE_HELP = "The package to release: a datapackage.json or its folder."


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*FORMATS, "all"]),
    default="all",
    show_default=True,
    help="Which release files to write: " + "; ".join(f"{f.name}: {f.summary}" for f in FORMATS.values()) + "; all: these and SHA256SUMS.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write into; only the exported files are added or replaced, nothing else in it is touched.",
)
@click.option("--datapackage", type=click.Path(path_type=Path), default=None, help=_DATAPACKAGE_HELP)
def export(fmt: str, out: Path, datapackage: Path | None) -> None:
    """Write the release files of one format (or all) into OUT.

    The files are the same bytes as those of `k2data build`.
    """
    from ..release import export as run

    path = _package_path(datapackage)
    _announce(path)
    result = run(fmt, out, datapackage=path)
    for p in result.cleaned:
        click.echo(f"removed {shown(p)}, left by an interrupted run", err=True)
    for relpath in result.files:
        click.echo(shown(out / relpath))


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The release folder (default: dist/ beside the descriptor); replaced as a whole once complete. It must be "
    "new, empty, or a previous release holding exactly what its SHA256SUMS lists.",
)
@click.option("--datapackage", type=click.Path(path_type=Path), default=None, help=_DATAPACKAGE_HELP)
@click.option(
    "--registry",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write this version's checksum registry file into this folder "
    "(default: src/k2data/registry beside the descriptor, when it exists).",
)
def build(out: Path | None, datapackage: Path | None, registry: Path | None) -> None:
    """Build the whole release, reproducibly: CSV, Parquet, Croissant, SQLite, the references, JSON-LD and SHA256SUMS.

    Validates the package first. Two builds of the same data give identical
    bytes (with the same pyarrow and SQLite versions). Exit 1 if the data is invalid.
    """
    from .._package import open_package
    from ..release import build as run
    from ..release import default_out

    path = _package_path(datapackage)
    _announce(path)
    pkg = open_package(path)
    target = out if out is not None else default_out(pkg)
    if registry is None and out is None:
        folder = pkg.root / "src" / "k2data" / "registry"
        registry = folder if folder.is_dir() else None
    result = run(target, datapackage=path, registry=registry)
    for p in result.cleaned:
        click.echo(f"removed {shown(p)}, left by an interrupted build", err=True)
    click.echo(f"built {len(result.files)} release files and SHA256SUMS in {shown(result.out)}")
    if result.registry is not None:
        click.echo(f"checksum registry: {shown(result.registry)}")


@main.command()
@click.option("--version", "version", required=True, help="The release to fetch, e.g. 0.1.0.")
@click.argument("tables", nargs=-1)
def fetch(version: str, tables: tuple[str, ...]) -> None:
    """Download the Parquet files of release VERSION (TABLES, default all) into the cache.

    The version bundled with k2data is written from the wheel, offline. Others
    are verified against the sha256 registry shipped with k2data; cached files
    are used offline. Prints each table and its cached path.
    K2DATA_RELEASE_URL (a mirror), K2DATA_CACHE_DIR and K2DATA_DOWNLOAD_TIMEOUT
    override where from, where to and how long.
    """
    from ..errors import UnknownTableError
    from ..fetch import fetch as run

    try:
        paths = run(version, tables or None)
    except UnknownTableError as exc:
        raise click.UsageError(str(exc)) from None
    except KeyboardInterrupt:
        raise click.ClickException(f"k2data {shown(version)}: download interrupted; nothing partial was cached") from None
    for name, path in paths.items():
        click.echo(f"{name}\t{shown(path)}")


