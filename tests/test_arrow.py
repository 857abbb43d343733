"""k2data._arrow: numpy and Arrow both ways, with offsets, nulls and chunks, and without importing pandas."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from k2data._arrow import booleans, float64s, int64s, scalar, strings, to_bool, to_float64, to_int64, to_ints


def test_arrays_from_numpy_and_python_equal_pyarrow_s_own() -> None:
    mask = np.array([True, False, True, True, False, False, False, True, True])
    assert booleans(mask).equals(pa.array(mask))
    assert int64s(np.array([1, -2, 3], dtype=np.int32)).equals(pa.array([1, -2, 3], pa.int64()))
    assert float64s(np.array([0.5, np.inf])).equals(pa.array([0.5, np.inf]))
    words = ["", "é", "a,b", "\x00", "\U0001f600"]
    assert strings(words).equals(pa.array(words, pa.string()))
    assert strings([]).equals(pa.array([], pa.string()))
    assert [scalar(v).as_py() for v in ("x", True, 7, 2.5)] == ["x", True, 7, 2.5]
    assert scalar(True).type == pa.bool_() and scalar(7).type == pa.int64()


@pytest.mark.parametrize("offset", [0, 3, 8, 13])
def test_arrow_to_numpy_honours_offsets_and_nulls(offset: int) -> None:
    values = [True, None, False, True, None, True, False, False, True, None] * 3
    arr = pa.array(values).slice(offset)
    assert to_bool(arr).tolist() == [bool(v) for v in values[offset:]]
    ints = pa.array([None if v is None else int(v) + i for i, v in enumerate(values)], pa.int64()).slice(offset)
    assert to_int64(ints, fill=-1).tolist() == [-1 if v is None else v for v in ints.to_pylist()]
    floats = pa.array([None if v is None else float(i) for i, v in enumerate(values)]).slice(offset)
    expected = np.array([np.nan if v is None else v for v in floats.to_pylist()])
    np.testing.assert_array_equal(to_float64(floats), expected)


def test_chunked_and_narrow_arrays() -> None:
    chunked = pa.chunked_array([pa.array([True, None]), pa.array([], pa.bool_()), pa.array([False, True])])
    assert to_bool(chunked).tolist() == [True, False, False, True]
    assert to_int64(pa.array([1, 2], pa.int32())).dtype == np.int64
    assert to_int64(pa.array([2**63 + 1], pa.uint64())).dtype == np.int64  # wraps as numpy's astype does
    assert to_int64(pa.chunked_array([], pa.int64())).tolist() == []
    assert to_float64(pa.array([], pa.float64())).tolist() == []
    narrow = to_ints(pa.chunked_array([pa.array([1, None], pa.int32()), pa.array([-3], pa.int32())]), fill=-1)
    assert narrow.dtype == np.int32 and narrow.tolist() == [1, -1, -3]
    assert to_ints(pa.array([250], pa.uint8())).dtype == np.uint8


def test_nothing_here_imports_pandas() -> None:
    code = (
        "import sys, numpy as np, pyarrow.compute as pc\n"
        "from k2data._arrow import *\n"
        "a = strings(['a', 'b', ''])\n"
        "m = to_bool(pc.equal(a, scalar('')))\n"
        "to_int64(pc.binary_length(a.filter(booleans(~m)))); to_float64(float64s(np.zeros(2)))\n"
        "print('pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
