"""Publish a finished dbt build as one release: the serving warehouse file, a Parquet set of
the marts and the campaign lists.

Why: dbt writes its own file (``CUSTSEG_DUCKDB_PATH``, default ``warehouse/build.duckdb``);
BI clients and notebooks read another one, the serving file (``CUSTSEG_SERVING_PATH``,
default ``warehouse/serving.duckdb``), opened read-only. So a reader holding the serving file
open never blocks a build, and a build that fails or is killed never touches what readers
see: this step runs only after a successful ``dbt build`` (``scripts/build.sh``), and it
swaps the new release in atomically.

One unit: a publish writes a release, a folder holding the serving file, the Parquet set and
the campaign lists of one build, under ``.<serving name>.releases/`` beside the serving file.
The serving path, the Parquet path and the campaign path are symbolic links through one link,
``.<serving name>.current``, to the current release; making a release current is one
``os.replace`` of that link, after every file of the release is flushed to disk. So a reader
sees the three from one build at every moment, and a publish killed at any point leaves the
last release current. ``--rollback`` makes the release before it current again, in the same
one rename (``scripts/build.sh`` rolls back when a step after the publish fails). The
release that was current before a publish is kept (readers may have it open), older ones
are removed. The first publish over the earlier layout (a plain serving file, Parquet and
campaign links to version folders) links those three paths after its rename, once.

How, for the serving file: every schema of the build file is copied with ``COPY FROM
DATABASE`` into the release, written in an older DuckDB storage version
(``CUSTSEG_SERVING_STORAGE_VERSION``, default ``v1.0.0``: DuckDB 0.10 and every 1.x release
and later read it) so that readers on older DuckDB releases can open it. Tables keep their
not-null and check constraints and their table and column comments (dbt's persist_docs);
primary keys, enforced by the build, are left out of the copy, because DuckDB 1.0 cannot
open a file whose tables carry them in that storage version. Views are published as tables,
with their comments: the serving file then depends on no raw file or SQL function of the
build, and old releases never bind newer view SQL. Row counts are checked table by table.
Readers that still have the old file open keep reading the old version; a reader that
reconnects sees the new one.

Every table of schema ``marts`` is also a view of the same name in the serving file's
default schema ``main`` (with the table's comments), so a BI tool that opens the file can
``select * from segment_profiles`` without a schema prefix. The views are plain
``select * from marts.<table>``, which every DuckDB release from 1.0 reads.

How, for Parquet: every table of schema ``marts`` is written as ``<table>.parquet`` into the
release's ``parquet/`` (the path ``CUSTSEG_PARQUET_DIR``, default ``warehouse/parquet``, links
there), with the table's and columns' descriptions as Parquet metadata
(:mod:`custseg.tools.parquet`), rows sorted so identical builds write identical bytes. The
campaign lists (:mod:`custseg.tools.campaigns`, one CSV and one Parquet file per segment) go
to the release's ``campaigns/`` (``CUSTSEG_CAMPAIGN_DIR``, default ``warehouse/campaigns``).

A publish that is killed leaves temporary files (``.<name>.tmp-*``) behind and the
published files untouched; the next publish removes the leftovers. Publishes of the same
serving file take turns (a lock file beside it).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import os
import secrets
import shutil
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from custseg.tools.campaigns import CampaignList, write_campaign_lists
from custseg.tools.parquet import write_described_parquet

DEFAULT_BUILD_PATH = "warehouse/build.duckdb"
DEFAULT_SERVING_PATH = "warehouse/serving.duckdb"
DEFAULT_PARQUET_DIR = "warehouse/parquet"
# The oldest storage version DuckDB 2.0 still writes (it also covers the 0.10 releases):
# every type the project uses (integers up to HUGEINT, DOUBLE, DECIMAL, VARCHAR, BOOLEAN,
# DATE, TIMESTAMP) is readable in it.
DEFAULT_STORAGE_VERSION = "v1.0.0"
REQUIRED_TABLE = ("marts", "customer_segments")
PARQUET_SCHEMA = "marts"
# The schema a DuckDB client opens by default; it gets a view of every table of the marts.
DEFAULT_SCHEMA = "main"

BUILD_ALIAS = "build"
SERVING_ALIAS = "serving_tmp"
# A release's folders beside its serving file.
RELEASE_PARQUET = "parquet"
RELEASE_CAMPAIGNS = "campaigns"


class PublishError(Exception):
    """A problem the person running the publish can fix (message without a traceback)."""


@dataclass(frozen=True)
class PublishSettings:
    """Where to read the build from and where to publish it."""

    build: Path
    serving: Path
    parquet_dir: Path
    storage_version: str = DEFAULT_STORAGE_VERSION
    campaign_dir: Path | None = None  # None: "campaigns" beside the Parquet folder

    @property
    def campaigns(self) -> Path:
        """The folder of the campaign lists."""
        return self.campaign_dir or self.parquet_dir.with_name("campaigns")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PublishSettings:
        """The settings from the environment variables, else the defaults."""
        env = os.environ if environ is None else environ
        return cls(
            build=Path(env.get("CUSTSEG_DUCKDB_PATH") or DEFAULT_BUILD_PATH),
            serving=Path(env.get("CUSTSEG_SERVING_PATH") or DEFAULT_SERVING_PATH),
            parquet_dir=Path(env.get("CUSTSEG_PARQUET_DIR") or DEFAULT_PARQUET_DIR),
            storage_version=env.get("CUSTSEG_SERVING_STORAGE_VERSION") or DEFAULT_STORAGE_VERSION,
            campaign_dir=Path(env["CUSTSEG_CAMPAIGN_DIR"]) if env.get("CUSTSEG_CAMPAIGN_DIR") else None,
        )


@dataclass(frozen=True)
class Relation:
    """A table or view of the build file, with its comment."""

    schema: str
    name: str
    is_view: bool
    comment: str | None

    @property
    def qualified(self) -> str:
        return f"{quote_identifier(self.schema)}.{quote_identifier(self.name)}"

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class PublishedTable:
    """One table of the serving file and its row count."""

    schema: str
    name: str
    rows: int
    from_view: bool


@dataclass(frozen=True)
class PublishResult:
    """What one publish wrote."""

    serving: Path
    storage_version: str
    tables: tuple[PublishedTable, ...]
    parquet_dir: Path
    parquet_files: tuple[str, ...]
    campaign_dir: Path
    campaign_lists: tuple[CampaignList, ...]
    default_schema_views: int
    seconds: float
    release: Path


def quote_identifier(name: str) -> str:
    """A DuckDB identifier in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """A DuckDB string literal (for statements that take no parameters, like COMMENT ON)."""
    return "'" + text.replace("'", "''") + "'"


