"""Validate a 1,000,000-row table: wall time and peak memory.

Run: ``python benchmarks/bench_validate_million.py`` (after ``pip install .``).
Writes a temporary one-table package with three planted defects, validates
it in a fresh process and prints the time, the peak resident memory and what
was reported. Results are recorded in ``benchmarks/README.md``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS = 1_000_000

DESCRIPTOR = {
    "name": "big",
    "resources": [
        {
            "name": "genes",
            "path": "data/genes.csv",
            "type": "table",
            "format": "csv",
            "encoding": "utf-8",
            "schema": {
                "fields": [
                    {"name": "gene_id", "type": "string", "constraints": {"required": True, "unique": True, "pattern": "^G[0-9]+$"}},
                    {"name": "score", "type": "number", "constraints": {"minimum": 0, "maximum": 1}},
                    {"name": "note", "type": "string"},
                ],
                "primaryKey": ["gene_id"],
            },
        }
    ],
}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "data").mkdir()
        (root / "datapackage.json").write_text(json.dumps(DESCRIPTOR), encoding="utf-8")
        bad = {10: "G10,1.5,x", 500_000: "G500000,0.5,=cmd()", 999_999: "g999999,0.1,x"}
        with open(root / "data" / "genes.csv", "w", encoding="utf-8", newline="") as fh:
            fh.write("gene_id,score,note\n")
            fh.writelines(f"{bad.get(i, f'G{i},0.5,x')}\n" for i in range(1, ROWS + 1))
        code = (
            "import json, resource, sys, time, k2data\n"
            "t = time.perf_counter(); r = k2data.validate(sys.argv[1]); s = time.perf_counter() - t\n"
            "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
            "print(json.dumps({'seconds': s, 'peak_mib': peak, 'problems': r.problem_count}))\n"
        )
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code, str(root / "datapackage.json")], capture_output=True, text=True, check=True)
        total = time.perf_counter() - t0
        res = json.loads(out.stdout)
        size = (root / "data" / "genes.csv").stat().st_size / 2**20
        print(f"rows: {ROWS:,}  file: {size:.1f} MiB")
        print(f"validate(): {res['seconds']:.1f} s  (process incl. imports: {total:.1f} s)")
        print(f"peak resident memory: {res['peak_mib']:.0f} MiB")
        print(f"problems found: {res['problems']}")


if __name__ == "__main__":
    main()
