"""The baseline: the reference notebooks' approach, reimplemented faithfully, in one process.

1. ``pandas.read_csv`` of the whole file (default options), keep lines with a CustomerID,
   ``Sales = Quantity * UnitPrice``. The only deviation from the notebooks: Quantity and
   UnitPrice go through ``pd.to_numeric(errors="coerce")`` and lines where that fails are
   dropped, because the generated files carry a few unparseable values (as real exports do)
   on which the notebooks' arithmetic would stop. No de-duplication, no date parsing, no
   non-product filter: the notebooks did none.
2. The analytical base table, one row per customer: total transactions (distinct invoices),
   total products (lines), distinct products, total sales, average product value, and
   average / min / max cart (invoice) value.
3. The item matrix: a dense customer x item ``pivot_table`` of line counts, over the items
   bought on more than 100 lines, as the notebooks' item data.
4. StandardScaler on the item matrix, PCA (full spectrum; the components that explain 80 %
   of the variance are kept, as the notebook chose them from the cumulative variance curve).
5. The base table joined with the item components, StandardScaler, then for every k in the
   sweep a KMeans (scikit-learn defaults, ``random_state=123`` as the notebook) and the
   FULL ``silhouette_score`` over all customers (quadratic in customers).

Progress (stage and seconds) is written to ``--result`` after every stage, so a run stopped at
the harness's time limit still says how far it got.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input")
    parser.add_argument("--k-min", type=int, default=2)
    parser.add_argument("--k-max", type=int, default=10)
    parser.add_argument("--min-item-lines", type=int, default=100)
    parser.add_argument("--pca-variance", type=float, default=0.8)
    parser.add_argument("--result", type=Path)
    args = parser.parse_args(argv)

    started = time.monotonic()
    progress: dict = {"stages": {}, "finished": False}
    last = [started]

    def stage(name: str, **extra) -> None:
        now = time.monotonic()
        progress["stages"][name] = round(now - last[0], 3)
        progress.update(extra)
        last[0] = now
        if args.result:
            args.result.write_text(json.dumps(progress, indent=2))

    import numpy as np
    import pandas as pd
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    stage("import")

    df = pd.read_csv(args.input)
    stage("read_csv", raw_lines=len(df))

    df = df[df.CustomerID.notna()].copy()
    df["Quantity"] = pd.to_numeric(df.Quantity, errors="coerce")
    df["UnitPrice"] = pd.to_numeric(df.UnitPrice, errors="coerce")
    df = df[df.Quantity.notna() & df.UnitPrice.notna()]
    df["CustomerID"] = df.CustomerID.astype(float).astype(int)
    df["Sales"] = df.Quantity * df.UnitPrice
    stage("clean", lines=len(df))

    invoice_data = df.groupby("CustomerID").InvoiceNo.agg(total_transactions="nunique")
    product_data = df.groupby("CustomerID").StockCode.agg(
        total_products="count", total_unique_products="nunique"
    )
    sales_data = df.groupby("CustomerID").Sales.agg(total_sales="sum", avg_product_value="mean")
    cart = df.groupby(["CustomerID", "InvoiceNo"]).Sales.agg(cart_value="sum").reset_index()
    agg_cart_data = cart.groupby("CustomerID").cart_value.agg(
        avg_cart_value="mean", min_cart_value="min", max_cart_value="max"
    )
    base_df = invoice_data.join([product_data, sales_data, agg_cart_data])
    stage("customer_aggregates", n_customers=len(base_df))

    item_lines = df.StockCode.value_counts()
    popular = item_lines[item_lines > args.min_item_lines].index
    item_data = df[df.StockCode.isin(popular)].pivot_table(
        index="CustomerID", columns="StockCode", values="Sales", aggfunc="count", fill_value=0
    )
    item_data = item_data.reindex(base_df.index, fill_value=0)
    stage(
        "item_pivot", n_items=item_data.shape[1], item_matrix_mb=round(item_data.memory_usage().sum() / 2**20)
    )

    item_data_scaled = StandardScaler().fit_transform(item_data)
    pca = PCA().fit(item_data_scaled)
    n_components = int(np.searchsorted(np.cumsum(pca.explained_variance_ratio_), args.pca_variance) + 1)
    items_pca = pd.DataFrame(
        pca.transform(item_data_scaled)[:, :n_components],
        index=item_data.index,
        columns=[f"PC{i + 1}" for i in range(n_components)],
    )
    stage("item_pca", n_components=n_components)

    pca_item_data = base_df.join(items_pca)
    x = StandardScaler().fit_transform(pca_item_data)
    silhouettes = {}
    for k in range(args.k_min, args.k_max + 1):
        labels = KMeans(n_clusters=k, random_state=123).fit_predict(x)
        silhouettes[str(k)] = float(silhouette_score(x, labels))
        stage(f"kmeans_silhouette_k{k}", silhouettes=silhouettes)
    progress["finished"] = True
    progress["total_s"] = round(time.monotonic() - started, 3)
    stage("done")
    print(json.dumps({k: progress.get(k) for k in ("n_customers", "n_items", "n_components", "total_s")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
