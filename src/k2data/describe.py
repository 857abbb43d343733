"""Describe tables and the package: fields, types, units, allowed values, citation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .load import package_spec

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["citation", "describe", "info"]


def describe(name: str) -> pd.DataFrame:
    """Describe the fields of table *name*.

    Returns
    -------
    pandas.DataFrame
        One row per field with ``field``, ``type``, ``unit``, ``required``,
        ``allowed_values`` (a list, empty if any value is allowed),
        ``references`` (the table.field a key points at) and ``description``.

    Examples
    --------
    >>> import k2data
    >>> d = k2data.describe("trials")
    >>> d.set_index("field").loc["dose_min_mg_d", "unit"]
    'mg/d'
    """
    import pandas as pd

    table = package_spec().table(name)
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
    return pd.DataFrame(rows)


def citation() -> str:
    """How to cite the installed version of k2data.

    Examples
    --------
    >>> import k2data
    >>> "k2data" in k2data.citation()
    True
    """
    pkg = package_spec()
    year = str(pkg.raw.get("created", ""))[:4]
    home = pkg.raw.get("homepage", "")
    return f"k2data contributors ({year}). {pkg.title}. Version {pkg.version}. Dataset, CC-BY-4.0. {home}".strip()


def info() -> dict[str, Any]:
    """Package facts: name, version, licences, tables with row counts, citation."""
    import csv

    pkg = package_spec()
    counts = {}
    for t in pkg.tables:
        with open(pkg.path.parent / t.path, encoding="utf-8", newline="") as fh:
            counts[t.name] = sum(1 for _ in csv.reader(fh)) - 1
    return {
        "name": pkg.name,
        "version": pkg.version,
        "title": pkg.title,
        "licenses": [lic.get("name") or lic.get("path") for lic in pkg.raw.get("licenses", [])],
        "tables": counts,
        "citation": citation(),
        "disclaimer": "Educational material, not medical advice.",
    }
