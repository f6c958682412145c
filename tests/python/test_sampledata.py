"""Tests for the synthetic raw-input generator (custseg.sampledata)."""

from __future__ import annotations

import gzip
import re
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from conftest import SAMPLE_DIR

from custseg import sampledata as sd

MIXED_LAYOUTS = [
    re.compile(r"^\d{2}-\d{2}-\d{4} \d{2}:\d{2}$"),  # 12-01-2022 08:45
    re.compile(r"^\d{2}-\d{2}-\d{4}  \d{2}:\d{2}:\d{2}$"),  # 12-01-2022  08:45:00
    re.compile(r"^\d/\d{1,2}/\d{2} \d:\d{2}$"),  # 9/30/23 9:25
    re.compile(r"^\d/\d{1,2}/\d{2} \d{2}:\d{2}$"),  # 9/30/23 14:25
    re.compile(r"^\d{2}/\d{1,2}/\d{2} \d:\d{2}$"),  # 12/13/23 9:25
    re.compile(r"^\d{2}/\d{1,2}/\d{2} \d{2}:\d{2}$"),  # 12/13/23 14:25
]
ISO = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:00$")
BAD_TX_VALUES = {"12x", "??", "N/A", "1.95.0"}


def _tx(n: int, **kw) -> pd.DataFrame:
    tables = list(sd.iter_transaction_chunks(n, **kw))
    if not tables:
        return pd.DataFrame(columns=list(sd.TRANSACTION_COLUMNS))
    return pa.concat_tables(tables).to_pandas()


@pytest.fixture(scope="module")
def iso_tx() -> pd.DataFrame:
    return _tx(20_000, seed=7, date_style="iso")


@pytest.fixture(scope="module")
def mixed_tx() -> pd.DataFrame:
    return _tx(30_000, seed=3, date_style="mixed", missing_customer_share=0.06)


def _clean(df: pd.DataFrame) -> pd.DataFrame:
    """Drop the injected structurally bad lines."""
    bad = (
        df["InvoiceNo"].isna()
        | df["Quantity"].isin(BAD_TX_VALUES)
        | df["UnitPrice"].isin(BAD_TX_VALUES)
        | df["InvoiceDate"].isin(BAD_TX_VALUES)
        | df["InvoiceDate"].str.contains("-30-|02-30", regex=True)
    )
    return df[~bad]


# --- SmartCart customers ----------------------------------------------------------------------


def test_smartcart_columns_rows_and_strings() -> None:
    df = sd.generate_smartcart_customers(300, seed=1)
    assert list(df.columns) == list(sd.SMARTCART_COLUMNS)
    assert len(df) == 307
    assert len(sd.generate_smartcart_customers(300, seed=1, inject_bad_rows=False)) == 300
    assert all(isinstance(v, str) for v in df.to_numpy().ravel())


def test_smartcart_deterministic() -> None:
    a = sd.generate_smartcart_customers(200, seed=5)
    pd.testing.assert_frame_equal(a, sd.generate_smartcart_customers(200, seed=5))
    assert not a.equals(sd.generate_smartcart_customers(200, seed=6))


