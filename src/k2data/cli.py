"""The ``k2data`` command line. Nothing imports this module; it imports the rest.

Exit status: 0 success, 1 invalid data or a failed check, 2 usage error.

Which package a command acts on is the same rule for every command: an
explicit path wins; otherwise a ``datapackage.json`` in the current folder or
the nearest one above it (the way git finds its repository); otherwise the
copy bundled with k2data. The first line a command writes (to stderr) names
the package it uses.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from ._package.paths import shown
from .errors import K2DataError
from .export import FORMATS


class _Group(click.Group):
    """Turns k2data's own errors into one-line messages, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except K2DataError as exc:
            raise click.ClickException(shown(str(exc), 4000)) from None
        except OSError as exc:
            where = shown(exc.filename, 400) if exc.filename else ""
            raise click.ClickException(f"{where}: {exc.strerror or exc}".lstrip(": ")) from None
        except KeyboardInterrupt as exc:
            state = getattr(exc, "k2data_state", None)
            raise click.ClickException(f"interrupted; {state}" if state else "interrupted") from None
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("K2DATA_DEBUG"):
                raise
            msg = f"internal error ({type(exc).__name__}: {shown(exc, 400)}); set K2DATA_DEBUG=1 for details and please report it"
            raise click.ClickException(msg) from None


def _package_path(given: Path | None) -> Path | None:
    """The descriptor a command acts on: *given*, else one found from the current folder up, else ``None`` (bundled)."""
    from ._package import descriptor_path, discover

    if given is not None:
        return descriptor_path(given)
    return discover()


def _announce(path: Path | None) -> None:
    """Say which package the command uses (first line, on stderr)."""
    from ._package import bundled_descriptor_path

    if path is None:
        click.echo(f"k2data: using the package bundled with k2data ({shown(bundled_descriptor_path())})", err=True)
    else:
        click.echo(f"k2data: using {shown(path)}", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="k2data", prog_name="k2data")
def main() -> None:
    """k2data: the evidence on vitamin K2 and cancer, checked claim by claim.

    Educational material, not medical advice.

    Commands that read a package act on the one given, else on the
    datapackage.json in this folder or the nearest one above it, else on the
    copy bundled with k2data.
    """


def _limit_options(f: object) -> object:
    from .validation.limits import FLAGS, Limits

    defaults = Limits()
    helps = {
        "max_columns": "Columns per table before a table is refused.",
        "max_cell_bytes": "Bytes in one cell before it is refused.",
        "max_file_bytes": "Bytes in one data file before it is refused.",
        "max_rows": "Rows in one table before it is refused.",
        "stop_after": "Problems found in one package before validation stops.",
    }
    for attr in reversed(list(FLAGS)):
        f = click.option(
            FLAGS[attr], attr, type=click.IntRange(min=1), default=getattr(defaults, attr), show_default=True, help=helps[attr]
        )(f)
    return f


@main.command()
@click.argument("datapackages", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text for people, json for machines, github for GitHub Actions annotations.",
)
@click.option(
    "--max-problems",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="List at most this many problems per package; the rest are counted.",
)
@_limit_options
def validate(datapackages: tuple[Path, ...], fmt: str, max_problems: int, **limits: int) -> None:
    """Validate DATAPACKAGES (datapackage.json files or folders holding one).

    Reports every problem with file, row number as in the file, field, value
    and message, sorted by file and row. Exit 0 if every package is valid,
    1 if any is not. k2data reads only regular files inside each package's
    folder and never fetches anything.
    """
    from .validation import Limits, Problem, ValidationReport
    from .validation import validate as run

    for p in datapackages:
        if not os.path.lexists(p):
            raise click.UsageError(f"{shown(p)}: no such file or folder")
    targets: list[Path | None] = [_package_path(p) for p in datapackages] or [_package_path(None)]
    for t in targets:
        _announce(t)
    bounds = Limits(**limits)
    reports = []
    for t in targets:
        try:
            reports.append(run(t, max_problems=max_problems, limits=bounds))
        except Exception as exc:  # never lose the other packages' reports
            name = str(t) if t is not None else "datapackage.json"
            text = f"k2data could not check this package ({type(exc).__name__}); please report it"
            reports.append(ValidationReport(name, [Problem.make(Path(name).name, None, None, None, text, "internal-error")]))
    if fmt == "json":
        data = reports[0].to_dict() if len(reports) == 1 else {
            "valid": all(r.valid for r in reports),
            "reports": [r.to_dict() for r in reports],
        }
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        for target, report in zip(targets, reports, strict=True):
            if fmt == "github":
                root = os.path.relpath(target.parent) if target is not None else ""
                click.echo(report.to_github(root if not root.startswith("..") else ""))
            else:
                click.echo(report.to_text())
        if len(reports) > 1:
            bad = [r.datapackage for r in reports if not r.valid]
            line = f"{len(reports) - len(bad)} of {len(reports)} package(s) valid" + (f"; invalid: {', '.join(bad)}" if bad else "")
            click.echo(line.replace("\n", " ").replace("\r", " "))
    sys.exit(0 if all(r.valid for r in reports) else 1)


