"""Compare every mart of a DuckDB build with the same mart built on Spark, row for row.

Why: the same project on two engines must give the same answers (issue #14). The Spark tables
are Parquet files under Spark's warehouse folder (``CUSTSEG_SPARK_DIR/warehouse/<schema>.db``),
read here with DuckDB, so no Spark session is needed. The marts are the models under
``models/marts`` that the Spark manifest builds as tables.

Rows are matched after sorting on every column (floating-point columns rounded to
:data:`SORT_DIGITS` significant digits for the sort only); then text, integers, decimals, dates
and booleans must be equal and floating-point values equal within :data:`RELATIVE_TOLERANCE`
(relative) or :data:`ABSOLUTE_TOLERANCE` (absolute). Why a tolerance at all: a double sum or
mean depends on the order the values are added in, and the engines add them in different orders
(the scoring's sums are exact decimals, macro ``repeatable_sum``, but averages and standard
deviations over groups are not); the last bits of a double differ, a business figure does not.

``python -m custseg.integration.compare_engines --duckdb warehouse/build.duckdb`` prints one line
per mart and exits non-zero when any differs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

RELATIVE_TOLERANCE = 1e-9
ABSOLUTE_TOLERANCE = 1e-9
SORT_DIGITS = 6


@dataclass(frozen=True)
class MartComparison:
    """One mart on both engines: rows on each, and what differs (empty when they agree)."""

    name: str
    duckdb_rows: int
    spark_rows: int
    differences: tuple[str, ...]

    @property
    def agrees(self) -> bool:
        return not self.differences


def spark_marts(manifest: dict) -> dict[str, str]:
    """The marts the Spark build made as tables: model name -> ``schema.table``."""
    marts = {}
    for node in manifest["nodes"].values():
        if (
            node["resource_type"] == "model"
            and node["original_file_path"].startswith("models/marts/")
            and node["config"]["materialized"] in ("table", "incremental")
            and node["config"].get("enabled", True)
        ):
            marts[node["name"]] = f"{node['schema']}.{node['alias'] or node['name']}"
    return dict(sorted(marts.items()))


def _sortable(frame: pd.DataFrame) -> pd.DataFrame:
    keys = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_float_dtype(values):
            keys[column] = values.map(lambda v: float(f"{v:.{SORT_DIGITS}g}") if pd.notna(v) else math.inf)
        else:
            keys[column] = values.map(lambda v: "\x00" if v is None or v is pd.NA else str(v))
    return keys


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            frame[column] = values.dt.tz_convert("UTC").dt.tz_localize(None)
    order = _sortable(frame).sort_values(list(frame.columns)).index
    return frame.loc[order].reset_index(drop=True)


def _missing(value) -> bool:
    return value is None or (not isinstance(value, (list, dict)) and bool(pd.isna(value)))


def _equal(left, right) -> bool:
    if _missing(left) or _missing(right):
        return _missing(left) and _missing(right)
    if isinstance(left, Decimal) or isinstance(right, Decimal):
        return Decimal(str(left)) == Decimal(str(right))
    return left == right


def compare_frames(name: str, duck: pd.DataFrame, spark: pd.DataFrame) -> MartComparison:
    """Row-for-row comparison of one mart (see the module's docstring for the rules)."""
    differences: list[str] = []
    if sorted(duck.columns) != sorted(spark.columns):
        differences.append(f"columns differ: {list(duck.columns)} against {list(spark.columns)}")
        return MartComparison(name, len(duck), len(spark), tuple(differences))
    # By name: Spark puts a partitioned table's partition columns last.
    spark = spark[list(duck.columns)]
    if len(duck) != len(spark):
        differences.append(f"{len(duck)} rows on DuckDB, {len(spark)} on Spark")
        return MartComparison(name, len(duck), len(spark), tuple(differences))
    duck, spark = _normalised(duck), _normalised(spark)
    for column in duck.columns:
        left, right = duck[column], spark[column]
        if pd.api.types.is_float_dtype(left) or pd.api.types.is_float_dtype(right):
            a = pd.to_numeric(left, errors="coerce").to_numpy(dtype=float)
            b = pd.to_numeric(right, errors="coerce").to_numpy(dtype=float)
            close = np.isclose(a, b, rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE, equal_nan=True)
        else:
            close = np.array([_equal(x, y) for x, y in zip(left.tolist(), right.tolist(), strict=True)])
        if not close.all():
            first = int(np.flatnonzero(~close)[0])
            differences.append(
                f"{column}: {int((~close).sum())} of {len(close)} rows differ, e.g. row {first}: "
                f"{left.iloc[first]!r} on DuckDB, {right.iloc[first]!r} on Spark"
            )
    return MartComparison(name, len(duck), len(spark), tuple(differences))


def compare_engines(duckdb_path: Path, spark_warehouse: Path, manifest: dict) -> list[MartComparison]:
    """Every mart of the Spark manifest, compared with the DuckDB build file's."""
    results = []
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        for name, relation in spark_marts(manifest).items():
            schema, table = relation.split(".")
            folder = spark_warehouse / f"{schema}.db" / table
            duck = connection.sql(f"select * from {schema}.{table}").df()
            files = sorted(folder.glob("**/*.parquet"))
            if not files:
                results.append(MartComparison(name, len(duck), 0, ("no table on Spark",)))
                continue
            # A partitioned table's files are in <column>=<value>/ folders (hive partitioning).
            spark = connection.sql(
                f"select * from read_parquet('{folder}/**/*.parquet', hive_partitioning = true)"
            ).df()
            results.append(compare_frames(name, duck, spark))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duckdb", type=Path, default=Path(os.environ.get("CUSTSEG_DUCKDB_PATH", "warehouse/build.duckdb"))
    )
    parser.add_argument(
        "--spark-warehouse",
        type=Path,
        default=Path(os.environ.get("CUSTSEG_SPARK_DIR", "warehouse/spark")) / "warehouse",
    )
    parser.add_argument("--spark-manifest", type=Path, default=Path("target/spark/manifest.json"))
    options = parser.parse_args(argv)
    results = compare_engines(
        options.duckdb, options.spark_warehouse, json.loads(options.spark_manifest.read_text())
    )
    for result in results:
        status = "same" if result.agrees else "DIFFERS"
        print(f"{result.name}: {status} ({result.duckdb_rows} rows on DuckDB, {result.spark_rows} on Spark)")
        for difference in result.differences:
            print(f"    {difference}")
    rows = sum(result.duckdb_rows for result in results)
    print(f"{len(results)} marts, {rows} rows compared; {sum(not r.agrees for r in results)} differ")
    return 0 if all(result.agrees for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
