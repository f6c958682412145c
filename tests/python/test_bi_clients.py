"""The README's "Connect your BI tool" steps and its MetricFlow command, run as written on a
published build of the bundled sample: the DuckDB CLI, Python, SQLAlchemy with duckdb-engine
and Harlequin (driven in tmux, as a person types) all read the marts without a schema prefix,
and ./scripts/mf.sh's query runs on the serving file with no environment variable set."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_ROOT, copy_of
from test_publish import REGISTRY_UNREACHABLE

from custseg.tools.publish import PublishSettings, publish

README = PROJECT_ROOT / "README.md"
SERVING = "warehouse/serving.duckdb"
TOOLS = "~/bi-tools"


def readme_section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def code_blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)


def block_with(section: str, language: str, needle: str) -> str:
    found = [block for block in code_blocks(section, language) if needle in block]
    assert len(found) == 1, f"expected one {language} block with {needle!r} in the README section"
    return found[0]


@pytest.fixture(scope="module")
def serving(tmp_path_factory, sample_build) -> Path:
    """The shared sample build published to a serving file, as build.sh does."""
    workdir = tmp_path_factory.mktemp("bi")
    settings = PublishSettings(
        copy_of(sample_build, workdir), workdir / "serving.duckdb", workdir / "parquet"
    )
    return publish(settings).serving


@pytest.fixture(scope="module")
def segment_names(serving: Path) -> list[str]:
    with duckdb.connect(str(serving), read_only=True) as connection:
        return [
            name
            for (name,) in connection.execute("select segment_name from marts.segment_profiles").fetchall()
        ]


@pytest.fixture(scope="module")
def tools(tmp_path_factory) -> Path:
    """The README's install block run as written, with its folder in a temporary place."""
    section = readme_section("Connect your BI tool")
    folder = tmp_path_factory.mktemp("bi-tools") / "bi-tools"
    script = block_with(section, "bash", "pip install").replace(TOOLS, shlex.quote(str(folder)))
    script = script.replace("python3 -m venv", f"{shlex.quote(sys.executable)} -m venv", 1)
    script = script.replace(
        "/bin/pip install", "/bin/pip install --disable-pip-version-check --retries 1 --timeout 30"
    )
    completed = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True)
    if completed.returncode != 0:
        output = completed.stdout + completed.stderr
        if any(marker in output for marker in REGISTRY_UNREACHABLE):
            pytest.skip("pip cannot reach the package registry to install the BI tools")
        pytest.fail(f"the README's install block failed:\n{output[-4000:]}")
    return folder


def run_block(script: str, serving: Path, tools: Path, *, python: str | None = None) -> str:
    script = script.replace(SERVING, str(serving)).replace(TOOLS, str(tools))
    command = [python, "-c", script] if python else ["bash", "-euo", "pipefail", "-c", script]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=serving.parent, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def assert_lists_segments(output: str, names: list[str]) -> None:
    for name in names:
        assert name in output, f"{name!r} missing from:\n{output}"


def test_duckdb_cli_reads_the_marts_without_a_prefix(serving, tools, segment_names):
    block = block_with(readme_section("Connect your BI tool"), "bash", "duckdb -readonly")
    assert_lists_segments(run_block(block, serving, tools), segment_names)


def test_python_reads_the_marts_without_a_prefix(serving, segment_names):
    block = block_with(readme_section("Connect your BI tool"), "python", "duckdb.connect")
    assert_lists_segments(run_block(block, serving, Path(), python=sys.executable), segment_names)


def test_sqlalchemy_with_duckdb_engine_reads_the_marts(serving, tools, segment_names):
    block = block_with(readme_section("Connect your BI tool"), "python", "create_engine")
    output = run_block(block, serving, tools, python=str(tools / "bin" / "python"))
    assert_lists_segments(output, segment_names)


