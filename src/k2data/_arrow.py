"""numpy and Arrow, both ways, without importing pandas.

pyarrow imports pandas (when it is installed) the first time it converts a
Python or numpy value (``pa.array``, ``pa.scalar``, a Python scalar passed to
a compute function, ``Array.to_numpy``), which costs a cold ``k2data
validate`` more than all of its checks on a small package. The validator
therefore builds Arrow arrays from their buffers and reads them back the same
way; these helpers are the only place that does it.

>>> import numpy as np
>>> from k2data._arrow import booleans, strings, to_bool
>>> strings(["a", "bc"]).to_pylist()
['a', 'bc']
>>> to_bool(booleans(np.array([True, False, True]))).tolist()
[True, False, True]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

__all__ = ["booleans", "float64s", "int64s", "scalar", "strings", "to_bool", "to_float64", "to_int64", "to_ints"]


def booleans(mask: np.ndarray) -> pa.BooleanArray:
    """A boolean Arrow array (no nulls) of a numpy mask."""
    import numpy as np
    import pyarrow as pa

    bits = np.packbits(np.asarray(mask, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(mask), [None, pa.py_buffer(bits)])  # type: ignore[return-value]


def int64s(values: np.ndarray) -> pa.Int64Array:
    """An int64 Arrow array (no nulls) of numpy integers."""
    import numpy as np
    import pyarrow as pa

    data = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])  # type: ignore[return-value]


def float64s(values: np.ndarray) -> pa.DoubleArray:
    """A float64 Arrow array (no nulls) of numpy numbers."""
    import numpy as np
    import pyarrow as pa

    data = np.ascontiguousarray(values, dtype=np.float64)
    return pa.Array.from_buffers(pa.float64(), len(data), [None, pa.py_buffer(data)])  # type: ignore[return-value]


def strings(values: list[str]) -> pa.StringArray:
    """A string Arrow array (no nulls) of Python strings."""
    import numpy as np
    import pyarrow as pa

    encoded = [v.encode("utf-8", "surrogatepass") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    if encoded:
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
    data = b"".join(encoded)
    return pa.Array.from_buffers(pa.string(), len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(data)])  # type: ignore[return-value]


def scalar(value: str | bool | int | float) -> pa.Scalar:
    """An Arrow scalar of a Python value (for the compute functions)."""
    import numpy as np

    if isinstance(value, str):
        return strings([value])[0]
    if isinstance(value, bool):
        return booleans(np.array([value]))[0]
    if isinstance(value, int):
        return int64s(np.array([value]))[0]
    return float64s(np.array([value]))[0]


def _chunks(arr: Any) -> list[Any]:
    return arr.chunks if hasattr(arr, "chunks") else [arr]


def to_bool(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array as a numpy mask; a null is ``False``."""
    import numpy as np

    parts = []
    for chunk in _chunks(arr):
        n, off = len(chunk), chunk.offset
        validity, data = chunk.buffers()[:2]
        if n == 0 or data is None:
            parts.append(np.zeros(n, dtype=bool))
            continue
        bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little", count=off + n)[off:].astype(bool)
        if validity is not None and chunk.null_count:
            bits &= np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little", count=off + n)[off:].astype(bool)
        parts.append(bits)
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def _to_numbers(arr: Any, dtype: Any, fill: float | int) -> np.ndarray:
    import numpy as np

    parts = []
    for chunk in _chunks(arr):
        n, off = len(chunk), chunk.offset
        validity, data = chunk.buffers()[:2]
        if n == 0 or data is None:
            parts.append(np.full(n, fill, dtype=dtype))
            continue
        values = np.frombuffer(data, dtype=dtype)[off : off + n]  # a read-only view while there is no null
        if validity is not None and chunk.null_count:
            valid = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little", count=off + n)[off:].astype(bool)
            values = np.where(valid, values, np.array(fill, dtype=dtype))
        parts.append(values)
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def to_ints(arr: pa.Array | pa.ChunkedArray, fill: int = 0) -> np.ndarray:
    """An integer Arrow array as numpy integers of the same width and sign; a null is *fill*.

    The result may be a read-only view of the Arrow buffer.
    """
    import numpy as np

    dtype = np.dtype(f"{'u' if str(arr.type).startswith('u') else ''}int{arr.type.bit_width}")
    return _to_numbers(arr, dtype, fill)


def to_int64(arr: pa.Array | pa.ChunkedArray, fill: int = 0) -> np.ndarray:
    """An integer Arrow array (of any width, signed or not) as int64 numpy; a null is *fill*.

    The result may be a read-only view of the Arrow buffer.
    """
    import numpy as np

    values = to_ints(arr, fill)
    return values if values.dtype == np.int64 else values.astype(np.int64)


def to_float64(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A float64 Arrow array as numpy; a null is NaN. The result may be a read-only view of the Arrow buffer."""
    import numpy as np

    return _to_numbers(arr, np.float64, np.nan)
