"""The segmentation as a dbt user meets it: one fit model, SQL scoring equal to the Python
reference on every customer, identical tables on a rebuild with every id kept, a DAG that
reads like the layers, and edges (an empty run, a source without customers)."""

from __future__ import annotations

import gzip
import warnings

import pandas as pd
import pytest
from conftest import SAMPLE_DIR, DbtRun, copy_of, invoke_dbt

from custseg.integration.fit_model import ITEM_COLUMNS
from custseg.integration.manifest import load_manifest, segmentation_settings
from custseg.segmentation import SegmentationWarning, fit_segmentation

SEGMENT_TABLES = {
    "marts.customer_segments": "source, customer_id",
    "marts.customer_segment_scores": "source, customer_id",
    "marts.segment_profiles": "source, segment_id",
    "marts.segment_centroids": "source, segment_id, feature",
    "marts.segment_model_selection": "source, k",
    "marts.segment_feature_profiles": "source, segment_id, feature",
    "marts.segment_models": "source",
}
EXCLUDED = {"marts.segment_profiles": "previous_segment_id, is_name_kept"}
FEATURES = {
    "smartcart": "marts.customer_features_smartcart",
    "online_retail": "marts.customer_features_online_retail",
}


def snapshot(run: DbtRun) -> dict[str, list[tuple]]:
    """Every segment table, ordered by its key; segment_profiles without what says what the
    build before was (previous_segment_id, is_name_kept)."""
    return {
        table: run.query(f"select * exclude ({EXCLUDED[table]}) from {table} order by {key}")
        if table in EXCLUDED
        else run.query(f"select * from {table} order by {key}")
        for table, key in SEGMENT_TABLES.items()
    }


@pytest.fixture(scope="module")
def rebuild(sample_build: DbtRun, tmp_path_factory) -> DbtRun:
    """The segmentation refitted (var refit; a build would keep the model) on a copy of the shared
    build: same data, previous model in place."""
    workdir = tmp_path_factory.mktemp("rebuild")
    warehouse = copy_of(sample_build, workdir)
    run = invoke_dbt(
        "build",
        "--select",
        "fit_segmentation+",
        "--vars",
        "{refit: true}",
        workdir=workdir,
        warehouse=warehouse,
    )
    assert run.returncode == 0, run.output[-5000:]
    return run


def test_every_customer_has_a_named_segment(sample_build: DbtRun) -> None:
    assert sample_build.scalar("select count(*) from marts.customer_segments where segment_name is null") == 0
    smartcart, online_retail = FEATURES["smartcart"], FEATURES["online_retail"]
    features = sample_build.scalar(
        f"select (select count(*) from {smartcart}) + (select count(*) from {online_retail})"
    )
    assert sample_build.scalar("select count(*) from marts.customer_segments") == features
    chosen = sample_build.query(
        "select source, count(*) from marts.segment_model_selection where is_chosen group by 1 order by 1"
    )
    assert chosen == [("online_retail", 1), ("smartcart", 1)]


def test_sql_scoring_equals_the_python_reference_on_every_customer(sample_build: DbtRun) -> None:
    settings = segmentation_settings(load_manifest(sample_build.target / "manifest.json"))
    for source, table in FEATURES.items():
        features = pd.DataFrame(
            sample_build.query(f"select * from {table}"), columns=_columns(sample_build, table)
        )
        items = None
        if settings[source].get("item_pattern", {}).get("enabled"):
            items = pd.DataFrame(
                sample_build.query(
                    "select customer_id, stock_code, purchase_lines"
                    " from marts.online_retail_customer_item_purchases"
                ),
                columns=list(ITEM_COLUMNS),
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SegmentationWarning)
            fit = fit_segmentation(
                features, settings[source], source=source, items=items, item_columns=ITEM_COLUMNS
            )
        python = fit.predict(features, items)
        sql = pd.DataFrame(
            sample_build.query(
                "select customer_id, segment_id, distance_to_centroid, is_outlier, model_version"
                f" from marts.customer_segment_scores where source = '{source}' order by customer_id"
            ),
            columns=["customer_id", "segment_id", "distance_to_centroid", "is_outlier", "model_version"],
        )
        assert len(sql) == len(python) == len(features)
        assert sql["customer_id"].tolist() == python["customer_id"].astype(str).tolist()
        assert (sql["segment_id"].to_numpy() == python["segment_id"].to_numpy()).all(), source
        assert (sql["is_outlier"].to_numpy() == python["is_outlier"].to_numpy()).all(), source
        assert (sql["distance_to_centroid"] - python["distance_to_centroid"]).abs().max() < 1e-9
        assert set(sql["model_version"]) == {fit.model_version}  # same input and settings, same model


