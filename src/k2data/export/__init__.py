"""Exporters: the release files, each derived from the descriptor and the typed tables.

Every exporter is a function ``write(ctx) -> list[str]`` that writes its files
into ``ctx.out`` and returns their paths relative to it. They run in this
order, so that each can describe the files written before it:

=====================  ==============================================  ==============
module                 files (relative to the release folder)          format name
=====================  ==============================================  ==============
:mod:`.csv`            ``csv/<table>.csv``, ``csv/datapackage.json``   ``csv``
:mod:`.parquet`        ``parquet/<table>.parquet``                     ``parquet``
:mod:`.croissant`      ``croissant.json``                              ``croissant``
:mod:`.jsonld`         ``k2data.jsonld``                               ``jsonld``
=====================  ==============================================  ==============

:mod:`k2data.release` runs them, writes ``SHA256SUMS`` and moves the result
into place. File names are unique across the release, so the files can also
be published flat, as the assets of a release (see :mod:`k2data.fetch`).

Everything here uses the standard library only; the exporters import their
heavy libraries (pyarrow) inside their functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._descriptor import PackageSpec, TableSpec
from .._files import sha256_file

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CHECKSUMS_FILE",
    "CROISSANT_FILE",
    "CSV_DIR",
    "FORMATS",
    "JSONLD_FILE",
    "MEDIA_TYPES",
    "PARQUET_DIR",
    "RELEASE_URL",
    "ExportContext",
    "citation",
    "creators",
    "csv_relpath",
    "is_missing",
    "parquet_relpath",
    "release_url",
    "sha256_file",
    "sort_frame",
    "sort_order",
]

#: The export formats, in the order they are written (each may describe the ones before it).
FORMATS: tuple[str, ...] = ("csv", "parquet", "croissant", "jsonld")

CSV_DIR = "csv"
PARQUET_DIR = "parquet"
CROISSANT_FILE = "croissant.json"
JSONLD_FILE = "k2data.jsonld"
CHECKSUMS_FILE = "SHA256SUMS"

#: Where the files of release ``v{version}`` are published, one asset per file name.
#: :mod:`k2data.fetch` downloads from here (overridable with ``K2DATA_RELEASE_URL``);
#: the JSON-LD ``contentUrl`` of each file points here.
RELEASE_URL = "https://github.com/k2data/k2data/releases/download/v{version}/"

#: IANA media types by file suffix (Croissant uses mlcroissant's own name for Parquet).
MEDIA_TYPES: Mapping[str, str] = {
    ".csv": "text/csv",
    ".parquet": "application/vnd.apache.parquet",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
}


def csv_relpath(table: str) -> str:
    """Path of a table's CSV file inside the release folder."""
    return f"{CSV_DIR}/{table}.csv"


def parquet_relpath(table: str) -> str:
    """Path of a table's Parquet file inside the release folder."""
    return f"{PARQUET_DIR}/{table}.parquet"


def release_url(version: str, relpath: str) -> str:
    """The URL a release file is published at (the file name under the release's base URL)."""
    return RELEASE_URL.format(version=version) + relpath.rsplit("/", 1)[-1]


def citation(pkg: PackageSpec) -> str:
    """How to cite this version of the package, from the descriptor's contributors, date and licences."""
    who = ", ".join(c["name"] for c in creators(pkg)) or pkg.name
    year = str(pkg.raw.get("created", ""))[:4]
    licences = ", ".join(str(lic.get("name") or lic.get("path")) for lic in pkg.raw.get("licenses", []))
    home = pkg.raw.get("homepage", "")
    text = f"{who} ({year}). {pkg.title}. Version {pkg.version}. Dataset, {licences}. {home}"
    return text.replace(" ().", "").strip()


def creators(pkg: PackageSpec) -> list[dict[str, str]]:
    """The descriptor's creators as schema.org ``Person`` or ``Organization`` objects.

    Contributors with a ``creator`` role (or no roles at all) count; one with a
    given or family name is a Person, any other an Organization.
    """
    out = []
    for c in pkg.raw.get("contributors", []):
        roles = c.get("roles") or ([c["role"]] if c.get("role") else [])
        if roles and "creator" not in roles:
            continue
        person = " ".join(str(c[k]) for k in ("givenName", "familyName") if c.get(k))
        name = person or str(c.get("title") or c.get("organization") or "")
        if name:
            out.append({"@type": "Person" if person else "Organization", "name": name})
    return out


def is_missing(value: Any) -> bool:
    """Whether a cell of a typed frame is missing (``None``, ``NaN``, ``pd.NA``, ``NaT``)."""
    if value is None:
        return True
    if isinstance(value, (list, tuple, str)):
        return False
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):  # pragma: no cover - array-likes are not cells
        return False
    except ImportError:  # pragma: no cover
        return isinstance(value, float) and math.isnan(value)


def sort_order(table: TableSpec, df: pd.DataFrame) -> list[int]:
    """Row positions of *df* in primary-key order (missing values last).

    Strings sort by code point, so the order does not depend on the locale.
    """
    key = [f for f in table.primary_key if f in df.columns]
    if not key:
        return list(range(len(df)))
    columns = [df[name].tolist() for name in key]

    def sort_key(i: int) -> tuple[Any, ...]:
        out: list[Any] = []
        for col in columns:
            v = col[i]
            out.append((1, "") if is_missing(v) else (0, v if isinstance(v, (int, float)) else str(v)))
        return tuple(out)

    return sorted(range(len(df)), key=sort_key)


def sort_frame(table: TableSpec, df: pd.DataFrame) -> pd.DataFrame:
    """Rows of *df* sorted by the table's primary key (see :func:`sort_order`), index reset."""
    return df.iloc[sort_order(table, df)].reset_index(drop=True)


@dataclass
class ExportContext:
    """What the exporters share: the descriptor, the typed tables and the files written so far.

    Attributes
    ----------
    pkg : PackageSpec
        The parsed descriptor.
    frames : Mapping[str, pandas.DataFrame]
        Every table as loaded by :func:`k2data.load.read_table`, rows sorted by primary key.
    orders : Mapping[str, list[int]]
        For each table, the data-row positions of its source file in primary-key order.
    out : Path
        The folder the exporters write into (a staging folder during a build).
    files : dict of str to str
        ``{relative path: sha256}`` of every file written so far, in writing order.
    """

    pkg: PackageSpec
    frames: Mapping[str, pd.DataFrame]
    orders: Mapping[str, list[int]]
    out: Path
    files: dict[str, str] = field(default_factory=dict)

    def record(self, relpath: str) -> str:
        """Note that *relpath* was written; returns it."""
        self.files[relpath] = sha256_file(self.out / relpath)
        return relpath

    def size(self, relpath: str) -> int:
        """Size in bytes of a written file."""
        return (self.out / relpath).stat().st_size

    def table(self, name: str) -> TableSpec:
        """The spec of table *name*."""
        return self.pkg.table(name)
