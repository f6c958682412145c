"""The floor: the same customer features and the same kind of scikit-learn fit as the
project, hand-written as one DuckDB query plus a few lines of scikit-learn, in one Python
process without dbt. It is what the project's work costs without the warehouse's extras
(rejected-row tables, typed staging tables, marts, tests, the segmentation's diagnostics).

Run as a script (the harness times the whole process)::

    python bench/floor.py INPUT.csv.gz --seeds PROJECT/seeds --settings '{...}' --result out.json

Cleaning, as the project's staging does it: every column read as text; trimmed, blank = NULL;
invoice number and stock code upper-cased; ISO timestamps (``%Y-%m-%d %H:%M:%S``, the
generator's ``--date-style iso``); quantity as integer and unit price as decimal(18, 4) with
try_cast; customer id with a trailing ``.0`` removed; lines missing any of invoice, date,
quantity, price, stock code or customer dropped; exact duplicate raw lines kept once. Product
lines only (the project's seed ``non_product_stock_codes``: exact codes and prefixes, as
LIKE patterns). Returns are lines of ``C`` invoices or with a negative quantity, netted
against purchases.

Features per customer with a product purchase (the project's
``customer_features_online_retail``): recency and tenure in days at the day after the last
clean invoice, frequency (distinct purchase invoices), monetary (product sales net of returns,
floored at 0), average basket (mean purchase-invoice value), distinct products, return share
(returned / gross, capped at 1) and the share of purchase value per category. Categories use
the project's seed ``product_category_keywords`` on each stock code's most frequent
description (first rule by priority, longest keyword, alphabetical; 'other' otherwise), as
the project does. Customers with no net spend are kept out of fitting, as in the project.
The clean, product and purchase lines are ``materialized`` CTEs: without that DuckDB inlines
them and reads the gzipped file once per use (66.6 s instead of 32.6 s at 10M lines).

Item pattern, as the project's ``online_retail_customer_item_purchases`` and engine: purchase
lines per customer and item, over items on more than ``item_pattern_min_lines`` (100) purchase
lines; items with at least ``item_pattern.min_lines`` lines among fitted customers are columns
of a sparse customer x item matrix (never dense), cell log1p(lines), rows L2-normalised,
TruncatedSVD (``n_components``, fitted on fitted customers) scores appended as features.

Fit: log1p on the skewed money and count features, StandardScaler (fitted on fitted rows);
k sweep over ``k_min..k_max`` on a random sample of at most ``selection_sample_size`` fitted
rows (KMeans, k-means++, ``n_init`` restarts; silhouette on a fixed ``silhouette_sample_size``
subset; stability: mean adjusted Rand index over ``stability_resamples`` bootstrap resamples
of ``stability_sample_size`` rows); k by the project's rule (best silhouette, within
``silhouette_tolerance`` the smaller k, among k with stability >= ``min_stability`` and
smallest segment >= ``min_segment_share``; else the most stable), or the pinned ``k``; the
chosen k is refitted on all fitted rows from the sample's centres (MiniBatchKMeans above
``minibatch_threshold`` rows) and every customer gets its nearest centre. Thread limits as in
the project's engine (sweep on one thread, BLAS on one thread, the final k-means with its
OpenMP threads). DuckDB gets the project's memory limit (3 GB). Unlike the project: no
rejected-row tables, no typed staging or marts, no tests, no comparisons with other
algorithms or feature sets, no diagnostics or profile tables, no segment names.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

DEFAULT_SETTINGS = {
    "features": [
        "recency_days",
        "frequency",
        "monetary_gbp",
        "tenure_days",
        "average_basket_value_gbp",
        "distinct_products",
        "return_share",
        "bags_share",
        "lighting_candles_share",
        "kitchen_dining_share",
        "christmas_share",
        "cards_wrap_share",
        "home_decor_share",
        "garden_share",
        "childrens_share",
        "stationery_share",
        "fashion_accessories_share",
        "other_share",
    ],
    "log1p_features": ["frequency", "monetary_gbp", "average_basket_value_gbp", "distinct_products"],
    "k_min": 2,
    "k_max": 10,
    "k": None,
    "random_state": 42,
    "n_init": 10,
    "minibatch_threshold": 50000,
    "minibatch_batch_size": 4096,
    "selection_sample_size": 20000,
    "silhouette_sample_size": 5000,
    "stability_resamples": 10,
    "stability_sample_size": 5000,
    "min_stability": 0.75,
    "min_segment_share": 0.02,
    "silhouette_tolerance": 0.01,
    "item_pattern": None,
}
ITEM_PATTERN_DEFAULTS = {"enabled": False, "n_components": 5, "min_lines": 100}
METRICS = ("silhouette", "stability", "min_share")
POPULAR_ITEM_MIN_LINES = 100  # the project's var item_pattern_min_lines

DEFAULT_CATEGORIES = [
    "bags",
    "lighting_candles",
    "kitchen_dining",
    "christmas",
    "cards_wrap",
    "home_decor",
    "garden",
    "childrens",
    "stationery",
    "fashion_accessories",
    "other",
]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def non_product_filter(seed_path: Path) -> str:
    """A SQL condition true for product stock codes, from the seed non_product_stock_codes."""
    with open(seed_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    exact = [r["stock_code"].upper() for r in rows if r["match_type"] == "exact"]
    prefixes = [r["stock_code"].upper() for r in rows if r["match_type"] == "prefix"]
    parts = [f"stock_code not in ({', '.join(_literal(c) for c in exact)})"] if exact else []
    parts += [f"stock_code not like {_literal(p + '%')}" for p in prefixes]
    return " and ".join(parts) or "true"


def clean_lines_sql(input_path: str) -> str:
    """Raw file -> the clean lines, as a temporary table ``clean`` (read once, used twice)."""
    return f"""