def temp_prefix(path: Path) -> str:
    """The name prefix of the temporary files and folders made beside ``path``."""
    return f".{path.name}.tmp-"


def new_temp_path(path: Path) -> Path:
    """A fresh temporary name in the same folder as ``path`` (so a rename onto it is atomic)."""
    return path.with_name(f"{temp_prefix(path)}{os.getpid()}-{secrets.token_hex(4)}")


def publish(settings: PublishSettings) -> PublishResult:
    """Publish the build file as one release (the serving file, the marts as Parquet and the
    campaign lists) and make it the current one in one rename."""
    started = time.monotonic()
    build = settings.build
    if not build.is_file():
        raise PublishError(f"build file {build} does not exist: run `dbt build` first")
    if build.resolve() == settings.serving.resolve():
        raise PublishError(f"the serving file must not be the build file ({build})")
    campaigns = settings.campaigns
    for folder in (settings.serving.parent, settings.parquet_dir.parent, campaigns.parent):
        folder.mkdir(parents=True, exist_ok=True)
    with publish_lock(settings.serving):
        remove_leftovers(settings.serving, settings.parquet_dir, campaigns)
        staging = new_temp_path(settings.serving)
        try:
            staging.mkdir()
            with open_build(build) as connection:
                relations = list_relations(connection)
                tables, views = write_serving_copy(
                    connection, relations, staging / settings.serving.name, settings.storage_version
                )
                parquet_files = write_parquet_set(connection, relations, staging / RELEASE_PARQUET)
                campaign_lists = write_campaigns(connection, build, staging / RELEASE_CAMPAIGNS)
            fsync_tree(staging)
            release = make_current(settings, staging)
        finally:
            remove_path(staging)
    return PublishResult(
        serving=settings.serving,
        storage_version=settings.storage_version,
        tables=tables,
        parquet_dir=settings.parquet_dir,
        parquet_files=parquet_files,
        campaign_dir=campaigns,
        campaign_lists=campaign_lists,
        default_schema_views=views,
        seconds=time.monotonic() - started,
        release=release,
    )


