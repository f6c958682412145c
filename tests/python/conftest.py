"""Shared pytest fixtures: run dbt as a user would, on a throwaway warehouse file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"


@dataclass
class DbtRun:
    """The outcome of one dbt command."""

    returncode: int
    output: str
    warehouse: Path

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.sql(sql).fetchall()

    def scalar(self, sql: str):
        return self.query(sql)[0][0]


def dbt_executable() -> str:
    found = Path(sys.executable).with_name("dbt")
    return str(found) if found.exists() else (shutil.which("dbt") or "dbt")


def invoke_dbt(
    *args: str,
    workdir: Path,
    env: dict[str, str] | None = None,
    warehouse: Path | None = None,
) -> DbtRun:
    """Run a dbt command in the project; the warehouse file and dbt's files go under workdir."""
    warehouse = warehouse or workdir / "warehouse.duckdb"
    run_env = {
        **os.environ,
        "CUSTSEG_DUCKDB_PATH": str(warehouse),
        "CUSTSEG_DUCKDB_TEMP_DIR": str(workdir / "duckdb_tmp"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **(env or {}),
    }
    completed = subprocess.run(
        [
            dbt_executable(),
            *args,
            "--target-path",
            str(workdir / "target"),
            "--log-path",
            str(workdir / "logs"),
        ],
        cwd=PROJECT_ROOT,
        env=run_env,
        capture_output=True,
        text=True,
        check=False,
    )
    return DbtRun(completed.returncode, completed.stdout + completed.stderr, warehouse)


@pytest.fixture
def run_dbt(tmp_path: Path) -> Callable[..., DbtRun]:
    """Run a dbt command in the project, writing to a warehouse file under tmp_path."""

    def run(*args: str, env: dict[str, str] | None = None, warehouse: Path | None = None) -> DbtRun:
        return invoke_dbt(*args, workdir=tmp_path, env=env, warehouse=warehouse)

    return run


def require_shared_data(*names: str) -> Path:
    """The real-data folder, or skip the test when it (or one of the files) is absent."""
    for name in names:
        if not (SHARED_DATA / name).is_file():
            pytest.skip(f"real data file {SHARED_DATA / name} is not present")
    return SHARED_DATA