def test_harlequin_runs_a_query_typed_in_its_editor(serving, tools, segment_names, tmp_path):
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (scripts/setup.sh installs it as root with apt-get)")
    block = block_with(readme_section("Connect your BI tool"), "bash", "harlequin --read-only")
    command = block.strip().replace(SERVING, str(serving)).replace(TOOLS, str(tools))
    # A home of its own: Harlequin restores the last session's editor from its cache.
    home = {
        name: str(tmp_path / name) for name in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")
    }
    command = (
        "env " + " ".join(f"{name}={shlex.quote(value)}" for name, value in home.items()) + " " + command
    )
    session = f"custseg-harlequin-{uuid.uuid4().hex[:8]}"
    tmux = ["tmux", "-L", session]
    subprocess.run([*tmux, "new-session", "-d", "-s", session, "-x", "180", "-y", "50", command], check=True)
    subprocess.run([*tmux, "resize-window", "-t", session, "-x", "180", "-y", "50"], capture_output=True)

    def screen() -> str:
        return subprocess.run(
            [*tmux, "capture-pane", "-t", session, "-p"], capture_output=True, text=True
        ).stdout

    def wait_for(text: str, seconds: float = 150) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            shown = screen()
            if text in shown:
                return shown
            time.sleep(0.5)
        pytest.fail(f"Harlequin never showed {text!r}:\n{screen()}")

    try:
        wait_for("Query Editor")
        query = "select segment_name, customers from segment_profiles"
        subprocess.run([*tmux, "send-keys", "-t", session, "-l", query], check=True)
        wait_for(query)
        subprocess.run([*tmux, "send-keys", "-t", session, "C-j"], check=True)
        shown = wait_for(f"({len(segment_names)} Records)")

        def missing_names(shown: str) -> list[str]:
            # Harlequin cuts a long cell to its column's width and ends it with an ellipsis
            rows = [line.strip("│ ") for line in shown.splitlines()]

            def shown_in(row: str, name: str) -> bool:
                return row.startswith(name) or ("…" in row and name.startswith(row.split("…")[0]))

            return [name for name in segment_names if not any(shown_in(row, name) for row in rows)]

        # Its "query executed" notice covers the first rows for a few seconds: look again until it goes.
        deadline = time.monotonic() + 30
        while missing_names(shown) and time.monotonic() < deadline:
            time.sleep(1)
            shown = screen()
        assert not missing_names(shown), f"{missing_names(shown)} missing from:\n{shown}"
        subprocess.run([*tmux, "send-keys", "-t", session, "C-q"], check=True)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


@pytest.fixture(scope="module")
def mf_project(tmp_path_factory, sample_build, serving) -> Path:
    """A project folder as a user has it after build.sh: the dbt project files, the build's
    semantic manifest, the serving file, and no build file."""
    project = tmp_path_factory.mktemp("mf_project")
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_ROOT / name, project / name)
    (project / "target").mkdir()
    shutil.copy(sample_build.target / "semantic_manifest.json", project / "target")
    (project / "warehouse").mkdir()
    shutil.copy(serving, project / SERVING)
    return project


def clean_environment() -> dict[str, str]:
    """The environment without any of the project's settings."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CUSTSEG_", "DBT_", "SMARTCART_", "ONLINE_RETAIL_"))
    } | {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def run_metrics(project: Path, arguments: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "custseg.tools.metrics", "--project-dir", str(project), *arguments],
        cwd=project,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_readme_mf_query_runs_on_the_serving_file_with_no_setting(mf_project, serving, segment_names):
    lines = block_with(readme_section("Metrics (MetricFlow)"), "bash", "mf.sh query").replace("\\\n", " ")
    query = next(line for line in lines.splitlines() if "mf.sh query" in line)
    arguments = shlex.split(query.split("./scripts/mf.sh", 1)[1])
    completed = run_metrics(mf_project, arguments)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert_lists_segments(completed.stdout, segment_names)
    assert not re.search(r"\d\.\d+e[+-]\d", completed.stdout), "scientific notation in:\n" + completed.stdout
    with duckdb.connect(str(serving), read_only=True) as connection:
        total = connection.execute("select sum(monetary_gbp) from marts.online_retail_customers").fetchone()[
            0
        ]
        biggest = connection.execute(
            "select max(revenue) from marts.segment_profiles where source = 'online_retail'"
        ).fetchone()[0]
    assert f"{biggest:.2f}" in completed.stdout, completed.stdout
    assert total > biggest
    # Nothing but the serving file in the warehouse folder: no empty build file was created.
    assert sorted(path.name for path in (mf_project / "warehouse").iterdir()) == ["serving.duckdb"]


def test_mf_without_a_serving_file_says_so_and_creates_nothing(mf_project, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(mf_project, project)
    (project / SERVING).unlink()
    completed = run_metrics(project, ["list", "metrics"])
    assert completed.returncode == 2
    assert completed.stderr.strip().splitlines() == [
        f"mf: no serving file at {project / SERVING}: run ./scripts/build.sh first"
    ]
    assert list((project / "warehouse").iterdir()) == []
