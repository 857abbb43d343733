"""Describe tables and the package: fields, types, units, allowed values, row counts and the citation."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._package import PackageSpec, TableSpec, open_package

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DISCLAIMER", "citation", "describe", "field_rows", "info", "row_counts"]

DISCLAIMER = "Educational material, not medical advice."


def field_rows(table: TableSpec) -> list[dict[str, Any]]:
    """The rows of :func:`describe` for *table*, as plain dicts (no pandas needed)."""
    rows = []
    for f in table.fields:
        link = table.link(f.name)
        rows.append(
            {
                "field": f.name,
                "type": f"list of {f.value_type}" if f.is_list else f.type,
                "unit": f.unit or "",
                "required": f.required,
                "allowed_values": list(f.enum or ()),
                "references": link.dotted if link is not None else "",
                "description": f.description,
            }
        )
    return rows


def row_counts(datapackage: str | Path | None = None, *, pkg: PackageSpec | None = None) -> dict[str, int]:
    """Number of data rows of each table (records, not lines), in descriptor order.

    Parameters
    ----------
    datapackage : str or Path, optional
        A ``datapackage.json`` or its folder; default: the bundled package.
    pkg : PackageSpec, optional
        An already opened package (takes precedence over *datapackage*).

    Examples
    --------
    >>> from k2data.describe import row_counts
    >>> row_counts()["evidence_levels"]
    5
    """
    spec = pkg if pkg is not None else open_package(datapackage)
    counts = {}
    for t in spec.tables:
        with open(spec.file(t), encoding="utf-8", newline="") as fh:
            counts[t.name] = max(sum(1 for _ in csv.reader(fh)) - 1, 0)
    return counts


def describe(name: str) -> pd.DataFrame:
    """Describe the fields of table *name*.

    Parameters
    ----------
    name : str
        A table name (see :data:`k2data.TABLES`).

    Returns
    -------
    pandas.DataFrame
        One row per field with ``field``, ``type``, ``unit``, ``required``,
        ``allowed_values`` (a list, empty if any value is allowed),
        ``references`` (the table.field a key points at) and ``description``.

    Raises
    ------
    UnknownTableError
        If *name* is not a table of the package.

    Examples
    --------
    >>> import k2data
    >>> d = k2data.describe("trials")
    >>> d.set_index("field").loc["dose_min_mg_d", "unit"]
    'mg/d'
    """
    import pandas as pd

    return pd.DataFrame(field_rows(open_package().table(name)))


def citation() -> str:
    """How to cite the installed version of k2data, as one line of text.

    The authors, year, title, version, licences and address come from
    ``datapackage.json``; ``CITATION.cff``, the JSON-LD ``creditText`` and the
    Croissant ``citeAs`` say the same.

    Returns
    -------
    str
        ``Authors (year). Title. Version X.Y.Z. Dataset, licence. URL``

    Examples
    --------
    >>> import k2data
    >>> print(k2data.citation())  # doctest: +ELLIPSIS
    k2data contributors (20...). k2data: vitamin K2 (menaquinone) and cancer, ... Version .... Dataset, CC-BY-4.0. https://...
    """
    return open_package().citation


def info(datapackage: str | Path | None = None) -> dict[str, Any]:
    """Package facts: name, version, licences, tables with row counts, citation.

    Parameters
    ----------
    datapackage : str or Path, optional
        A ``datapackage.json`` or its folder; default: the bundled package.

    Returns
    -------
    dict
        ``name``, ``version``, ``title``, ``licenses`` (names), ``tables``
        (table name to number of rows, in descriptor order), ``citation``,
        ``datapackage`` (the descriptor's path), ``bundled`` and ``disclaimer``.

    Examples
    --------
    >>> import k2data
    >>> facts = k2data.info()
    >>> facts["licenses"]
    ['CC-BY-4.0']
    >>> list(facts["tables"]) == list(k2data.TABLES)
    True
    """
    pkg = open_package(datapackage)
    return {
        "name": pkg.name,
        "version": pkg.version,
        "title": pkg.title,
        "licenses": [lic.label for lic in pkg.licenses],
        "tables": row_counts(pkg=pkg),
        "citation": pkg.citation,
        "datapackage": str(pkg.path),
        "bundled": pkg.bundled,
        "disclaimer": DISCLAIMER,
    }
