"""Parsed Arrow columns into the pandas arrays of :func:`k2data.load`, and those arrays into a DataFrame.

Each converter takes one column as pyarrow's CSV reader returns it (a
chunked array; list columns arrive dictionary-encoded when they become
Python lists, as text when they become Arrow lists) and returns what
``load()`` has always returned for it. A value that cannot be
typed raises :class:`ValueError` with a message for people. Columns of at
most :data:`SMALL` rows take a path in plain Python: the bundled tables are
that small, and Arrow's kernels cost more to call than the work they do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["SMALL", "arrow_list_column", "categorical", "empty_for_null", "frame", "integers", "list_column", "numbers", "object_array", "python_values"]

#: Columns of at most this many rows are converted in Python.
SMALL = 1024


def object_array(values: Iterable[Any], count: int | None = None) -> np.ndarray:
    """A one-dimensional object array holding *values* as they are (lists stay lists); *count* if not a sequence."""
    import numpy as np

    n = len(values) if count is None else count  # type: ignore[arg-type]
    try:
        return np.fromiter(values, dtype=object, count=n)
    except ValueError:  # numpy before 1.23 makes no object arrays from an iterator
        array = np.empty(n, dtype=object)
        array[:] = list(values)
        return array


def python_values(col: Any) -> list[Any]:
    """A column's values as Python objects (``None`` where empty); dictionary cells are looked up, not unpacked one by one."""
    import pyarrow as pa

    if not pa.types.is_dictionary(col.type):
        return col.to_pylist()
    out: list[Any] = []
    for chunk in col.chunks:
        values = chunk.dictionary.to_pylist()
        out.extend(values[i] if i is not None else None for i in chunk.indices.to_pylist())
    return out


def _list_rows(encoded: Any, delimiter: str) -> np.ndarray:
    """The rows of a dictionary-encoded array as new lists: each distinct cell split once, each item made once."""
    import numpy as np
    import pyarrow.compute as pc

    split = pc.split_pattern(encoded.dictionary, pattern=delimiter)
    ends = np.cumsum(pc.list_value_length(split).to_numpy()).tolist()
    flat = pc.dictionary_encode(pc.list_flatten(split))
    items = np.array(flat.dictionary.to_pylist(), dtype=object)[flat.indices.to_numpy()].tolist()
    cells = [items[a:b] for a, b in zip([0, *ends[:-1]] if ends else [], ends, strict=True)]
    empty = len(cells)
    cells.append([])
    index = pc.fill_null(encoded.indices, empty).to_numpy()
    rows = object_array(cells)[index]  # the distinct cells' lists, by row
    if (np.bincount(index, minlength=empty + 1)[:empty] != 1).any():  # a cell on several rows: each gets a copy
        return object_array(map(list.copy, rows), count=len(rows))
    for j in np.flatnonzero(index == empty).tolist():  # every cell on one row: its list is that row's
        rows[j] = []
    return rows


def list_column(col: Any, delimiter: str) -> np.ndarray:
    """An object array of Python lists of str, a new list per row (empty for an empty cell)."""
    if len(col) <= SMALL:
        return object_array([v.split(delimiter) if v is not None else [] for v in python_values(col)])
    return _list_rows(col.combine_chunks(), delimiter)


