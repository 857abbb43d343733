"""Describe tables and the package: fields, types, units, allowed values, citation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .load import package_spec

if TYPE_CHECKING:
    import pandas as pd

    from ._descriptor import PackageSpec, TableSpec

__all__ = ["citation", "citation_facts", "describe", "field_rows", "info", "row_counts"]


def field_rows(table: TableSpec) -> list[dict[str, Any]]:
    """The rows of :func:`describe` for *table*, as plain dicts (no pandas needed)."""
    refs = {fk.fields[0]: f"{fk.resource}.{fk.ref_fields[0]}" for fk in table.foreign_keys if len(fk.fields) == 1}
    rows = []
    for f in table.fields:
        ref = refs.get(f.name) or (f"{f.list_reference[0]}.{f.list_reference[1]}" if f.list_reference else "")
        type_ = f"list of {f.item_type or 'string'}" if f.is_list else f.type
        rows.append(
            {
                "field": f.name,
                "type": type_,
                "unit": f.unit or "",
                "required": f.required,
                "allowed_values": list(f.enum or ()),
                "references": ref,
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
        An already parsed descriptor (takes precedence over *datapackage*).

    Examples
    --------
    >>> from k2data.describe import row_counts
    >>> row_counts()["evidence_levels"]
    5
    """
    import csv

    spec = pkg if pkg is not None else package_spec(datapackage)
    counts = {}
    for t in spec.tables:
        with open(spec.path.parent / t.path, encoding="utf-8", newline="") as fh:
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

    return pd.DataFrame(field_rows(package_spec().table(name)))


def citation_facts(pkg: PackageSpec | None = None) -> dict[str, Any]:
    """The facts a citation is made of, all read from the descriptor (the single version source).

    Returns
    -------
    dict
        ``authors`` (list of dicts with ``name``, or ``given_names`` and
        ``family_names``), ``year``, ``date`` (``YYYY-MM-DD`` from ``created``),
        ``title``, ``version``, ``license`` (the first licence's name) and ``url``.
        ``CITATION.cff`` and :func:`citation` are both built from these.

    Examples
    --------
    >>> from k2data.describe import citation_facts
    >>> facts = citation_facts()
    >>> facts["authors"]
    [{'name': 'k2data contributors'}]
    >>> facts["date"].startswith(facts["year"])
    True
    """
    spec = pkg if pkg is not None else package_spec()
    people = [
        c
        for c in spec.raw.get("contributors", [])
        if isinstance(c, dict) and not set(c.get("roles", ["creator"])).isdisjoint({"creator", "author"})
    ]
    authors: list[dict[str, str]] = []
    for c in people:
        if c.get("familyName"):
            authors.append({"given_names": str(c.get("givenName", "")), "family_names": str(c["familyName"])})
        else:
            authors.append({"name": str(c.get("title", ""))})
    licenses = spec.raw.get("licenses", [])
    created = str(spec.raw.get("created", ""))
    return {
        "authors": authors or [{"name": "k2data contributors"}],
        "year": created[:4],
        "date": created[:10],
        "title": spec.title,
        "version": spec.version,
        "license": str(licenses[0].get("name", "")) if licenses else "",
        "url": str(spec.raw.get("homepage", "")),
    }


def citation() -> str:
    """How to cite the installed version of k2data, as one line of text.

    The authors, year, title, version, licence and address come from
    ``datapackage.json``, as in ``CITATION.cff`` (see :func:`citation_facts`).

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
    facts = citation_facts()
    names = [a.get("name") or f"{a['family_names']} {a['given_names']}".strip() for a in facts["authors"]]
    authors = ", ".join(names)
    licence = f", {facts['license']}" if facts["license"] else ""
    text = f"{authors} ({facts['year']}). {facts['title']}. Version {facts['version']}. Dataset{licence}. {facts['url']}"
    return text.strip()


def info() -> dict[str, Any]:
    """Package facts: name, version, licences, tables with row counts, citation.

    Returns
    -------
    dict
        ``name``, ``version``, ``title``, ``licenses`` (names), ``tables``
        (table name to number of rows, in descriptor order), ``citation``
        (as :func:`citation`) and ``disclaimer``.

    Examples
    --------
    >>> import k2data
    >>> facts = k2data.info()
    >>> facts["licenses"]
    ['CC-BY-4.0']
    >>> list(facts["tables"]) == list(k2data.TABLES)
    True
    """
    pkg = package_spec()
    counts = row_counts(pkg=pkg)
    return {
        "name": pkg.name,
        "version": pkg.version,
        "title": pkg.title,
        "licenses": [lic.get("name") or lic.get("path") for lic in pkg.raw.get("licenses", [])],
        "tables": counts,
        "citation": citation(),
        "disclaimer": "Educational material, not medical advice.",
    }
