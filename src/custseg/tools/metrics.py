"""MetricFlow's ``mf`` on the serving file, as ``./scripts/mf.sh`` runs it.

    ./scripts/mf.sh list metrics
    ./scripts/mf.sh query --metrics customers,revenue_gbp --group-by customer__segment_name

Plain ``mf`` uses the profile's default target, the build file, which a running build locks
(and which dbt-duckdb creates, empty, when it is missing). This wrapper instead points ``mf``
at the profile's ``serving`` target: an in-memory DuckDB with the serving file
(``CUSTSEG_SERVING_PATH``) attached read-only under the database name that the semantic
manifest (target/semantic_manifest.json) was built with, so the manifest's table names
resolve whatever the build file was called, and nothing is created or written. ``query``
prints numbers in fixed-point notation (``--decimals 2``) unless given ``--decimals`` or
``--csv``. A missing serving file or manifest stops it with a one-line message.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from custseg.tools.publish import PublishSettings

MANIFEST = Path("target/semantic_manifest.json")
DEFAULT_DECIMALS = "2"


class MetricsError(Exception):
    """A problem the person can fix, said in one line."""


def manifest_database(manifest: Path) -> str:
    """The database name the semantic manifest's tables are qualified with."""
    if not manifest.is_file():
        raise MetricsError(f"no {manifest}: run ./scripts/build.sh first")
    try:
        content = json.loads(manifest.read_text(encoding="utf-8"))
        databases = {model["node_relation"]["database"] for model in content["semantic_models"]}
    except (ValueError, KeyError, TypeError) as error:
        raise MetricsError(
            f"{manifest} is not a dbt semantic manifest ({error}): run ./scripts/build.sh"
        ) from error
    if len(databases) != 1:
        raise MetricsError(f"{manifest} names {len(databases)} databases ({sorted(databases)}), expected one")
    return databases.pop()


def mf_command(arguments: Sequence[str]) -> list[str]:
    """``mf`` with the arguments, plus fixed-point numbers for a query printed to the screen."""
    beside = Path(sys.executable).with_name("mf")
    mf = str(beside) if beside.exists() else (shutil.which("mf") or "mf")
    words = list(arguments)
    if words[:1] == ["query"] and not any(w.startswith(("--decimals", "--csv")) for w in words):
        words += ["--decimals", DEFAULT_DECIMALS]
    return [mf, *words]


def mf_environment(project_dir: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment that points ``mf`` at the serving file (checked to exist)."""
    env = dict(os.environ if environ is None else environ)
    serving = PublishSettings.from_env(env).serving
    serving = serving if serving.is_absolute() else project_dir / serving
    if not serving.is_file():
        raise MetricsError(f"no serving file at {serving}: run ./scripts/build.sh first")
    env.update(
        {
            "CUSTSEG_DBT_TARGET": "serving",
            "CUSTSEG_SERVING_PATH": str(serving.resolve()),
            "CUSTSEG_SERVING_CATALOG": manifest_database(project_dir / MANIFEST),
            "DBT_PROJECT_DIR": str(project_dir.resolve()),
            "DBT_PROFILES_DIR": str(project_dir.resolve()),
        }
    )
    return env


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    project_dir = Path(os.environ.get("CUSTSEG_PROJECT_DIR") or Path.cwd())
    if arguments[:1] == ["--project-dir"] and len(arguments) > 1:
        project_dir, arguments = Path(arguments[1]), arguments[2:]
    try:
        env = mf_environment(project_dir, os.environ)
    except MetricsError as error:
        print(f"mf: {error}", file=sys.stderr)
        return 2
    command = mf_command(arguments or ["--help"])
    os.execvpe(command[0], command, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
