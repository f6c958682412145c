"""The build's dbt output as a person reads it (custseg.tools.progress): no line per node,
but every warning, error, macro log line and dbt's own summary, and the nodes that took long;
and the closing lines of build.sh (where the outputs are)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from custseg.tools import progress
from custseg.tools.report import where


def event(name: str, msg: str, level: str = "info", **data) -> str:
    return json.dumps({"info": {"name": name, "level": level, "msg": msg}, "data": data})


LOG = [
    event("MainReportVersion", "Running with dbt=1.11.16"),
    event("FoundStats", "Found 42 models, 407 data tests"),
    event("ConcurrencyLine", "Concurrency: 2 threads (target='dev')", node_count=473, num_threads=2),
    event("LogStartLine", "1 of 473 START sql table model staging.a .... [RUN]"),
    event("LogModelResult", "1 of 473 OK created sql table model staging.a .... [OK in 0.5s]",
          execution_time=0.5, status="success", node_info={"node_name": "a"}),
    event("LogModelResult", "2 of 473 OK created python table model segmentation.fit .... [OK in 21.3s]",
          execution_time=21.3, status="success", node_info={"node_name": "fit_segmentation"}),
    event("LogTestResult", "3 of 473 PASS unique_a .... [PASS in 0.1s]", execution_time=0.1, status="pass"),
    event("LogTestResult", "4 of 473 WARN 2 weak_structure .... [WARN 2 in 0.1s]", level="warn",
          execution_time=0.1, status="warn"),
    event("LogTestResult", "5 of 473 FAIL 1 not_null_b .... [FAIL 1 in 0.1s]", level="error",
          execution_time=0.1, status="fail"),
    event("JinjaLogInfo", "segmentation smartcart: 3 segments, useful slices of a continuum"),
    event("EndOfRunSummary", "Completed with 1 error, 0 partial successes, and 1 warning:"),
    event("RunResultWarning", "Warning in test weak_structure (models/x.yml)", level="warn"),
    event("RunResultWarningMessage", "Got 2 results, configured to warn if != 0", level="warn"),
    event("StatsLine", "Done. PASS=2 WARN=1 ERROR=1 SKIP=0 TOTAL=4"),
    "a line that is not JSON (a Python model printing)",
]  # fmt: skip


def test_summary_keeps_what_matters_and_drops_node_lines():
    lines = list(progress.summarise(LOG, "build", started=0.0))
    text = "\n".join(lines)
    assert "START" not in text and "PASS unique_a" not in text and "staging.a" not in text
    assert lines[0].startswith("dbt build: project parsed in ") and lines[0].endswith(
        "42 models, 407 data tests"
    )
    assert lines[1] == "dbt build: running 473 nodes on 2 threads (node by node in logs/dbt.log)"
    assert "dbt build: fit_segmentation took 21.3 s" in lines
    assert "  5 of 473 FAIL 1 not_null_b [FAIL 1 in 0.1s]" in lines  # errors as they happen
    assert not any("4 of 473 WARN" in line for line in lines)  # warnings once, in the summary
    assert "  segmentation smartcart: 3 segments, useful slices of a continuum" in lines
    assert "dbt build: Completed with 1 error, 0 partial successes, and 1 warning:" in lines
    assert "  Got 2 results, configured to warn if != 0" in lines
    assert any(
        line.startswith("dbt build: Done. PASS=2 WARN=1 ERROR=1") and line.endswith(" s") for line in lines
    )
    assert lines[-1] == "a line that is not JSON (a Python model printing)"
    assert len(lines) == 10


def test_the_command_returns_dbt_s_exit_status(tmp_path, monkeypatch, capsys):
    fake = tmp_path / "dbt"
    fake.write_text(f"#!{sys.executable}\nimport sys\nprint('plain output')\nsys.exit(3)\n")
    fake.chmod(0o755)
    monkeypatch.setattr(progress, "dbt_executable", lambda: str(fake))
    assert progress.main(["docs", "generate"]) == 3
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "plain output"
    assert out[-1].startswith("dbt docs generate: failed (exit status 3) in ")


def test_build_ends_with_where_the_outputs_are():
    lines = where(
        Path("warehouse/serving.duckdb"), Path("target/segment_report.html"), Path("w/campaigns")
    ).split("\n")
    assert len(lines) == 3
    assert lines[0].startswith("Serving file:   warehouse/serving.duckdb ")
    assert lines[1].startswith("Docs site:      target/static_index.html ")
    assert lines[2].startswith("Segment report: target/segment_report.html ") and "w/campaigns/" in lines[2]
    for line in lines:
        assert "open" in line


def test_a_full_disk_names_the_folders_the_build_writes_to(monkeypatch):
    monkeypatch.setenv("CUSTSEG_DUCKDB_TEMP_DIR", "/big/spill")
    monkeypatch.delenv("CUSTSEG_DUCKDB_PATH", raising=False)
    full = 'IO Error: Could not write file "/big/spill/duckdb_temp_block-4.block": No space left on device'
    log = [
        event("LogModelResult", "7 of 473 ERROR creating sql table model marts.x", level="error",
              execution_time=3.0, status="error"),
        event("RunResultError", full, level="error"),
        event("RunResultError", full, level="error"),
    ]  # fmt: skip
    lines = list(progress.summarise(log, "build", started=0.0))
    hints = [line for line in lines if "the disk is full" in line]
    assert len(hints) == 1
    assert "/big/spill (CUSTSEG_DUCKDB_TEMP_DIR)" in hints[0]
    assert "warehouse/build.duckdb (CUSTSEG_DUCKDB_PATH)" in hints[0]
    assert any(full in line for line in lines)  # DuckDB's own message stays
