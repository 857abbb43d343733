"""How much does ``k2data.load()`` cost compared with ``pandas.read_csv`` of the same files?

Run: ``python benchmarks/bench_load.py`` (after ``pip install .``). It prints the
median of repeated runs for three ways of reading every table, and the import
time of ``k2data`` alone. Results are recorded in ``benchmarks/README.md``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import pandas as pd

import k2data
from k2data.load import package_spec


def median_time(fn, repeat: int = 15) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    pkg = package_spec()
    paths = [pkg.path.parent / t.path for t in pkg.tables]
    raw = median_time(lambda: [pd.read_csv(p) for p in paths])
    typed = median_time(lambda: k2data.load())
    one = median_time(lambda: k2data.load("trials"))
    imp = statistics.median(
        float(
            subprocess.run(
                [sys.executable, "-c", "import time; t=time.perf_counter(); import k2data; print(time.perf_counter()-t)"],
                capture_output=True, text=True, check=True,
            ).stdout
        )
        for _ in range(7)
    )
    rows = sum(len(df) for df in k2data.load().values())
    print(f"tables: {len(paths)}, rows: {rows}")
    print(f"pandas.read_csv, all tables : {raw * 1000:7.1f} ms")
    print(f"k2data.load(), all tables   : {typed * 1000:7.1f} ms  ({typed / raw:.2f}x read_csv)")
    print(f"k2data.load('trials')       : {one * 1000:7.1f} ms")
    print(f"import k2data               : {imp * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