def test_smartcart_dirt_present_and_shapes() -> None:
    df = sd.generate_smartcart_customers(600, seed=42)
    # natural dirt
    assert (df["Income"] == "").sum() >= 1
    assert (df["Income"] == "666666").sum() == 1
    years = pd.to_numeric(df["Year_Birth"])
    assert {1893, 1899}.issubset(set(years))
    assert {"Alone", "Absurd", "YOLO"}.issubset(set(df["Marital_Status"]))
    assert set(df["Education"]) == {"Graduation", "PhD", "Master", "2n Cycle", "Basic"}
    # injected bad rows
    assert df.duplicated().sum() == 1
    ids = df.loc[df["ID"] != "", "ID"]
    dup_ids = ids[ids.duplicated(keep=False)]
    assert len(set(dup_ids)) == 2  # the exact duplicate and a different row reusing an ID
    assert (df["ID"] == "").sum() == 1
    assert (df["Income"] == "unknown").sum() == 1
    assert (df["MntWines"] == "12x").sum() == 1
    assert {"31-02-2013", "2013/05/xx"}.issubset(set(df["Dt_Customer"]))

    clean = sd.generate_smartcart_customers(2000, seed=42, inject_bad_rows=False)
    dt = pd.to_datetime(clean["Dt_Customer"], format="%d-%m-%Y")
    assert dt.min() >= pd.Timestamp("2012-07-30") and dt.max() <= pd.Timestamp("2014-06-29")
    num = clean.drop(columns=["Education", "Marital_Status", "Dt_Customer"]).replace("", np.nan)
    num = num.astype(float)
    num = num[num["Income"] < 200_000]
    spend = num[[c for c in num.columns if c.startswith("Mnt")]].sum(axis=1)
    assert np.corrcoef(num["Income"].fillna(52_000), spend)[0, 1] > 0.5
    assert np.corrcoef(num["Kidhome"], spend)[0, 1] < -0.2
    assert np.corrcoef(num["Kidhome"], num["NumWebVisitsMonth"])[0, 1] > 0.2
    assert np.corrcoef(num["Teenhome"], num["NumDealsPurchases"])[0, 1] > 0.2
    assert 0.005 < (clean["Income"] == "").mean() < 0.02


# --- Transactions: shape, determinism ----------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 999, 1000, 70_001])
def test_exact_line_counts_and_columns(n: int) -> None:
    tables = list(sd.iter_transaction_chunks(n, seed=2, chunk_size=25_000))
    assert sum(len(t) for t in tables) == n
    assert all(len(t) == 25_000 for t in tables[:-1])
    for t in tables:
        assert t.column_names == list(sd.TRANSACTION_COLUMNS)
        assert all(f.type == pa.string() for f in t.schema)


def test_deterministic_and_independent_of_chunk_size() -> None:
    a = pa.concat_tables(sd.iter_transaction_chunks(70_000, seed=11, chunk_size=9_999))
    b = pa.concat_tables(sd.iter_transaction_chunks(70_000, seed=11, chunk_size=500_000))
    assert a.equals(b)
    c = pa.concat_tables(sd.iter_transaction_chunks(70_000, seed=12))
    assert not a.equals(c)


def test_customers_countries_and_codes(mixed_tx: pd.DataFrame) -> None:
    df = _clean(mixed_tx)
    n_cust = df["CustomerID"].nunique()
    assert 30_000 / 200 < n_cust < 30_000 / 50
    assert df.groupby("CustomerID")["Country"].nunique().max() == 1
    assert df["Country"].nunique() >= 10
    assert "United Kingdom" not in set(df["Country"])
    desc_per_code = df.dropna(subset=["Description"]).groupby("StockCode")["Description"]
    assert desc_per_code.nunique().max() == 1
    products = df[df["StockCode"].str.fullmatch(r"\d{5}[A-Za-z]?")]
    assert products["StockCode"].nunique() > 1_000
    assert products["Description"].str.endswith(" ").any()
    assert products["Description"].str.contains(",").any()
    assert (products["Description"].dropna() == products["Description"].dropna().str.upper()).all()
    basket = df.groupby("InvoiceNo").size()
    assert basket.median() <= 12 and basket.max() >= 100
    top = products["StockCode"].value_counts()
    assert top.iloc[0] > 20 * top.median()  # heavy-tailed popularity


def test_iso_style_and_invoice_order(iso_tx: pd.DataFrame) -> None:
    df = _clean(iso_tx)
    assert df["InvoiceDate"].str.match(ISO).all()
    ts = pd.to_datetime(df["InvoiceDate"])
    assert ts.min() >= pd.Timestamp("2010-12-01") and ts.max() < pd.Timestamp("2011-12-10")
    assert (ts.dt.day_of_week != 5).all()  # no Saturdays, as in the real data
    inv = df.assign(num=df["InvoiceNo"].str.lstrip("CA").astype(int), ts=ts)
    inv = inv.groupby("num")["ts"].min().sort_index()
    assert inv.index.min() == 536_365
    assert inv.is_monotonic_increasing
    assert df["Country"].value_counts().index[0] == "United Kingdom"
    assert 0.15 < df["CustomerID"].isna().mean() < 0.35


