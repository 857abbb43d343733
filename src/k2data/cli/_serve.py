"""`k2data serve`: browse the data in Datasette on 127.0.0.1."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from types import FrameType

import click

from .._package.paths import shown
from . import _announce, _package_path, main


class _NotInstalled(click.ClickException):
    """An optional extra is missing: a usage problem (exit 2), with the command that fixes it."""

    exit_code = 2


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@main.command()
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Serve this SQLite file (such as a release's k2data.sqlite) instead of building one.")
@click.option("--datapackage", type=click.Path(path_type=Path), default=None, help="A datapackage.json or its folder (default: found from here, else the bundled one); its descriptions label the pages.")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True, help="Port on 127.0.0.1; 0 picks a free one.")
def serve(db: Path | None, datapackage: Path | None, port: int) -> None:
    """Browse the data in Datasette, on 127.0.0.1 only, and print the address.

    Every table and view with its descriptions and units, full-text search,
    and canned queries (claims the literature contradicts, randomised trials
    of vitamin K2 in HCC, everything about one study). Read-only. Stop with
    Ctrl-C. Needs the serve extra: pip install "k2data[serve]".
    """
    from .. import serve as srv
    from .._package import open_package
    from ..query import is_database

    if not srv.available():
        raise _NotInstalled(f"k2data serve needs Datasette, which is not installed; install it with: {srv.INSTALL}")
    if db is not None and not is_database(db):
        raise click.BadParameter(f"{shown(db)} is not an SQLite database file", param_hint="--db")
    path = _package_path(datapackage)
    _announce(path)
    pkg = open_package(path)
    with srv.prepare(pkg, db) as prepared:
        port = port or srv.free_port()
        url = f"http://{srv.HOST}:{port}/{srv.DATABASE}"
        click.echo(f"k2data: serving {shown(db) if db is not None else pkg.name + ' ' + pkg.version} at {url} (Ctrl-C to stop)", err=True)
        click.echo(url)
        previous = signal.signal(signal.SIGTERM, _stop)
        proc = subprocess.Popen(srv.command(prepared, port))
        try:
            code = proc.wait()
        except KeyboardInterrupt:
            code = 0
        finally:
            signal.signal(signal.SIGTERM, previous)
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    if code:
        raise click.ClickException(f"Datasette stopped with exit status {code}")
