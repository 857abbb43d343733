"""Run every benchmark of k2data once and print the ratios, with the date: ``python benchmarks/run.py``.

What it measures (CPU time, median of paired runs; see :mod:`measure`):

- ``k2data validate`` against ``frictionless validate`` of the same package,
  each in a new process (imports included): the bundled package (1x), the
  bundled package scaled 10x, 100x and 1000x (:func:`generate.scaled`) and the
  million-row package with its planted defects (:func:`generate.million`),
  with the peak memory of each and whether every planted defect was found;
- ``k2data.load()`` of every table against ``pandas.read_csv`` and
  ``pyarrow.csv.read_csv`` (one thread, as ``load()`` reads) of the same files;
- the time ``k2data validate`` spends importing each package, against a budget.

Options: ``--tiny`` (sizes 1x and 2x, 2,000 rows instead of a million, one
run each: the smoke test CI runs), ``--work DIR`` (keep the generated packages
there and reuse them), ``--repeat-scale N`` (multiply the number of runs).
The figures in ``benchmarks/README.md`` come from a run of this script.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import json
import os
import platform
import statistics
import sys
import tempfile
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import MILLION_PLACES, MILLION_ROWS, million, scaled
from measure import import_times, run_cpu

import k2data
from k2data._package import bundled_descriptor_path

HERE = Path(__file__).resolve().parent
#: Runs per size: validation (each run is two processes) and load.
RUNS = {1: (9, 31), 10: (7, 31), 100: (5, 31), 1000: (3, 7), "million": (3, 0)}
#: The targets of issue "validation five times faster than frictionless": (validate ratio, load ratio); lower is better.
TARGETS: dict[object, tuple[str, str]] = {
    1: ("<= 1.2 (cold start)", "<= 1.2"),
    10: ("", ""),
    100: ("", "<= 1.2"),
    1000: ("<= 1/3", "<= 1.5"),
    "million": ("<= 1/5, < 300 MiB", ""),
}
#: Milliseconds `k2data validate` may spend importing each top-level package (self time of its modules, summed,
#: median of 3 runs); `*` is all imports. frictionless is there for the descriptor's Data Package profile check only.
IMPORT_BUDGET_MS = {
    "pandas": 0, "pandera": 0, "matplotlib": 0, "pooch": 0,
    "frictionless": 120, "numpy": 60, "pyarrow": 60, "k2data": 60, "click": 20, "*": 450,
}  # fmt: skip


def _median_ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def _rows(descriptor: Path) -> int:
    raw = json.loads(descriptor.read_text(encoding="utf-8"))
    total = 0
    for res in raw["resources"]:
        with open(descriptor.parent / res["path"], "rb") as fh:
            total += sum(block.count(b"\n") for block in iter(lambda fh=fh: fh.read(1 << 20), b"")) - 1
    return total


def prepare(work: Path, scales: list[int], million_rows: int) -> dict[object, Path]:
    """The descriptor of each package measured, generated into *work* unless already there."""
    out: dict[object, Path] = {}
    for factor in scales:
        if factor == 1:
            out[1] = bundled_descriptor_path()
            continue
        folder = work / f"x{factor}"
        if not (folder / "datapackage.json").is_file():
            scaled(factor, folder)
        out[factor] = folder / "datapackage.json"
    folder = work / f"million-{million_rows}"
    if not (folder / "datapackage.json").is_file():
        million(folder, million_rows)
    out["million"] = folder / "datapackage.json"
    return out


def validation(size: object, descriptor: Path, runs: int) -> dict[str, object]:
    """Paired runs of ``k2data validate`` and ``frictionless validate``; CPU times, ratio, peak memory, findings."""
    k2 = [sys.executable, "-m", "k2data", "validate", "--format", "json", str(descriptor)]
    fl = [sys.executable, "-m", "frictionless", "validate", str(descriptor)]
    mine, theirs = [], []
    for i in range(runs):
        pair = (run_cpu(k2), run_cpu(fl)) if i % 2 == 0 else tuple(reversed((run_cpu(fl), run_cpu(k2))))
        mine.append(pair[0])
        theirs.append(pair[1])
    report = json.loads(mine[0].stdout)
    reports = report if isinstance(report, list) else [report]
    found = {(p["row"], p["field"]) for r in reports for p in r["problems"]}
    if size == "million":
        wanted = {(row, f) for row, f in MILLION_PLACES if row <= int(descriptor.parent.name.split("-")[1]) + 1}
        verdict = f"{len(wanted & found)} of {len(wanted)} planted defects found"
    else:
        agree = (mine[0].status == 0) == (theirs[0].status == 0)
        verdict = ("valid" if mine[0].status == 0 else "invalid") + ("" if agree else " (frictionless disagrees)")
    return {
        "k2data": statistics.median(r.cpu for r in mine),
        "frictionless": statistics.median(r.cpu for r in theirs),
        "ratio": _median_ratio([r.cpu for r in mine], [r.cpu for r in theirs]),
        "peak": (max(r.peak_mib for r in mine), max(r.peak_mib for r in theirs)),
        "verdict": verdict,
    }


def loading(descriptor: Path, runs: int) -> dict[str, float]:
    """``k2data.load()`` against the two CSV readers, in a fresh process."""
    out = run_cpu([sys.executable, str(HERE / "measure.py"), "load", str(descriptor.parent), str(runs)])
    if out.status != 0:
        raise SystemExit(f"the load benchmark of {descriptor} failed (exit {out.status})")
    times = json.loads(out.stdout)
    return {
        "load": statistics.median(times["load"]),
        "load_arrow": statistics.median(times["load_arrow"]),
        "arrow_vs_read_csv": _median_ratio(times["load_arrow"], times["read_csv"]),
        "read_csv": statistics.median(times["read_csv"]),
        "pyarrow": statistics.median(times["pyarrow"]),
        "vs_read_csv": _median_ratio(times["load"], times["read_csv"]),
        "vs_pyarrow": _median_ratio(times["load"], times["pyarrow"]),
    }


def _label(size: object, rows: int) -> str:
    return f"million ({rows:,} rows)" if size == "million" else f"{size}x ({rows:,} rows)"


def _header() -> list[str]:
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("k2data", "pandas", "pyarrow", "numpy", "frictionless"))
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"k2data benchmarks, {today}",
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs; {versions}",
        "CPU time (user + system), median of paired runs; a ratio is k2data's time over the other's (lower is better).",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="1x and 2x, 2,000 rows, one run each (smoke test)")
    parser.add_argument("--work", type=Path, help="keep the generated packages in this folder and reuse them")
    parser.add_argument("--repeat-scale", type=float, default=1.0, help="multiply the number of runs")
    args = parser.parse_args(argv)
    scales, rows = ([1, 2], 2_000) if args.tiny else ([1, 10, 100, 1000], MILLION_ROWS)
    runs = {size: (1, 2) for size in [*scales, "million"]} if args.tiny else RUNS
    # byte-compile k2data as pip does when it installs the wheel (a checkout run with PYTHONDONTWRITEBYTECODE=1 would
    # otherwise compile every module in every new process, which frictionless, installed by pip, never does)
    compileall.compile_dir(str(Path(k2data.__file__).parent), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        packages = prepare(work, scales, rows)
        print("\n".join(_header()))
        print("\n## k2data validate against frictionless validate (a new process each, imports included)\n")
        print("| package | k2data | frictionless | ratio | target | peak MiB (k2data, frictionless) | found |")
        print("|---|---:|---:|---:|---|---:|---|")
        for size, descriptor in packages.items():
            n = max(1, round(runs[size][0] * args.repeat_scale))
            v = validation(size, descriptor, n)
            peak = v["peak"]
            print(
                f"| {_label(size, _rows(descriptor))} | {v['k2data']:.2f} s | {v['frictionless']:.2f} s | "
                f"{v['ratio']:.2f} | {TARGETS.get(size, ('', ''))[0]} | {peak[0]:.0f}, {peak[1]:.0f} | {v['verdict']} |",  # type: ignore[index]
                flush=True,
            )
        print("\n## k2data.load() of every table against pandas.read_csv and pyarrow.csv.read_csv (one thread)\n")
        print('| package | read_csv | load() | ratio | load(lists="arrow") | ratio | target | pyarrow.csv | ratio |')
        print("|---|---:|---:|---:|---:|---:|---|---:|---:|")
        for size, descriptor in packages.items():
            if size == "million":
                continue
            n = max(2, round(runs[size][1] * args.repeat_scale))
            lo = loading(descriptor, n)
            print(
                f"| {_label(size, _rows(descriptor))} | {lo['read_csv'] * 1000:.1f} ms | {lo['load'] * 1000:.1f} ms | "
                f"{lo['vs_read_csv']:.2f} | {lo['load_arrow'] * 1000:.1f} ms | {lo['arrow_vs_read_csv']:.2f} | "
                f"{TARGETS.get(size, ('', ''))[1]} | {lo['pyarrow'] * 1000:.1f} ms | {lo['vs_pyarrow']:.2f} |",
                flush=True,
            )
        _print_imports(packages[1])


def _print_imports(descriptor: Path) -> None:
    runs = [import_times([sys.executable, "-m", "k2data", "validate", str(descriptor)]) for _ in range(3)]
    per = {name: statistics.median(r.get(name, 0.0) for r in runs) for name in set().union(*runs)}
    total = statistics.median(sum(r.values()) for r in runs)
    print("\n## What `k2data validate` of the bundled package imports (self time, ms) against its budget\n")
    print("| package | ms | budget | |")
    print("|---|---:|---:|---|")
    shown = sorted(set(IMPORT_BUDGET_MS) - {"*"} | {k for k, v in per.items() if v >= 0.005}, key=lambda k: -per.get(k, 0))
    for name in shown:
        ms = per.get(name, 0.0) * 1000
        budget = IMPORT_BUDGET_MS.get(name)
        over = "over budget" if budget is not None and ms > budget else ""
        print(f"| {name} | {ms:.1f} | {'' if budget is None else budget} | {over} |")
    over = "over budget" if total * 1000 > IMPORT_BUDGET_MS["*"] else ""
    print(f"| all imports | {total * 1000:.1f} | {IMPORT_BUDGET_MS['*']} | {over} |")


if __name__ == "__main__":
    main()
