"""Find the files bundled with the package (the data and its descriptor)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["bundled_descriptor_path"]


def bundled_descriptor_path() -> Path:
    """Return the path of the ``datapackage.json`` shipped with k2data.

    In an installed wheel the package data lives in ``k2data/_data/``; in a
    development checkout (editable install) it is the repository's top level.
    """
    inside = Path(str(files("k2data"))) / "_data" / "datapackage.json"
    if inside.is_file():
        return inside
    checkout = Path(__file__).resolve().parents[2] / "datapackage.json"
    if checkout.is_file():
        return checkout
    return inside  # reported as missing by the caller