def rollback(settings: PublishSettings) -> Path:
    """Make the release published before the current one current again (one rename); the
    release rolled back from stays until the next publish. Returns the release now current."""
    with publish_lock(settings.serving):
        current = current_release(settings.serving)
        if current is None:
            raise PublishError(f"nothing is published at {settings.serving}: nothing to roll back")
        earlier = [release for release in releases(settings.serving) if release.name < current.name]
        if not earlier:
            raise PublishError(f"{settings.serving}: no release before {current.name} to roll back to")
        point_current(settings.serving, earlier[-1])
        return earlier[-1]


def releases_folder(serving: Path) -> Path:
    """The folder of the releases, beside the serving file."""
    return serving.with_name(f".{serving.name}.releases")


def current_link(serving: Path) -> Path:
    """The link to the current release: the one path a publish or a rollback renames."""
    return serving.with_name(f".{serving.name}.current")


def releases(serving: Path) -> list[Path]:
    """The published releases, oldest first (their names sort by the time of the publish)."""
    folder = releases_folder(serving)
    return sorted(folder.iterdir(), key=lambda path: path.name) if folder.is_dir() else []


def current_release(serving: Path) -> Path | None:
    link = current_link(serving)
    return link.parent / os.readlink(link) if link.is_symlink() else None


def point_current(serving: Path, release: Path) -> None:
    """Make ``release`` the current one: a new link renamed onto the current link, durably."""
    link = current_link(serving)
    temporary = new_temp_path(serving)
    os.symlink(os.path.relpath(release, link.parent), temporary)
    # Nobody writes the serving file, so a WAL beside it can only be a stale one (from a
    # read-write open that crashed): DuckDB must never replay it onto another release.
    serving.with_name(serving.name + ".wal").unlink(missing_ok=True)
    os.replace(temporary, link)
    fsync_path(link.parent)