def arrow_list_column(col: Any, delimiter: str) -> Any:
    """A pandas array of Arrow lists of strings (``list<item: string>[pyarrow]``), ``[]`` for an empty cell.

    *col* is the column's text (strings, empty cells null). Arrow splits every
    cell, chunk by chunk as parsed: no Python object is made per row.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if col.type != pa.string():
        col = col.cast(pa.string())
    return pd.arrays.ArrowExtensionArray(empty_for_null(pc.split_pattern(col, pattern=delimiter)))


def empty_for_null(lists: Any) -> Any:
    """A chunked array of lists of strings with each null slot an empty list.

    When every item belongs to a non-null slot (as Arrow's split kernels
    leave them), the validity bitmaps are dropped, which copies nothing;
    otherwise the null slots are replaced.

    Examples
    --------
    >>> import pyarrow as pa
    >>> lists = pa.chunked_array([pa.array([["a", "b"], None, ["c"]], pa.list_(pa.string()))])
    >>> empty_for_null(lists).to_pylist()
    [['a', 'b'], [], ['c']]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not lists.null_count:
        return lists
    kind = pa.list_(pa.string())
    chunks = lists.chunks
    items = pc.sum(pc.list_value_length(lists)).as_py() or 0
    if items == sum(len(c.values) for c in chunks) and not any(c.offset for c in chunks):
        return pa.chunked_array(
            [pa.Array.from_buffers(kind, len(c), [None, c.buffers()[1]], children=[c.values]) for c in chunks], type=kind
        )
    return pc.if_else(pc.is_valid(lists), lists, pa.scalar([], type=kind))


def _outside(values: list[Any], codes: dict[str, int]) -> ValueError:
    bad = sorted({v for v in values if v is not None and v not in codes})[:10]
    return ValueError(f"has values outside its vocabulary ({', '.join(map(repr, bad))})")


def categorical(col: Any, codes: dict[str, int], dtype: Any, vocabulary: Any) -> Any:
    """A categorical of *dtype* (the declared vocabulary, in order; *codes* maps each value to its position).

    *vocabulary* is the same values as an Arrow array, for looking a large
    column up in one call. A value outside the vocabulary raises ValueError.
    """
    import numpy as np
    import pandas as pd

    if len(col) <= SMALL:
        cells = python_values(col)
        found = np.fromiter([codes.get(v, -2) if v is not None else -1 for v in cells], dtype=np.int64, count=len(cells))
        if (found == -2).any():
            raise _outside(cells, codes)
        return pd.Categorical.from_codes(found, dtype=dtype, validate=False)
    import pyarrow.compute as pc

    from ._arrow import to_ints

    found = pc.index_in(col, value_set=vocabulary)  # null for an empty cell and for a value outside
    if found.null_count != col.null_count:
        raise _outside(pc.unique(pc.filter(col, pc.is_null(found))).to_pylist(), codes)
    return pd.Categorical.from_codes(to_ints(found, fill=-1), dtype=dtype, validate=False)


def numbers(col: Any) -> np.ndarray:
    """A float64 array, an empty cell as NaN; a NaN or an infinity written in the file raises ValueError."""
    import numpy as np

    values = col.to_numpy()
    if len(values) - int(np.count_nonzero(np.isfinite(values))) != col.null_count:
        raise ValueError("holds a number that is not finite (NaN or infinity)")
    return values


def integers(col: Any) -> Any:
    """A nullable ``Int64`` array of an int64 column (``pd.NA`` where empty)."""
    import pandas as pd
    import pyarrow.compute as pc

    values = (pc.fill_null(col, 0) if col.null_count else col).to_numpy()
    return pd.arrays.IntegerArray(
        values if values.flags.writeable else values.copy(), col.is_null().to_numpy(), copy=False
    )


def frame(names: list[str], header: pd.Index, places: list[np.ndarray], arrays: list[Any], rows: int) -> pd.DataFrame:
    """The DataFrame of *arrays*: one block per column, as ``pd.DataFrame(dict)`` makes it, without its checks.

    *header* is the column index (copied, so that no two frames share it) and
    *places* the position of each column (``np.array([i])``).
    """
    import numpy as np
    import pandas as pd

    try:
        from pandas.api.internals import create_dataframe_from_blocks
    except ImportError:  # pandas before 3.0
        return pd.DataFrame(dict(zip(names, arrays, strict=True)), copy=False)
    if len(set(names)) != len(names):
        return pd.DataFrame(dict(zip(names, arrays, strict=True)), copy=False)
    blocks = [(a.reshape(1, -1) if isinstance(a, np.ndarray) else a, p) for a, p in zip(arrays, places, strict=True)]
    return create_dataframe_from_blocks(blocks, index=pd.RangeIndex(rows), columns=header.copy())