def test_a_rebuild_gives_identical_tables_and_keeps_every_id(sample_build: DbtRun, rebuild: DbtRun) -> None:
    before, after = snapshot(sample_build), snapshot(rebuild)
    for table in SEGMENT_TABLES:
        assert before[table], f"{table} is empty"
        assert before[table] == after[table], f"{table} changed between two builds of the same data"
    assert rebuild.query("select distinct decision from marts.segment_id_matching") == [("kept",)]
    assert rebuild.scalar(
        "select count(*) from marts.segment_profiles where previous_segment_id = segment_id"
    ) == (rebuild.scalar("select count(*) from marts.segment_profiles"))


def test_a_rebuild_of_the_same_data_replaces_its_snapshot(rebuild: DbtRun) -> None:
    assert rebuild.query(
        "select source, count(distinct snapshot_number), count(*)"
        " from marts.customer_segment_snapshots group by 1 order by 1"
    ) == rebuild.query("select source, 1, count(*) from marts.customer_segments group by 1 order by 1")
    assert rebuild.scalar("select count(*) from marts.segment_profiles where not is_name_kept") == 0


def test_a_refresh_is_a_new_snapshot_and_says_who_kept_their_segment(sample_build: DbtRun, tmp_path) -> None:
    warehouse = copy_of(sample_build, tmp_path)
    later = sample_build.scalar("select max(as_of_date) + 30 from marts.online_retail_customers")
    run = invoke_dbt(
        "build",
        "--select",
        "+fit_segmentation+",
        "+customer_segment_history",  # the history's own inputs move with the as-of date too
        "--exclude",
        "test_type:unit",  # they pin their own dates; the var below would move them
        "--vars",
        f"{{online_retail_as_of_date: '{later}', refit: true}}",
        workdir=tmp_path,
        warehouse=warehouse,
    )
    assert run.returncode == 0, run.output[-5000:]
    refresh = run.query(
        "select snapshot_number, returning_customers, kept_segment_id, kept_segment_name, customers"
        " from marts.segment_refreshes where source = 'online_retail' order by snapshot_number"
    )
    assert [row[0] for row in refresh] == [1, 2]
    number, returning, kept_id, kept_name, customers = refresh[1]
    assert returning == customers  # the same customers, 30 days later
    assert 0 < kept_name <= kept_id <= returning
    assert "segmentation online_retail: refresh 2 kept the segment of" in run.output
    kept = run.query(
        "select segment_id from marts.segment_profiles where source = 'online_retail' and is_name_kept"
    )
    names = dict(
        run.query(
            "select segment_id, segment_name from marts.segment_profiles where source = 'online_retail'"
        )
    )
    before = dict(
        sample_build.query(
            "select segment_id, segment_name from marts.segment_profiles where source = 'online_retail'"
        )
    )
    for (segment_id,) in kept:
        assert names[segment_id] == before[segment_id]


def test_the_build_says_how_strong_the_structure_is(rebuild: DbtRun) -> None:
    for source in ("online_retail", "smartcart"):
        assert f"segmentation {source}: " in rebuild.output
    verdicts = dict(rebuild.query("select source, structure_verdict from marts.segment_models"))
    for source, verdict in verdicts.items():
        assert f"segmentation {source}: " in rebuild.output and verdict in rebuild.output
    fallbacks = rebuild.query("select source from marts.segment_models where is_k_rule_fallback")
    for (source,) in fallbacks:
        assert f"segmentation {source}: the k rule fell back" in rebuild.output
    weak = rebuild.scalar(
        "select count(*) from marts.segment_models"
        " where is_k_rule_fallback or structure_verdict <> 'clear groups'"
    )
    assert (weak > 0) == ("WARN=1" in rebuild.output)