def make_current(settings: PublishSettings, staging: Path) -> Path:
    """Move the complete release ``staging`` among the releases and make it current; the
    serving file, Parquet and campaign paths are links through the current link, so the one
    rename of :func:`point_current` swaps all three together. Keeps the release that was
    current before (readers may still have it open) and removes older ones."""
    folder = releases_folder(settings.serving)
    folder.mkdir(exist_ok=True)
    now = time.time_ns()  # one reading, so that the names sort by time
    stamp = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(now // 10**9))}-{now % 10**9:09d}-{os.getpid()}"
    release = folder / stamp
    os.rename(staging, release)
    fsync_path(folder)
    previous = current_release(settings.serving)
    through = current_link(settings.serving)
    paths = {
        settings.serving: through / settings.serving.name,
        settings.parquet_dir: through / RELEASE_PARQUET,
        settings.campaigns: through / RELEASE_CAMPAIGNS,
    }
    fresh = {path: target for path, target in paths.items() if not path.exists() and not path.is_symlink()}
    for path, target in fresh.items():  # nothing was published there: no reader to keep consistent
        link_path(path, target)
    point_current(settings.serving, release)
    for path, target in paths.items():
        if path not in fresh and not links_to(path, target):
            # Published by an earlier layout (a plain serving file, a Parquet link to a version
            # folder): these three renames follow the one above, once.
            link_path(path, target)
    keep = {release.name, previous.name if previous else None}
    for old in releases(settings.serving):
        if old.name not in keep:
            remove_path(old)
    return release


def link_path(path: Path, target: Path) -> None:
    """Make ``path`` a relative link to ``target`` in one rename. What an earlier layout had
    there (a plain folder, moved aside first; the version folders a link pointed to) is removed."""
    temporary = new_temp_path(path)
    os.symlink(os.path.relpath(target, path.parent), temporary)
    aside = None
    if path.is_dir() and not path.is_symlink():
        aside = new_temp_path(path)
        os.rename(path, aside)
    os.replace(temporary, path)
    fsync_path(path.parent)
    if aside is not None:
        remove_path(aside)
    for old in path.parent.glob(glob_escape(legacy_version_prefix(path)) + "*"):
        remove_path(old)


def links_to(path: Path, target: Path) -> bool:
    return path.is_symlink() and os.readlink(path) == os.path.relpath(target, path.parent)


def legacy_version_prefix(path: Path) -> str:
    """The name prefix of the Parquet and campaign version folders of the earlier layout."""
    return f".{path.name}.v-"


@contextlib.contextmanager
def publish_lock(serving: Path) -> Iterator[None]:
    """Hold an exclusive lock beside the serving file; the kernel drops it if we are killed."""
    lock_path = serving.with_name(f".{serving.name}.publish.lock")
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_leftovers(*targets: Path) -> None:
    """Remove the temporary files of publishes that were killed (we hold the lock)."""
    for target in targets:
        for leftover in target.parent.glob(glob_escape(temp_prefix(target)) + "*"):
            remove_path(leftover)


def glob_escape(text: str) -> str:
    """``text`` with glob wildcards escaped, for Path.glob."""
    return "".join(f"[{char}]" if char in "*?[" else char for char in text)


def remove_path(path: Path) -> None:
    """Remove a file, link or folder if it exists."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def open_build(build: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory connection with the build file attached read-only as ``build``."""
    with duckdb.connect() as connection:
        try:
            connection.execute(f"attach {quote_literal(str(build))} as {BUILD_ALIAS} (read_only)")
        except duckdb.Error as error:
            raise PublishError(f"cannot open build file {build}: {error}") from error
        check_required_table(connection, build)
        yield connection


def check_required_table(connection: duckdb.DuckDBPyConnection, build: Path) -> None:
    """Refuse a build file without the segments mart: that build never finished."""
    schema, name = REQUIRED_TABLE
    found = connection.execute(
        "select count(*) from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
        [BUILD_ALIAS, schema, name],
    ).fetchone()
    if not found or found[0] == 0:
        raise PublishError(
            f"build file {build} has no table {schema}.{name}: run a complete `dbt build` first"
        )


def list_relations(connection: duckdb.DuckDBPyConnection) -> list[Relation]:
    """Every table and view of the build file, in a stable order."""
    rows = connection.execute(
        """
        select schema_name, table_name, false, comment from duckdb_tables()
        where database_name = $db and not internal and not temporary
        union all
        select schema_name, view_name, true, comment from duckdb_views()
        where database_name = $db and not internal and not temporary
        order by 1, 2
        """,
        {"db": BUILD_ALIAS},
    ).fetchall()
    return [Relation(schema, name, is_view, comment) for schema, name, is_view, comment in rows]


def write_serving_copy(
    connection: duckdb.DuckDBPyConnection,
    relations: Sequence[Relation],
    path: Path,
    storage_version: str,
) -> tuple[tuple[PublishedTable, ...], int]:
    """Write the whole build into a new file at ``path`` in ``storage_version``; check row
    counts. Returns the tables and the number of views made in the default schema."""
    try:
        connection.execute(
            f"attach {quote_literal(str(path))} as {SERVING_ALIAS} "
            f"(storage_version {quote_literal(storage_version)})"
        )
    except duckdb.Error as error:
        raise PublishError(f"cannot create {path} in storage version {storage_version!r}: {error}") from error
    try:
        connection.execute(f"copy from database {BUILD_ALIAS} to {SERVING_ALIAS}")
        indexed = indexed_tables(connection)
        for relation in relations:
            if relation.is_view or str(relation) in indexed:
                copy_as_plain_table(connection, relation)
        tables = tuple(count_and_compare(connection, relation) for relation in relations)
        views = create_default_schema_views(connection, relations)
        connection.execute(f"checkpoint {SERVING_ALIAS}")
    finally:
        connection.execute(f"detach database if exists {SERVING_ALIAS}")
    return tables, views


def create_default_schema_views(connection: duckdb.DuckDBPyConnection, relations: Sequence[Relation]) -> int:
    """A view in the default schema for every relation of the marts, with its comments, so that
    BI queries need no schema prefix. Returns how many."""
    marts = [relation for relation in relations if relation.schema == PARQUET_SCHEMA]
    taken = {
        name
        for (name,) in connection.execute(
            "select table_name from duckdb_tables() where database_name = ? and schema_name = ?"
            " union all select view_name from duckdb_views() where database_name = ? and schema_name = ?",
            [SERVING_ALIAS, DEFAULT_SCHEMA, SERVING_ALIAS, DEFAULT_SCHEMA],
        ).fetchall()
    }
    for relation in marts:
        if relation.name in taken:
            raise PublishError(
                f"{DEFAULT_SCHEMA}.{relation.name} exists in the build: it would hide {relation}"
            )
        view = f"{SERVING_ALIAS}.{quote_identifier(DEFAULT_SCHEMA)}.{quote_identifier(relation.name)}"
        # Resolved inside the serving file (no catalog name), so the file can be opened under any name.
        connection.execute(f"create view {view} as select * from {relation.qualified}")
        if relation.comment is not None:
            connection.execute(f"comment on view {view} is {quote_literal(relation.comment)}")
        for column, comment in column_comments(connection, relation):
            connection.execute(
                f"comment on column {view}.{quote_identifier(column)} is {quote_literal(comment)}"
            )
    return len(marts)


def indexed_tables(connection: duckdb.DuckDBPyConnection) -> set[str]:
    """Tables of the serving copy with a primary key or unique constraint. DuckDB stores them
    with an index that older releases cannot read in the old storage version (DuckDB 1.0
    fails to open the file), so such tables are published as plain tables: the build has
    enforced the keys already, and readers only read."""
    rows = connection.execute(
        "select distinct schema_name || '.' || table_name from duckdb_constraints()"
        " where database_name = ? and constraint_type in ('PRIMARY KEY', 'UNIQUE')",
        [SERVING_ALIAS],
    ).fetchall()
    return {name for (name,) in rows}


def copy_as_plain_table(connection: duckdb.DuckDBPyConnection, relation: Relation) -> None:
    """Replace a copied view (or a table with an index) by a plain table of its rows, keeping
    the comments."""
    target = f"{SERVING_ALIAS}.{relation.qualified}"
    connection.execute(f"drop {'view' if relation.is_view else 'table'} {target}")
    connection.execute(f"create table {target} as select * from {BUILD_ALIAS}.{relation.qualified}")
    if relation.comment is not None:
        connection.execute(f"comment on table {target} is {quote_literal(relation.comment)}")
    for column, comment in column_comments(connection, relation):
        connection.execute(
            f"comment on column {target}.{quote_identifier(column)} is {quote_literal(comment)}"
        )


def column_comments(connection: duckdb.DuckDBPyConnection, relation: Relation) -> list[tuple[str, str]]:
    """The commented columns of a build relation."""
    return connection.execute(
        "select column_name, comment from duckdb_columns() where database_name = ? and schema_name = ?"
        " and table_name = ? and comment is not null order by column_index",
        [BUILD_ALIAS, relation.schema, relation.name],
    ).fetchall()


def count_and_compare(connection: duckdb.DuckDBPyConnection, relation: Relation) -> PublishedTable:
    """The row count of a published table; fail if it differs from the build's."""
    build_rows = count_rows(connection, f"{BUILD_ALIAS}.{relation.qualified}")
    serving_rows = count_rows(connection, f"{SERVING_ALIAS}.{relation.qualified}")
    if build_rows != serving_rows:
        raise PublishError(f"{relation}: {serving_rows} rows copied, the build has {build_rows}")
    return PublishedTable(relation.schema, relation.name, serving_rows, relation.is_view)


def count_rows(connection: duckdb.DuckDBPyConnection, qualified: str) -> int:
    """``count(*)`` of one relation."""
    row = connection.execute(f"select count(*) from {qualified}").fetchone()
    return int(row[0]) if row else 0


def write_parquet_set(
    connection: duckdb.DuckDBPyConnection, relations: Sequence[Relation], folder: Path
) -> tuple[str, ...]:
    """One Parquet file per relation of schema ``marts`` in a new folder, with the relation's
    and its columns' descriptions as metadata; the file names."""
    folder.mkdir()
    names = []
    for relation in relations:
        if relation.schema != PARQUET_SCHEMA:
            continue
        file = folder / f"{relation.name}.parquet"
        write_described_parquet(
            connection,
            # sorted, so that identical builds write identical bytes whatever order the rows were built in
            f"select * from {BUILD_ALIAS}.{relation.qualified} order by all",
            file,
            table_description=relation.comment,
            column_descriptions=dict(column_comments(connection, relation)),
        )
        names.append(file.name)
    fsync_tree(folder)
    return tuple(names)


def write_campaigns(
    connection: duckdb.DuckDBPyConnection, build: Path, folder: Path
) -> tuple[CampaignList, ...]:
    """The campaign lists into a new folder, flushed to disk."""
    try:
        lists = write_campaign_lists(connection, BUILD_ALIAS, folder)
    except LookupError as error:
        raise PublishError(f"build file {build} has {error}: run a complete `dbt build` first") from error
    fsync_tree(folder)
    return lists


def fsync_tree(folder: Path) -> None:
    """Flush every file and folder under ``folder`` (and itself) to disk."""
    for path in sorted(folder.rglob("*")):
        fsync_path(path)
    fsync_path(folder)


def fsync_path(path: Path) -> None:
    """Flush a file's or folder's data and metadata to disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def format_result(result: PublishResult, *, verbose: bool = False) -> str:
    """What the command prints: one line per output; with ``verbose`` every table's rows too."""
    total_rows = sum(table.rows for table in result.tables)
    lines = [
        f"publish: {result.serving} (DuckDB storage version {result.storage_version}): "
        f"{len(result.tables)} tables, {total_rows:,} rows, the {result.default_schema_views} marts "
        f"also in schema {DEFAULT_SCHEMA}, in {result.seconds:.1f} s",
    ]
    if verbose:
        width = max((len(f"{t.schema}.{t.name}") for t in result.tables), default=0)
        for table in result.tables:
            note = "  (from a view)" if table.from_view else ""
            lines.append(f"  {table.schema + '.' + table.name:<{width}}  {table.rows:>10}{note}")
    lines.append(
        f"publish: {len(result.parquet_files)} Parquet files of schema marts in {result.parquet_dir}/"
    )
    customers = sum(item.customers for item in result.campaign_lists)
    lines.append(
        f"publish: {len(result.campaign_lists)} campaign lists (CSV and Parquet, {customers:,} customers)"
        f" in {result.campaign_dir}/ (index.csv lists them)"
    )
    lines.append(
        f"publish: release {result.release.name} is current for all three (one rename; the one before"
        " it is kept for open readers and for --rollback)"
    )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None, defaults: PublishSettings) -> tuple[PublishSettings, bool, bool]:
    """The settings from the command line, defaulting to the environment's."""
    parser = argparse.ArgumentParser(
        prog="python -m custseg.tools.publish",
        description="Publish the dbt build file as the read-only serving file (atomically, in an "
        "older DuckDB storage version) and the marts as Parquet files.",
    )
    parser.add_argument(
        "--build", type=Path, default=defaults.build, help=f"build file (default {defaults.build})"
    )
    parser.add_argument(
        "--serving", type=Path, default=defaults.serving, help=f"serving file (default {defaults.serving})"
    )
    parser.add_argument(
        "--parquet-dir",
        type=Path,
        default=defaults.parquet_dir,
        help=f"folder of the marts' Parquet files (default {defaults.parquet_dir})",
    )
    parser.add_argument(
        "--campaign-dir",
        type=Path,
        default=defaults.campaign_dir,
        help="folder of the campaign lists (default $CUSTSEG_CAMPAIGN_DIR, else campaigns/ beside the"
        " Parquet folder)",
    )
    parser.add_argument(
        "--storage-version",
        default=defaults.storage_version,
        help=f"DuckDB storage version of the serving file (default {defaults.storage_version})",
    )
    parser.add_argument("--verbose", action="store_true", help="list every published table with its rows")
    parser.add_argument(
        "--rollback",
        action="store_true",
        help="make the release published before the current one current again (serving file, Parquet"
        " and campaign lists together) instead of publishing",
    )
    args = parser.parse_args(argv)
    settings = PublishSettings(
        args.build, args.serving, args.parquet_dir, args.storage_version, args.campaign_dir
    )
    return settings, args.verbose, args.rollback


