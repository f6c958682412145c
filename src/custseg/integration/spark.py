"""The project on Apache Spark, in one Python process (``./scripts/spark.sh``; README "Running on
Spark").

Why one process: Spark local keeps its catalog in an embedded Derby metastore that only one
process can open, and dbt-spark cannot run dbt Python models outside Databricks. So this module
starts one Spark session and, in it:

1. runs ``dbt build --target spark`` (through ``dbtRunner``, dbt-spark's ``session`` method reuses
   the session) on everything before the fit: seeds, staging, intermediate, the feature marts
   and their tests. The ``on-run-start`` hook ``register_raw_inputs`` (``spark__`` variant) asks
   :func:`register_input`, registered as the SQL function ``custseg_register_input``, for every
   raw input, exactly as the DuckDB hook asks ``custseg.inputs.register_input``: the same plan
   and the same checks, the same messages;
2. fits every source with the project's unchanged package (:func:`custseg.integration.fit_model.fit_sources`,
   which samples as it does on DuckDB) over the feature marts collected from Spark, and writes the
   fitted models, one row per source with nested columns, to the table the Spark twin of the
   fit model (``python_models/segmentation/fit_segmentation.sql``) reads;
3. runs ``dbt build`` again on the fit model and everything after it: the SQL marts unnest the
   fitted model and score every customer on Spark with the same macro ``predict_segment``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pyarrow as pa

from custseg import inputs
from custseg.integration.fit_model import ITEM_COLUMNS, fit_sources, previous_centroids
from custseg.integration.manifest import load_manifest, segmentation_settings

#: What the fit writes and the Spark twin of the fit model reads (source ``fitted_models``).
FITTED_TABLE = "segmentation_fit.fit_segmentation"
#: The fit model's table from the previous build: its centroids keep segment ids (as ``dbt.this``).
PREVIOUS_TABLE = "segmentation.fit_segmentation"
#: Everything the Spark target runs after the fit.
AFTER_FIT = "fit_segmentation+"


def spark_dir() -> Path:
    """Spark's warehouse, metastore and staged inputs: ``CUSTSEG_SPARK_DIR`` (``warehouse/spark``)."""
    return Path(os.environ.get("CUSTSEG_SPARK_DIR", "warehouse/spark")).resolve()


def builder_master(master: str | None = None) -> str:
    """Where Spark runs: ``master``, else ``CUSTSEG_SPARK_MASTER``, else Spark local on two cores."""
    return master or os.environ.get("CUSTSEG_SPARK_MASTER", "local[2]")


def spark_session(master: str | None = None):
    """The Spark session of this process: Spark local on every core by default (``CUSTSEG_SPARK_MASTER``)."""
    from pyspark.sql import SparkSession

    base = spark_dir()
    base.mkdir(parents=True, exist_ok=True)
    # Python workers (the input-registration function) run this interpreter, which has custseg.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(builder_master(master))
        .appName("custseg")
        .config("spark.sql.warehouse.dir", str(base / "warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={base}")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", os.environ.get("CUSTSEG_SPARK_SHUFFLE_PARTITIONS", "1"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", os.environ.get("CUSTSEG_SPARK_DRIVER_MEMORY", "4g"))
        .enableHiveSupport()
    )
    if builder_master(master).startswith("local"):
        # On one machine the data are small and each statement is planned once: compiling Java
        # for every expression (whole-stage code generation) costs more than it saves.
        builder = builder.config("spark.sql.codegen.wholeStage", "false").config(
            "spark.sql.codegen.factoryMode", "NO_CODEGEN"
        )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    _remove_orphan_table_folders(session, base / "warehouse")
    session.udf.register("custseg_register_input", register_input)
    return session


def _remove_orphan_table_folders(session, warehouse: Path) -> None:
    """Remove the folders a killed build left without a table: Spark refuses to create a table there."""
    for folder in warehouse.glob("*.db/*"):
        if folder.is_dir() and not session.catalog.tableExists(f"{folder.parent.name[:-3]}.{folder.name}"):
            shutil.rmtree(folder)


def register_input(request_json: str) -> str:
    """The Spark hook's answer for one raw input (the ``custseg_register_input`` SQL function).

    The plan and the checks are :func:`custseg.inputs.plan_request`'s, as on DuckDB. The file is
    read with the plan's own select (DuckDB's reader, so a file reads the same on both engines:
    short rows, extra fields, quoted line breaks, the header line) into a Parquet file under
    ``CUSTSEG_SPARK_DIR/inputs``, reused while the files and their plans are unchanged, and the source
    is an external Spark table over it. Answer: ``{"problem", "setting"}`` or
    ``{"statements", "summary"}``.
    """
    request = json.loads(request_json)
    work = spark_dir() / "inputs"
    plan = inputs.plan_request(request, work / "work")
    if isinstance(plan, str):
        return plan
    # the files' ids hash their bytes and settings, so the SQL names what is read
    key = hashlib.sha256("|".join([plan.select_sql(), plan.files_sql()]).encode()).hexdigest()[:16]
    staged = work / key
    if not (staged / "_done").exists():
        staged.mkdir(parents=True, exist_ok=True)
        connection = duckdb.connect()
        try:
            for name, select in (("rows", plan.select_sql()), ("files", plan.files_sql())):
                (staged / name).mkdir(exist_ok=True)
                connection.execute(
                    f"copy ({select}) to '{staged / name / 'part-0.parquet'}' (format parquet)"
                )
        finally:
            connection.close()
        (staged / "_done").touch()
    statements = []
    for relation, name in ((request["view"], "rows"), (request["files_table"], "files")):
        statements += [
            f"drop table if exists {relation}",
            f"create table {relation} using parquet location '{staged / name}'",
        ]
    return json.dumps({"statements": statements, "summary": plan.describe()})


