"""The ``k2data`` command line. Nothing imports this module; it imports the rest.

Exit status: 0 success, 1 invalid data or a failed check, 2 usage error.

Which package a command acts on is the same rule for every command: an
explicit path wins; otherwise a ``datapackage.json`` in the current folder or
the nearest one above it (the way git finds its repository); otherwise the
copy bundled with k2data. The first line a command writes (to stderr) names
the package it uses.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from .._package.paths import shown
from ..errors import K2DataError


class _Group(click.Group):
    """Turns k2data's own errors into one-line messages, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except K2DataError as exc:
            raise click.ClickException(shown(str(exc), 4000)) from None
        except BrokenPipeError:
            raise  # the reader went away (`k2data info | head`): click's main exits quietly
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
    from .._package import descriptor_path, discover

    if given is not None:
        return descriptor_path(given)
    return discover()


def _announce(path: Path | None) -> None:
    """Say which package the command uses (first line, on stderr)."""
    from .._package import bundled_descriptor_path

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


# the commands register themselves on `main` when their modules are imported
from . import _check, _describe, _plot, _query, _release, _serve  # noqa: E402, F401

if __name__ == "__main__":  # pragma: no cover
    main()
