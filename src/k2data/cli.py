"""The ``k2data`` command line. Nothing imports this module; it imports the rest.

Exit status: 0 success, 1 invalid data or a failed check, 2 usage error.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from .describe import describe as _describe_table
from .describe import info as _package_info
from .errors import K2DataError


class _Group(click.Group):
    """Turns k2data's own errors into one-line messages, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except K2DataError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise click.ClickException(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            if os.environ.get("K2DATA_DEBUG"):
                raise
            msg = f"internal error ({type(exc).__name__}: {exc}); set K2DATA_DEBUG=1 for details and please report it"
            raise click.ClickException(msg) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="k2data", prog_name="k2data")
def main() -> None:
    """k2data: the evidence on vitamin K2 and cancer, checked claim by claim.

    Educational material, not medical advice.
    """


@main.command()
@click.argument("datapackages", nargs=-1, type=click.Path(exists=True, path_type=Path))
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
def validate(datapackages: tuple[Path, ...], fmt: str, max_problems: int) -> None:
    """Validate DATAPACKAGES (datapackage.json files or folders holding one; default: the bundled package).

    Reports every problem with file, row number as in the file, field, value
    and message, sorted by file and row. Exit 0 if every package is valid,
    1 if any is not.
    """
    from .validate import resolve_descriptor
    from .validate import validate as run

    targets: list[Path | None] = list(datapackages) or [None]
    reports = [run(t, max_problems=max_problems) for t in targets]
    if fmt == "json":
        data = reports[0].to_dict() if len(reports) == 1 else {
            "valid": all(r.valid for r in reports),
            "reports": [r.to_dict() for r in reports],
        }
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        for target, report in zip(targets, reports, strict=True):
            if fmt == "github":
                root = os.path.relpath(resolve_descriptor(target).parent) if target is not None else ""
                click.echo(report.to_github(root))
            else:
                click.echo(report.to_text())
        if len(reports) > 1:
            bad = [r.datapackage for r in reports if not r.valid]
            click.echo(f"{len(reports) - len(bad)} of {len(reports)} package(s) valid" + (f"; invalid: {', '.join(bad)}" if bad else ""))
    sys.exit(0 if all(r.valid for r in reports) else 1)