create temp table clean as
with
raw as (
    select distinct InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country
    from read_csv({_literal(input_path)}, header = true, all_varchar = true, null_padding = true)
),
typed as (
    select
        upper(nullif(trim(InvoiceNo), '')) as invoice_no,
        upper(nullif(trim(StockCode), '')) as stock_code,
        nullif(trim(Description), '') as description,
        try_cast(nullif(trim(Quantity), '') as integer) as quantity,
        try_strptime(nullif(trim(InvoiceDate), ''), '%Y-%m-%d %H:%M:%S') as invoiced_at,
        try_cast(nullif(trim(UnitPrice), '') as decimal(18, 4)) as unit_price,
        regexp_replace(nullif(trim(CustomerID), ''), '\\.0+$', '') as customer_id
    from raw
)
select
    invoice_no, stock_code, description, customer_id,
    cast(invoiced_at as date) as invoice_date,
    cast(quantity * unit_price as decimal(18, 4)) as amount,
    quantity,
    invoice_no like 'C%' or quantity < 0 as is_return
from typed
where invoice_no is not null and invoiced_at is not null and quantity is not null
    and unit_price is not null and stock_code is not null and customer_id is not null
"""


def item_pattern_sql(seeds: Path) -> str:
    """Clean lines -> purchase lines per customer and popular item (long, never a matrix)."""
    return f"""
with
purchases as (
    select customer_id, stock_code from clean
    where {non_product_filter(seeds / "non_product_stock_codes.csv")} and not is_return
),
popular as (
    select stock_code from purchases group by stock_code having count(*) > {POPULAR_ITEM_MIN_LINES}
)
select customer_id, stock_code, count(*) as lines
from purchases semi join popular using (stock_code)
group by customer_id, stock_code
"""


def features_sql(seeds: Path, categories: list[str]) -> str:
    """Clean lines -> one row of features per customer with a product purchase."""
    keywords = _literal(str(seeds / "product_category_keywords.csv"))
    category_sums = ",\n        ".join(
        f"sum(case when coalesce(category, 'other') = {_literal(c)} then amount else 0 end) as {c}_sales"
        for c in categories
    )
    shares = ",\n        ".join(
        f"coalesce(mix.{c}_sales / nullif(mix.sales, 0), 0) as {c}_share" for c in categories
    )
    return f"""
