"""run_segmentation with the item pattern: every accepted input form (DataFrame, Arrow table,
record batch reader) gives the same result and model_version, the reader is read once, and
the version follows the item rows' content, not their order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from custseg.segmentation import clear_cache, run_segmentation
from custseg.segmentation.engine import TABLE_NAMES

FEATURES = ["monetary", "frequency", "recency_days"]
SETTINGS = {
    "features": FEATURES,
    "log1p_features": ["monetary", "frequency"],
    "n_init": 2,
    "stability_resamples": 2,
    "k_min": 2,
    "k_max": 4,
    "item_pattern": {"enabled": True, "n_components": 3, "min_lines": 5},
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


def customers(n: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n)
    return pd.DataFrame(
        {
            "customer_id": rng.permutation(n) + 5000,
            "monetary": np.exp(rng.normal(5 + 1.5 * group, 0.4)),
            "frequency": rng.poisson(2 + 6 * group).astype(float),
            "recency_days": rng.gamma(2.0, 40.0 / (1 + group)),
            "is_excluded_from_fit": rng.random(n) < 0.05,
            "group": group,
        }
    )


def items_for(frame: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for cid, group in zip(frame["customer_id"], frame["group"], strict=True):
        if cid % 13 == 0:
            continue  # bought nothing we know of
        for item in rng.choice(8, size=4, replace=True):  # repeats: rows are summed
            rows.append((cid, f"{'AB'[group]}{item}", int(rng.integers(1, 6))))
    rows.append((1, "A1", 3))  # a customer without features: ignored
    return pd.DataFrame(rows, columns=["customer_id", "stock_code", "lines"])


def reader_of(items: pd.DataFrame, chunk: int = 50) -> pa.RecordBatchReader:
    table = pa.Table.from_pandas(items, preserve_index=False)
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=chunk))


def run(frame: pd.DataFrame, items) -> object:
    return run_segmentation(frame, SETTINGS, source="online_retail", item_pattern=items, use_cache=False)


def assert_same_result(first, second) -> None:
    assert first.model_version == second.model_version
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(first.table(name), second.table(name), check_exact=True)


def test_dataframe_table_and_reader_give_identical_results() -> None:
    frame = customers()
    items = items_for(frame)
    from_frame = run(frame, items)
    assert from_frame.item_components["feature"].nunique() == 3
    assert_same_result(from_frame, run(frame, pa.Table.from_pandas(items, preserve_index=False)))
    assert_same_result(from_frame, run(frame, reader_of(items)))  # a reader can be read once only
    assert_same_result(from_frame, run(frame, iter(reader_of(items, chunk=7))))


def test_reader_result_is_memoised_by_version() -> None:
    frame = customers()
    items = items_for(frame)
    first = run_segmentation(frame, SETTINGS, source="online_retail", item_pattern=reader_of(items))
    again = run_segmentation(frame, SETTINGS, source="online_retail", item_pattern=reader_of(items))
    assert_same_result(first, again)


def test_version_ignores_item_row_order_but_not_values() -> None:
    frame = customers()
    items = items_for(frame)
    base = run(frame, items)
    shuffled = run(frame, reader_of(items.sample(frac=1.0, random_state=5), chunk=11))
    assert_same_result(base, shuffled)
    changed = items.copy()
    changed.loc[10, "lines"] += 1
    assert run(frame, changed).model_version != base.model_version
    moved = items.copy()
    moved.loc[10, "stock_code"] = "B7" if moved.loc[10, "stock_code"] != "B7" else "A7"
    assert run(frame, moved).model_version != base.model_version


def test_disabled_item_pattern_leaves_the_reader_unread() -> None:
    frame = customers()
    reader = reader_of(items_for(frame))
    settings = {**SETTINGS, "item_pattern": {"enabled": False}}
    with pytest.warns(match="item_pattern.enabled is false"):
        result = run_segmentation(frame, settings, source="online_retail", item_pattern=reader)
    assert result.item_components.empty
    assert reader.read_all().num_rows > 0
