"""Run one command and measure it: wall time, CPU time and the peak resident memory of the
whole process tree (the process and every descendant), with an optional time limit and
memory cap.

Memory is sampled from /proc every ``interval`` seconds (0.1 s by default): each sample sums
VmRSS over the root process and all its descendants (found through the parent ids in
/proc/<pid>/stat), and the peak is the largest sum. Pages shared between processes are
counted once per process, so a tree of several processes can read slightly high; a single
process (dbt, DuckDB and the Python models run in one) reads exactly its RSS. A peak shorter
than the sampling interval can be missed; ``ru_maxrss`` of the root process (exact, one
process only) is recorded beside it as a cross-check.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Measurement:
    """One measured command."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    root_maxrss_mb: float
    returncode: int | None
    status: str  # "ok", "failed", "timeout" or "memory_cap"
    limit_s: float | None
    memory_cap_mb: float | None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict:
        return asdict(self)


def _parent_map() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
    return parents


def tree_rss_bytes(root: int) -> int:
    """Sum of the resident set sizes of ``root`` and all its descendants, in bytes."""
    parents = _parent_map()
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    total = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * PAGE_SIZE
        except (OSError, IndexError, ValueError):
            pass
        stack.extend(children.get(pid, ()))
    return total


def run_measured(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    limit_s: float | None = None,
    memory_cap_mb: float | None = None,
    interval: float = 0.1,
    stdout_path: str | Path | None = None,
) -> Measurement:
    """Run ``command`` to completion (or until ``limit_s`` / ``memory_cap_mb``, when the whole
    process group is killed) and return its measurement. Output goes to ``stdout_path``
    (stdout and stderr together) or is discarded."""
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL  # noqa: SIM115
    peak = 0
    status = "ok"
    try:
        start = time.monotonic()
        proc = subprocess.Popen(
            list(command),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        rusage_box: list = []
        done = threading.Event()

        def reap() -> None:
            _, wait_status, rusage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(wait_status)
            rusage_box.append(rusage)
            done.set()

        reaper = threading.Thread(target=reap, daemon=True)
        reaper.start()
        while not done.wait(interval):
            peak = max(peak, tree_rss_bytes(proc.pid))
            elapsed = time.monotonic() - start
            if limit_s is not None and elapsed > limit_s:
                status = "timeout"
            elif memory_cap_mb is not None and peak > memory_cap_mb * 1024 * 1024:
                status = "memory_cap"
            if status != "ok":
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                done.wait()
                break
        wall = time.monotonic() - start
        reaper.join()
    finally:
        if stdout_path:
            out.close()
    rusage = rusage_box[0]
    if status == "ok" and proc.returncode != 0:
        status = "failed"
    return Measurement(
        wall_s=wall,
        cpu_s=rusage.ru_utime + rusage.ru_stime,
        peak_rss_mb=max(peak, rusage.ru_maxrss * 1024) / 1024 / 1024,
        root_maxrss_mb=rusage.ru_maxrss / 1024,
        returncode=proc.returncode,
        status=status,
        limit_s=limit_s,
        memory_cap_mb=memory_cap_mb,
    )
