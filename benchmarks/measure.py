"""How the benchmarks measure: CPU time of child processes, and paired in-process timings of loading.

Every figure is CPU time (user + system), not wall time: the machine may be
shared, and a reader that uses more cores is not made to look faster by them.

- :func:`run_cpu` runs a command in a new process and returns its CPU time
  and peak resident memory (``os.wait4``), imports included;
- :func:`load_child` is run in a fresh process per package (``python
  benchmarks/measure.py load DIR REPEAT``): it times ``k2data.load()`` of
  every table against ``pandas.read_csv`` and ``pyarrow.csv.read_csv`` of
  the same files, in alternating order, a full garbage collection (not timed)
  before each and a young-generation one (timed) after, and prints the times
  as JSON;
- :func:`import_times` reads ``python -X importtime`` of a command into the
  time spent importing each top-level package.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Run", "import_times", "load_child", "run_cpu"]


@dataclass(frozen=True)
class Run:
    """One child process: CPU seconds, peak resident memory in MiB, exit status and what it printed."""

    cpu: float
    peak_mib: float
    status: int
    stdout: str


def run_cpu(cmd: Sequence[str], *, env: dict[str, str] | None = None) -> Run:
    """Run *cmd* and return its CPU time and peak memory (of that process and the children it waited for)."""
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=devnull, env=env)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode, out.decode("utf-8", "replace"))


def _timed(fn: Callable[[], object]) -> float:
    """CPU seconds of *fn*, from a clean garbage collector to the young-generation collection its objects need."""
    import gc

    gc.collect()
    start = time.process_time()
    result = fn()
    gc.collect(0)  # a collection that fn only deferred is still fn's cost
    spent = time.process_time() - start
    del result
    return spent


def load_child(folder: Path, repeat: int) -> dict[str, list[float]]:
    """Time ``k2data.load()`` of every table and the two CSV readers on the same files, *repeat* times each."""
    import pandas as pd
    from pyarrow import csv as pacsv

    import k2data
    from k2data._package import open_package

    pkg = open_package(folder)
    paths = [pkg.root / t.path for t in pkg.tables]
    single = pacsv.ReadOptions(use_threads=False)
    ways: dict[str, Callable[[], object]] = {
        "load": lambda: k2data.load(datapackage=folder),
        "load_arrow": lambda: k2data.load(datapackage=folder, lists="arrow"),
        "read_csv": lambda: [pd.read_csv(p) for p in paths],
        "pyarrow": lambda: [pacsv.read_csv(p, read_options=single) for p in paths],
    }
    for fn in ways.values():  # warm the file cache and every import
        fn()
    times: dict[str, list[float]] = {name: [] for name in ways}
    order = list(ways)
    for i in range(repeat):
        for name in order if i % 2 == 0 else reversed(order):
            times[name].append(_timed(ways[name]))
    return times


def import_times(cmd: Sequence[str], *, env: dict[str, str] | None = None) -> dict[str, float]:
    """Seconds spent importing each top-level package while *cmd* (a Python command line) runs."""
    out = subprocess.run([cmd[0], "-X", "importtime", *cmd[1:]], capture_output=True, text=True, env=env)
    per: dict[str, float] = {}
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m is None:
            continue
        top = m.group(4).split(".")[0]
        per[top] = per.get(top, 0.0) + int(m.group(1)) / 1e6  # self time: each module counted once
    return per


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "load":
        print(json.dumps(load_child(Path(sys.argv[2]), int(sys.argv[3]))))
    else:
        sys.exit("usage: python benchmarks/measure.py load FOLDER REPEAT")