def run_dbt(args: list[str]) -> None:
    """``dbt <args> --target spark`` in this process; stops the run when dbt fails."""
    from dbt.cli.main import dbtRunner

    started = time.monotonic()
    result = dbtRunner().invoke([*args, "--target", "spark"])
    print(f"spark: dbt {' '.join(args)}: {time.monotonic() - started:.0f} s", flush=True)
    if not result.success:
        raise SystemExit(
            f"spark: dbt {' '.join(args)} failed" + (f": {result.exception}" if result.exception else "")
        )


def _relation(manifest: dict[str, Any], name: str) -> str:
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["name"] == name:
            return node["relation_name"]
    raise KeyError(f"model {name} is not in the manifest")


def as_duckdb_relation(frame, connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    """A Spark DataFrame as the DuckDB relation that :func:`fit_sources` reads (collected as Arrow).

    Also what a dbt-databricks Python model would wrap its ``dbt.ref(...)`` frames with to call
    the same package (README "Running on Spark", Databricks; untested)."""
    return connection.from_arrow(frame.toArrow())


def fit(session, manifest: dict[str, Any]) -> pa.Table:
    """Fit every source over the Spark feature marts and write :data:`FITTED_TABLE`.

    The relations the fit reads are those of the DuckDB Python model: ``customer_features_<source>``
    and, where a source's settings use the item pattern, ``<source>_customer_item_purchases``. They
    are collected to Arrow and handed to the unchanged package as DuckDB relations.
    """
    settings = segmentation_settings(manifest)
    local = duckdb.connect()
    features, items = {}, {}
    for source, source_settings in settings.items():
        features[source] = as_duckdb_relation(
            session.table(_relation(manifest, f"customer_features_{source}")), local
        )
        if (source_settings.get("item_pattern") or {}).get("enabled", False):
            table = session.table(_relation(manifest, f"{source}_customer_item_purchases"))
            items[source] = as_duckdb_relation(table.select(*ITEM_COLUMNS), local)
    fitted = fit_sources(settings, features, items, previous=_previous_centroids(session, local))
    session.sql(f"create schema if not exists {FITTED_TABLE.split('.')[0]}")
    session.createDataFrame(fitted).write.mode("overwrite").format("parquet").saveAsTable(FITTED_TABLE)
    return fitted


def _previous_centroids(session, local: duckdb.DuckDBPyConnection):
    """The previous build's centroids, read as the DuckDB Python model reads ``dbt.this``."""
    schema, identifier = PREVIOUS_TABLE.split(".")
    if not session.catalog.tableExists(PREVIOUS_TABLE):
        return None
    local.execute(f"create schema if not exists {schema}")
    local.register("previous_fit", session.table(PREVIOUS_TABLE).select("source", "centroids").toArrow())
    local.execute(f"create or replace table {PREVIOUS_TABLE} as select * from previous_fit")
    return previous_centroids(local, _Relation(schema, identifier))


class _Relation(SimpleNamespace):
    def __init__(self, schema: str, identifier: str) -> None:
        super().__init__(database="memory", schema=schema, identifier=identifier)

    def __str__(self) -> str:
        return f"{self.schema}.{self.identifier}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--target-path", default=os.environ.get("DBT_TARGET_PATH", "target/spark"), help="dbt's target folder"
    )
    parser.add_argument(
        "--from-fit",
        action="store_true",
        help="start at the fit, on the tables a previous run built (after fixing a later model)",
    )
    options = parser.parse_args(argv)
    os.environ["DBT_TARGET_PATH"] = options.target_path
    os.environ.setdefault("DBT_LOG_PATH", "logs/spark")
    started = time.monotonic()
    session = spark_session()
    print(f"spark: session started: {time.monotonic() - started:.0f} s", flush=True)
    if not options.from_fit:
        run_dbt(["build", "--exclude", AFTER_FIT])
    else:
        run_dbt(["parse"])
    step = time.monotonic()
    manifest = load_manifest(Path(options.target_path) / "manifest.json")
    fitted = fit(session, manifest)
    print(
        f"spark: fit of {', '.join(fitted.column('source').to_pylist())}: {time.monotonic() - step:.0f} s",
        flush=True,
    )
    run_dbt(["build", "--select", AFTER_FIT])
    print(f"spark: done in {time.monotonic() - started:.0f} s", flush=True)
    session.stop()


if __name__ == "__main__":
    main()
