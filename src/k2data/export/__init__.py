"""Exporters: the release files, each derived from the package model and the typed tables.

:data:`FORMATS` is the one registry of export formats: ``k2data build``, the
``--format`` choices of the command line and :func:`k2data.release.export` all
read it. Each format is a module of this package with a function
``write(ctx) -> list[str]`` that writes its files into ``ctx.out`` and returns
their paths relative to it. They run in registry order, so that each can
describe the files written before it (``needs``).

Everything here uses the standard library only; the exporters import their
heavy libraries (pyarrow) inside their functions.

Examples
--------
>>> from k2data.export import FORMATS
>>> list(FORMATS)
['csv', 'parquet', 'croissant', 'sqlite', 'bibtex', 'ris', 'csljson', 'jsonld']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._files import sha256_file
from .._package.paths import inside

if TYPE_CHECKING:
    import pandas as pd

    from .._package import PackageSpec, TableSpec

__all__ = [
    "CHECKSUMS_FILE",
    "FORMATS",
    "MEDIA_TYPES",
    "ExportContext",
    "Format",
    "csv_relpath",
    "is_missing",
    "media_type",
    "parquet_relpath",
    "sort_frame",
    "sort_order",
]

CHECKSUMS_FILE = "SHA256SUMS"

#: IANA media types by file suffix.
MEDIA_TYPES: Mapping[str, str] = {
    ".csv": "text/csv",
    ".parquet": "application/vnd.apache.parquet",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".sqlite": "application/vnd.sqlite3",
    ".bib": "application/x-bibtex",
    ".ris": "application/x-research-info-systems",
    ".csl.json": "application/vnd.citationstyles.csl+json",
}


def media_type(relpath: str) -> str:
    """The media type of a release file, by its longest known suffix.

    Examples
    --------
    >>> media_type("references.csl.json"), media_type("csv/datapackage.json")
    ('application/vnd.citationstyles.csl+json', 'application/json')
    """
    name = relpath.rsplit("/", 1)[-1]
    for suffix in sorted(MEDIA_TYPES, key=len, reverse=True):
        if name.endswith(suffix):
            return MEDIA_TYPES[suffix]
    return "application/octet-stream"



def csv_relpath(table: str) -> str:
    """Path of a table's CSV file inside the release folder."""
    return f"csv/{table}.csv"


def parquet_relpath(table: str) -> str:
    """Path of a table's Parquet file inside the release folder."""
    return f"parquet/{table}.parquet"


@dataclass(frozen=True)
class Format:
    """One export format: its module, what it needs written first, and the files it writes.

    ``files(pkg)`` lists the paths (relative to the release folder) that the
    format writes for *pkg*; ``entry`` is the top-level name it owns there.
    """

    name: str
    entry: str
    files: Callable[[PackageSpec], list[str]]
    needs: tuple[str, ...] = ()
    summary: str = ""

    def writer(self) -> Callable[[ExportContext], list[str]]:
        """The module's ``write`` function (imported on first use)."""
        from importlib import import_module

        return import_module(f".{self.name}", __package__).write  # type: ignore[no-any-return]


#: Every export format, in the order they are written.
FORMATS: Mapping[str, Format] = {
    f.name: f
    for f in (
        Format(
            "csv", "csv", lambda p: [*(csv_relpath(t) for t in p.table_names), "csv/datapackage.json"],
            summary="csv/<table>.csv and csv/datapackage.json",
        ),
        Format("parquet", "parquet", lambda p: [parquet_relpath(t) for t in p.table_names], summary="parquet/<table>.parquet"),
        Format("croissant", "croissant.json", lambda p: ["croissant.json"], ("csv", "parquet"), "croissant.json"),
        Format("sqlite", "k2data.sqlite", lambda p: ["k2data.sqlite"], summary="k2data.sqlite (tables, link tables, views, full-text search)"),
        Format("bibtex", "references.bib", lambda p: ["references.bib"], summary="references.bib (the references as BibTeX)"),
        Format("ris", "references.ris", lambda p: ["references.ris"], summary="references.ris (the references as RIS)"),
        Format("csljson", "references.csl.json", lambda p: ["references.csl.json"], summary="references.csl.json (the references as CSL-JSON)"),
        Format(
            "jsonld", "k2data.jsonld", lambda p: ["k2data.jsonld"],
            ("csv", "parquet", "croissant", "sqlite", "bibtex", "ris", "csljson"), "k2data.jsonld",
        ),
    )
}  # fmt: skip


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
    """What the exporters share: the package, the typed tables and the files written so far.

    Attributes
    ----------
    pkg : PackageSpec
        The package model.
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

    def path(self, relpath: str) -> Path:
        """Where *relpath* is written; refuses a path that would leave the output folder."""
        target = inside(self.out, relpath)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def record(self, relpath: str) -> str:
        """Note that *relpath* was written; returns it."""
        self.files[relpath] = sha256_file(self.out / relpath)
        return relpath

    def size(self, relpath: str) -> int:
        """Size in bytes of a written file."""
        return (self.out / relpath).stat().st_size