@main.command()
@click.argument("table")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def describe(table: str, fmt: str) -> None:
    """Describe the fields of TABLE: type, unit, allowed values, links, description."""
    import shutil

    from .dictionary import describe_text
    from .load import package_spec

    try:
        package_spec().table(table)
    except K2DataError as exc:
        raise click.UsageError(str(exc)) from None
    if fmt == "json":
        frame = _describe_table(table)
        click.echo(json.dumps(frame.to_dict("records"), indent=2, ensure_ascii=False))
        return
    width = min(max(shutil.get_terminal_size((100, 24)).columns, 60), 120)
    click.echo(describe_text(table, width=width))


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def info(fmt: str) -> None:
    """Show the version, tables with row counts, licence and how to cite."""
    facts = _package_info()
    if fmt == "json":
        click.echo(json.dumps(facts, indent=2, ensure_ascii=False))
        return
    click.echo(f"{facts['title']}")
    click.echo(f"version: {facts['version']}")
    click.echo(f"licence: {', '.join(facts['licenses'])}")
    click.echo("tables:")
    for name, rows in facts["tables"].items():
        click.echo(f"  {name:<16} {rows:>5} rows")
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
@click.option(
    "--citation",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write CITATION.cff (version and date from the descriptor) here.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if a file given is not up to date.")
def dictionary(
    datapackage: Path | None, out: Path | None, readme: Path | None, citation: Path | None, check: bool
) -> None:
    """Generate the data dictionary of DATAPACKAGE (default: the bundled package) from its descriptor.

    Without --out it prints the Markdown. In CI:
    k2data dictionary datapackage.json --out docs/data-dictionary.md --readme README.md --citation CITATION.cff --check
    """
    from .dictionary import citation_cff, data_dictionary, readme_tables, splice
    from .load import package_spec

    if check and out is None and readme is None and citation is None:
        raise click.UsageError("--check needs --out, --readme or --citation: the files to compare")
    pkg = package_spec(datapackage)
    wanted: dict[Path, str] = {}
    if out is not None:
        wanted[out] = data_dictionary(pkg=pkg)
    if citation is not None:
        wanted[citation] = citation_cff(pkg=pkg)
    if readme is not None:
        if not readme.is_file():
            raise click.UsageError(f"{readme}: no such file")
        link = os.path.relpath(out, readme.parent).replace(os.sep, "/") if out is not None else "docs/data-dictionary.md"
        current = readme.read_text(encoding="utf-8")
        wanted[readme] = splice(current, readme_tables(pkg=pkg, dictionary_path=link))
    if not wanted:
        click.echo(data_dictionary(pkg=pkg), nl=False)
        return
    stale = [p for p, text in wanted.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
    if check:
        if stale:
            names = ", ".join(str(p) for p in stale)
            cmd = "k2data dictionary" + (f" {datapackage}" if datapackage else "")
            cmd += (f" --out {out}" if out else "") + (f" --readme {readme}" if readme else "")
            cmd += f" --citation {citation}" if citation else ""
            click.echo(f"out of date: {names}; regenerate with `{cmd}`", err=True)
            sys.exit(1)
        click.echo(f"up to date: {', '.join(str(p) for p in wanted)}")
        return
    from ._files import write_text_atomic

    for path in stale:
        write_text_atomic(path, wanted[path])
    click.echo(f"updated: {', '.join(str(p) for p in stale)}" if stale else "already up to date")


@main.group()
def plot() -> None:
    """Draw the evidence figures as PNG or SVG (needs matplotlib: pip install "k2data[plot]")."""


def _plot_command(name: str, draw: str, summary: str) -> None:
    @plot.command(name, help=f"{summary}\n\nDATAPACKAGE: a datapackage.json or its folder (default: the bundled data).")
    @click.argument("datapackage", required=False, type=click.Path(path_type=Path))
    @click.option(
        "--out",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Image file to write; .png or .svg picks the format.",
    )
    def command(datapackage: Path | None, out: Path) -> None:
        if out.suffix.lower() not in (".png", ".svg"):
            raise click.UsageError(f"--out {out}: use a .png or .svg file name; the extension picks the format")
        from . import plot as plots

        fig = getattr(plots, draw)(datapackage=datapackage)
        plots.save(fig, out)
        click.echo(f"wrote {out}")


_plot_command(
    "forest",
    "forest",
    "Forest plot of the effect estimates of trials and cohorts, grouped by endpoint, with the seed's figures "
    "where they diverge.",
)
_plot_command(
    "evidence-map",
    "evidence_map",
    "Map of mechanisms against cancer types, coloured by the strongest evidence level, with weak seed verdicts marked.",
)


@main.command()
@click.argument("datapackage", required=False, type=click.Path(path_type=Path))
def update(datapackage: Path | None) -> None:
    """Bring everything derived from DATAPACKAGE up to date after editing its CSV files.

    DATAPACKAGE is a datapackage.json or its folder (default: ./datapackage.json).
    Refreshes each resource's sha256 hash and size in it, validates the package
    and, only if it is valid, rebuilds what exists beside it: dist/ and the
    checksum registry (src/k2data/registry/), docs/data-dictionary.md, the
    tables section of README.md and CITATION.cff. Says what changed. Exit 1 if
    the data is invalid (then only the hashes are refreshed).
    """
    from .update import update as run

    target = datapackage if datapackage is not None else Path("datapackage.json")
    if target.is_dir():
        target = target / "datapackage.json"
    if not target.is_file():
        raise click.UsageError(f"{target}: no such file; run in the folder holding datapackage.json or pass its path")
    try:
        result = run(target)
    except (ValueError, OSError) as exc:
        raise click.ClickException(f"{target}: {exc}") from None

    def shown(path: Path) -> str:
        rel = os.path.relpath(path)
        return str(path) if rel.startswith("..") else rel.replace(os.sep, "/")

    name = shown(result.datapackage)
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
            click.echo(f"{shown(result.dist)}/: rebuilt; {n} file{'s' if n != 1 else ''} changed: {', '.join(result.dist_changed)}")
        else:
            click.echo(f"{shown(result.dist)}/: already up to date")
    if result.registry is not None:
        click.echo(f"{shown(result.registry)}: {'updated' if result.registry_changed else 'already up to date'}")
    for doc in result.docs:
        click.echo(f"{shown(doc.path)}: {doc.what} {'updated' if doc.changed else 'already up to date'}")
    if result.skipped:
        click.echo(f"skipped: {'; '.join(result.skipped)}")


_DATAPACKAGE_HELP = "The package to release: a datapackage.json or its folder (default: the bundled one)."


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet", "jsonld", "croissant", "all"]),
    default="all",
    show_default=True,
    help="Which release files to write.",
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

    csv: csv/<table>.csv and csv/datapackage.json; parquet: parquet/<table>.parquet;
    jsonld: k2data.jsonld; croissant: croissant.json; all: these and SHA256SUMS.
    The files are the same bytes as those of `k2data build`.
    """
    from .release import export as run

    try:
        result = run(fmt, out, datapackage=datapackage)
    except KeyboardInterrupt:
        raise click.ClickException(f"{out}: interrupted; no partial files were left there") from None
    for rel in result.files:
        click.echo(str(out / rel))


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="The release folder; replaced as a whole once complete (it must be new, empty or a previous release "
    "holding nothing else).",
)
@click.option("--datapackage", type=click.Path(path_type=Path), default=None, help=_DATAPACKAGE_HELP)
@click.option(
    "--registry",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write this version's checksum registry file into this folder "
    "(default: src/k2data/registry when building a development checkout's own dist/).",
)
def build(out: Path, datapackage: Path | None, registry: Path | None) -> None:
    """Build the whole release into OUT (default dist/), reproducibly.

    Validates the package first, then writes CSV, Parquet, Croissant, JSON-LD
    and SHA256SUMS. Two builds of the same data give identical bytes (with
    the same pyarrow version). Exit 1 if the data is invalid.
    """
    from .release import build as run
    from .release import checkout_registry_dir, checkout_root

    if registry is None and datapackage is None:
        root = checkout_root()
        if root is not None and out.resolve() == (root / "dist").resolve():
            registry = checkout_registry_dir()
    try:
        result = run(out, datapackage=datapackage, registry=registry)
    except KeyboardInterrupt:
        raise click.ClickException(f"{out}: interrupted; no partial files were left there") from None
    click.echo(f"built {len(result.files)} release files and SHA256SUMS in {out}")
    if result.registry is not None:
        click.echo(f"wrote the checksum registry {result.registry}")


@main.command()
@click.option("--version", "version", required=True, help="The release to fetch, e.g. 0.1.0.")
@click.argument("tables", nargs=-1)
def fetch(version: str, tables: tuple[str, ...]) -> None:
    """Download the Parquet files of release VERSION (TABLES, default all) into the cache.

    Each file is verified against the sha256 registry shipped with k2data;
    cached files are used offline. Prints each table and its cached path.
    K2DATA_RELEASE_URL and K2DATA_CACHE_DIR override where from and where to.
    """
    from .errors import UnknownTableError
    from .fetch import fetch as run

    try:
        paths = run(version, tables or None)
    except UnknownTableError as exc:
        raise click.UsageError(str(exc)) from None
    except KeyboardInterrupt:
        raise click.ClickException(f"k2data {version}: download interrupted; nothing partial was cached") from None
    for name, path in paths.items():
        click.echo(f"{name}\t{path}")

if __name__ == "__main__":  # pragma: no cover
    main()
