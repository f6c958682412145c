"""Publishing as people meet it: after a build the serving file and the Parquet set hold the
marts; an older DuckDB opens the serving file; a BI reader holding it open never blocks a
rebuild; and a build or publish killed at any moment leaves the last serving file intact."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_ROOT, copy_of, dbt_executable, invoke_dbt

from custseg.tools import publish as publish_module
from custseg.tools.publish import (
    DEFAULT_STORAGE_VERSION,
    PublishSettings,
    current_release,
    publish,
    releases,
)

# The oldest DuckDB release the serving file's storage version (v1.0.0) promises.
OLD_DUCKDB_VERSION = "1.0.0"
SEGMENTS_QUERY = "select count(*) from marts.customer_segments"
SMARTCART_SEGMENTS_QUERY = "select count(*) from marts.customer_segments where source = 'smartcart'"
# What pip prints when it cannot reach the package registry (then the test is skipped).
REGISTRY_UNREACHABLE = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ConnectTimeoutError",
    "ProxyError",
    "Max retries exceeded",
)


@dataclass(frozen=True)
class Published:
    """A build and what its publish wrote, shared by the tests of this module."""

    workdir: Path
    build: Path
    serving: Path
    parquet_dir: Path
    cli_output: str


PUBLISH = [sys.executable, "-m", "custseg.tools.publish"]


def publish_args(build: Path, serving: Path, parquet_dir: Path) -> list[str]:
    """The publish command's arguments."""
    return ["--build", str(build), "--serving", str(serving), "--parquet-dir", str(parquet_dir)]