def test_mixed_style_layouts_and_quirk(mixed_tx: pd.DataFrame) -> None:
    dates = _clean(mixed_tx)["InvoiceDate"]
    matched = [sum(bool(p.match(d)) for p in MIXED_LAYOUTS) for d in dates.unique()]
    assert all(m == 1 for m in matched)
    for layout in MIXED_LAYOUTS:
        assert dates.str.match(layout).any(), layout.pattern
    assert not dates.str.contains("10").any()
    assert not dates.str.contains("11").any()
    month = dates.str.extract(r"^(\d+)[-/]")[0].astype(int)
    assert set(month) == {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 22, 23}
    years = dates.str.extract(r"(20\d\d|/\d\d )")[0].str.strip(" /")
    assert set(years) == {"2022", "2023", "22", "23"}  # 2010 and 2011 after the shift


def test_mixed_quirk_matches_real_example() -> None:
    # Real invoice 573768: 2011-11-01 10:02 in the full file, "23-01-2023 22:02" in the other.
    days = sd._calendar().days
    d = np.array([days.index(date(2011, 11, 1)), days.index(date(2010, 12, 10))])
    out = sd._format_dates(d, np.array([10 * 60 + 2, 9 * 60 + 11]), "mixed").to_pylist()
    assert out == ["23-01-2023 22:02", "12-22-2022  09:23:00"]
    iso = sd._format_dates(d, np.array([10 * 60 + 2, 9 * 60 + 11]), "iso").to_pylist()
    assert iso == ["2011-11-01 10:02:00", "2010-12-10 09:11:00"]


# --- Transactions: dirt -------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["iso", "mixed"])
def test_every_dirt_kind_present_in_small_generation(style: str) -> None:
    raw = _tx(5_000, seed=9, date_style=style)
    df = _clean(raw)
    qty = df["Quantity"].astype(int)
    price = df["UnitPrice"].astype(float)
    assert df["CustomerID"].isna().any()
    assert raw.duplicated().any()
    canc = df["InvoiceNo"].str.startswith("C")
    assert canc.any() and (qty[canc] < 0).all()
    adjust = ~canc & (qty < 0) & ~df["InvoiceNo"].str.startswith("A")
    assert adjust.any()
    assert (price[adjust] == 0).all() and df.loc[adjust, "CustomerID"].isna().all()
    assert (price == 0).any()
    assert df["Description"].isna().any()
    assert (price[df["Description"].isna()] == 0).all()
    debt = df[df["InvoiceNo"].str.startswith("A")]
    assert set(debt["StockCode"]) == {"B"} and (debt["UnitPrice"].astype(float) < 0).any()
    specials = {"POST", "M", "C2", "D", "S", "BANK CHARGES", "AMAZONFEE", "CRUK", "B", "PADS"}
    specials |= {"gift_0001_10", "gift_0001_20"}
    assert specials <= set(df["StockCode"])
    assert {"DCGSSGIRL", "DCGSSBOY"} & set(df["StockCode"])
    descs = dict(zip(df["StockCode"], df["Description"], strict=True))
    assert descs["POST"] == "POSTAGE" and descs["AMAZONFEE"] == "AMAZON FEE"
    assert descs["gift_0001_20"] == "Dotcomgiftshop Gift Voucher £20.00"
    assert (qty[df["StockCode"] == "D"] < 0).all()
    assert df.loc[df["StockCode"] == "PADS", "UnitPrice"].eq("0.001").all()
    if style == "iso":
        assert "DOT" in set(df["StockCode"])
    # injected structurally bad lines
    assert raw["InvoiceNo"].isna().sum() == 1
    assert raw["Quantity"].eq("12x").sum() == 1
    assert raw["UnitPrice"].isin({"N/A", "1.95.0"}).sum() == 2
    bad_dates = pd.to_datetime(raw["InvoiceDate"], errors="coerce", format="mixed").isna()
    assert bad_dates.sum() >= 2
    assert len(_tx(5_000, seed=9, date_style=style, inject_bad_rows=False)) == 5_000


