"""benchmarks/run.py: the benchmark suite still runs end to end (at a tiny scale; no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


@pytest.mark.slow
@pytest.mark.skipif(not RUN.is_file(), reason="the benchmarks are in the checkout, not in the wheel")
def test_the_benchmark_suite_runs_and_prints_its_tables(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(RUN), "--tiny", "--work", str(tmp_path)], capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith("k2data benchmarks, 20")
    for header in (
        "| package | k2data | frictionless | ratio | target |",
        '| package | read_csv | load() | ratio | load(lists="arrow") | ratio | target | pyarrow.csv | ratio |',
        "| package | ms | budget | |",
    ):
        assert header in text
    assert "| 1x (" in text and "| 2x (" in text
    assert "1 of 1 planted defects found" in text
    assert text.count("| valid |") == 2
