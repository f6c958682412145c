"""The glue of the dbt Python model: DuckDB relations in, one Arrow row per source out, with
the schema the SQL marts unnest; empty sources and previous builds handled."""

from __future__ import annotations

import duckdb
import pytest
from synthetic import blobs, item_rows, settings

from custseg.integration.fit_model import (
    SCHEMA,
    feature_drift,
    fit_sources,
    previous_centroids,
    previous_fit_rows,
)

SETTINGS = {
    "plain": settings(),
    "shop": settings(item_pattern={"enabled": True, "n_components": 2}),
}


@pytest.fixture
def connection() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    frame = blobs(n=150, k=3, seed=4).drop(columns="truth")
    items = item_rows(blobs(n=150, k=3, seed=4)).rename(columns={"lines": "purchase_lines"})
    connection.register("frame", frame.assign(customer_id=frame["customer_id"].astype(str)))
    connection.execute("create table features as select * from frame")
    connection.register("items_frame", items.assign(customer_id=items["customer_id"].astype(str), units=1))
    connection.execute("create table items as select * from items_frame")
    yield connection
    connection.close()


def test_one_row_per_source_in_the_schema_sql_unnests(connection) -> None:
    features = {"plain": connection.table("features"), "shop": connection.table("features")}
    table = fit_sources(SETTINGS, features, {"shop": connection.table("items")})
    assert table.schema.equals(SCHEMA)
    rows = table.to_pylist()
    assert [row["source"] for row in rows] == ["plain", "shop"]
    assert all(row["status"] == "fitted" and row["segments"] == 3 for row in rows)
    assert rows[0]["item_components"] == [] and len(rows[1]["item_components"]) > 0
    assert {f["feature"] for f in rows[1]["preprocessing"]} >= {"item_svd_1", "item_svd_2"}
    assert len(rows[0]["customer_silhouettes"]) == 150


def test_a_source_without_customers_gets_an_empty_row(connection) -> None:
    empty = connection.sql("select * from features where false")
    table = fit_sources(SETTINGS, {"plain": empty}, {})
    (row,) = table.to_pylist()
    assert (row["status"], row["customers"], row["preprocessing"]) == ("no_customers", 0, None)


def test_missing_settings_or_item_relation_are_named(connection) -> None:
    with pytest.raises(ValueError, match="other"):
        fit_sources(SETTINGS, {"other": connection.table("features")}, {})
    with pytest.raises(ValueError, match="item pattern is enabled for shop"):
        fit_sources(SETTINGS, {"shop": connection.table("features")}, {})


class This:
    """What dbt.this looks like to a Python model."""

    database, schema, identifier = "memory", "main", "fit_segmentation"

    def __str__(self) -> str:
        return '"memory"."main"."fit_segmentation"'


def test_previous_centroids_come_from_the_models_own_table(connection) -> None:
    this = This()
    assert previous_centroids(connection, this) is None  # first build
    table = fit_sources(SETTINGS, {"plain": connection.table("features")}, {})
    connection.register("fitted", table)
    connection.execute("create table fit_segmentation as select * from fitted")
    previous = previous_centroids(connection, this)
    assert set(previous.columns) >= {"source", "segment_id", "feature", "center_scaled", "center_original"}
    assert len(previous) == 3 * 4
    again = fit_sources(SETTINGS, {"plain": connection.table("features")}, {}, previous=previous)
    assert {m["decision"] for m in again.to_pylist()[0]["id_matching"]} == {"kept"}
    assert again.column("model_version").to_pylist() == table.column("model_version").to_pylist()
    connection.execute("create or replace table fit_segmentation as select 1 as other_shape")
    assert previous_centroids(connection, this) is None


def test_only_the_item_columns_are_read(connection, monkeypatch) -> None:
    read = []
    original = duckdb.DuckDBPyRelation.select

    def spy(self, *columns):
        read.append([str(c) for c in columns])
        return original(self, *columns)

    monkeypatch.setattr(duckdb.DuckDBPyRelation, "select", spy)
    fit_sources(
        {"shop": SETTINGS["shop"]},
        {"shop": connection.table("features")},
        {"shop": connection.table("items")},
    )
    assert read == [['"customer_id"', '"stock_code"', '"purchase_lines"']]


def test_a_refresh_keeps_the_fit_unless_asked_settings_change_or_drift_is_high(connection) -> None:
    this = This()
    assert previous_fit_rows(connection, this) == {}  # first build: every source is fitted
    features = {"plain": connection.table("features")}
    first = fit_sources(SETTINGS, features, {})
    assert first.column("refit_reason").to_pylist() == ["first fit"]
    connection.register("fitted", first)
    connection.execute("create table fit_segmentation as select * from fitted")
    previous = previous_fit_rows(connection, this)

    kept = fit_sources(SETTINGS, features, {}, previous_fits=previous, refit=False, drift_threshold=0.2)
    (row,) = kept.to_pylist()
    assert row["refit_reason"].startswith("kept: drift 0.000")
    assert row["drift"] == 0.0
    assert {k: v for k, v in row.items() if k not in ("refit_reason", "drift", "drift_feature")} == {
        k: v for k, v in first.to_pylist()[0].items() if k not in ("refit_reason", "drift", "drift_feature")
    }
    asked = fit_sources(SETTINGS, features, {}, previous_fits=previous, refit=True)
    assert asked.column("refit_reason").to_pylist() == ["refit asked for (var refit)"]
    changed = {"plain": {**SETTINGS["plain"], "k_max": 5}}
    again = fit_sources(changed, features, {}, previous_fits=previous, refit=False)
    assert again.column("refit_reason").to_pylist() == ["settings changed"]

    # Customers who spend more: the centre of a feature moves by about one standard deviation.
    frame = connection.table("features").df()
    parameter = next(p for p in previous["plain"]["preprocessing"] if p["transform"] == "none")
    feature, scale = parameter["feature"], parameter["scale"]
    moved = frame.assign(**{feature: frame[feature] + scale})
    drift, drift_feature = feature_drift(moved, previous["plain"]["preprocessing"], SETTINGS["plain"])
    assert drift_feature == feature and drift > 0.5
    connection.register("moved", moved)
    refitted = fit_sources(
        SETTINGS,
        {"plain": connection.table("moved")},
        {},
        previous_fits=previous,
        refit=False,
        drift_threshold=0.2,
    )
    assert (
        refitted.column("refit_reason").to_pylist()[0].startswith(f"drift {drift:.3f} ({feature}) above 0.2")
    )