def disk_full(error: BaseException) -> bool:
    """Whether ``error`` is a full disk (an OSError ENOSPC, or DuckDB's message for one)."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return True
    return "no space left on device" in str(error).lower()


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point: publish and print what was published."""
    settings, verbose, roll_back = parse_args(argv, PublishSettings.from_env())
    if roll_back:
        try:
            release = rollback(settings)
        except (PublishError, OSError) as error:
            print(f"publish: error: {error}", file=sys.stderr)
            return 1
        print(
            f"publish: rolled back: release {release.name} is current again at {settings.serving},"
            f" {settings.parquet_dir}/ and {settings.campaigns}/"
        )
        return 0
    try:
        result = publish(settings)
    except (PublishError, duckdb.Error, OSError) as error:
        print(f"publish: error: {error}", file=sys.stderr)
        if disk_full(error):
            print(
                f"publish: the disk is full: the serving file ({settings.serving}, CUSTSEG_SERVING_PATH), "
                f"the Parquet set ({settings.parquet_dir}, CUSTSEG_PARQUET_DIR) and the campaign lists "
                f"({settings.campaigns}, CUSTSEG_CAMPAIGN_DIR) are written beside the last published "
                "ones, which stay as they were: free space there or point these settings at a larger disk",
                file=sys.stderr,
            )
        return 1
    print(format_result(result, verbose=verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())
