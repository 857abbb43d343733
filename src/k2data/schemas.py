"""Pandera schemas derived from ``datapackage.json``.

Nothing here is written by hand per table: each column's dtype, nullability,
uniqueness, allowed values, range and pattern come from the descriptor's field
specs, and the row rules of :mod:`k2data.rules` are attached as DataFrame
checks. Use them to validate your own extensions of the tables::

    >>> import k2data
    >>> from k2data.schemas import schema
    >>> trials = k2data.load("trials")
    >>> schema("trials").validate(trials).shape == trials.shape
    True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._descriptor import FieldSpec, TableSpec
from .load import package_spec, pandas_dtype
from .rules import row_rules

if TYPE_CHECKING:
    import pandera.pandas as pa

__all__ = ["schema", "schemas", "table_schema"]


def _pa() -> Any:
    os.environ.setdefault("DISABLE_PANDERA_IMPORT_WARNING", "True")
    import pandera.pandas as pa

    return pa


def _column(spec: FieldSpec) -> pa.Column:
    pa = _pa()
    checks = []
    if spec.enum is not None and spec.type != "string":
        checks.append(pa.Check.isin(list(spec.enum)))
    if spec.enum is not None and spec.type == "string":
        checks.append(pa.Check.isin(list(spec.enum), name="enum"))
    if spec.type in ("integer", "number", "year"):
        if spec.minimum is not None:
            checks.append(pa.Check.ge(spec.minimum))
        if spec.maximum is not None:
            checks.append(pa.Check.le(spec.maximum))
    if spec.pattern is not None and spec.type == "string":
        checks.append(pa.Check.str_matches(f"^(?:{spec.pattern.lstrip('^').rstrip('$')})$"))
    if spec.type == "list" and spec.required:
        checks.append(pa.Check(lambda s: s.map(len) > 0, element_wise=False, name="non-empty list"))
    dtype = None if spec.type == "list" else pandas_dtype(spec)
    return pa.Column(
        dtype,
        nullable=not spec.required,
        unique=spec.unique,
        checks=checks,
        title=spec.name,
        description=spec.description or None,
        metadata={"unit": spec.unit} if spec.unit else None,
        required=True,
    )


def table_schema(table: TableSpec) -> pa.DataFrameSchema:
    """Build the Pandera schema of one table spec."""
    pa = _pa()
    checks = [
        pa.Check(rule.check, element_wise=False, name=rule.name) for rule in row_rules(table)
    ]
    unique = list(table.primary_key) if len(table.primary_key) > 1 else None
    return pa.DataFrameSchema(
        {f.name: _column(f) for f in table.fields},
        checks=checks,
        unique=unique,
        strict=True,
        ordered=True,
        name=table.name,
        title=table.title,
        description=table.description,
        metadata={"path": table.path},
    )


def schema(name: str, *, datapackage: str | Path | None = None) -> pa.DataFrameSchema:
    """The Pandera schema of table *name*.

    Parameters
    ----------
    name : str
        Table name (see :data:`k2data.TABLES`).
    datapackage : str or Path, optional
        Derive from this descriptor instead of the bundled one.

    Examples
    --------
    >>> from k2data.schemas import schema
    >>> s = schema("claims")
    >>> s.columns["verdict"].nullable
    False
    """
    return table_schema(package_spec(datapackage).table(name))


def schemas(*, datapackage: str | Path | None = None) -> dict[str, pa.DataFrameSchema]:
    """The Pandera schemas of every table, by name."""
    return {t.name: table_schema(t) for t in package_spec(datapackage).tables}
