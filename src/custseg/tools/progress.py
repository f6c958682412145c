"""Run a dbt command with output a person can read: what dbt does in a few lines instead of a
START and a PASS line for each of its ~500 nodes.

    python -m custseg.tools.progress build              # = dbt build, summarised
    python -m custseg.tools.progress docs generate --static

dbt logs as JSON to this process (``--log-format json``), which prints: one line when the
project is parsed (what was found, how long it took), one line for every node that took
longer than ``LONG_NODE_SECONDS`` (the segmentation fit), every warning and error as dbt
words it, the lines the project's macros log (the segmentation verdict per source), dbt's
own end-of-run summary (its warnings, errors and counts, so WARN counts what the project
reports), and the time taken. dbt's full log, node by node, is still in logs/dbt.log
(``--log-format-file text``). The exit status is dbt's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

LONG_NODE_SECONDS = 10.0
ANSI = re.compile(r"\x1b\[[0-9;]*m")
DOTS = re.compile(r" \.{3,} ")
# Events that are always shown, with dbt's message (the end-of-run summary and its details).
SHOWN = {
    "EndOfRunSummary",
    "RunResultWarning",
    "RunResultWarningMessage",
    "RunResultError",
    "RunResultErrorNoMessage",
    "RunResultFailure",
    "SQLCompiledPath",
    "CheckNodeTestFailure",
    "JinjaLogInfo",
    "JinjaLogWarning",
}
# Commands that run nodes (the others, like docs generate, only compile them).
RUNS_NODES = {"build", "run", "test", "seed", "snapshot"}
RESULTS = {"LogModelResult", "LogTestResult", "LogSeedResult", "LogHookEndLine", "LogSnapshotResult"}
OK_STATUSES = {"success", "pass", "ok", "no-op", "created", "insert", "skipped"}


def dbt_executable() -> str:
    """The dbt next to this Python (the project's .venv), else the one on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def _clean(message: str) -> str:
    return DOTS.sub(" ", ANSI.sub("", message)).rstrip()


def _status(event: dict) -> str:
    data = event.get("data", {})
    status = data.get("status") or (data.get("node_info") or {}).get("node_status") or ""
    return str(status).lower().split(" ")[0]


def disk_full_hint(command: str) -> str:
    """Where a build writes: the build file and DuckDB's spill folder, with their settings."""
    build = os.environ.get("CUSTSEG_DUCKDB_PATH") or "warehouse/build.duckdb"
    spill = os.environ.get("CUSTSEG_DUCKDB_TEMP_DIR") or "warehouse/tmp"
    return (
        f"dbt {command}: the disk is full: the build writes {build} (CUSTSEG_DUCKDB_PATH) and DuckDB "
        f"spills to {spill} (CUSTSEG_DUCKDB_TEMP_DIR); free space there or point these settings at a "
        "larger disk (the published serving file is not touched)"
    )


def summarise(lines: Iterable[str], command: str, started: float) -> Iterator[str]:
    """The lines to print for dbt's JSON log lines (non-JSON lines pass through); a full disk
    gets one line naming the folders the build writes to."""
    told_disk_full = False
    for raw in lines:
        line = raw.rstrip("\n")
        if not told_disk_full and "no space left on device" in line.lower():
            told_disk_full = True
            yield disk_full_hint(command)
        try:
            event = json.loads(line)
            info = event["info"]
        except (ValueError, KeyError, TypeError):
            if line.strip():
                yield line
            continue
        name, level, message = info.get("name", ""), info.get("level", "info"), _clean(info.get("msg", ""))
        data = event.get("data", {})
        if name == "FoundStats":
            found = message.removeprefix("Found ")
            yield f"dbt {command}: project parsed in {time.monotonic() - started:.1f} s: {found}"
        elif name == "UnableToPartialParse":
            yield f"dbt {command}: {message}"
        elif name == "ConcurrencyLine" and data.get("node_count") and command in RUNS_NODES:
            yield (
                f"dbt {command}: running {data['node_count']} nodes on {data.get('num_threads', '?')} threads"
                " (node by node in logs/dbt.log)"
            )
        elif name == "StatsLine":
            yield f"dbt {command}: {message} in {time.monotonic() - started:.1f} s"
        elif name in RESULTS:
            seconds = float(data.get("execution_time") or 0)
            # Warnings are listed by dbt's summary at the end; errors are shown as they happen too.
            if level == "error" or _status(event) not in OK_STATUSES | {"warn"}:
                yield f"  {message}"
            elif seconds >= LONG_NODE_SECONDS:
                node = (data.get("node_info") or {}).get("node_name") or message
                yield f"dbt {command}: {node} took {seconds:.1f} s"
        elif (name in SHOWN or level in ("warn", "error")) and message.strip():
            yield (
                f"  {message.strip()}" if name != "EndOfRunSummary" else f"dbt {command}: {message.strip()}"
            )


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments:
        print("usage: python -m custseg.tools.progress <dbt command and arguments>", file=sys.stderr)
        return 2
    command = " ".join(word for word in arguments[:2] if not word.startswith("-"))
    started = time.monotonic()
    process = subprocess.Popen(
        [
            dbt_executable(),
            *arguments,
            "--log-format",
            "json",
            "--log-format-file",
            "text",
            "--no-use-colors",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    summarised = False
    try:
        for line in summarise(process.stdout, command, started):
            summarised = summarised or line.startswith(f"dbt {command}: Done.")
            print(line, flush=True)
    except KeyboardInterrupt:
        process.terminate()
    returncode = process.wait()
    if not summarised:
        outcome = "done" if returncode == 0 else f"failed (exit status {returncode})"
        print(f"dbt {command}: {outcome} in {time.monotonic() - started:.1f} s", flush=True)
    return returncode


if __name__ == "__main__":
    sys.exit(main())
