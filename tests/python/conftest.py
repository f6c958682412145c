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
    target: Path | None = None

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
    return DbtRun(completed.returncode, completed.stdout + completed.stderr, warehouse, workdir / "target")


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> DbtRun:
    """One dbt build of the bundled sample that every test reading it shares (open it
    read-only, or copy the file before changing anything). scripts/test.sh builds it before
    pytest and says where (CUSTSEG_TEST_WAREHOUSE, CUSTSEG_TEST_TARGET); otherwise it is built
    here."""
    warehouse, target = os.environ.get("CUSTSEG_TEST_WAREHOUSE"), os.environ.get("CUSTSEG_TEST_TARGET")
    if warehouse and target:
        warehouse_path, target_path = PROJECT_ROOT / warehouse, PROJECT_ROOT / target
        if warehouse_path.is_file() and (target_path / "manifest.json").is_file():
            return DbtRun(0, "(built by scripts/test.sh)", warehouse_path, target_path)
    run = invoke_dbt("build", workdir=tmp_path_factory.mktemp("sample_build"))
    assert run.returncode == 0, run.output[-5000:]
    return run


def copy_of(build: DbtRun, folder: Path) -> Path:
    """A writable copy of a build's warehouse file in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / "warehouse.duckdb"
    shutil.copyfile(build.warehouse, copy)
    return copy


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
