"""Pandera schemas derived from ``datapackage.json``, for validating your own frames.

Nothing here is written by hand per table: each column's dtype, nullability,
uniqueness, allowed values, range and pattern come from the package model,
and the row rules and text hygiene of :mod:`k2data.rules` are attached as
checks. ``k2data validate`` does not use these (it checks the files
column by column with pyarrow); they are for frames you build in Python::

    >>> import k2data
    >>> trials = k2data.load("trials")
    >>> k2data.schema("trials").validate(trials).shape == trials.shape
    True
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._package import FieldSpec, TableSpec, open_package
from .load import pandas_dtype
from .rules import PandasColumns, RowRule, bad_text, row_rules

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

__all__ = ["schema", "schemas", "table_schema"]


def _pa() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pandera.pandas as pa

    return pa


def _clean(s: pd.Series) -> pd.Series:
    """Text cells (and list items) that are clean: no formula prefix, stray whitespace or control character."""
    import pandas as pd
    import pyarrow as pa

    values = s.astype(object).tolist()
    flat = [str(x) for v in values if isinstance(v, list) for x in v] if any(isinstance(v, list) for v in values) else None
    if flat is not None:
        bad_items = bad_text(pa.array(flat, type=pa.string())).to_pylist()
        out, i = [], 0
        for v in values:
            n = len(v) if isinstance(v, list) else 0
            out.append(not any(bad_items[i : i + n]))
            i += n
        return pd.Series(out, index=s.index, dtype=bool)
    texts = pa.array([v if isinstance(v, str) else None for v in values], type=pa.string())
    return pd.Series([not b for b in bad_text(texts).to_pylist()], index=s.index, dtype=bool)


def _rule(rule: RowRule, df: pd.DataFrame) -> pd.Series:
    import pandas as pd

    return pd.Series(rule.check(PandasColumns(df)), index=df.index, dtype=bool)


def _column(spec: FieldSpec) -> pa.Column:
    pa = _pa()
    checks = []
    if spec.enum is not None:
        checks.append(pa.Check.isin(list(spec.enum), name="enum"))
    if spec.type in ("integer", "number", "year"):
        if spec.minimum is not None:
            checks.append(pa.Check.ge(spec.minimum))
        if spec.maximum is not None:
            checks.append(pa.Check.le(spec.maximum))
    if spec.pattern is not None and spec.type == "string":
        checks.append(pa.Check.str_matches(f"^(?:{spec.pattern.lstrip('^').rstrip('$')})$"))
    if spec.is_list and spec.required:
        checks.append(pa.Check(lambda s: s.map(len) > 0, element_wise=False, name="non-empty list"))
    if spec.type in ("string", "list"):
        checks.append(pa.Check(_clean, element_wise=False, name="clean text"))
    dtype = None if spec.is_list else pandas_dtype(spec)
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
    checks = [pa.Check(lambda df, rule=rule: _rule(rule, df), element_wise=False, name=rule.name) for rule in row_rules(table)]
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
    """The Pandera schema of table *name*, derived from the descriptor.

    Parameters
    ----------
    name : str
        Table name (see :data:`k2data.TABLES`).
    datapackage : str or Path, optional
        Derive from this descriptor instead of the bundled one.

    Examples
    --------
    >>> import k2data
    >>> s = k2data.schema("claims")
    >>> s.columns["verdict"].nullable
    False
    """
    return table_schema(open_package(datapackage).table(name))


def schemas(*, datapackage: str | Path | None = None) -> dict[str, pa.DataFrameSchema]:
    """The Pandera schemas of every table, by name."""
    return {t.name: table_schema(t) for t in open_package(datapackage).tables}
