"""Benchmark harness: generate inputs, measure every figure, write the markdown tables.

``python -m bench [--sizes 1M,10M] [--runs 3] [--include-100m] [--smoke] ...`` (or
``bench/run.sh``); ``run_smoke(workdir)`` for a pytest wrapper. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from bench.measure import run_measured

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
MEASURES = ("raw_scan", "floor", "dbt_run", "dbt_build", "dbt_build_core", "baseline")
LABELS = {
    "raw_scan": "raw scan",
    "floor": "floor",
    "dbt_run": "dbt run",
    "dbt_build": "dbt build",
    "dbt_build_core": "dbt build without value and history",
    "baseline": "baseline",
}
# Issue #12's addition (customer value, churn risk, segment history): the core build excludes
# these nodes and everything downstream of them, so that dbt build / core build is its cost.
# The period rows (int_online_retail_customer_periods, _item_periods) are core: the category
# mix and the item mart are sums of them (one pass over the lines for the marts and history).
VALUE_AND_HISTORY_NODES = (
    "fit_customer_value+",
    "int_online_retail_purchase_days+",
    "int_online_retail_customer_history+",
    "customer_segment_history+",
)
TABLE_COLUMNS = ("lines", "measure", "wall s", "peak RSS MB", "CPU s", "runs", "note")
RATIO_COLUMNS = (
    "lines",
    "dbt run / floor",
    "dbt build / floor",
    "dbt run / raw scan",
    "dbt build / raw scan",
    "baseline / dbt run",
    "baseline / dbt build",
    "dbt build / dbt build core",
)
CUSTOMERS_TABLE = "marts.online_retail_customers"
# The floor re-derives the project's cleaning; the two customer counts must agree within this
# share (0: exact). Documented in bench/README.md.
CUSTOMER_COUNT_TOLERANCE = 0.0
PROJECT_ENV_VARS = (
    "ONLINE_RETAIL_TRANSACTIONS_PATH",
    "SMARTCART_CUSTOMERS_PATH",
    "CUSTSEG_DUCKDB_PATH",
    "CUSTSEG_DUCKDB_TEMP_DIR",
    "CUSTSEG_DUCKDB_MEMORY_LIMIT",
)


@dataclass
class Config:
    sizes: list[int]
    runs: int = 3
    baseline_limit_s: float = 600.0
    baseline_memory_cap_mb: float | None = None
    baseline_k: tuple[int, int] = (2, 10)
    project: str = "head"  # "head" (fresh clone of HEAD), "worktree", or a path
    inputs_dir: Path = BENCH_DIR / "work" / "inputs"
    out_dir: Path = BENCH_DIR / "work" / "results"
    results_md: Path | None = BENCH_DIR / "RESULTS.md"
    skip: tuple[str, ...] = ()
    size_budget_s: float | None = None  # no new round of a size once it would overrun this
    keep: bool = False
    seed: int = 42
    command_line: str = ""
    smoke: bool = False
    log: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- helpers


def parse_size(text: str) -> int:
    """'1M' -> 1_000_000, '250k' -> 250_000, '12345' -> 12345."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 1M, 250k, 50000)")
    factor = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    return int(float(match.group(1)) * factor)


def size_label(lines: int) -> str:
    if lines % 1_000_000 == 0:
        return f"{lines // 1_000_000}M"
    if lines % 1_000 == 0:
        return f"{lines // 1_000}k"
    return str(lines)


def say(config: Config, message: str) -> None:
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    line = f"[bench {stamp}] {message}"
    config.log.append(line)
    print(line, flush=True)


def git(*args: str, cwd: Path = REPO_DIR) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def venv_bin() -> Path:
    return Path(sys.executable).parent


def meminfo_mb(key: str) -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine_info() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    versions = {"python": platform.python_version()}
    for name in ("duckdb", "dbt-core", "dbt-duckdb", "scikit-learn", "pandas", "numpy", "pyarrow"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "cores": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory_gib": round(meminfo_mb("MemTotal") / 1024, 1),
        "versions": versions,
    }


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --------------------------------------------------------------------------- project


@dataclass
class Project:
    path: Path
    commit: str
    subject: str
    mode: str
    note: str


def prepare_project(config: Config, scratch: Path) -> Project:
    """The project to measure: a fresh clone of HEAD (default) or the work tree / a path."""
    if config.project == "head":
        target = scratch / "project"
        subprocess.run(["git", "clone", "--quiet", str(REPO_DIR), str(target)], check=True)
        dirty = [
            line for line in git("status", "--porcelain").splitlines() if not line[3:].startswith("bench/")
        ]
        note = "fresh `git clone` of HEAD"
        if dirty:
            note += f" ({len(dirty)} uncommitted change(s) in the work tree were not measured)"
        path, mode = target, "head"
    else:
        path = REPO_DIR if config.project == "worktree" else Path(config.project).resolve()
        mode, note = "worktree", f"the work tree at {path} as it is (uncommitted changes included)"
    commit = git("rev-parse", "HEAD", cwd=path)
    subject = git("log", "-1", "--format=%s", cwd=path)
    return Project(path=path, commit=commit, subject=subject, mode=mode, note=note)


