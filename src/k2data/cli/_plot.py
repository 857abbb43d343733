"""`k2data plot`: the evidence figures."""

from __future__ import annotations

from pathlib import Path

import click

from .._package.paths import shown
from . import _announce, _package_path, main


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
        from .. import plot as plots

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