with
as_of as (select max(invoice_date) + 1 as as_of_date from clean),
product as materialized (
    select * from clean where {non_product_filter(seeds / "non_product_stock_codes.csv")}
),
purchases as materialized (select * from product where not is_return),
baskets as (
    select customer_id, invoice_no, sum(amount) as basket
    from purchases group by customer_id, invoice_no
),
basket_summary as (
    select customer_id, count(*) as frequency, avg(basket) as average_basket
    from baskets group by customer_id
),
purchase_summary as (
    select customer_id, count(distinct stock_code) as distinct_products, sum(amount) as gross,
        min(invoice_date) as first_date, max(invoice_date) as last_date
    from purchases group by customer_id
),
return_summary as (
    select customer_id, -sum(amount) as returned from product where is_return group by customer_id
),
descriptions as (
    select stock_code, upper(description) as description, count(*) as n
    from product where description is not null group by all
),
main_description as (
    select stock_code, description from descriptions
    qualify row_number() over (partition by stock_code order by n desc, description) = 1
),
rules as (select category, priority, upper(keyword) as keyword from read_csv({keywords}, all_varchar = true)),
categorised as (
    select main_description.stock_code, rules.category
    from main_description
    inner join rules on ' ' || main_description.description || ' ' like '%' || rules.keyword || '%'
    qualify row_number() over (
        partition by main_description.stock_code
        order by cast(rules.priority as integer), length(rules.keyword) desc, rules.keyword
    ) = 1
),
mix as (
    select
        purchases.customer_id,
        {category_sums},
        sum(amount) as sales
    from purchases left join (
        select stock_code, category from categorised
    ) as c using (stock_code)
    group by purchases.customer_id
)
select
    p.customer_id,
    cast(as_of.as_of_date - p.last_date as double) as recency_days,
    cast(b.frequency as double) as frequency,
    cast(greatest(p.gross - coalesce(r.returned, 0), 0) as double) as monetary_gbp,
    cast(as_of.as_of_date - p.first_date as double) as tenure_days,
    cast(b.average_basket as double) as average_basket_value_gbp,
    cast(p.distinct_products as double) as distinct_products,
    coalesce(least(cast(r.returned as double) / nullif(cast(p.gross as double), 0), 1), 0) as return_share,
    {shares},
    p.gross - coalesce(r.returned, 0) <= 0 as is_excluded_from_fit
from purchase_summary as p
inner join basket_summary as b using (customer_id)
inner join mix using (customer_id)
left join return_summary as r using (customer_id)
cross join as_of
"""


def item_scores(items, customer_ids, fitted, item_settings: dict):
    """TruncatedSVD scores of the L2-normalised log1p(lines) customer x item matrix (sparse)."""
    import numpy as np
    import pandas as pd
    from scipy import sparse
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    rows = pd.Index(customer_ids).get_indexer(items["customer_id"])
    names, cols = np.unique(items["stock_code"].to_numpy(dtype=str), return_inverse=True)
    keep = rows >= 0
    lines = sparse.csr_matrix(
        (items["lines"].to_numpy(dtype="float64")[keep], (rows[keep], cols[keep])),
        shape=(len(customer_ids), len(names)),
    )
    kept = np.flatnonzero(np.asarray(lines[fitted].sum(axis=0)).ravel() >= item_settings["min_lines"])
    matrix = normalize(lines[:, kept].log1p(), norm="l2", axis=1)
    n_components = min(item_settings["n_components"], len(kept) - 1)
    svd = TruncatedSVD(n_components=n_components, n_iter=7, random_state=42).fit(matrix[fitted])
    return np.asarray(matrix @ svd.components_.T), len(kept)


def choose_k(table: dict, settings: dict) -> int:
    """The project's k rule on {k: (silhouette, stability, smallest share)}."""
    if settings.get("k"):
        return int(settings["k"])
    ks = sorted(table)
    ok = [
        k
        for k in ks
        if table[k][1] >= settings["min_stability"] and table[k][2] >= settings["min_segment_share"]
    ]
    if ok:
        best = max(table[k][0] for k in ok)
        return min(k for k in ok if table[k][0] >= best - settings["silhouette_tolerance"])
    pool = [k for k in ks if table[k][2] >= settings["min_segment_share"]] or ks
    return max(pool, key=lambda k: (table[k][1], -k))


