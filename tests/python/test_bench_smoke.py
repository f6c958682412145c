"""A 200,000-line smoke run of the benchmark harness (bench/): its output, not its timings
(every measure runs and reports; the sizes that count are in bench/RESULTS.md).

The full benchmark (1M and 10M lines, three runs each, 100M on request) is not part of the
tests; see bench/README.md.
"""

from __future__ import annotations

from pathlib import Path

from bench.harness import run_smoke


def test_benchmark_harness_smoke(tmp_path: Path):
    outcome = run_smoke(tmp_path, lines=200_000, inputs_dir=tmp_path / "inputs")
    assert outcome["ok"], "\n".join(outcome["problems"])
    markdown = (tmp_path / "RESULTS.md").read_text()
    for measure in ("raw scan", "floor", "dbt run", "dbt build", "baseline"):
        assert measure in markdown
    assert outcome["markdown"] in markdown
