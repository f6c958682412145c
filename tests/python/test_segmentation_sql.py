"""The SQL twin: the macro predict_segment, compiled by dbt, run in DuckDB on the parameter
tables of a Python fit, scores every customer as the Python reference does, for every
algorithm, with PCA, robust scaling, the item pattern, and excluded rows with missing or
negative values, in DuckDB's own form and in the long form Spark runs. A test that moves one
centre shows the comparison can fail."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import invoke_dbt
from synthetic import blobs, item_rows, settings

from custseg.segmentation import SegmentationWarning, fit_segmentation

ITEMS = ("customer_id", "stock_code", "purchase_lines")


@pytest.fixture(scope="module", params=["duckdb", "long_form"])
def compiled(request, tmp_path_factory) -> dict:
    """The macro's SQL for source 'synthetic', with and without the item relation, and the
    warehouse file its refs point to; in DuckDB's own form and in the long form Spark runs
    (var predict_segment_long_form), so every test checks both."""
    long_form = request.param == "long_form"
    workdir = tmp_path_factory.mktemp("twin")
    warehouse = workdir / "twin.duckdb"
    calls = {
        "plain": "{{ predict_segment('main.features', 'synthetic') }}",
        "items": "{{ predict_segment('main.features', 'synthetic', item_relation='main.items') }}",
        "distances": "{{ predict_segment('main.features', 'synthetic', all_distances=true) }}",
    }
    marker = "-- next call --"
    run = invoke_dbt(
        "compile",
        "--quiet",
        "--inline",
        f"\n{marker}\n".join(calls.values()),
        *(["--vars", "{predict_segment_long_form: true}"] if long_form else []),
        workdir=workdir,
        warehouse=warehouse,
    )
    assert run.returncode == 0, run.output[-3000:]
    sql = dict(zip(calls, run.output.split(marker), strict=True))
    return {"sql": sql, "warehouse": warehouse}


def load_model(warehouse, fit, frame: pd.DataFrame, items: pd.DataFrame | None) -> None:
    warehouse.unlink(missing_ok=True)
    tables = {
        "segment_model_features": fit.tables["preprocessing"],
        "segment_model_projection": fit.tables["projection"],
        "segment_model_centroids": fit.tables["model_centroids"],
        "segment_model_items": fit.tables["item_components"],
        "segment_model_segments": fit.tables["model_segments"],
    }
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema marts")
        for name, table in tables.items():
            marked = table.assign(source="synthetic", model_version=fit.model_version)
            connection.register("frame", marked)
            connection.execute(f"create table marts.{name} as select * from frame")
            connection.unregister("frame")
        connection.register("frame", frame.assign(customer_id=frame["customer_id"].astype(str)))
        connection.execute("create table main.features as select * exclude (truth) from frame")
        if items is not None:
            connection.register("item_frame", items.assign(customer_id=items["customer_id"].astype(str)))
            connection.execute("create table main.items as select * from item_frame")


def sql_scores(compiled, name: str) -> pd.DataFrame:
    with duckdb.connect(str(compiled["warehouse"]), read_only=True) as connection:
        return connection.sql(compiled["sql"][name]).df().sort_values("customer_id").reset_index(drop=True)


def dirty_frame() -> pd.DataFrame:
    frame = blobs(n=300, k=3, seed=12)
    frame.loc[frame.index[:6], "is_excluded_from_fit"] = True
    frame.loc[frame.index[0], "visits"] = np.nan  # missing: the fitted median
    frame.loc[frame.index[1], "spend"] = -40.0  # negative log1p value: clipped to 0
    return frame


VARIANTS = {
    "kmeans": {},
    "pca": {"pca_variance": 0.85},
    "robust": {"scaler": "robust"},
    "gmm": {"algorithm": "gmm"},
    "ward": {"algorithm": "agglomerative"},
    "items": {"item_pattern": {"enabled": True, "n_components": 3}},
    "items_pca": {"item_pattern": {"enabled": True, "n_components": 3}, "pca_variance": 0.9},
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_sql_scores_every_customer_as_python_does(compiled, variant: str) -> None:
    frame = dirty_frame()
    cfg = settings(**VARIANTS[variant])
    items = item_rows(frame).rename(columns={"lines": "purchase_lines"}) if "items" in variant else None
    with pytest.warns(SegmentationWarning):
        fit = fit_segmentation(frame, cfg, source="synthetic", items=items, item_columns=ITEMS)
    python = fit.predict(frame, items).assign(customer_id=lambda t: t["customer_id"].astype(str))
    python = python.sort_values("customer_id").reset_index(drop=True)
    load_model(compiled["warehouse"], fit, frame, items)
    sql = sql_scores(compiled, "items" if items is not None else "plain")
    assert len(sql) == len(frame)
    pd.testing.assert_series_equal(sql["customer_id"], python["customer_id"])
    assert (sql["segment_id"] == python["segment_id"]).all()
    np.testing.assert_allclose(sql["distance_to_centroid"], python["distance_to_centroid"], rtol=1e-9)
    np.testing.assert_allclose(
        sql["margin_to_next_centroid"], python["margin_to_next_centroid"], rtol=1e-7, atol=1e-9
    )
    assert (sql["is_outlier"] == python["is_outlier"]).all()
    assert (sql["model_version"] == fit.model_version).all()


def test_all_distances_give_every_centre_ranked(compiled) -> None:
    frame = dirty_frame()
    with pytest.warns(SegmentationWarning):
        fit = fit_segmentation(frame, settings(), source="synthetic")
    load_model(compiled["warehouse"], fit, frame, None)
    long = sql_scores(compiled, "distances")
    wide = long.pivot_table(
        index="customer_id", columns="segment_id", values="distance_to_centroid", aggfunc="sum"
    )
    python = fit.parameters.distances(frame)
    python.index = python.index.astype(str)
    np.testing.assert_allclose(
        wide.loc[python.index, python.columns].to_numpy(), python.to_numpy(), rtol=1e-9
    )
    own = long[long["distance_rank"] == 1].set_index("customer_id")["segment_id"]
    assert (own.loc[python.index].to_numpy() == python.idxmin(axis=1).to_numpy()).all()


def test_the_comparison_fails_when_a_centre_moves(compiled) -> None:
    frame = dirty_frame()
    with pytest.warns(SegmentationWarning):
        fit = fit_segmentation(frame, settings(), source="synthetic")
    load_model(compiled["warehouse"], fit, frame, None)
    with duckdb.connect(str(compiled["warehouse"])) as connection:
        connection.execute(
            "update marts.segment_model_centroids set center = center + 3 where segment_id = 1"
        )
    sql = sql_scores(compiled, "plain")
    python = fit.predict(frame)
    assert (sql["segment_id"].to_numpy() != python["segment_id"].to_numpy()).any()


def test_a_customer_twice_in_the_features_stops_the_scoring(compiled) -> None:
    frame = dirty_frame()
    with pytest.warns(SegmentationWarning):
        fit = fit_segmentation(frame, settings(), source="synthetic")
    load_model(compiled["warehouse"], fit, pd.concat([frame, frame.head(1)]), None)
    with pytest.raises(duckdb.Error, match="more than one value for a feature"):
        sql_scores(compiled, "plain")