def find_segmentation_settings(project: Project, scratch: Path) -> tuple[dict, str]:
    """The retailer's segmentation settings as the fit model receives them: from dbt's
    manifest after ``dbt parse`` of the measured project, plus the item threshold (var
    item_pattern_min_lines) for the floor's item query. Empty when the project has none."""
    import yaml

    target = scratch / "settings-parse"
    env = project_env(project, CUSTSEG_DUCKDB_PATH=str(scratch / "settings-parse.duckdb"))
    parsed = subprocess.run(
        [str(venv_bin() / "dbt"), "parse", "--target-path", str(target), "--log-path", str(target / "logs")],
        cwd=project.path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    manifest_path = target / "manifest.json"
    if parsed.returncode != 0 or not manifest_path.exists():
        return {}, "none found (dbt parse failed): the floor uses its defaults"
    node = json.loads(manifest_path.read_text())["nodes"].get("model.custseg.fit_segmentation")
    settings = ((node or {}).get("config", {}).get("meta", {}).get("segmentation") or {}).get("online_retail")
    if not settings:
        return {}, "none found in the manifest: the floor uses its defaults"
    settings = dict(settings)
    config = yaml.safe_load((project.path / "dbt_project.yml").read_text()) or {}
    min_lines = (config.get("vars") or {}).get("item_pattern_min_lines")
    if settings.get("item_pattern") and min_lines is not None:
        settings["item_pattern"] = {**settings["item_pattern"], "min_lines": int(min_lines)}
    return settings, "the dbt manifest (fit_segmentation's meta segmentation.online_retail)"


def project_categories(project: Path) -> list[str] | None:
    import yaml

    config = yaml.safe_load((project / "dbt_project.yml").read_text()) or {}
    categories = (config.get("vars") or {}).get("online_retail_product_categories")
    return list(categories) if categories else None


# --------------------------------------------------------------------------- inputs


def ensure_input(config: Config, project: Project, lines: int) -> Path:
    """The cached gzipped CSV of ``lines`` lines, generated by the project's generator."""
    config.inputs_dir.mkdir(parents=True, exist_ok=True)
    name = f"transactions_{size_label(lines)}_seed{config.seed}_iso.csv.gz"
    path = config.inputs_dir / name
    if path.exists():
        return path
    part = path.with_name(path.name.replace(".csv.gz", ".part.csv.gz"))
    say(config, f"generating {name} with the project's generator (cached in {config.inputs_dir})")
    command = [
        sys.executable,
        "-m",
        "custseg.sampledata",
        "transactions",
        "--lines",
        str(lines),
        "--out",
        str(part),
        "--date-style",
        "iso",
        "--seed",
        str(config.seed),
    ]
    subprocess.run(command, cwd=project.path, env=project_env(project), check=True)
    part.rename(path)
    return path


def project_env(project: Project, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PROJECT_ENV_VARS}
    env.update(
        PATH=f"{venv_bin()}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(project.path / "src"),
        PYTHONDONTWRITEBYTECODE="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
    )
    env.update(extra)
    return env


# --------------------------------------------------------------------------- one measure


def count_customers(warehouse: Path) -> int | None:
    import duckdb

    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return int(con.execute(f"select count(*) from {CUSTOMERS_TABLE}").fetchone()[0])
    except duckdb.Error:
        return None


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def measure_dbt(
    config: Config,
    project: Project,
    command: str,
    input_path: Path,
    scratch: Path,
    exclude: tuple[str, ...] = (),
) -> dict:
    """``dbt run`` or ``dbt build`` (without the ``exclude`` nodes) into a fresh warehouse.
    Untimed preparation: ``dbt seed`` (run needs the seeds) or ``dbt parse`` (build), with the
    same target path, so that the timed command reuses the parsed manifest and measures
    execution, not parsing."""
    run_dir = Path(tempfile.mkdtemp(prefix=f"{command}-", dir=scratch))
    warehouse = run_dir / "warehouse.duckdb"
    env = project_env(
        project,
        ONLINE_RETAIL_TRANSACTIONS_PATH=str(input_path),
        CUSTSEG_DUCKDB_PATH=str(warehouse),
        CUSTSEG_DUCKDB_TEMP_DIR=str(run_dir / "spill"),
    )
    (run_dir / "spill").mkdir()
    common = ["--target-path", str(run_dir / "target"), "--log-path", str(run_dir / "logs")]
    dbt = str(venv_bin() / "dbt")
    prep = ["seed"] if command == "run" else ["parse"]
    prep_m = run_measured([dbt, *prep, *common], env=env, cwd=project.path, stdout_path=run_dir / "prep.log")
    if not prep_m.ok:
        raise RuntimeError(f"dbt {prep[0]} failed:\n{tail(run_dir / 'prep.log')}")
    selection = ["--exclude", *exclude] if exclude else []
    m = run_measured(
        [dbt, command, *common, *selection], env=env, cwd=project.path, stdout_path=run_dir / "dbt.log"
    )
    result = m.to_dict() | {"prep": prep[0], "prep_wall_s": round(prep_m.wall_s, 3)}
    if m.ok:
        result["customers"] = count_customers(warehouse)
        run_results = run_dir / "target" / "run_results.json"
        if run_results.exists():
            result["nodes"] = [
                {
                    "unique_id": r["unique_id"],
                    "status": r["status"],
                    "execution_time": round(r["execution_time"], 3),
                }
                for r in json.loads(run_results.read_text())["results"]
            ]
    else:
        result["error"] = tail(run_dir / "dbt.log")
    if not config.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return result


def measure_script(
    config: Config,
    script: str,
    args: list[str],
    scratch: Path,
    *,
    limit_s: float | None = None,
    memory_cap_mb: float | None = None,
) -> dict:
    run_dir = Path(tempfile.mkdtemp(prefix=f"{Path(script).stem}-", dir=scratch))
    result_file = run_dir / "result.json"
    command = [sys.executable, str(BENCH_DIR / script), *args]
    if script != "rawscan.py":
        command += ["--result", str(result_file)]
    m = run_measured(
        command,
        cwd=run_dir,
        limit_s=limit_s,
        memory_cap_mb=memory_cap_mb,
        stdout_path=run_dir / "out.log",
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    result = m.to_dict()
    if result_file.exists():
        result["detail"] = json.loads(result_file.read_text())
    if script == "rawscan.py" and m.ok:
        result["detail"] = {"lines": int((run_dir / "out.log").read_text().split()[-1])}
    if m.status == "failed":
        result["error"] = tail(run_dir / "out.log")
    if not config.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return result


# --------------------------------------------------------------------------- summaries


def summarise(runs: list[dict]) -> dict:
    """Median wall time, peak memory and CPU time over the runs that finished."""
    ok = [r for r in runs if r["status"] == "ok"]
    summary: dict = {"runs": len(runs), "ok_runs": len(ok)}
    if ok:
        for key in ("wall_s", "peak_rss_mb", "cpu_s"):
            summary[key] = statistics.median(r[key] for r in ok)
        summary["status"] = "ok"
    else:
        last = runs[-1]
        summary["status"] = last["status"]
        summary["wall_s"] = last["wall_s"]
        summary["peak_rss_mb"] = last["peak_rss_mb"]
        summary["cpu_s"] = last["cpu_s"]
    return summary


def fmt_s(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def dnf_note(summary: dict, runs: list[dict]) -> str:
    last = runs[-1]
    stage = ""
    stages = (last.get("detail") or {}).get("stages") or {}
    if stages:
        stage = f"; last stage done: {list(stages)[-1]}"
    if summary["status"] == "timeout":
        return f"did not finish in {last['limit_s']:.0f} s{stage}"
    if summary["status"] == "memory_cap":
        cap_gb = last["memory_cap_mb"] / 1024
        return f"stopped at the {cap_gb:.1f} GB memory cap after {last['wall_s']:.0f} s{stage}"
    return f"failed (exit {last['returncode']})"


def results_table(results: dict) -> str:
    rows = ["| " + " | ".join(TABLE_COLUMNS) + " |", "|" + "---|" * len(TABLE_COLUMNS)]
    for label, size in results["sizes"].items():
        for measure in MEASURES:
            entry = size["measures"].get(measure)
            if entry is None or "summary" not in entry:
                continue
            s = entry["summary"]
            note = entry.get("note", "")
            if s["status"] == "ok":
                wall, peak, cpu = fmt_s(s["wall_s"]), f"{s['peak_rss_mb']:.0f}", fmt_s(s["cpu_s"])
            else:
                wall = f"> {s['wall_s']:.0f}" if s["status"] in ("timeout", "memory_cap") else "failed"
                peak = f"{s['peak_rss_mb']:.0f}"
                cpu = fmt_s(s["cpu_s"])
                note = "; ".join(x for x in (dnf_note(s, entry["runs"]), note) if x)
            runs = f"{s['ok_runs']}/{s['runs']}" if s["ok_runs"] != s["runs"] else str(s["runs"])
            rows.append(f"| {label} | {LABELS[measure]} | {wall} | {peak} | {cpu} | {runs} | {note} |")
    return "\n".join(rows)


def ratios(size: dict) -> dict[str, str]:
    def wall(measure: str) -> tuple[float, bool] | None:
        entry = size["measures"].get(measure)
        if entry is None or "summary" not in entry:
            return None
        s = entry["summary"]
        if s["status"] == "ok":
            return s["wall_s"], True
        if s["status"] in ("timeout", "memory_cap"):
            return s["wall_s"], False  # a lower bound
        return None

    out = {}
    for column in RATIO_COLUMNS[1:]:
        num_name, den_name = (part.strip().replace(" ", "_") for part in column.split("/"))
        num, den = wall(num_name), wall(den_name)
        if num is None or den is None or not den[1]:
            out[column] = "n/a"
        else:
            out[column] = ("" if num[1] else "> ") + fmt_ratio(num[0] / den[0])
    return out


def ratio_table(results: dict) -> str:
    rows = ["| " + " | ".join(RATIO_COLUMNS) + " |", "|" + "---|" * len(RATIO_COLUMNS)]
    for label, size in results["sizes"].items():
        r = ratios(size)
        rows.append("| " + " | ".join([label, *(r[c] for c in RATIO_COLUMNS[1:])]) + " |")
    return "\n".join(rows)


def _ok_wall(size: dict, measure: str) -> float | None:
    entry = size["measures"].get(measure)
    if entry and "summary" in entry and entry["summary"]["status"] == "ok":
        return entry["summary"]["wall_s"]
    return None


def targets_table(results: dict) -> str:
    """The issue's targets, checked on the 10M and 100M rows when they were measured."""
    sizes = results["sizes"]
    rows = ["| target | measured | met? |", "|---|---|---|"]
    ten, hundred = sizes.get("10M"), sizes.get("100M")
    if ten:
        run, build, floor = (_ok_wall(ten, m) for m in ("dbt_run", "dbt_build", "floor"))
        if run and floor:
            met = "yes" if run <= 1.5 * floor else "no"
            rows.append(f"| 10M: dbt run <= 1.5x floor | {run / floor:.2f}x | {met} |")
        if build and floor:
            met = "yes" if build <= 2.5 * floor else "no"
            rows.append(f"| 10M: dbt build <= 2.5x floor | {build / floor:.2f}x | {met} |")
        peaks = [
            ten["measures"][m]["summary"]["peak_rss_mb"] for m in ("dbt_run", "dbt_build") if _ok_wall(ten, m)
        ]
        if peaks:
            peak = max(peaks) / 1024
            rows.append(f"| 10M: peak memory <= 4 GB | {peak:.2f} GiB | {'yes' if peak <= 4 else 'no'} |")
        base = ten["measures"].get("baseline")
        if base and "summary" in base and build:
            s = base["summary"]
            if s["status"] == "ok":
                factor = s["wall_s"] / build
                rows.append(
                    f"| 10M: >= 10x faster than the baseline | baseline / dbt build = {factor:.2f} "
                    f"| {'yes' if factor >= 10 else 'no'} |"
                )
            elif s["status"] == "timeout" and s["wall_s"] >= 600:
                rows.append(
                    f"| 10M: >= 10x faster than the baseline | baseline did not finish in "
                    f"{base['runs'][-1]['limit_s']:.0f} s | yes |"
                )
            else:
                rows.append(
                    f"| 10M: >= 10x faster than the baseline | baseline: {dnf_note(s, base['runs'])} | n/a |"
                )
    if hundred:
        build = _ok_wall(hundred, "dbt_build")
        entry = hundred["measures"].get("dbt_build")
        rows.append(
            f"| 100M: dbt build completes | {'yes' if build else 'no'} | {'yes' if build else 'no'} |"
        )
        if build and entry:
            peak = entry["summary"]["peak_rss_mb"] / 1024
            rows.append(f"| 100M: peak memory <= 12 GB | {peak:.2f} GiB | {'yes' if peak <= 12 else 'no'} |")
            ten_build = _ok_wall(ten, "dbt_build") if ten else None
            if ten_build:
                factor = build / ten_build
                met = "yes" if factor <= 12 else "no"
                rows.append(f"| 100M: time(100M) <= 12x time(10M) (dbt build) | {factor:.2f}x | {met} |")
    if ten:
        build, core = _ok_wall(ten, "dbt_build"), _ok_wall(ten, "dbt_build_core")
        if build and core:
            extra = build / core - 1
            rows.append(
                f"| 10M: customer value and history add <= 25 % to dbt build (#12) | {100 * extra:+.0f} % "
                f"({build:.0f} s against {core:.0f} s) | {'yes' if extra <= 0.25 else 'no'} |"
            )
    if len(rows) == 2:
        rows.append("| (measured at 10M and 100M only) | | |")
    return "\n".join(rows)


def slowest_nodes(size: dict, n: int = 10) -> list[dict]:
    entry = size["measures"].get("dbt_build")
    if not entry:
        return []
    runs = [r for r in entry["runs"] if r.get("nodes")]
    if not runs:
        return []
    # Median per node over the runs.
    times: dict[str, list[float]] = {}
    for r in runs:
        for node in r["nodes"]:
            times.setdefault(node["unique_id"], []).append(node["execution_time"])
    medians = sorted(((statistics.median(v), k) for k, v in times.items()), reverse=True)
    return [{"unique_id": k, "execution_time": t} for t, k in medians[:n]]


def last_detail(measures: dict, name: str) -> dict:
    runs = measures.get(name, {}).get("runs") or [{}]
    return runs[-1].get("detail") or {}


def details(results: dict) -> str:
    lines = []
    for label, size in results["sizes"].items():
        m = size["measures"]
        bits = [f"**{label}** (input {size['input_mb']:.0f} MB gzipped"]
        raw = last_detail(m, "raw_scan")
        if raw:
            bits[0] += f", {raw['lines']:,} lines counted"
        bits[0] += ")"
        floor = last_detail(m, "floor")
        if floor.get("n_customers") is not None:
            bits.append(
                f"floor {floor['n_customers']:,} customers ({floor['n_fitted']:,} fitted), "
                f"k = {floor['chosen_k']}, "
                f"query {floor['query_s']:.1f} s + fit {floor['fit_s']:.1f} s"
            )
        for measure in ("dbt_run", "dbt_build"):
            runs = m.get(measure, {}).get("runs", [])
            if runs:
                prep = statistics.median(r["prep_wall_s"] for r in runs)
                customers = {r.get("customers") for r in runs}
                bits.append(
                    f"{LABELS[measure]}: {CUSTOMERS_TABLE} rows {', '.join(str(c) for c in customers)}, "
                    f"untimed `dbt {runs[0]['prep']}` before it {prep:.1f} s"
                )
        build_runs = [r for r in m.get("dbt_build", {}).get("runs", []) if r.get("nodes")]
        if build_runs:
            python_s = statistics.median(
                sum(n["execution_time"] for n in r["nodes"] if ".fit_" in n["unique_id"]) for r in build_runs
            )
            bits.append(f"dbt build: the Python models (fit_*) took {python_s:.1f} s in all")
        base = m.get("baseline", {}).get("runs", [])
        if base:
            detail = base[-1].get("detail") or {}
            stages = detail.get("stages") or {}
            if stages:
                heavy = sorted(stages.items(), key=lambda kv: -kv[1])[:4]
                bits.append(
                    "baseline "
                    + ", ".join(
                        f"{detail[k]:,} {k.replace('n_', '')}"
                        for k in ("n_customers", "n_items", "n_components")
                        if k in detail
                    )
                    + "; slowest stages "
                    + ", ".join(f"{k} {v:.1f} s" for k, v in heavy)
                )
        if size.get("cut_by_budget"):
            bits.append("rounds run: " + size["cut_by_budget"])
        lines.append("- " + bits[0] + ": " + "; ".join(bits[1:]))
    return "\n".join(lines)


def render_markdown(results: dict) -> str:
    meta = results["meta"]
    machine = meta["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items())
    largest = next(reversed(results["sizes"]), None) if results["sizes"] else None
    out = [
        "# Benchmark results",
        "",
        f"Measured {meta['started']} to {meta['finished']} (UTC) with `{meta['command']}`.",
        "",
        f"- Project: commit `{meta['commit'][:12]}` ({meta['subject']}), {meta['project_note']}.",
        f"- Machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory_gib']} GiB RAM; "
        f"load average {meta['load_start']} at the start, {meta['load_end']} at the end "
        "(other jobs on the machine add noise: compare CPU s as well as wall s).",
        f"- Versions: {versions}.",
        f"- Inputs: gzipped CSV from `python -m custseg.sampledata transactions --lines N --date-style iso "
        f"--seed {meta['seed']}` (the project's generator); SmartCart stays on the bundled sample.",
        f"- Floor settings: {meta['settings_source']}.",
        f"- Each figure is the median of the runs (`runs`); a baseline that hit its limit is not repeated. "
        f"Baseline limits: {meta['baseline_limit_s']:.0f} s, {meta['baseline_memory_cap_mb'] / 1024:.1f} GB.",
        "",
        "## Wall time, peak memory of the process tree, CPU time",
        "",
        results_table(results),
        "",
        "## Ratios (wall time)",
        "",
        ratio_table(results),
        "",
        "## Targets from the issue",
        "",
        targets_table(results),
        "",
    ]
    if largest:
        nodes = slowest_nodes(results["sizes"][largest])
        if nodes:
            build_wall = _ok_wall(results["sizes"][largest], "dbt_build") or float("nan")
            out += [
                f"## Where the dbt build spends its time ({largest}, slowest 10 nodes, run_results.json)",
                "",
                f"Node times overlap (2 threads); the whole build took {build_wall:.1f} s.",
                "",
                "| node | s |",
                "|---|---|",
                *(f"| {n['unique_id']} | {n['execution_time']:.2f} |" for n in nodes),
                "",
            ]
    out += ["## Details", "", details(results), ""]
    return "\n".join(out)


# --------------------------------------------------------------------------- checks


def check_results(results: dict, markdown: str) -> list[str]:
    """What the smoke test asserts: every row and column, positive numbers, and the floor's
    customer count against the project's customer mart. Timings are not judged."""
    problems = []
    table = results_table(results).splitlines()
    header = [c.strip() for c in table[0].strip("|").split("|")]
    if header != list(TABLE_COLUMNS):
        problems.append(f"table header {header} != {list(TABLE_COLUMNS)}")
    rows = {}
    for line in table[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) != len(TABLE_COLUMNS):
            problems.append(f"row has {len(cells)} cells: {line}")
            continue
        rows[(cells[0], cells[1])] = cells
    for label, size in results["sizes"].items():
        missing = [m for m in MEASURES if "summary" not in size["measures"].get(m, {})]
        if missing:
            problems += [f"missing row {label} / {LABELS[m]}" for m in missing]
            continue
        for measure in MEASURES:
            cells = rows.get((label, LABELS[measure]))
            if cells is None:
                problems.append(f"missing row {label} / {LABELS[measure]}")
                continue
            s = size["measures"][measure]["summary"]
            dnf_ok = measure == "baseline" and s["status"] in ("timeout", "memory_cap")
            if s["status"] != "ok" and not dnf_ok:
                problems.append(f"{label} {LABELS[measure]}: {s['status']}: {cells[6]}")
                continue
            for column, text in zip(TABLE_COLUMNS[2:5], cells[2:5], strict=True):
                try:
                    value = float(text.lstrip("> "))
                except ValueError:
                    problems.append(f"{label} {LABELS[measure]} {column}: not a number: {text!r}")
                    continue
                if not value > 0:
                    problems.append(f"{label} {LABELS[measure]} {column}: not positive: {text}")
        r = ratios(size)
        for column in RATIO_COLUMNS[1:5]:
            try:
                if not float(r[column].lstrip("> ")) > 0:
                    problems.append(f"{label} ratio {column} not positive: {r[column]}")
            except ValueError:
                problems.append(f"{label} ratio {column} missing: {r[column]}")
        floor_runs = size["measures"]["floor"]["runs"]
        floor_n = (floor_runs[-1].get("detail") or {}).get("n_customers")
        for measure in ("dbt_run", "dbt_build"):
            for run in size["measures"][measure]["runs"]:
                project_n = run.get("customers")
                if project_n is None or floor_n is None:
                    problems.append(
                        f"{label} {LABELS[measure]}: customer count missing ({project_n}, {floor_n})"
                    )
                elif abs(project_n - floor_n) > CUSTOMER_COUNT_TOLERANCE * project_n:
                    problems.append(
                        f"{label}: floor has {floor_n} customers, {CUSTOMERS_TABLE} after {LABELS[measure]} "
                        f"has {project_n} (tolerance {CUSTOMER_COUNT_TOLERANCE:.1%})"
                    )
        raw = (size["measures"]["raw_scan"]["runs"][-1].get("detail") or {}).get("lines")
        if raw != size["lines"]:
            problems.append(f"{label}: raw scan counted {raw} lines, expected {size['lines']}")
    for heading in ("## Wall time", "## Ratios", "## Targets"):
        if heading not in markdown:
            problems.append(f"markdown lacks section {heading!r}")
    return problems


# --------------------------------------------------------------------------- main loop


def run_benchmark(config: Config) -> dict:
    started = dt.datetime.now(dt.UTC)
    machine = machine_info()
    if config.baseline_memory_cap_mb is None:
        config.baseline_memory_cap_mb = round(min(16 * 1024, 0.7 * meminfo_mb("MemAvailable")))
    config.out_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="custseg-bench-"))
    try:
        project = prepare_project(config, scratch)
        say(config, f"measuring {project.commit[:12]} ({project.note})")
        settings, settings_source = find_segmentation_settings(project, scratch)
        categories = project_categories(project.path)
        floor_settings = {
            k: settings.get(k)
            for k in (
                "features",
                "log1p_features",
                "k_min",
                "k_max",
                "k",
                "random_state",
                "n_init",
                "minibatch_threshold",
                "minibatch_batch_size",
                "selection_sample_size",
                "silhouette_sample_size",
                "stability_resamples",
                "stability_sample_size",
                "min_stability",
                "min_segment_share",
                "silhouette_tolerance",
                "item_pattern",
            )
            if k in settings
        }
        results: dict = {
            "meta": {
                "started": started.strftime("%Y-%m-%d %H:%M"),
                "command": config.command_line,
                "commit": project.commit,
                "subject": project.subject,
                "project_note": project.note,
                "project_mode": project.mode,
                "machine": machine,
                "load_start": loadavg(),
                "seed": config.seed,
                "settings_source": settings_source
                if not settings
                else f"{settings_source} ({json.dumps(floor_settings)})",
                "baseline_limit_s": config.baseline_limit_s,
                "baseline_memory_cap_mb": config.baseline_memory_cap_mb,
            },
            "sizes": {},
        }
        for lines in config.sizes:
            label = size_label(lines)
            input_path = ensure_input(config, project, lines)
            size = results["sizes"][label] = {
                "lines": lines,
                "input": str(input_path),
                "input_mb": input_path.stat().st_size / 2**20,
                "measures": {m: {"runs": []} for m in MEASURES if m not in config.skip},
            }
            size_started = time.monotonic()
            for run in range(1, config.runs + 1):
                spent = time.monotonic() - size_started
                if run > 1 and config.size_budget_s and spent * run / (run - 1) > config.size_budget_s:
                    size["cut_by_budget"] = (
                        f"{run - 1} of {config.runs} rounds (size budget {config.size_budget_s:.0f} s)"
                    )
                    say(
                        config,
                        f"{label}: stopping after {run - 1} round(s): another would overrun the budget",
                    )
                    break
                for measure in MEASURES:
                    if measure in config.skip:
                        continue
                    entry = size["measures"][measure]
                    if measure == "baseline" and entry["runs"] and entry["runs"][-1]["status"] != "ok":
                        continue  # it hit its limit: another run would too
                    say(config, f"{label} run {run}/{config.runs}: {LABELS[measure]}")
                    if measure == "raw_scan":
                        r = measure_script(config, "rawscan.py", [str(input_path)], scratch)
                    elif measure == "floor":
                        args = [str(input_path), "--seeds", str(project.path / "seeds")]
                        args += ["--settings", json.dumps(floor_settings)]
                        if categories:
                            args += ["--categories", json.dumps(categories)]
                        args += ["--temp-dir", str(scratch / "floor-spill")]
                        r = measure_script(config, "floor.py", args, scratch)
                    elif measure == "baseline":
                        args = [str(input_path), "--k-min", str(config.baseline_k[0])]
                        args += ["--k-max", str(config.baseline_k[1])]
                        r = measure_script(
                            config,
                            "baseline.py",
                            args,
                            scratch,
                            limit_s=config.baseline_limit_s,
                            memory_cap_mb=config.baseline_memory_cap_mb,
                        )
                    elif measure == "dbt_build_core":
                        r = measure_dbt(
                            config, project, "build", input_path, scratch, exclude=VALUE_AND_HISTORY_NODES
                        )
                    else:
                        r = measure_dbt(config, project, measure.removeprefix("dbt_"), input_path, scratch)
                    entry["runs"].append(r)
                    shown = (
                        f"{r['status']}, {r['wall_s']:.1f} s, peak {r['peak_rss_mb']:.0f} MB, "
                        f"CPU {r['cpu_s']:.1f} s"
                    )
                    if r.get("customers") is not None:
                        shown += f", {r['customers']} customers"
                    say(config, f"  -> {shown}")
                    if r["status"] == "failed":
                        say(config, f"  error:\n{r.get('error', '')}")
                    # Write what we have after every measurement: a long run stopped early
                    # still leaves its tables (sizes and measures not reached yet are absent).
                    entry["summary"] = summarise(entry["runs"])
                    results["meta"]["finished"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
                    results["meta"]["load_end"] = loadavg()
                    write_outputs(config, results, started)
        return results
    finally:
        if not config.keep:
            shutil.rmtree(scratch, ignore_errors=True)


def write_outputs(config: Config, results: dict, started: dt.datetime) -> str:
    markdown = render_markdown(results)
    stamp = started.strftime("%Y%m%dT%H%M%S")
    (config.out_dir / f"results-{stamp}.json").write_text(json.dumps(results, indent=1))
    (config.out_dir / f"results-{stamp}.md").write_text(markdown)
    if config.results_md:
        config.results_md.write_text(markdown)
    return markdown


def run_smoke(
    workdir: str | Path,
    *,
    lines: int = 1_000_000,
    baseline_limit_s: float = 120.0,
    project: str = "worktree",
    inputs_dir: str | Path | None = None,
) -> dict:
    """Smoke-run the whole harness once (one size, one run, short baseline limit) and check
    its output, not its timings. Returns ``{"ok": bool, "problems": [str], "markdown": str,
    "results": dict}``; ``workdir`` receives results.json and RESULTS.md. Takes about 3-4 min
    at 1M lines on 2 cores (pass ``lines=200_000`` for about 1.5 min)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    config = Config(
        sizes=[lines],
        runs=1,
        baseline_limit_s=baseline_limit_s,
        project=project,
        inputs_dir=Path(inputs_dir) if inputs_dir else BENCH_DIR / "work" / "inputs",
        out_dir=workdir,
        results_md=workdir / "RESULTS.md",
        command_line=f"run_smoke(lines={lines})",
        smoke=True,
    )
    results = run_benchmark(config)
    markdown = render_markdown(results)
    problems = check_results(results, markdown)
    (workdir / "results.json").write_text(json.dumps(results, indent=1))
    return {"ok": not problems, "problems": problems, "markdown": markdown, "results": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/run.sh",
        description="Benchmark the dbt project against a floor, a raw scan and a baseline.",
    )
    parser.add_argument(
        "--sizes", default=None, help="comma-separated line counts (default 1M,10M; smoke 1M)"
    )
    parser.add_argument("--include-100m", action="store_true", help="add 100M lines")
    parser.add_argument("--runs", type=int, default=None, help="runs per figure, median reported (default 3)")
    parser.add_argument(
        "--baseline-limit", type=float, default=None, help="baseline time limit, s (default 600)"
    )
    parser.add_argument("--baseline-memory-cap", type=float, default=None, help="baseline memory cap, GB")
    parser.add_argument("--baseline-k", default="2-10", help="baseline k sweep, e.g. 2-10 or 3-3")
    parser.add_argument(
        "--project",
        default=None,
        help="'head' (fresh clone of HEAD, the default), 'worktree' (default with --smoke), or a path",
    )
    parser.add_argument("--skip", default="", help="comma-separated measures to skip: " + ",".join(MEASURES))
    parser.add_argument(
        "--results", type=Path, default=None, help="markdown output (default bench/RESULTS.md)"
    )
    parser.add_argument(
        "--size-budget",
        type=float,
        default=None,
        help="minutes per size: no further round once another would overrun it (round 1 always runs)",
    )
    parser.add_argument("--keep", action="store_true", help="keep warehouses and logs (in /tmp)")
    parser.add_argument("--smoke", action="store_true", help="CI check of the harness output, not of timings")
    args = parser.parse_args(argv)

    sizes = [parse_size(s) for s in args.sizes.split(",")] if args.sizes else None
    command_line = "bench/run.sh " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.smoke:
        workdir = BENCH_DIR / "work" / "smoke"
        outcome = run_smoke(
            workdir,
            lines=(sizes or [1_000_000])[0],
            baseline_limit_s=args.baseline_limit or 120.0,
            project=args.project or "worktree",
        )
        print(outcome["markdown"])
        if outcome["ok"]:
            print(f"smoke: OK ({workdir})")
            return 0
        print("smoke: FAILED\n  " + "\n  ".join(outcome["problems"]), file=sys.stderr)
        return 1

    sizes = sizes or [1_000_000, 10_000_000]
    if args.include_100m and 100_000_000 not in sizes:
        sizes.append(100_000_000)
    k_low, _, k_high = args.baseline_k.partition("-")
    skip = tuple(s for s in args.skip.split(",") if s)
    unknown = set(skip) - set(MEASURES)
    if unknown:
        parser.error(f"unknown measure(s) to skip: {sorted(unknown)}")
    config = Config(
        sizes=sizes,
        runs=args.runs or 3,
        baseline_limit_s=args.baseline_limit or 600.0,
        baseline_memory_cap_mb=args.baseline_memory_cap * 1024 if args.baseline_memory_cap else None,
        baseline_k=(int(k_low), int(k_high or k_low)),
        project=args.project or "head",
        results_md=args.results or BENCH_DIR / "RESULTS.md",
        skip=skip,
        size_budget_s=args.size_budget * 60 if args.size_budget else None,
        keep=args.keep,
        command_line=command_line.strip(),
    )
    results = run_benchmark(config)
    print(render_markdown(results))
    failed = [
        f"{label} {LABELS[m]}"
        for label, size in results["sizes"].items()
        for m, entry in size["measures"].items()
        if m != "baseline" and entry["summary"]["status"] != "ok"
    ]
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0