def fit(frame, items, settings: dict) -> dict:
    """Item SVD scores, StandardScaler after log1p, k sweep with stability on a sample, final
    fit on all fitted rows."""
    import numpy as np
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.metrics import adjusted_rand_score, silhouette_score
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    features = list(settings["features"])
    x = frame[features].to_numpy(dtype="float64", copy=True)
    for j, name in enumerate(features):
        if name in settings["log1p_features"]:
            x[:, j] = np.log1p(np.maximum(x[:, j], 0))
    fitted = ~frame["is_excluded_from_fit"].to_numpy(dtype=bool)
    x = x[:, x[fitted].std(axis=0) > 0]  # constant features carry nothing (the project drops them)
    n_items = 0
    if items is not None:
        scores, n_items = item_scores(items, frame["customer_id"], fitted, settings["item_pattern"])
        x = np.hstack([x, scores])
    scaler = StandardScaler().fit(x[fitted])
    z = scaler.transform(x)
    z_fit = z[fitted]
    rs = settings["random_state"]
    rng = np.random.default_rng(rs)
    n_sample = min(len(z_fit), settings["selection_sample_size"])
    sample = z_fit[np.sort(rng.choice(len(z_fit), n_sample, replace=False))]
    ks = list(range(settings["k_min"], min(settings["k_max"], n_sample - 1) + 1))
    m = min(n_sample, settings["stability_sample_size"])
    eval_rows = np.sort(rng.choice(n_sample, m, replace=False))
    table = {}
    centres = {}
    # Threads as the project's segmentation engine sets them: the sweep's many small fits on
    # one thread (threads only add overhead, and spin on a busy machine), BLAS on one thread
    # throughout, the final fit with scikit-learn's own OpenMP threads.
    with threadpool_limits(limits=1):
        for k in ks:
            model = KMeans(n_clusters=k, init="k-means++", n_init=settings["n_init"], random_state=rs)
            labels = model.fit_predict(sample)
            centres[k] = model.cluster_centers_
            silhouette = silhouette_score(
                sample, labels, sample_size=min(settings["silhouette_sample_size"], n_sample), random_state=rs
            )
            aris = []
            for r in range(settings["stability_resamples"]):
                boot = rng.integers(0, n_sample, size=m)
                refit = KMeans(n_clusters=k, n_init=settings["n_init"], random_state=rs + 1 + r)
                refit.fit(sample[boot])
                aris.append(adjusted_rand_score(labels[eval_rows], refit.predict(sample[eval_rows])))
            share = np.bincount(labels, minlength=k).min() / n_sample
            table[k] = (float(silhouette), float(np.mean(aris)) if aris else 1.0, float(share))
    k = choose_k(table, settings)
    if len(z_fit) > settings["minibatch_threshold"]:
        final = MiniBatchKMeans(
            n_clusters=k,
            init=centres[k],
            n_init=1,
            batch_size=settings["minibatch_batch_size"],
            random_state=rs,
            max_no_improvement=10,
        )
    else:
        final = KMeans(n_clusters=k, init=centres[k], n_init=1, random_state=rs)
    with threadpool_limits(limits=1, user_api="blas"):
        final.fit(z_fit)
        labels = final.predict(z)
    return {
        "chosen_k": int(k),
        "candidates": {str(c): dict(zip(METRICS, v, strict=True)) for c, v in table.items()},
        "n_fitted": int(fitted.sum()),
        "n_items": n_items,
        "segment_sizes": np.bincount(labels, minlength=k).tolist(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input")
    parser.add_argument("--seeds", required=True, type=Path, help="the measured project's seeds/ folder")
    parser.add_argument("--settings", default="{}", help="JSON: segmentation settings (overrides)")
    parser.add_argument("--categories", default=None, help="JSON list of category names")
    parser.add_argument("--memory-limit", default="3GB", help="DuckDB memory_limit (the profile's default)")
    parser.add_argument("--temp-dir", default=None, help="DuckDB spill folder")
    parser.add_argument("--result", type=Path, help="write a JSON summary here")
    args = parser.parse_args(argv)
    started = time.monotonic()

    import duckdb

    settings = {**DEFAULT_SETTINGS, **{k: v for k, v in json.loads(args.settings).items() if v is not None}}
    item_settings = {**ITEM_PATTERN_DEFAULTS, **(settings.get("item_pattern") or {})}
    settings["item_pattern"] = item_settings
    categories = json.loads(args.categories) if args.categories else DEFAULT_CATEGORIES
    con = duckdb.connect(
        config={"memory_limit": args.memory_limit, "preserve_insertion_order": False}
        | ({"temp_directory": args.temp_dir} if args.temp_dir else {})
    )
    query_start = time.monotonic()
    con.execute(clean_lines_sql(args.input))
    frame = con.sql(features_sql(args.seeds, categories)).df()
    items = con.sql(item_pattern_sql(args.seeds)).df() if item_settings["enabled"] else None
    query_s = time.monotonic() - query_start
    fit_start = time.monotonic()
    summary = fit(frame, items, settings)
    fit_s = time.monotonic() - fit_start
    summary |= {
        "n_customers": len(frame),
        "query_s": round(query_s, 3),
        "fit_s": round(fit_s, 3),
        "import_and_setup_s": round(query_start - started, 3),
        "settings": settings,
    }
    if args.result:
        args.result.write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: summary[k] for k in ("n_customers", "n_fitted", "chosen_k", "query_s", "fit_s")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
