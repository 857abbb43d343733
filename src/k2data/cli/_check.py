"""`k2data validate` and `k2data update`: the check, and the contributor's loop."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .._package.paths import shown
from . import _announce, _package_path, main


def _limit_options(f: Callable[..., Any]) -> Callable[..., Any]:
    from ..validation.limits import FLAGS, Limits

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
    from ..validation import Limits, Problem, ValidationReport
    from ..validation import validate as run

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
    from ..update import update as run

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


