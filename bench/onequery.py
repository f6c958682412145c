"""The one-query floor (issue #13): what a user could write by hand in an afternoon. One DuckDB
aggregation of customer features straight from the file (lines with a customer, a parsed date,
numbers; returns netted), then one scikit-learn k-means fit (k = 5, k-means++, one start) on the
standardised log features and a silhouette on a fixed sample of 5,000 customers, in one process.

``python bench/onequery.py INPUT [--result out.json]``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

FEATURES = (
    "recency_days",
    "frequency",
    "monetary_gbp",
    "tenure_days",
    "average_basket_value_gbp",
    "distinct_products",
)

QUERY = """
with lines as (
    select
        upper(trim(InvoiceNo)) as invoice_no,
        upper(trim(StockCode)) as stock_code,
        try_cast(Quantity as integer) as quantity,
        try_cast(UnitPrice as decimal(18, 4)) as unit_price,
        try_strptime(InvoiceDate, '%Y-%m-%d %H:%M:%S') as invoiced_at,
        regexp_replace(trim(CustomerID), '\\.0+$', '') as customer_id
    from read_csv({path}, header = true, all_varchar = true, null_padding = true, strict_mode = false)
),
clean as (
    select *, quantity * unit_price as amount, invoice_no like 'C%' or quantity < 0 as is_return
    from lines
    where customer_id <> '' and quantity is not null and unit_price is not null and invoiced_at is not null
),
as_of as (select max(invoiced_at)::date + 1 as as_of_date from clean),
customers as (
    select
        customer_id,
        cast(min(invoiced_at) as date) as first_date,
        cast(max(invoiced_at) filter (where not is_return) as date) as last_date,
        count(distinct invoice_no) filter (where not is_return) as frequency,
        greatest(sum(amount), 0) as monetary_gbp,
        sum(amount) filter (where not is_return) as gross_gbp,
        count(distinct stock_code) filter (where not is_return) as distinct_products
    from clean
    group by customer_id
)
select
    customer_id,
    date_diff('day', last_date, as_of_date) as recency_days,
    frequency,
    monetary_gbp::double as monetary_gbp,
    date_diff('day', first_date, as_of_date) as tenure_days,
    (gross_gbp / frequency)::double as average_basket_value_gbp,
    distinct_products
from customers cross join as_of
where frequency > 0
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument("--result", type=Path)
    args = parser.parse_args(argv)

    import duckdb
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    started = time.monotonic()
    con = duckdb.connect(config={"memory_limit": args.memory_limit})
    path = "'" + args.input.replace("'", "''") + "'"
    frame = con.sql(QUERY.format(path=path)).df()
    query_s = time.monotonic() - started
    values = np.log1p(np.maximum(frame[list(FEATURES)].to_numpy(dtype="float64"), 0.0))
    scaled = StandardScaler().fit_transform(values)
    fit_start = time.monotonic()
    labels = KMeans(n_clusters=args.k, n_init=1, random_state=42).fit_predict(scaled)
    silhouette = silhouette_score(scaled, labels, sample_size=min(5000, len(scaled)), random_state=42)
    fit_s = time.monotonic() - fit_start
    result = {
        "customers": len(frame),
        "k": args.k,
        "silhouette": round(float(silhouette), 4),
        "query_s": round(query_s, 3),
        "fit_s": round(fit_s, 3),
    }
    print(json.dumps(result))
    if args.result:
        args.result.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
