"""dbt_glue on real DuckDB relations: the item relation goes to the segmentation as an Arrow
record batch reader of only the columns the settings name, the result equals a direct
run_segmentation on DataFrames, and the connection stays usable when a fit fails."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from custseg import dbt_glue
from custseg.segmentation import SegmentationInputError, clear_cache, preprocess, run_segmentation

SETTINGS = {
    "features": ["monetary", "frequency"],
    "log1p_features": ["monetary", "frequency"],
    "n_init": 2,
    "stability_resamples": 2,
    "k_min": 2,
    "k_max": 3,
    "item_pattern": {"enabled": True, "n_components": 2, "min_lines": 5, "lines_column": "purchase_lines"},
}


@pytest.fixture(autouse=True)
def _fresh_memo():
    clear_cache()
    dbt_glue._RESULTS.clear()
    yield
    clear_cache()
    dbt_glue._RESULTS.clear()


@pytest.fixture
def warehouse() -> duckdb.DuckDBPyConnection:
    rng = np.random.default_rng(0)
    group = rng.integers(0, 2, 150)
    frame = pd.DataFrame(
        {
            "customer_id": (rng.permutation(150) + 7000).astype(str),
            "monetary": np.exp(rng.normal(5 + 1.5 * group, 0.4)),
            "frequency": rng.poisson(2 + 6 * group).astype(float),
            "is_excluded_from_fit": rng.random(150) < 0.05,
        }
    )
    items = pd.DataFrame(
        [
            (cid, f"{'AB'[g]}{item}", int(rng.integers(1, 6)), 3, "unused")
            for cid, g in zip(frame["customer_id"], group, strict=True)
            for item in rng.choice(6, size=3)
        ],
        columns=["customer_id", "stock_code", "purchase_lines", "units_purchased", "note"],
    )
    con = duckdb.connect()
    con.register("frame_view", frame)
    con.register("items_view", items)
    con.execute("create table features as select * from frame_view")
    con.execute("create table items as select * from items_view")
    yield con
    con.close()


def glue_table(con: duckdb.DuckDBPyConnection, table: str, settings: dict = SETTINGS) -> pd.DataFrame:
    return dbt_glue.segmentation_table(
        table,
        settings={"online_retail": settings},
        features={"online_retail": con.table("features")},
        item_patterns={"online_retail": con.table("items")},
    )


def test_item_relation_is_streamed_with_only_the_needed_columns(
    warehouse: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = []
    real = dbt_glue.run_segmentation

    def spy(features, settings, *, item_pattern, **kwargs):
        seen.append((type(item_pattern), item_pattern.schema.names))
        return real(features, settings, item_pattern=item_pattern, **kwargs)

    monkeypatch.setattr(dbt_glue, "run_segmentation", spy)
    glue_table(warehouse, "assignments")
    assert seen == [(pa.RecordBatchReader, ["customer_id", "stock_code", "purchase_lines"])]


def test_glue_result_equals_a_direct_run_on_dataframes(warehouse: duckdb.DuckDBPyConnection) -> None:
    direct = run_segmentation(
        warehouse.table("features").df(),
        SETTINGS,
        source="online_retail",
        item_pattern=warehouse.table("items").df(),
        use_cache=False,
    )
    for table in ("assignments", "centroids", "item_components"):
        glued = glue_table(warehouse, table)
        expected = dbt_glue._with_explicit_dtypes(direct.table(table))
        if "customer_id" in expected.columns:
            expected["customer_id"] = expected["customer_id"].astype("string")
        pd.testing.assert_frame_equal(glued, expected, check_exact=True)


def test_connection_is_usable_after_a_failed_fit(
    warehouse: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fit that fails while reading the item stream must not leave DuckDB's result open."""
    monkeypatch.setattr(dbt_glue, "_ITEM_BATCH_ROWS", 10)
    monkeypatch.setattr(preprocess, "_MIN_CHUNK_ROWS", 10)
    monkeypatch.setattr(preprocess, "_CHUNK_ROWS_PER_CUSTOMER", 0)
    warehouse.execute("alter table items alter purchase_lines type varchar")
    warehouse.execute("update items set purchase_lines = 'many' where rowid = 3")
    with pytest.raises(SegmentationInputError, match="'purchase_lines' .* is not numeric") as caught:
        glue_table(warehouse, "assignments")  # fails in the first batches of the stream
    # the traceback (kept, as dbt keeps it to report the error) holds the reader's frame
    assert caught.tb is not None
    assert warehouse.sql("select count(*) from items").fetchall()[0][0] > 0
