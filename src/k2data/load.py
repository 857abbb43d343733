"""Load the tables as typed pandas DataFrames.

The dtypes come from the descriptor (see :data:`k2data._package.TYPES`):
enumerated strings become categoricals (every allowed value, in declared
order), integers nullable ``Int64``, numbers ``float64``, booleans
``boolean``, dates ``datetime64``, list fields Python lists, other strings
``string``.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, overload

from . import _frames
from ._package import TYPES, FieldSpec, PackageSpec, TableSpec, open_package
from .errors import DataFileError

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pandas as pd

__all__ = ["BACKENDS", "LISTS", "from_arrow", "load", "pandas_dtype", "read_table", "table_names"]


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
    """Pause the cyclic garbage collector while many small objects are made (the frames hold no cycles).

    Only the collector's on/off switch is touched, and restored: objects the
    program already has keep their generations (k2data does not freeze or
    move them).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class _Plan:
    """How one table is read: the CSV reader's options and, per column, how it becomes a pandas array."""

    def __init__(self, table: TableSpec, lists: str) -> None:
        import numpy as np
        import pandas as pd
        import pyarrow as pa
        from pyarrow import csv as pacsv

        scalar = {"integer": pa.int64(), "year": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}
        self.table = table
        self.names = table.field_names
        self.header = pd.Index(self.names)
        self.places = [np.array([i]) for i in range(len(self.names))]
        self.read = pacsv.ReadOptions(use_threads=False, block_size=_BLOCK_BYTES)
        types: dict[str, Any] = {}
        self.columns: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = []  # name, converter, its arguments after the column
        for f in table.fields:
            types[f.name] = scalar.get(f.type, pa.large_string())
            if f.is_list and lists == "arrow":  # Arrow splits the text of every cell
                types[f.name] = pa.string()
                self.columns.append((f.name, _frames.arrow_list_column, (f.delimiter,)))
            elif f.is_list:  # Python lists: each distinct cell is split once, so the cells come dictionary-encoded
                types[f.name] = pa.dictionary(pa.int32(), pa.large_string())
                self.columns.append((f.name, _frames.list_column, (f.delimiter,)))
            elif f.enum is not None and f.type == "string":
                codes = {v: i for i, v in enumerate(f.enum)}
                self.columns.append((f.name, _frames.categorical, (codes, pandas_dtype(f), pa.array(f.enum, pa.large_string()))))
            elif f.type == "number":
                self.columns.append((f.name, _frames.numbers, ()))
            elif f.type in ("integer", "year"):
                self.columns.append((f.name, _frames.integers, ()))
            elif f.type in ("date", "datetime"):
                self.columns.append((f.name, _datetimes, (f.type,)))
            else:
                dtype: Any = pd.api.types.pandas_dtype(TYPES[f.type].pandas)  # string or boolean: an extension dtype
                self.columns.append((f.name, dtype.__from_arrow__, ()))
        self.convert = pacsv.ConvertOptions(
            column_types=types, null_values=[""], strings_can_be_null=True, true_values=["true"], false_values=["false"]
        )


#: Bytes the CSV reader parses at a time (larger blocks are slower: they fall out of the CPU caches).
_BLOCK_BYTES = 1 << 20
_PLANS: dict[tuple[int, str], _Plan] = {}


def _plan(table: TableSpec, lists: str) -> _Plan:
    """The reading plan of *table* with lists as *lists*, made once per table spec."""
    plan = _PLANS.get((id(table), lists))
    if plan is None or plan.table is not table:
        if len(_PLANS) >= 1024:
            _PLANS.clear()
        plan = _PLANS[id(table), lists] = _Plan(table, lists)
    return plan


def _refuse(path: Path, what: str) -> DataFileError:
    return DataFileError(f"{path}: {what}; run `k2data validate` for details")


def _datetimes(col: Any, kind: str) -> Any:
    """The datetime64 array of a date or datetime column (raises ValueError for a value that is not one)."""
    import pandas as pd

    fmt = "%Y-%m-%d" if kind == "date" else "ISO8601"
    try:
        return pd.to_datetime(pd.Series(col.to_pylist(), dtype="string"), format=fmt).array
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"holds a value that is not a {kind} ({exc})") from None


def read_table(table: TableSpec, pkg: PackageSpec, lists: str = "python") -> pd.DataFrame:
    """Read one table's CSV file into a typed DataFrame.

    The file is memory-mapped and parsed once by pyarrow's CSV reader with
    the column types the descriptor declares, then each column becomes its
    pandas array (strings stay in Arrow memory; vocabularies are looked up by
    Arrow). List fields hold Python lists (each distinct cell split once), or
    Arrow lists split by Arrow if *lists* is ``"arrow"``. The file must be
    inside the package (see :mod:`k2data._package.paths`).

    Raises :class:`~k2data.errors.DataFileError` if the file cannot be parsed
    as its schema says (run ``k2data validate`` to see every problem).
    """
    return _typed(_parse(table, pkg, lists))


