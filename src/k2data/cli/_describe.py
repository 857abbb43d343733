"""`k2data describe`, `info` and `dictionary`: what a package holds, and its generated documents."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .._package.paths import shown
from ..errors import K2DataError
from . import _announce, _package_path, main


@main.command()
@click.argument("table")
@click.option("--datapackage", type=click.Path(path_type=Path), default=None, help="A datapackage.json or its folder.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def describe(table: str, datapackage: Path | None, fmt: str) -> None:
    """Describe the fields of TABLE: type, unit, allowed values, links, description."""
    import shutil

    from .._package import open_package
    from ..describe import field_rows
    from ..docgen.terminal import describe_text

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
    from ..describe import info as package_info

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
    from .._package import open_package
    from ..docgen import data_dictionary, generate

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