def run_publish(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m custseg.tools.publish`` from the project folder, as a person would."""
    return subprocess.run(
        [*PUBLISH, *map(str, args)], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, sample_build) -> Published:
    """A copy of the shared build of the bundled sample, published by the command line."""
    workdir = tmp_path_factory.mktemp("publish")
    build = copy_of(sample_build, workdir)
    serving, parquet_dir = workdir / "serving" / "serving.duckdb", workdir / "serving" / "parquet"
    completed = run_publish(*publish_args(build, serving, parquet_dir))
    assert completed.returncode == 0, completed.stderr
    return Published(workdir, build, serving, parquet_dir, completed.stdout)


def published_args(published: Published) -> list[str]:
    """The arguments that publish the module's build to its serving file and Parquet folder."""
    return publish_args(published.build, published.serving, published.parquet_dir)


def query(path: Path, sql: str) -> list[tuple]:
    """Rows of a query on a DuckDB file opened read-only."""
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def relation_counts(path: Path) -> dict[str, int]:
    """Row count of every table and view of a DuckDB file."""
    with duckdb.connect(str(path), read_only=True) as connection:
        names = connection.execute(
            "select schema_name || '.' || table_name from duckdb_tables() where not internal"
            " union all select schema_name || '.' || view_name from duckdb_views() where not internal"
        ).fetchall()
        return {name: connection.execute(f"select count(*) from {name}").fetchone()[0] for (name,) in names}


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parquet_state(folder: Path) -> dict[str, str]:
    """The Parquet set as a reader sees it through the folder path: file name to hash."""
    return {file.name: file_hash(file) for file in sorted(folder.glob("*.parquet"))}


def leftovers(folder: Path) -> list[str]:
    """Temporary files or folders of a publish left in ``folder``."""
    return sorted(path.name for path in folder.iterdir() if ".tmp-" in path.name)


def test_serving_file_has_every_build_table_with_the_same_rows(published: Published) -> None:
    build, serving = relation_counts(published.build), relation_counts(published.serving)
    defaults = {name: rows for name, rows in serving.items() if name.startswith("main.")}
    assert {name: rows for name, rows in serving.items() if name not in defaults} == build
    marts = {name: rows for name, rows in serving.items() if name.startswith("marts.")}
    assert marts["marts.customer_segments"] > 0
    assert len(marts) >= 10
    for needed in (
        "staging.stg_online_retail__rejected_lines",
        "staging.stg_smartcart__rejected_customers",
        "seeds.rfm_segment_rules",
        "segmentation.fit_segmentation",
    ):
        assert needed in serving
    # Views (the intermediate layer) are published as tables: nothing reads raw files or
    # needs the build's SQL. The only views are the marts' in the default schema.
    views = query(published.serving, "select schema_name, view_name from duckdb_views() where not internal")
    assert {schema for schema, _ in views} == {"main"}
    assert defaults == {name.replace("marts.", "main.", 1): rows for name, rows in marts.items()}
    assert_one_release(published)


def test_bi_queries_need_no_schema_prefix(published: Published) -> None:
    """Opened as a BI tool opens it, the serving file answers queries on the marts by their
    names alone, with the same rows and comments as the marts."""
    with duckdb.connect(str(published.serving), read_only=True) as connection:
        for name in ("segment_profiles", "customer_segments", "campaign_customers", "segment_report_figures"):
            assert (
                connection.execute(f"select count(*) from {name}").fetchone()
                == connection.execute(f"select count(*) from marts.{name}").fetchone()
            )
        comments = connection.execute(
            "select schema_name, column_name, comment from duckdb_columns()"
            " where table_name = 'segment_profiles' and column_name = 'customer_share' order by schema_name"
        ).fetchall()
    assert [schema for schema, _, _ in comments] == ["main", "marts"]
    assert comments[0][2] == comments[1][2] and comments[0][2].startswith("Share of the source's customers")


def test_serving_file_keeps_table_and_column_comments(published: Published) -> None:
    comments_sql = (
        "select schema_name, table_name, column_name, comment from duckdb_columns()"
        " where comment is not null order by all"
    )
    build_comments = query(published.build, comments_sql)
    assert len(build_comments) > 100
    serving_comments = query(published.serving, comments_sql)
    assert [row for row in serving_comments if row[0] != "main"] == build_comments
    # The default schema's views carry the marts' comments.
    assert sorted(row[1:] for row in serving_comments if row[0] == "main") == sorted(
        row[1:] for row in build_comments if row[0] == "marts"
    )
    table_comment = (
        "select comment from duckdb_tables() where schema_name = 'marts' and table_name = 'customer_segments'"
    )
    assert query(published.serving, table_comment) == query(published.build, table_comment)
    assert query(published.serving, table_comment)[0][0].startswith("One row per customer")


def test_serving_file_is_written_in_the_old_storage_version(published: Published) -> None:
    with duckdb.connect() as connection:
        connection.execute(f"attach '{published.serving}' as serving (read_only)")
        tags = connection.execute(
            "select tags from duckdb_databases() where database_name = 'serving'"
        ).fetchone()
    assert DEFAULT_STORAGE_VERSION == "v1.0.0"
    assert tags[0]["storage_version"] == "v1.0.0+"


def test_parquet_set_has_one_file_per_mart_with_the_same_rows(published: Published) -> None:
    marts = {
        name.removeprefix("marts."): rows
        for name, rows in relation_counts(published.build).items()
        if name.startswith("marts.")
    }
    files = sorted(published.parquet_dir.glob("*.parquet"))
    assert sorted(file.stem for file in files) == sorted(marts)
    with duckdb.connect() as connection:
        for file in files:
            assert connection.execute(f"select count(*) from '{file}'").fetchone()[0] == marts[file.stem], (
                file
            )


def test_cli_prints_what_it_published(published: Published) -> None:
    output = published.cli_output
    # one line per output (serving file, Parquet, lists) and one for the release they form
    assert len(output.splitlines()) == 4, output
    release = current_release(published.serving)
    assert f"publish: release {release.name} is current for all three" in output
    assert "storage version v1.0.0" in output
    assert re.search(r"in \d+\.\d s", output)
    marts = query(published.build, "select count(*) from duckdb_tables() where schema_name = 'marts'")[0][0]
    assert f"the {marts} marts also in schema main" in output
    assert f"publish: {marts} Parquet files of schema marts in {published.parquet_dir}/" in output
    segments = query(published.build, "select count(*) from marts.segment_profiles")[0][0]
    bands = query(published.build, "select count(distinct (source, churn_risk)) from marts.customer_value")[
        0
    ][0]
    assert f"publish: {segments + bands} campaign lists" in output  # per segment and per churn-risk band


def test_cli_lists_every_table_when_verbose(published: Published, tmp_path: Path) -> None:
    completed = run_publish(
        *publish_args(published.build, tmp_path / "serving.duckdb", tmp_path / "parquet"), "--verbose"
    )
    assert completed.returncode == 0, completed.stderr
    segments = query(published.build, SEGMENTS_QUERY)[0][0]
    assert re.search(rf"marts\.customer_segments\s+{segments}\b", completed.stdout), completed.stdout


def test_cli_reports_a_missing_or_unfinished_build_without_a_traceback(tmp_path: Path) -> None:
    serving, parquet_dir = tmp_path / "serving.duckdb", tmp_path / "parquet"
    missing = run_publish(
        "--build", tmp_path / "nope.duckdb", "--serving", serving, "--parquet-dir", parquet_dir
    )
    assert missing.returncode == 1
    assert "nope.duckdb does not exist" in missing.stderr
    unfinished = tmp_path / "unfinished.duckdb"
    with duckdb.connect(str(unfinished)) as connection:
        connection.execute("create schema marts; create table marts.customer_features_smartcart (x int)")
    partial = run_publish("--build", unfinished, "--serving", serving, "--parquet-dir", parquet_dir)
    assert partial.returncode == 1
    assert "has no table marts.customer_segments" in partial.stderr
    for completed in (missing, partial):
        assert "Traceback" not in completed.stderr
    assert not serving.exists()
    assert not parquet_dir.exists()


def test_cli_names_the_folders_when_the_disk_is_full(tmp_path: Path, monkeypatch, capsys) -> None:
    def no_space(settings):
        raise OSError(errno.ENOSPC, "No space left on device", str(settings.serving) + ".tmp")

    monkeypatch.setattr(publish_module, "publish", no_space)
    serving, parquet_dir = tmp_path / "serving.duckdb", tmp_path / "parquet"
    status = publish_module.main(["--serving", str(serving), "--parquet-dir", str(parquet_dir)])
    error = capsys.readouterr().err
    assert status == 1
    assert f"the serving file ({serving}, CUSTSEG_SERVING_PATH)" in error
    assert f"the Parquet set ({parquet_dir}, CUSTSEG_PARQUET_DIR)" in error
    assert "CUSTSEG_CAMPAIGN_DIR" in error and "Traceback" not in error


def test_publish_api_swaps_a_plain_parquet_folder_for_the_new_set(
    published: Published, tmp_path: Path
) -> None:
    """A Parquet folder made by hand (or by an older tool) is replaced by the new set as a whole."""
    parquet_dir = tmp_path / "parquet"
    parquet_dir.mkdir()
    (parquet_dir / "stale_table.parquet").write_bytes(b"old")
    settings = PublishSettings(published.build, tmp_path / "serving.duckdb", parquet_dir, "v1.2.0")
    result = publish(settings)
    assert result.storage_version == "v1.2.0"
    assert sorted(file.name for file in parquet_dir.glob("*.parquet")) == sorted(result.parquet_files)
    assert "stale_table.parquet" not in result.parquet_files
    assert parquet_dir.is_symlink()
    assert ("marts", "customer_segments") in {(table.schema, table.name) for table in result.tables}
    assert query(settings.serving, SEGMENTS_QUERY) == query(published.build, SEGMENTS_QUERY)
    assert leftovers(tmp_path) == []


@pytest.fixture(scope="session")
def old_duckdb_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway venv with an old DuckDB release (skipped only if PyPI is unreachable)."""
    venv = tmp_path_factory.mktemp("old-duckdb") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        + ["--retries", "1", "--timeout", "30", f"duckdb=={OLD_DUCKDB_VERSION}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if pip.returncode != 0:
        output = pip.stdout + pip.stderr
        if any(marker in output for marker in REGISTRY_UNREACHABLE):
            pytest.skip(f"pip cannot reach the package registry to install duckdb=={OLD_DUCKDB_VERSION}")
        pytest.fail(f"pip install duckdb=={OLD_DUCKDB_VERSION} failed:\n{output}")
    return python


OLD_READER = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
count = connection.execute("select count(*) from marts.customer_segments").fetchone()[0]
named = connection.execute("select count(distinct segment_name) from marts.customer_segments").fetchone()[0]
# The views of the default schema: a BI query without the marts. prefix.
unprefixed = connection.execute("select count(*) from customer_segments").fetchone()[0]
print(duckdb.__version__, count, named, unprefixed)
"""


def test_old_duckdb_opens_the_serving_file(published: Published, old_duckdb_python: Path) -> None:
    completed = subprocess.run(
        [str(old_duckdb_python), "-c", OLD_READER, str(published.serving)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    version, count, named, unprefixed = completed.stdout.split()
    assert version == OLD_DUCKDB_VERSION
    assert int(count) == int(unprefixed) == query(published.build, SEGMENTS_QUERY)[0][0]
    assert int(named) >= 3


READER = """
import select, sys, duckdb
QUERY = "select count(*) from marts.customer_segments where source = 'smartcart'"

def open_serving():
    connection = duckdb.connect(sys.argv[1], read_only=True)
    return connection, connection.execute(QUERY).fetchone()[0]

connection, held = open_serving()
print("OPEN", held, flush=True)
queries = 0
while True:
    ready, _, _ = select.select([sys.stdin], [], [], 0.05)
    count = connection.execute(QUERY).fetchone()[0]
    queries += 1
    if count != held:
        print("CHANGED", count, flush=True)
    if not ready:
        continue
    command = sys.stdin.readline().strip()
    if command == "query":
        print("HELD", count, queries, flush=True)
    elif command == "reconnect":
        connection.close()
        connection, held = open_serving()
        print("NEW", held, flush=True)
    else:
        break
"""


def ask(reader: subprocess.Popen[str], command: str) -> list[str]:
    """Send a command to the reader process and return its answer's words."""
    assert reader.stdin and reader.stdout
    reader.stdin.write(command + "\n")
    reader.stdin.flush()
    return reader.stdout.readline().split()


def test_reader_holding_the_serving_file_open_does_not_block_a_rebuild(
    published: Published, tmp_path: Path
) -> None:
    """A BI reader keeps the serving file open and querying while dbt rebuilds on other data
    and publishes; after reconnecting the reader sees the new result."""
    smaller = tmp_path / "smartcart_300.csv"
    subprocess.run(
        [sys.executable, "-m", "custseg.sampledata", "smartcart", "--rows", "300", "--out", str(smaller)],
        check=True,
        capture_output=True,
    )
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published.serving)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout
        opened = reader.stdout.readline().split()
        assert opened[0] == "OPEN", opened
        before = int(opened[1])
        rebuild = invoke_dbt(
            "build",
            workdir=published.workdir,
            warehouse=published.build,
            env={"SMARTCART_CUSTOMERS_PATH": str(smaller)},
        )
        assert rebuild.returncode == 0, rebuild.output[-5000:]
        completed = run_publish(*published_args(published))
        assert completed.returncode == 0, completed.stderr
        after = query(published.build, SMARTCART_SEGMENTS_QUERY)[0][0]
        assert after != before
        held = ask(reader, "query")
        assert held[:2] == ["HELD", str(before)], held  # the open connection kept its version
        assert int(held[2]) > 10  # and queried it all along
        assert ask(reader, "reconnect") == ["NEW", str(after)]
    finally:
        if reader.poll() is None and reader.stdin:
            reader.stdin.write("quit\n")
            reader.stdin.close()
        reader.wait(timeout=30)
    assert reader.returncode == 0
    assert query(published.serving, SMARTCART_SEGMENTS_QUERY) == [(after,)]


def run_until_killed(
    command: Sequence[str], env: dict[str, str], pattern: str, delay: float = 0.0, timeout: float = 300
) -> tuple[bool, int, str]:
    """Run ``command`` in its own process group; SIGKILL the group ``delay`` seconds after a
    line of its output matches ``pattern``. Returns (killed, return code, output)."""
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    watchdog = threading.Timer(timeout, os.killpg, (process.pid, signal.SIGKILL))
    watchdog.start()
    lines, killed = [], False
    try:
        assert process.stdout
        for line in process.stdout:
            lines.append(line)
            if re.search(pattern, line):
                if delay:
                    threading.Event().wait(delay)
                os.killpg(process.pid, signal.SIGKILL)
                killed = True
                break
    finally:
        watchdog.cancel()
        returncode = process.wait(timeout=60)
        assert process.stdout
        process.stdout.close()
    return killed, returncode, "".join(lines)


def pipeline_command(published: Published) -> list[str]:
    """``dbt build && python -m custseg.tools.publish`` on the module's build file, as scripts/build.sh
    runs them (same build file and dbt target folder, so dbt parses partially after the first)."""
    workdir = published.workdir
    dbt = [
        dbt_executable(),
        "build",
        "--target-path",
        str(workdir / "target"),
        "--log-path",
        str(workdir / "logs"),
    ]
    return ["bash", "-c", f"{shlex.join(dbt)} && {shlex.join([*PUBLISH, *published_args(published)])}"]


def pipeline_env(published: Published) -> dict[str, str]:
    """The environment of the pipeline: the module's build file, unbuffered output."""
    return {
        **os.environ,
        "CUSTSEG_DUCKDB_PATH": str(published.build),
        "CUSTSEG_DUCKDB_TEMP_DIR": str(published.workdir / "duckdb_tmp"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PYTHONUNBUFFERED": "1",
    }


def assert_serving_intact(published: Published, serving_hash: str, parquet: dict[str, str]) -> None:
    """The serving file is byte for byte the last good one and answers a query; Parquet and
    the campaign lists come from the same release."""
    assert file_hash(published.serving) == serving_hash
    assert query(published.serving, SEGMENTS_QUERY)[0][0] > 0
    assert parquet_state(published.parquet_dir) == parquet
    assert_one_release(published)


def assert_one_release(published: Published) -> Path:
    """The serving file, the Parquet set and the campaign lists are all in the current release."""
    release = current_release(published.serving).resolve()
    campaigns = published.parquet_dir.with_name("campaigns")
    assert published.serving.resolve().parent == release
    assert published.parquet_dir.resolve() == release / "parquet"
    assert campaigns.resolve() == release / "campaigns" and (campaigns / "index.csv").is_file()
    return release


@pytest.mark.parametrize(
    ("moment", "pattern", "delay"),
    [
        ("staging", r"START sql table model staging\.", 0.2),
        ("python model", r"START python table model segmentation\.fit_segmentation\b", 2.0),
        ("tests", r"START test \S*fit_segmentation", 0.0),
    ],
)
def test_killing_the_build_keeps_the_last_serving_file(
    published: Published, moment: str, pattern: str, delay: float
) -> None:
    """SIGKILL the whole pipeline (dbt build, then publish) while dbt runs the given node."""
    serving_hash, parquet = file_hash(published.serving), parquet_state(published.parquet_dir)
    killed, returncode, output = run_until_killed(
        pipeline_command(published), pipeline_env(published), pattern, delay
    )
    assert killed, f"never reached {moment}:\n{output[-3000:]}"
    assert returncode == -signal.SIGKILL
    assert "Completed successfully" not in output
    assert_serving_intact(published, serving_hash, parquet)


PAUSED_PUBLISH = """
import os, sys, time
from pathlib import Path
from custseg.tools import publish

serving = Path(sys.argv[1]).absolute()
real_replace = os.replace

def pause_before_the_current_rename(source, target):
    if Path(target).absolute() == publish.current_link(serving):
        release = Path(source).parent / os.readlink(source)
        print("PAUSED", release / serving.name, flush=True)
        time.sleep(600)
    real_replace(source, target)

os.replace = pause_before_the_current_rename
sys.exit(publish.main(sys.argv[2:]))
"""


def test_killing_publish_while_it_writes_keeps_the_last_serving_file(published: Published) -> None:
    """SIGKILL as soon as the temporary serving file appears; the next publish cleans up."""
    folder = published.serving.parent
    serving_hash, parquet = file_hash(published.serving), parquet_state(published.parquet_dir)
    process = subprocess.Popen(
        [*PUBLISH, *published_args(published)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    while process.poll() is None and not leftovers(folder):
        threading.Event().wait(0.002)
    os.killpg(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL, "publish finished before it could be killed"
    assert leftovers(folder)
    assert_serving_intact(published, serving_hash, parquet)
    republished = run_publish(*published_args(published))
    assert republished.returncode == 0, republished.stderr
    assert leftovers(folder) == []
    # The current release and the one before it (for readers that have it open) remain.
    assert len(releases(published.serving)) == 2
    assert query(published.serving, SEGMENTS_QUERY) == query(published.build, SEGMENTS_QUERY)


def test_killing_publish_between_copy_and_rename_keeps_the_last_serving_file(published: Published) -> None:
    """The new release is complete, the one rename has not happened: a kill then changes nothing
    (serving file, Parquet and campaign lists)."""
    folder = published.serving.parent
    serving_hash, parquet = file_hash(published.serving), parquet_state(published.parquet_dir)
    process = subprocess.Popen(
        [sys.executable, "-c", PAUSED_PUBLISH, str(published.serving), *published_args(published)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout
    paused = process.stdout.readline().split()
    assert paused[:1] == ["PAUSED"], paused
    copied = Path(paused[1])
    assert query(copied, SEGMENTS_QUERY) == query(published.build, SEGMENTS_QUERY)
    os.killpg(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    process.stdout.close()
    assert copied.exists()
    assert_serving_intact(published, serving_hash, parquet)
    republished = run_publish(*published_args(published))
    assert republished.returncode == 0, republished.stderr
    assert leftovers(folder) == []
    # The current release and the one before it (for readers that have it open) remain; the
    # release of the killed publish, never current, is gone.
    assert len(releases(published.serving)) == 2
    assert not copied.exists()


def test_rollback_brings_back_the_release_before_for_all_three(published: Published, tmp_path: Path) -> None:
    """Two publishes of different builds; --rollback makes the first current again, serving file,
    Parquet and campaign lists together; with one release there is nothing to roll back to."""
    serving, parquet_dir = tmp_path / "serving.duckdb", tmp_path / "parquet"
    other = tmp_path / "other.duckdb"
    shutil.copyfile(published.build, other)
    with duckdb.connect(str(other)) as connection:
        connection.execute("delete from marts.customer_segments where source = 'smartcart'")
    args = ["--serving", str(serving), "--parquet-dir", str(parquet_dir)]
    first = run_publish("--build", published.build, *args)
    assert first.returncode == 0, first.stderr
    lone = run_publish("--rollback", *args)
    assert lone.returncode == 1 and "no release before" in lone.stderr and "Traceback" not in lone.stderr
    before = (file_hash(serving), parquet_state(parquet_dir), file_hash(tmp_path / "campaigns" / "index.csv"))
    second = run_publish("--build", other, *args)
    assert second.returncode == 0, second.stderr
    assert query(serving, SMARTCART_SEGMENTS_QUERY) == [(0,)]
    rolled = run_publish("--rollback", *args)
    assert rolled.returncode == 0, rolled.stderr
    assert "rolled back" in rolled.stdout
    after = (file_hash(serving), parquet_state(parquet_dir), file_hash(tmp_path / "campaigns" / "index.csv"))
    assert after == before
    assert query(serving, SMARTCART_SEGMENTS_QUERY) == query(published.build, SMARTCART_SEGMENTS_QUERY)


def test_the_first_publish_over_the_earlier_layout_links_its_paths(
    published: Published, tmp_path: Path
) -> None:
    """A plain serving file and Parquet/campaign links to version folders (the layout before
    releases) become links into the current release; the version folders go."""
    serving, parquet_dir = tmp_path / "serving.duckdb", tmp_path / "parquet"
    campaigns = tmp_path / "campaigns"
    shutil.copyfile(published.build, serving)
    for path in (parquet_dir, campaigns):
        version = path.with_name(f".{path.name}.v-20260101T000000-abcd")
        version.mkdir()
        (version / "stale.parquet").write_bytes(b"old")
        os.symlink(version.name, path)
    settings = PublishSettings(published.build, serving, parquet_dir)
    result = publish(settings)
    release = current_release(serving).resolve()
    assert result.release.resolve() == release
    assert serving.is_symlink() and serving.resolve() == release / "serving.duckdb"
    assert parquet_dir.resolve() == release / "parquet" and campaigns.resolve() == release / "campaigns"
    assert not list(tmp_path.glob(".*.v-*")) and leftovers(tmp_path) == []
    assert "stale.parquet" not in {file.name for file in parquet_dir.iterdir()}
    assert query(serving, SEGMENTS_QUERY) == query(published.build, SEGMENTS_QUERY)


def test_parquet_files_do_not_depend_on_the_order_rows_were_built_in(published: Published, tmp_path) -> None:
    """The same rows stored in another order publish to the same Parquet bytes."""
    shuffled = tmp_path / "build.duckdb"
    shutil.copyfile(published.build, shuffled)
    with duckdb.connect(str(shuffled)) as connection:
        connection.execute(
            "create temporary table kept as select * from marts.segment_profiles order by all desc"
        )
        connection.execute("delete from marts.segment_profiles")
        connection.execute("insert into marts.segment_profiles select * from kept")
    completed = run_publish(*publish_args(shuffled, tmp_path / "serving.duckdb", tmp_path / "parquet"))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    for name in ("segment_profiles.parquet", "customer_segments.parquet"):
        assert (tmp_path / "parquet" / name).read_bytes() == (published.parquet_dir / name).read_bytes(), name


def test_a_second_build_stops_at_once_naming_the_first(tmp_path) -> None:
    build = tmp_path / "build.duckdb"
    lock = tmp_path / f".{build.name}.build.lock"
    (tmp_path / f"{lock.name}.owner").write_text("pid 4242 since 2026-12-01 09:00:00\n")
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        completed = subprocess.run(
            [str(PROJECT_ROOT / "scripts" / "build.sh")],
            cwd=PROJECT_ROOT,
            env={**os.environ, "CUSTSEG_DUCKDB_PATH": str(build)},
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
    assert completed.returncode == 75, completed.stdout + completed.stderr
    assert completed.stderr.strip().splitlines()[-1] == (
        f"build: another build of {build} is running (pid 4242 since 2026-12-01 09:00:00);"
        " wait for it or stop it"
    )
    assert not build.exists()