@main.command()
@click.argument("table")
@click.option("--datapackage", type=click.Path(path_type=Path), default=None, help="A datapackage.json or its folder.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def describe(table: str, datapackage: Path | None, fmt: str) -> None:
    """Describe the fields of TABLE: type, unit, allowed values, links, description."""
    import shutil

    from ._package import open_package
    from .describe import field_rows
    from .docgen.terminal import describe_text

    path = _package_path(datapackage)
    _announce(path)
    pkg = open_package(path)
    try:
        spec = pkg.table(table)
    except K2DataError as exc:
        raise click.UsageError(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(field_rows(spec), indent=2, ensure_ascii=False))
        return
    width = min(max(shutil.get_terminal_size((100, 24)).columns, 60), 120)
    click.echo(describe_text(table, width=width, pkg=pkg))


@main.command()
@click.option("--datapackage", type=click.Path(path_type=Path), default=None, help="A datapackage.json or its folder.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def info(datapackage: Path | None, fmt: str) -> None:
    """Show the version, tables with row counts, licence and how to cite."""
    from .describe import info as package_info

    path = _package_path(datapackage)
    _announce(path)
    facts = package_info(path)
    if fmt == "json":
        click.echo(json.dumps(facts, indent=2, ensure_ascii=False))
        return
    click.echo(f"{facts['title']}")
    click.echo(f"version: {facts['version']}")
    click.echo(f"licence: {', '.join(facts['licenses'])}")
    click.echo("tables:")
    for name, rows in facts["tables"].items():
        click.echo(f"  {name:<18} {rows:>5} rows")
    click.echo(f"cite as: {facts['citation']}")
    click.echo(facts["disclaimer"])


@main.command()
@click.argument("datapackage", required=False, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the data dictionary (Markdown) here.")
@click.option(
    "--readme",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also refresh the table list between <!-- tables:start --> and <!-- tables:end --> in this file.",
)
@click.option("--citation", type=click.Path(dir_okay=False, path_type=Path), help="Also write CITATION.cff here.")
@click.option("--zenodo", type=click.Path(dir_okay=False, path_type=Path), help="Also write .zenodo.json here.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if a file given is not up to date.")
def dictionary(
    datapackage: Path | None, out: Path | None, readme: Path | None, citation: Path | None, zenodo: Path | None, check: bool
) -> None:
    """Generate the data dictionary and the other documents of DATAPACKAGE from its descriptor.

    Without a file option it prints the Markdown. In CI:
    k2data dictionary datapackage.json --out docs/data-dictionary.md --readme README.md --citation CITATION.cff --zenodo .zenodo.json --check
    """
    from ._package import open_package
    from .docgen import data_dictionary, generate

    path = _package_path(datapackage)
    _announce(path)
    pkg = open_package(path)
    chosen = {name: p for name, p in (("dictionary", out), ("readme", readme), ("citation", citation), ("zenodo", zenodo)) if p}
    if check and not chosen:
        raise click.UsageError("--check needs --out, --readme, --citation or --zenodo: the files to compare")
    if readme is not None and not readme.is_file():
        raise click.UsageError(f"{shown(readme)}: no such file")
    if not chosen:
        click.echo(data_dictionary(pkg=pkg), nl=False)
        return
    outcomes = generate.plan(pkg, chosen, only_existing=False)
    for o in outcomes:
        if o.skipped is not None and o.target.spliced:
            raise click.UsageError(f"{shown(o.path)}: {o.skipped}")
    stale = [o for o in outcomes if o.stale or (o.text is None and o.skipped)]
    if check:
        if stale:
            names = ", ".join(str(o.path) for o in stale)
            click.echo(f"out of date: {names}; regenerate them with the same command without --check", err=True)
            sys.exit(1)
        click.echo(f"up to date: {', '.join(str(o.path) for o in outcomes)}")
        return
    written = generate.write(outcomes)
    click.echo(f"updated: {', '.join(str(o.path) for o in written)}" if written else "already up to date")


@main.group()
def plot() -> None:
    """Draw the evidence figures as PNG or SVG (needs matplotlib: pip install "k2data[plot]")."""


def _plot_command(name: str, draw: str, summary: str) -> None:
    @plot.command(name, help=f"{summary}\n\nDATAPACKAGE: a datapackage.json or its folder.")
    @click.argument("datapackage", required=False, type=click.Path(path_type=Path))
    @click.option(
        "--out",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Image file to write; .png or .svg picks the format.",
    )
    def command(datapackage: Path | None, out: Path) -> None:
        if out.suffix.lower() not in (".png", ".svg"):
            raise click.UsageError(f"--out {shown(out)}: use a .png or .svg file name; the extension picks the format")
        from . import plot as plots

        path = _package_path(datapackage)
        _announce(path)
        fig = getattr(plots, draw)(datapackage=path)
        plots.save(fig, out)
        click.echo(f"wrote {shown(out)}")


_plot_command(
    "forest",
    "forest",
    "Forest plot of the effect estimates of trials and cohorts between groups, grouped by endpoint, oriented so "
    "that values left of 1 favour vitamin K.",
)
_plot_command(
    "evidence-map",
    "evidence_map",
    "Map of mechanisms against cancer types, coloured by the strongest evidence level, with weak seed verdicts marked.",
)


@main.command()
@click.argument("datapackage", required=False, type=click.Path(path_type=Path))
@click.option(
    "--bump",
    type=click.Choice(["major", "minor", "patch"]),
    default=None,
    help="First move the version on (patch for corrections, minor for new rows, tables or columns).",
)
def update(datapackage: Path | None, bump: str | None) -> None:
    """Bring everything derived from DATAPACKAGE up to date after editing its CSV files.

    Refreshes each resource's sha256 hash and size, validates the package and,
    only if it is valid, rebuilds what exists beside it: dist/ and the
    checksum registry (src/k2data/registry/), docs/data-dictionary.md, the
    tables section of README.md, CITATION.cff and .zenodo.json. Says what
    changed. Exit 1 if the data is invalid (then only the hashes are
    refreshed). A released version's checksums are never rewritten: after a
    data change, move the version on with --bump.
    """
    from .update import update as run

    path = _package_path(datapackage)
    if path is None:
        raise click.UsageError("no datapackage.json here or in a folder above; run in a checkout or pass its path")
    if not path.is_file():
        raise click.UsageError(f"{shown(path)}: no such file; run in the folder holding datapackage.json or pass its path")
    _announce(path)
    result = run(path, bump=bump)

    def rel(p: Path) -> str:
        r = os.path.relpath(p)
        return shown(p if r.startswith("..") else r.replace(os.sep, "/"))

    name = rel(result.datapackage)
    if result.version is not None:
        click.echo(f"{name}: version {result.version[0]} -> {result.version[1]}; CHANGELOG.md has an entry to fill in")
    if result.hashes:
        click.echo(f"{name}: refreshed the hash and size of {', '.join(result.hashes)}")
    else:
        click.echo(f"{name}: hashes already up to date")
    if not result.valid:
        click.echo(result.report.to_text())
        click.echo(
            "not rebuilt: dist/ and the generated documents stay as they were until the data is valid; "
            "fix the problems above, then run `k2data update` again",
            err=True,
        )
        sys.exit(1)
    click.echo(f"{name}: valid")
    if result.dist is not None:
        if result.dist_changed:
            n = len(result.dist_changed)
            click.echo(f"{rel(result.dist)}/: rebuilt; {n} file{'s' if n != 1 else ''} changed: {', '.join(result.dist_changed)}")
        else:
            click.echo(f"{rel(result.dist)}/: already up to date")
    if result.registry is not None:
        click.echo(f"{rel(result.registry)}: {'updated' if result.registry_changed else 'already up to date'}")
    for doc in result.docs:
        click.echo(f"{rel(doc.path)}: {doc.what} {'updated' if doc.changed else 'already up to date'}")
    if result.skipped:
        click.echo(f"skipped: {'; '.join(result.skipped)}")


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
    from .release import export as run

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
    """Build the whole release, reproducibly: CSV, Parquet, Croissant, JSON-LD and SHA256SUMS.

    Validates the package first. Two builds of the same data give identical
    bytes (with the same pyarrow version). Exit 1 if the data is invalid.
    """
    from ._package import open_package
    from .release import build as run
    from .release import default_out

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
    from .errors import UnknownTableError
    from .fetch import fetch as run

    try:
        paths = run(version, tables or None)
    except UnknownTableError as exc:
        raise click.UsageError(str(exc)) from None
    except KeyboardInterrupt:
        raise click.ClickException(f"k2data {shown(version)}: download interrupted; nothing partial was cached") from None
    for name, path in paths.items():
        click.echo(f"{name}\t{shown(path)}")


if __name__ == "__main__":  # pragma: no cover
    main()