def test_the_dag_reads_like_the_layers(sample_build: DbtRun) -> None:
    manifest = load_manifest(sample_build.target / "manifest.json")
    models = {key: node for key, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    python = [key for key, node in models.items() if node["language"] == "python"]
    # two Python models: the segmentation (scikit-learn) and the value models with their holdout
    # evaluation (pymc-marketing): other libraries, other inputs (docs/customer_value.md)
    assert sorted(python) == ["model.custseg.fit_customer_value", "model.custseg.fit_segmentation"]
    children: dict[str, list[str]] = {key: [] for key in models}
    for key, node in models.items():
        for parent in node["depends_on"]["nodes"]:
            if parent in children:
                children[parent].append(key)
    for key in python:  # dbt-project-evaluator's fanout: more than 3 direct leaf children
        leaves = [child for child in children[key] if not children[child]]
        assert len(leaves) <= 3, f"{key} fans out to leaf models {leaves}"
    for key, node in models.items():
        layer = node["path"].split("/")[0]
        sources = [p for p in node["depends_on"]["nodes"] if p.startswith("source.")]
        assert not sources or layer == "staging", f"{key} reads a source outside staging"
        if layer == "intermediate":
            marts = [
                p
                for p in node["depends_on"]["nodes"]
                if p in models and models[p]["path"].startswith("marts/")
            ]
            assert not marts, f"intermediate model {key} reads mart(s) {marts}"


def test_an_empty_run_finishes_with_empty_segment_tables(tmp_path) -> None:
    assert invoke_dbt("seed", workdir=tmp_path).returncode == 0
    run = invoke_dbt("run", "--empty", workdir=tmp_path)
    assert run.returncode == 0, run.output[-5000:]
    assert run.query("select source, status from segmentation.fit_segmentation order by 1") == [
        ("online_retail", "no_customers"),
        ("smartcart", "no_customers"),
    ]
    assert run.scalar("select count(*) from marts.customer_segments") == 0
    assert "segmentation smartcart: no customers to segment" in run.output
    assert run.query("select fit, source, status from value.fit_customer_value order by 1, 2") == [
        ("full_history", "online_retail", "too_few_customers"),
        ("full_history", "smartcart", "too_few_customers"),
        ("holdout", "online_retail", "too_few_customers"),
    ]
    assert run.scalar("select count(*) from marts.customer_value") == 0


def test_a_source_without_customers_builds_with_a_clear_message(tmp_path) -> None:
    lines = tmp_path / "no_customers.csv.gz"
    with (
        gzip.open(SAMPLE_DIR / "online_retail_transactions.csv.gz", "rt") as source,
        gzip.open(lines, "wt") as out,
    ):
        header = source.readline()
        out.write(header)
        for line in source:  # every line without a customer id: nothing to segment
            fields = line.rstrip("\n").split(",")
            fields[header.rstrip("\n").split(",").index("CustomerID")] = ""
            out.write(",".join(fields) + "\n")
    run = invoke_dbt("build", workdir=tmp_path, env={"ONLINE_RETAIL_TRANSACTIONS_PATH": str(lines)})
    assert run.returncode == 0, run.output[-5000:]
    assert "segmentation online_retail: no customers to segment" in run.output
    assert run.scalar("select count(*) from marts.customer_segments where source = 'online_retail'") == 0
    assert run.scalar("select count(*) from marts.customer_segments where source = 'smartcart'") > 0


def _columns(run: DbtRun, table: str) -> list[str]:
    schema, name = table.split(".")
    return [
        column
        for (column,) in run.query(
            f"select column_name from information_schema.columns where table_schema = '{schema}'"
            f" and table_name = '{name}' order by ordinal_position"
        )
    ]
