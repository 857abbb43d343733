"""The ``k2data`` command line. Nothing imports this module; it imports the rest.

Exit status: 0 success, 1 invalid data or a failed check, 2 usage error.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from . import describe as _describe
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
@click.argument("datapackage", required=False, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for machines.",
)
def validate(datapackage: Path | None, fmt: str) -> None:
    """Validate DATAPACKAGE (a datapackage.json or its folder; default: the bundled package).

    Reports every problem with file, row number as in the file, field, value
    and message. Exit 0 if valid, 1 if not.
    """
    from .validate import validate as run

    report = run(datapackage)
    if fmt == "json":
        click.echo(report.to_json())
    else:
        click.echo(report.to_text(), err=not report.valid)
    sys.exit(0 if report.valid else 1)


@main.command()
@click.argument("table")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def describe(table: str, fmt: str) -> None:
    """Describe the fields of TABLE: type, unit, allowed values, description."""
    from .load import package_spec

    try:
        spec = package_spec().table(table)
    except K2DataError as exc:
        raise click.UsageError(str(exc)) from None
    frame = _describe.describe(table)
    if fmt == "json":
        click.echo(json.dumps(frame.to_dict("records"), indent=2, ensure_ascii=False))
        return
    click.echo(f"{spec.name}: {spec.title}")
    click.echo(click.wrap_text(spec.description, width=100))
    click.echo()
    for rec in frame.to_dict("records"):
        head = f"{rec['field']} ({rec['type']}{', ' + rec['unit'] if rec['unit'] else ''}{', required' if rec['required'] else ''})"
        click.echo(click.style(head, bold=True))
        click.echo(click.wrap_text(rec["description"], width=100, initial_indent="    ", subsequent_indent="    "))
        if rec["allowed_values"]:
            click.echo(click.wrap_text("allowed: " + ", ".join(rec["allowed_values"]), width=100, initial_indent="    ", subsequent_indent="      "))
        if rec["references"]:
            click.echo(f"    references: {rec['references']}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def info(fmt: str) -> None:
    """Show the version, tables with row counts, licence and how to cite."""
    facts = _describe.info()
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
def update(datapackage: Path | None) -> None:
    """Refresh the derived parts of DATAPACKAGE after editing its CSV files.

    Recomputes each resource's sha256 hash and size in datapackage.json
    (default: ./datapackage.json) and says what changed.
    """
    from .update import update_hashes

    target = datapackage if datapackage is not None else Path("datapackage.json")
    if target.is_dir():
        target = target / "datapackage.json"
    if not target.is_file():
        raise click.UsageError(f"{target}: no such file; run in the folder holding datapackage.json or pass its path")
    try:
        changed = update_hashes(target)
    except (ValueError, OSError) as exc:
        raise click.ClickException(f"{target}: {exc}") from None
    if changed:
        click.echo(f"updated hashes of: {', '.join(changed)}")
    else:
        click.echo("hashes already up to date")


if __name__ == "__main__":  # pragma: no cover
    main()
