"""Load the tables as typed pandas DataFrames.

The dtypes come from the descriptor: enumerated strings become categoricals,
integers nullable ``Int64``, numbers ``float64``, booleans ``boolean``, dates
``datetime64``, list fields Python lists, other strings ``string``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from ._descriptor import FieldSpec, PackageSpec, TableSpec, read_descriptor
from ._resources import bundled_descriptor_path
from .errors import DataFileError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["load", "package_spec", "read_table", "table_names"]


def package_spec(datapackage: str | Path | None = None) -> PackageSpec:
    """Return the parsed descriptor: the bundled one, or the one at *datapackage*."""
    path = bundled_descriptor_path() if datapackage is None else Path(datapackage)
    if path.is_dir():
        path = path / "datapackage.json"
    return read_descriptor(path.resolve())


def table_names() -> tuple[str, ...]:
    """Names of the bundled tables, in descriptor order."""
    return package_spec().table_names


def pandas_dtype(spec: FieldSpec) -> Any:
    """The pandas dtype that *spec* loads as (list fields load as ``object``)."""
    import pandas as pd

    if spec.enum is not None and spec.type == "string":
        return pd.CategoricalDtype(categories=list(spec.enum), ordered=False)
    return {
        "integer": "Int64",
        "year": "Int64",
        "number": "float64",
        "boolean": "boolean",
        "list": "object",
        "date": "datetime64[ns]",
        "datetime": "datetime64[ns]",
    }.get(spec.type, "string")


def _split(value: Any, delimiter: str) -> list[str]:
    if isinstance(value, str) and value:
        return value.split(delimiter)
    return []


def read_table(table: TableSpec, base: Path) -> pd.DataFrame:
    """Read one table's CSV file into a typed DataFrame.

    Raises :class:`~k2data.errors.DataFileError` if the file cannot be parsed
    as its schema says (run ``k2data validate`` to see every problem).
    """
    import pandas as pd

    path = base / table.path
    read_dtypes: dict[str, Any] = {}
    dates: list[str] = []
    for f in table.fields:
        if f.type in ("date", "datetime"):
            read_dtypes[f.name] = "string"
            dates.append(f.name)
        elif f.type == "list":
            read_dtypes[f.name] = "string"
        else:
            read_dtypes[f.name] = pandas_dtype(f)
    try:
        df = pd.read_csv(
            path,
            dtype=read_dtypes,
            keep_default_na=False,
            na_values=[""],
            encoding="utf-8",
            true_values=["true"],
            false_values=["false"],
        )
    except (ValueError, TypeError, OSError, UnicodeDecodeError) as exc:
        msg = f"{path}: cannot be loaded as typed table {table.name!r} ({exc}); run `k2data validate` for details"
        raise DataFileError(msg) from None
    if list(df.columns) != table.field_names:
        msg = (
            f"{path}: columns {list(df.columns)} differ from the schema's {table.field_names}; "
            "run `k2data validate` for details"
        )
        raise DataFileError(msg)
    for f in table.fields:
        if f.type == "list":
            df[f.name] = [_split(v, f.delimiter) for v in df[f.name].tolist()]
        elif f.name in dates:
            df[f.name] = pd.to_datetime(df[f.name], format="%Y-%m-%d" if f.type == "date" else "ISO8601")
    df.attrs["k2data_table"] = table.name
    return df


@overload
def load(name: str, *, datapackage: str | Path | None = ...) -> pd.DataFrame: ...
@overload
def load(name: None = ..., *, datapackage: str | Path | None = ...) -> Mapping[str, pd.DataFrame]: ...


def load(
    name: str | None = None,
    *,
    datapackage: str | Path | None = None,
) -> pd.DataFrame | Mapping[str, pd.DataFrame]:
    """Load one table, or all of them, as typed pandas DataFrames.

    Parameters
    ----------
    name : str, optional
        Table name (see :data:`k2data.TABLES`). If omitted, every table is
        loaded and a dict ``{name: DataFrame}`` is returned.
    datapackage : str or Path, optional
        A ``datapackage.json`` (or the folder holding one) to load instead of
        the data bundled with the package, e.g. a contributor's checkout.

    Returns
    -------
    pandas.DataFrame or dict of str to pandas.DataFrame

    Raises
    ------
    UnknownTableError
        If *name* is not a table of the package.
    DataFileError
        If a file does not match its schema.

    Examples
    --------
    >>> import k2data
    >>> trials = k2data.load("trials")
    >>> trials["design_id"].head(0).dtype
    string[python]
    >>> claims = k2data.load("claims")
    >>> sorted(claims["verdict"].cat.categories)
    ['diverges', 'not_found', 'partly_verified', 'verified']
    """
    pkg = package_spec(datapackage)
    base = pkg.path.parent
    if name is not None:
        return read_table(pkg.table(name), base)
    return {t.name: read_table(t, base) for t in pkg.tables}


def coerce_frame(raw: pd.DataFrame, table: TableSpec) -> pd.DataFrame:
    """Type a frame of raw strings leniently: a value that does not parse becomes missing.

    Used by the validator, whose structural checks report the unparsable
    values themselves; :func:`read_table` is the strict, fast path.
    """
    import pandas as pd

    out = pd.DataFrame(index=raw.index)
    for f in table.fields:
        if f.name not in raw.columns:
            continue
        col = raw[f.name]
        if f.type in ("integer", "year"):
            num = pd.to_numeric(col, errors="coerce")
            num = num.where(num.isna() | (num == num.round()))
            out[f.name] = num.astype("Int64")
        elif f.type == "number":
            out[f.name] = pd.to_numeric(col, errors="coerce").astype("float64")
        elif f.type == "boolean":
            out[f.name] = col.map({"true": True, "false": False}).astype("boolean")
        elif f.type == "list":
            out[f.name] = [_split(v, f.delimiter) for v in col.tolist()]
        elif f.type in ("date", "datetime"):
            out[f.name] = pd.to_datetime(col, errors="coerce", format="%Y-%m-%d" if f.type == "date" else "ISO8601")
        else:
            out[f.name] = col.astype(pandas_dtype(f))
    return out