class _Parsed(NamedTuple):
    """One table's file as parsed, before its columns are converted."""

    table: TableSpec
    path: Path
    plan: _Plan
    arrow: Any


def _parse(table: TableSpec, pkg: PackageSpec, lists: str) -> _Parsed:
    """Parse *table*'s file with the column types of its plan (the file is mapped into memory, not copied)."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    path = pkg.file(table)
    plan = _plan(table, lists)
    try:
        with pa.memory_map(str(path)) as source:
            arrow = pacsv.read_csv(source, read_options=plan.read, convert_options=plan.convert)
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        column = re.match(r"In CSV column #(\d+)", first)
        where = f" field {plan.names[int(column[1])]!r}" if column and int(column[1]) < len(plan.names) else ""
        raise _refuse(path, f"cannot be loaded as typed table {table.name!r}{where} ({first})") from None
    if arrow.column_names != plan.names:
        raise _refuse(path, f"columns {arrow.column_names[:20]} differ from the schema's {plan.names}")
    return _Parsed(table, path, plan, arrow)


def _typed(parsed: _Parsed) -> pd.DataFrame:
    """The DataFrame of a parsed table: each column converted to its pandas array."""
    table, path, plan, arrow = parsed
    arrays = []
    with _no_collection():
        for i, (name, convert, args) in enumerate(plan.columns):
            try:
                arrays.append(convert(arrow.column(i), *args))
            except ValueError as exc:
                raise _refuse(path, f"field {name!r} {exc}") from None
        df = _frames.frame(plan.names, plan.header, plan.places, arrays, arrow.num_rows)
    df.attrs["k2data_table"] = table.name
    return df


#: The table libraries :func:`load` can return.
BACKENDS = ("pandas", "polars", "pyarrow")
#: What a list field's cells can be in a pandas DataFrame.
LISTS = ("python", "arrow")


@overload
def load(
    name: str,
    *,
    datapackage: str | Path | None = ...,
    version: str | None = ...,
    backend: Literal["pandas"] = ...,
    lists: str = ...,
) -> pd.DataFrame: ...
@overload
def load(
    name: None = ...,
    *,
    datapackage: str | Path | None = ...,
    version: str | None = ...,
    backend: Literal["pandas"] = ...,
    lists: str = ...,
) -> Mapping[str, pd.DataFrame]: ...
@overload
def load(
    name: str | None = ..., *, datapackage: str | Path | None = ..., version: str | None = ..., backend: str, lists: str = ...
) -> Any: ...


def load(
    name: str | None = None,
    *,
    datapackage: str | Path | None = None,
    version: str | None = None,
    backend: str = "pandas",
    lists: str = "python",
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
    lists : {"python", "arrow"}, default "python"
        What a list field's cells are in a pandas DataFrame: a new Python list
        of str per row (``[]`` for an empty cell), or Arrow lists
        (``pd.ArrowDtype(pa.list_(pa.string()))``), which are faster to make
        for large tables and hold the same items. The other backends always
        give Arrow lists.

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
    >>> k2data.load("trials", lists="arrow")["reference_ids"].dtype
    list<item: string>[pyarrow]
    >>> arrow = k2data.load("trials", backend="pyarrow")
    >>> arrow.schema.field("dose_min_mg_d").metadata[b"unit"]
    b'mg/d'
    """
    if backend not in BACKENDS:
        msg = f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}"
        raise ValueError(msg)
    if lists not in LISTS:
        msg = f"lists must be one of {', '.join(LISTS)}, not {lists!r}"
        raise ValueError(msg)
    convert = _converter(backend)
    if version is not None:
        if datapackage is not None:
            msg = "pass either datapackage= or version=, not both"
            raise ValueError(msg)
        if version.lstrip("vV") != open_package().version:
            from .fetch import load_version, read_arrow

            if backend == "pandas":
                return load_version(name, version, lists)
            return read_arrow(name, version, backend)
    pkg = open_package(datapackage)
    if name is not None:
        return convert(pkg.table(name), read_table(pkg.table(name), pkg, lists), pkg.version)
    with _no_collection():  # one pause for every table: the lists of one are not traversed again while the next is built
        parsed = [_parse(t, pkg, lists) for t in pkg.tables]  # every file first, then every conversion: each phase's code stays in the CPU caches
        parsed.reverse()
        frames = {}
        while parsed:
            one = parsed.pop()  # a table's parsed copy is let go as soon as it is converted
            frames[one.table.name] = convert(one.table, _typed(one), pkg.version)
        return frames


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
