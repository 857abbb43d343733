"""Load the tables as typed pandas DataFrames.

The dtypes come from the descriptor (see :data:`k2data._package.TYPES`):
enumerated strings become categoricals (every allowed value, in declared
order), integers nullable ``Int64``, numbers ``float64``, booleans
``boolean``, dates ``datetime64``, list fields Python lists, other strings
``string``.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from ._package import TYPES, FieldSpec, PackageSpec, TableSpec, open_package
from .errors import DataFileError

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pandas as pd

__all__ = ["BACKENDS", "from_arrow", "load", "pandas_dtype", "read_table", "table_names"]


def table_names() -> tuple[str, ...]:
    """Names of the bundled tables, in descriptor order."""
    return open_package().table_names


@lru_cache(maxsize=1024)
def pandas_dtype(spec: FieldSpec) -> Any:
    """The pandas dtype that *spec* loads as (list fields load as ``object``)."""
    import pandas as pd

    if spec.enum is not None and spec.type == "string":
        return pd.CategoricalDtype(categories=list(spec.enum), ordered=False)
    if spec.is_list:
        return "object"
    return TYPES[spec.type].pandas


@contextmanager
def _no_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while many small objects are made (the frames hold no cycles)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def read_table(table: TableSpec, pkg: PackageSpec) -> pd.DataFrame:
    """Read one table's CSV file into a typed DataFrame.

    The file is parsed once by pyarrow's CSV reader with the column types the
    descriptor declares, then handed to pandas with nullable dtypes. The file
    must be inside the package (see :mod:`k2data._package.paths`).

    Raises :class:`~k2data.errors.DataFileError` if the file cannot be parsed
    as its schema says (run ``k2data validate`` to see every problem).
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    path = pkg.file(table)
    arrow_types = {"integer": pa.int64(), "year": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}
    column_types = {f.name: arrow_types.get(f.type, pa.string()) for f in table.fields}
    try:
        arrow = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False, block_size=1 << 22),
            convert_options=pacsv.ConvertOptions(
                column_types=column_types,
                null_values=[""],
                strings_can_be_null=True,
                true_values=["true"],
                false_values=["false"],
            ),
        )
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{path}: cannot be loaded as typed table {table.name!r} ({first}); run `k2data validate` for details"
        raise DataFileError(msg) from None
    if arrow.column_names != table.field_names:
        msg = (
            f"{path}: columns {arrow.column_names[:20]} differ from the schema's {table.field_names}; "
            "run `k2data validate` for details"
        )
        raise DataFileError(msg)
    for f in table.fields:
        if f.type == "number" and arrow.num_rows:
            col = arrow.column(f.name)
            if pc.any(pc.invert(pc.is_finite(col))).as_py():
                msg = f"{path}: field {f.name!r} holds a number that is not finite (NaN or infinity); run `k2data validate`"
                raise DataFileError(msg)
    special = {f.name for f in table.fields if f.type in ("list", "date", "datetime") or f.enum is not None}
    plain = arrow.select([f.name for f in table.fields if f.name not in special])
    mapping = {pa.string(): pd.StringDtype(), pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    columns: dict[str, Any] = {}
    with _no_collection():
        frame = plain.to_pandas(types_mapper=mapping.get) if plain.num_columns else None
        for f in table.fields:
            col = arrow.column(f.name)
            if f.name not in special:
                columns[f.name] = frame[f.name].array  # type: ignore[index]
            elif f.type == "list":
                split = pc.split_pattern(col, pattern=f.delimiter).to_pylist()
                items = np.empty(len(split), dtype=object)
                items[:] = [v if v is not None else [] for v in split]
                columns[f.name] = items
            elif f.enum is not None:
                codes = pc.index_in(col, value_set=pa.array(f.enum, type=pa.string()))
                unknown = pc.and_(pc.is_null(codes), pc.is_valid(col))
                if pc.any(unknown).as_py():
                    bad = sorted(set(pc.filter(col, unknown).to_pylist()))[:10]
                    msg = (
                        f"{path}: field {f.name!r} has values outside its vocabulary ({', '.join(map(repr, bad))}); "
                        "run `k2data validate` for details"
                    )
                    raise DataFileError(msg)
                columns[f.name] = pd.Categorical.from_codes(
                    pc.fill_null(codes, -1).to_numpy(zero_copy_only=False), dtype=pandas_dtype(f)
                )
            else:
                fmt = "%Y-%m-%d" if f.type == "date" else "ISO8601"
                try:
                    columns[f.name] = pd.to_datetime(pd.Series(col.to_pylist(), dtype="string"), format=fmt).array
                except (ValueError, OverflowError) as exc:
                    msg = f"{path}: field {f.name!r} holds a value that is not a {f.type} ({exc}); run `k2data validate`"
                    raise DataFileError(msg) from None
        df = pd.DataFrame(columns, copy=False)
    df.attrs["k2data_table"] = table.name
    return df


#: The table libraries :func:`load` can return.
BACKENDS = ("pandas", "polars", "pyarrow")


@overload
def load(
    name: str, *, datapackage: str | Path | None = ..., version: str | None = ..., backend: Literal["pandas"] = ...
) -> pd.DataFrame: ...
@overload
def load(
    name: None = ..., *, datapackage: str | Path | None = ..., version: str | None = ..., backend: Literal["pandas"] = ...
) -> Mapping[str, pd.DataFrame]: ...
@overload
def load(
    name: str | None = ..., *, datapackage: str | Path | None = ..., version: str | None = ..., backend: str
) -> Any: ...


def load(
    name: str | None = None,
    *,
    datapackage: str | Path | None = None,
    version: str | None = None,
    backend: str = "pandas",
) -> Any:
    """Load one table, or all of them, as typed pandas DataFrames (or polars or Arrow tables).

    Parameters
    ----------
    name : str, optional
        Table name (see :data:`k2data.TABLES`). If omitted, every table is
        loaded and a dict ``{name: table}`` is returned.
    datapackage : str or Path, optional
        A ``datapackage.json`` (or the folder holding one) to load instead of
        the data bundled with the package, e.g. a contributor's checkout. Its
        files are read only if they are inside its folder.
    version : str, optional
        A released data version such as ``"0.1.0"``. The version bundled with
        the package (``k2data.__version__``) loads from the wheel, offline;
        any other is downloaded once from its release (the Parquet files),
        verified against the sha256 registry shipped with k2data and cached
        (``K2DATA_RELEASE_URL`` and ``K2DATA_CACHE_DIR`` override where from
        and where to; see :mod:`k2data.fetch`). Not combinable with
        *datapackage*.
    backend : {"pandas", "polars", "pyarrow"}, default "pandas"
        The library of the tables returned: pandas DataFrames; ``pyarrow``
        Tables with the schema of the release's Parquet files (vocabularies
        as dictionaries, lists as lists, each column's description and unit in
        its field metadata); or polars DataFrames made from those
        (``pl.from_arrow``). polars is optional: ``pip install "k2data[polars]"``.

    Returns
    -------
    pandas.DataFrame, polars.DataFrame or pyarrow.Table, or a dict of str to them

    Raises
    ------
    UnknownTableError
        If *name* is not a table of the package (or of that version).
    DataFileError
        If a file does not match its schema, or lies outside the package.
    DownloadError
        If *version* is not known, cannot be downloaded or fails its checksum.
    MissingDependencyError
        If *backend* is ``"polars"`` and polars is not installed.

    Examples
    --------
    >>> import k2data
    >>> trials = k2data.load("trials")
    >>> str(trials["design_id"].dtype)
    'string'
    >>> claims = k2data.load("claims")
    >>> sorted(claims["verdict"].cat.categories)
    ['diverges', 'not_found', 'partly_verified', 'verified']
    >>> arrow = k2data.load("trials", backend="pyarrow")
    >>> arrow.schema.field("dose_min_mg_d").metadata[b"unit"]
    b'mg/d'
    """
    if backend not in BACKENDS:
        msg = f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}"
        raise ValueError(msg)
    convert = _converter(backend)
    if version is not None:
        if datapackage is not None:
            msg = "pass either datapackage= or version=, not both"
            raise ValueError(msg)
        if version.lstrip("vV") != open_package().version:
            from .fetch import load_version, read_arrow

            if backend == "pandas":
                return load_version(name, version)
            return read_arrow(name, version, backend)
    pkg = open_package(datapackage)
    if name is not None:
        return convert(pkg.table(name), read_table(pkg.table(name), pkg), pkg.version)
    return {t.name: convert(t, read_table(t, pkg), pkg.version) for t in pkg.tables}


def _converter(backend: str) -> Any:
    """A function ``(spec, frame, version) -> table`` for *backend*; checks that its library is installed."""
    if backend == "pandas":
        return lambda spec, frame, version: frame
    if backend == "polars":
        try:
            import polars  # noqa: F401
        except ImportError:
            from .errors import MissingDependencyError

            msg = 'backend="polars" needs polars, which is not installed; pip install "k2data[polars]"'
            raise MissingDependencyError(msg) from None

    def to_arrow(spec: TableSpec, frame: pd.DataFrame, version: str) -> Any:
        from .export.parquet import arrow_table

        table = arrow_table(spec, frame, version)
        return table if backend == "pyarrow" else from_arrow(table)

    return to_arrow


def from_arrow(table: Any) -> Any:
    """*table* (an Arrow table of k2data's Parquet schema) as a polars DataFrame."""
    import polars as pl

    return pl.from_arrow(table)