def test_cancellations_match_earlier_purchases(iso_tx: pd.DataFrame) -> None:
    con = duckdb.connect()
    con.register("t", _clean(iso_tx))
    orphans = con.sql(
        """
        select count(*) from t c
        where c.InvoiceNo like 'C%' and regexp_full_match(c.StockCode, '\\d{5}[A-Za-z]?')
          and not exists (
            select 1 from t p
            where p.InvoiceNo not like 'C%' and p.CustomerID = c.CustomerID
              and p.StockCode = c.StockCode and p.UnitPrice = c.UnitPrice
              and try_cast(p.InvoiceNo as int) < cast(substr(c.InvoiceNo, 2) as int)
              and cast(p.Quantity as int) >= -cast(c.Quantity as int))
        """
    ).fetchall()[0][0]
    n_canc = con.sql("select count(*) from t where InvoiceNo like 'C%'").fetchall()[0][0]
    assert n_canc > 100 and orphans == 0


def test_missing_customer_share_is_a_parameter() -> None:
    none = _clean(_tx(20_000, seed=4, date_style="mixed", missing_customer_share=0.0))
    many = _clean(_tx(20_000, seed=4, date_style="mixed", missing_customer_share=0.3))
    assert none["CustomerID"].isna().mean() < 0.01  # only adjustments, vouchers, fees
    assert 0.2 < many["CustomerID"].isna().mean() < 0.4


# --- Writers, CLI, bundled sample ---------------------------------------------------------------


def test_csv_gzip_parquet_round_trip_identically(tmp_path: Path) -> None:
    kw = dict(seed=21, date_style="mixed", chunk_size=4_000)
    expected = pa.concat_tables(sd.iter_transaction_chunks(9_000, **kw)).to_pylist()
    rows = {}
    for ext in ("csv", "csv.gz", "parquet"):
        path = tmp_path / f"tx.{ext}"
        assert sd.write_transactions(path, 9_000, **kw) == 9_000
        reader = "read_parquet(?)" if ext == "parquet" else "read_csv(?, all_varchar=true)"
        rel = duckdb.sql(f"select * from {reader}", params=[str(path)])
        assert rel.columns == list(sd.TRANSACTION_COLUMNS)
        rows[ext] = [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]
    assert rows["csv"] == rows["csv.gz"] == rows["parquet"] == expected

    path = tmp_path / "c.csv"
    assert sd.write_smartcart_customers(path, 100, seed=3) == 107
    back = duckdb.sql("select * from read_csv(?, all_varchar=true)", params=[str(path)]).df()
    want = sd.generate_smartcart_customers(100, seed=3).replace("", None)
    assert list(back.columns) == list(sd.SMARTCART_COLUMNS)
    assert back.fillna("").to_numpy().tolist() == want.fillna("").to_numpy().tolist()


def test_cli_writes_files(tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    assert sd.main(["smartcart", "--rows", "50", "--out", str(out), "--no-inject-bad-rows"]) == 0
    assert len(pd.read_csv(out)) == 50
    out = tmp_path / "t.parquet"
    args = ["transactions", "--lines", "1234", "--out", str(out), "--date-style", "mixed"]
    assert sd.main([*args, "--seed", "42"]) == 0
    n = duckdb.sql("select count(*) from read_parquet(?)", params=[str(out)]).fetchall()
    assert n == [(1234,)]
    with pytest.raises(SystemExit):
        sd.main(["transactions", "--lines", "10", "--out", str(out), "--date-style", "eu"])


def test_bundled_sample_is_reproducible(tmp_path: Path) -> None:
    assert sd.main(["sample", "--out-dir", str(tmp_path)]) == 0
    committed_csv = SAMPLE_DIR / sd.SAMPLE_SMARTCART_FILE
    committed_gz = SAMPLE_DIR / sd.SAMPLE_TRANSACTIONS_FILE
    assert committed_csv.read_bytes() == (tmp_path / sd.SAMPLE_SMARTCART_FILE).read_bytes()
    regenerated = tmp_path / sd.SAMPLE_TRANSACTIONS_FILE
    assert gzip.decompress(committed_gz.read_bytes()) == gzip.decompress(regenerated.read_bytes())
    assert committed_gz.read_bytes() == regenerated.read_bytes()  # mtime 0, no file name
    assert committed_gz.stat().st_size < 1_000_000 and committed_csv.stat().st_size < 1_000_000
