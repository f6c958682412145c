"""The exported long tables are enough to score customers in SQL (DuckDB) and agree with the
Python assignment on every customer, including excluded rows with missing or negative
values, with PCA, and with item-pattern SVD features. The SQL here is the reference for the
dbt scoring macro."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from custseg.segmentation import clear_cache, run_segmentation

FEATURES = ["monetary", "frequency", "recency_days", "return_share"]

SCORE_SQL = """
with long_values as (
    select * from customers unpivot include nulls (value for feature in ({features}))
),
item_values as (  -- customer x item cells: v = ln(1 + lines), L2-normalised per customer
    select customer_id, item, v / sqrt(sum(v * v) over (partition by customer_id)) as v
    from (
        select i.customer_id, i.stock_code as item, ln(1 + greatest(sum(i.lines), 0)) as v
        from items i
        where i.stock_code in (select item from item_components)
        group by all
    )
    where v > 0
),
item_scores as (
    select v.customer_id, c.feature, sum(v.v * c.loading) as value
    from item_values v join item_components c using (item)
    group by all
),
all_values as (
    select customer_id, feature, value from long_values
    union all
    select c.customer_id, p.feature, s.value
    from (select distinct customer_id from customers) c
    cross join (select feature from preprocessing where transform = 'item_svd') p
    left join item_scores s using (customer_id, feature)
),
scaled as (
    select v.customer_id, p.feature, p.pca_mean,
        (case when p.transform = 'log1p'
              then ln(1 + greatest(coalesce(v.value, p.fill_value), 0))
              else coalesce(v.value, p.fill_value) end - p.center) / p.scale as z
    from all_values v join preprocessing p using (feature)
),
model_space as (
    select s.customer_id, j.component, sum((s.z - s.pca_mean) * j.loading) as m
    from scaled s join projection j using (feature)
    group by all
),
distances as (
    select m.customer_id, c.segment_id, sum((m.m - c.center) * (m.m - c.center)) as d2
    from model_space m join model_centroids c using (component)
    group by all
)
select customer_id, segment_id as sql_segment_id
from distances
qualify row_number() over (partition by customer_id order by d2, segment_id) = 1
"""


def customers(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    frame = pd.DataFrame(
        {
            "customer_id": rng.permutation(n) + 12000,
            "monetary": np.exp(rng.normal(5 + 1.5 * group, 0.4)),
            "frequency": rng.poisson(2 + 6 * group).astype(float),
            "recency_days": rng.gamma(2.0, 40.0 / (1 + group)),
            "return_share": rng.beta(1, 8 + 4 * group),
            "is_excluded_from_fit": rng.random(n) < 0.05,
        }
    )
    excluded = frame.index[frame["is_excluded_from_fit"]]
    frame.loc[excluded[0], "monetary"] = -250.0  # net refunds: clipped to 0 before log1p
    frame.loc[excluded[1], "recency_days"] = np.nan  # missing: fitted median
    frame.loc[excluded[2], "monetary"] = 666666.0
    return frame


def items_for(frame: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for cid, money in zip(frame["customer_id"], frame["monetary"], strict=True):
        shelf = "A" if money > 400 else "B"
        if cid % 17 == 0:
            continue  # some customers bought nothing we know of
        for item in rng.choice(8, size=3, replace=False):
            rows.append((cid, f"{shelf}{item}", int(rng.integers(1, 6)), int(rng.integers(1, 30))))
    return pd.DataFrame(rows, columns=["customer_id", "stock_code", "lines", "quantity"])


def sql_segments(result, frame: pd.DataFrame, items: pd.DataFrame | None) -> pd.Series:
    con = duckdb.connect()
    con.register("customers", frame[["customer_id", *FEATURES]])
    con.register("preprocessing", result.preprocessing)
    con.register("projection", result.projection)
    con.register("model_centroids", result.model_centroids)
    con.register("item_components", result.item_components)
    con.register("items", items if items is not None else items_for(frame).iloc[0:0])
    query = SCORE_SQL.format(features=", ".join(FEATURES))
    scored = con.execute(query).df()
    return scored.set_index("customer_id")["sql_segment_id"].sort_index()


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()


@pytest.mark.filterwarnings("ignore::custseg.segmentation.SegmentationWarning")
@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"pca_variance": 0.8, "scaler": "robust"},
        {"algorithm": "gmm"},
        {"algorithm": "agglomerative", "item_pattern": {"enabled": True, "n_components": 3, "min_lines": 5}},
    ],
    ids=["kmeans", "pca_robust", "gmm", "ward_items"],
)
def test_sql_scoring_agrees_with_python_on_every_customer(overrides: dict) -> None:
    frame = customers()
    items = items_for(frame) if "item_pattern" in overrides else None
    cfg = {
        "features": FEATURES,
        "log1p_features": ["monetary", "frequency"],
        "n_init": 3,
        "stability_resamples": 2,
        "k_max": 5,
        **overrides,
    }
    result = run_segmentation(frame, cfg, source="online_retail", item_pattern=items)
    python = result.assignments.set_index("customer_id")["segment_id"].sort_index()
    sql = sql_segments(result, frame, items)
    assert len(sql) == len(frame)
    pd.testing.assert_series_equal(sql, python, check_names=False, check_dtype=False)
    if items is not None:
        assert set(result.preprocessing["transform"]) >= {"item_svd", "log1p", "none"}
        assert any("without_item_pattern" in c for c in result.comparison["clustering_b"])
