"""Deterministic synthetic raw inputs: SmartCart customers and Online-Retail transaction lines.

Why: the project needs a small bundled default input (``data/sample/``) and, for benchmarks,
inputs of 1M-100M transaction lines, with the same schemas and the same kinds of dirt as the
real files (``smartcart_customers.csv``, ``int_online_tx.csv``, ``online_retail.csv.gz``) but
without shipping any real row. All text comes from this module's own vocabulary; only
aggregate shapes (shares, quantiles, correlations) were taken from the real files.

Determinism: the same arguments always give the same rows, and for ``.csv``/``.csv.gz`` the
same bytes (gzip header with mtime 0 and no file name). Transactions are generated in fixed
internal blocks of 65,536 lines, each with its own ``numpy.random.default_rng([seed, ...,
block])`` stream, so the content does not depend on ``chunk_size`` (only the Parquet row-group
layout does). Memory is bounded by one chunk plus one block.

Speed, measured on the 2-core dev box while another job used ~1.2 cores: generating in
memory (``iter_transaction_chunks``) 1.26M lines/s (30M lines in 24 s, peak RSS 456 MB);
10M lines to ``.csv.gz`` in 52 s = 0.19M lines/s (44 CPU-s: ~1.1 s/M generating, ~0.6 s/M
CSV text, ~1.6 s/M gzip level 6 in a writer thread; 137 MB, ~14 bytes/line; peak RSS 660 MB);
on two idle cores expect about half that time. Same conditions, 2M lines: ``.csv`` 0.43M
lines/s, ``.parquet`` 0.57M lines/s, ``.csv.gz`` 0.18M lines/s.

Formats (by extension): ``.csv`` (UTF-8, ``\n``, quotes only around values holding a comma or
a double quote, empty field for null), ``.csv.gz`` (the same, gzip level 6), ``.parquet``
(every column a nullable string, one row group per chunk, zstd), so all three carry the same
dirt and read back identically with DuckDB (``read_csv(..., all_varchar=true)``).

Customers (``generate_smartcart_customers``), 22 columns as in the real file, all strings:
income drives spend and purchase counts (through a shared engagement factor), kids at home
reduce spend and raise deal purchases and web visits, teenagers go with older customers, the
join date is uniform over 30-07-2012..29-06-2014. Natural dirt, always present (shares of the
real file, at least one each): ~1.1% empty ``Income``; ~0.13% birth years before 1901 (1893,
1899, 1900 first); exactly one ``Income`` of 666666; the marital statuses ``Alone``, ``Absurd``
and ``YOLO`` (~0.1% each). Injected structurally bad rows (``inject_bad_rows``, default True,
7 rows added on top of ``n_rows``): an exact duplicate line, another customer reusing an
existing ``ID``, ``Income`` = ``unknown``, ``MntWines`` = ``12x``, ``Dt_Customer`` =
``31-02-2013`` and ``2013/05/xx``, and an empty ``ID``.

Transactions (``iter_transaction_chunks``/``write_transactions``), 8 columns, all strings
(empty = null): about ``n_lines / 100`` customer ids, each with one country and an activity
window; heavy-tailed basket sizes (median ~7-10 lines, some 100+); heavy-tailed (capped
log-normal, Zipf-like at the top) popularity over ~3,700 stock codes in colour-variant
families (``22431``, ``84712B``, rarely ``84712b``), each with one fixed
description (~15% with a trailing space, a few containing commas or double quotes);
per-item prices (most 0.19-10 GBP; bulk lines cheaper, guest/dotcom lines dearer); pack-size
quantities (1, 2, 6, 12, 24, ... and wholesale 100+). Timestamps run 2010-12-01..2011-12-09
with the real seasonality (November peak, no Saturdays, Christmas break, 08:00-17:00 peak);
invoice numbers start at 536365 and increase with time (from ~6M lines on they have 7
digits). Dirt (shares per line, real full file in brackets):

* empty ``CustomerID``: whole guest invoices, ``missing_customer_share`` of lines (default
  0.25 with ``include_uk`` (0.25), else 0.04 (international file 0.04)), plus the single-line
  no-customer items below;
* exact duplicate lines inside their invoice: ``duplicate_share`` (default 0.01 with UK
  (0.0097), else 0.0025 (int. file 0.0022));
* cancellations: ``C``-prefixed invoices, negative quantities, same customer, item and price
  as an earlier purchase in the same block: ``cancellation_share`` (default 0.017 (0.017));
* stock adjustments: no customer, price 0, empty description, negative quantity 0.25% and
  positive 0.11%; free gift lines with a customer and price 0: 0.007%;
* non-product codes with the real-world descriptions: ``POST`` (~65% of non-UK invoices),
  ``DOT`` (~60% of UK guest invoices), ``M`` Manual 0.1%, ``C2`` 0.027%, ``D`` Discount,
  ``S``, ``BANK CHARGES``, ``AMAZONFEE``, ``CRUK`` (in ``C`` invoices, 0.003-0.014% each),
  ``B`` Adjust bad debt (``A``-prefixed invoices, one positive and one negative price),
  gift vouchers ``gift_0001_10`` .. ``_50``, ``PADS`` (price 0.001), ``DCGSSGIRL``/``DCGSSBOY``.
  In blocks of >= 1,000 lines every kind above appears at least once in the first block.
* injected bad lines (``inject_bad_rows``, default True, 6 lines in the first block, replacing
  ordinary lines so the total stays ``n_lines``): ``Quantity`` ``12x``, two unparseable
  ``InvoiceDate`` (a 30th of February and ``??``), ``UnitPrice`` ``N/A`` and ``1.95.0``, an
  empty ``InvoiceNo``.

``date_style="iso"`` writes ``2011-12-09 12:50:00`` and prices like the full file (``40.0``).
``date_style="mixed"`` writes like the international file: month first, ``mm-dd-yyyy HH:MM``
for days 1-9 and 12, ``mm-dd-yyyy  HH:MM:SS`` (two spaces) for days 10-11, ``m/d/yy H:MM`` for
days 13-31 (as the real file, which went through a spreadsheet), then the real file's naive
"shift by 12 years": ``.replace("10", "22").replace("11", "23")`` on the whole string, so
month 10/11 is written 22/23 (and hour, minute, day 10/11 and years 2010/2011 too); prices
without trailing zeros (``40``, ``2.5``). (No field of these layouts can hold ``110``/``101``,
so the order of the two replacements does not matter.)
"""

from __future__ import annotations

import argparse
import gzip
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from custseg.inputs import ONLINE_RETAIL_TRANSACTIONS_COLUMNS, SMARTCART_CUSTOMERS_COLUMNS

__all__ = [
    "SMARTCART_COLUMNS",
    "TRANSACTION_COLUMNS",
    "SAMPLE_SMARTCART_FILE",
    "SAMPLE_TRANSACTIONS_FILE",
    "generate_smartcart_customers",
    "write_smartcart_customers",
    "iter_transaction_chunks",
    "write_transactions",
    "write_bundled_sample",
    "main",
]

# The generated files carry exactly the columns the project requires of the real ones.
SMARTCART_COLUMNS: tuple[str, ...] = SMARTCART_CUSTOMERS_COLUMNS
TRANSACTION_COLUMNS: tuple[str, ...] = ONLINE_RETAIL_TRANSACTIONS_COLUMNS

DateStyle = Literal["iso", "mixed"]

# Bundled sample (``python -m custseg.sampledata sample``): fixed parameters.
SAMPLE_SMARTCART_FILE = "smartcart_customers.csv"
SAMPLE_TRANSACTIONS_FILE = "online_retail_transactions.csv.gz"
SAMPLE_SEED = 42
SAMPLE_CUSTOMERS = 600
SAMPLE_LINES = 30_000
SAMPLE_DATE_STYLE: DateStyle = "mixed"
SAMPLE_MISSING_CUSTOMER_SHARE = 0.06

# Sub-stream tags for numpy.random.default_rng([seed, tag, ...]).
_TAG_SMARTCART, _TAG_CATALOG, _TAG_CUSTOMERS, _TAG_BLOCK = 1, 2, 3, 4

# =============================================================================================
# SmartCart customers
# =============================================================================================

_EDUCATION = ("Graduation", "PhD", "Master", "2n Cycle", "Basic")
_EDUCATION_P = (0.503, 0.217, 0.165, 0.091, 0.024)
_EDUCATION_INCOME = (52_200.0, 56_100.0, 52_900.0, 47_600.0, 20_300.0)
_MARITAL = ("Married", "Together", "Single", "Divorced", "Widow", "Alone", "Absurd", "YOLO")
_MARITAL_P = (0.3857, 0.2589, 0.2143, 0.1036, 0.0344, 0.0013, 0.0009, 0.0009)
_RARE_MARITAL = ("Alone", "Absurd", "YOLO")
_OLD_BIRTH_YEARS = (1893, 1899, 1900)
_CUSTOMER_START = date(2012, 7, 30)
_CUSTOMER_END = date(2014, 6, 29)

# log1p(column) ~ b0 + b_income*inc_z + b_kid*Kidhome + b_teen*Teenhome + b_tenure*tenure
#                 + sd*(load*engagement + sqrt(1-load^2)*noise); fitted on the real file's shape.
_SPEND_MODEL: dict[str, tuple[float, float, float, float, float, float, float, int]] = {
    # column: (b0, b_income, b_kid, b_teen, b_tenure, sd, engagement loading, max)
    "MntWines": (4.28, 1.19, -0.62, 0.40, 0.92, 1.03, 0.70, 1493),
    "MntFruits": (2.49, 0.68, -0.66, -0.60, 0.70, 1.22, 0.60, 199),
    "MntMeatProducts": (4.11, 1.06, -0.52, -0.41, 0.91, 0.89, 0.80, 1725),
    "MntFishProducts": (2.85, 0.69, -0.69, -0.76, 0.76, 1.29, 0.60, 259),
    "MntSweetProducts": (2.52, 0.68, -0.68, -0.58, 0.64, 1.25, 0.60, 263),
    "MntGoldProds": (2.91, 0.41, -0.57, -0.07, 0.99, 1.09, 0.55, 362),
    "NumDealsPurchases": (0.60, -0.03, 0.21, 0.40, 0.37, 0.39, 0.50, 15),
    "NumWebPurchases": (1.31, 0.23, -0.17, 0.12, 0.36, 0.46, 0.70, 27),
    "NumCatalogPurchases": (1.05, 0.47, -0.36, -0.12, 0.35, 0.46, 0.65, 28),
    "NumStorePurchases": (1.78, 0.24, -0.22, 0.05, 0.19, 0.35, 0.65, 13),
    "NumWebVisitsMonth": (1.37, -0.25, 0.15, 0.19, 0.42, 0.30, 0.15, 20),
}


def generate_smartcart_customers(n_rows: int, seed: int = 42, inject_bad_rows: bool = True) -> pd.DataFrame:
    """Generate ``n_rows`` synthetic SmartCart customers (plus 7 bad rows if ``inject_bad_rows``).

    All 22 columns are strings exactly as written to CSV (empty string = empty field).
    """
    if n_rows < 10:
        raise ValueError("n_rows must be at least 10 (room for the guaranteed dirt)")
    rng = np.random.default_rng([seed, _TAG_SMARTCART])
    n = n_rows
    ids = rng.choice(max(11_200, 5 * n), size=n + 8, replace=False)
    ids, spare_ids = ids[:n], ids[n:]

    year = np.clip(np.round(rng.normal(1969.0, 11.7, n)), 1940, 1996).astype(np.int64)
    edu = rng.choice(len(_EDUCATION), size=n, p=_EDUCATION_P)
    marital = rng.choice(len(_MARITAL), size=n, p=np.asarray(_MARITAL_P) / sum(_MARITAL_P))

    p_kid = np.clip(0.42 + 0.012 * (year - 1969), 0.05, 0.85)
    kid = (rng.random(n) < p_kid).astype(np.int64)
    kid += (kid == 1) & (rng.random(n) < 0.045)
    p_teen = np.interp(year, [1940, 1950, 1955, 1970, 1975, 1985], [0.3, 0.48, 0.72, 0.70, 0.5, 0.02])
    teen = (rng.random(n) < p_teen).astype(np.int64)
    teen += (teen == 1) & (rng.random(n) < 0.05)

    base = np.asarray(_EDUCATION_INCOME)[edu]
    basic = edu == _EDUCATION.index("Basic")
    income = (
        base
        + np.where(basic, 1_500.0, np.where(kid > 0, -13_000.0, 9_500.0))
        + 200.0 * (1969 - year)
        + np.where(basic, 5_500.0, 16_500.0) * rng.standard_normal(n)
    )
    low = income < 4_000
    income[low] = rng.uniform(1_730, 9_000, low.sum())
    rich = rng.random(n) < 0.003  # odd high earners who spend little, as in the real file
    income[rich] = rng.uniform(150_000, 163_000, rich.sum())
    income = np.round(income).astype(np.int64)

    days = (_CUSTOMER_END - _CUSTOMER_START).days
    joined = rng.integers(0, days + 1, n)
    tenure = (days - joined) / 700.0
    inc_z = np.clip((income - 52_000) / 21_000, -2.5, 2.5)
    inc_z[rich] = -1.0
    engagement = rng.standard_normal(n)
    values: dict[str, np.ndarray] = {}
    for col, (b0, bi, bk, bt, bten, sd, load, top) in _SPEND_MODEL.items():
        noise = load * engagement + np.sqrt(1 - load * load) * rng.standard_normal(n)
        log_v = b0 + bi * inc_z + bk * kid + bt * teen + bten * tenure + sd * noise
        values[col] = np.clip(np.round(np.expm1(log_v)), 0, top).astype(np.int64)
    recency = rng.integers(0, 100, n)
    wine_z = (np.log1p(values["MntWines"]) - 4.6) / 1.5
    p_resp = 1 / (1 + np.exp(-(-1.85 + 0.9 * wine_z - 0.02 * (recency - 49) - 0.5 * teen)))
    response = (rng.random(n) < p_resp).astype(np.int64)
    complain = (rng.random(n) < 0.0094).astype(np.int64)

    # Natural dirt, guaranteed present: old birth years, rare statuses, 666666, empty incomes.
    n_old = max(len(_OLD_BIRTH_YEARS), round(n * 3 / 2240))
    slots = rng.permutation(n)
    old_rows, slots = slots[:n_old], slots[n_old:]
    year[old_rows] = np.resize(_OLD_BIRTH_YEARS, n_old)
    for status in _RARE_MARITAL:
        code = _MARITAL.index(status)
        if not (marital == code).any():
            marital[slots[0]], slots = code, slots[1:]
    income[slots[0]], slots = 666_666, slots[1:]
    n_missing = max(1, round(n * 24 / 2240))
    income_str = income.astype(str).astype(object)
    income_str[slots[:n_missing]] = ""

    dt = np.datetime64(_CUSTOMER_START.isoformat()) + joined.astype("timedelta64[D]")
    dt_str = pd.to_datetime(dt).strftime("%d-%m-%Y").to_numpy(dtype=object)
    df = pd.DataFrame(
        {
            "ID": ids.astype(str),
            "Year_Birth": year.astype(str),
            "Education": np.asarray(_EDUCATION, dtype=object)[edu],
            "Marital_Status": np.asarray(_MARITAL, dtype=object)[marital],
            "Income": income_str,
            "Kidhome": kid.astype(str),
            "Teenhome": teen.astype(str),
            "Dt_Customer": dt_str,
            "Recency": recency.astype(str),
            **{col: v.astype(str) for col, v in values.items()},
            "Complain": complain.astype(str),
            "Response": response.astype(str),
        },
        columns=list(SMARTCART_COLUMNS),
    ).astype(object)
    if inject_bad_rows:
        df = _inject_bad_customers(df, rng, spare_ids)
    return df


def _inject_bad_customers(df: pd.DataFrame, rng: np.random.Generator, spare_ids) -> pd.DataFrame:
    """Add 7 structurally bad rows at deterministic random positions (see module docstring)."""
    n = len(df)
    src = rng.choice(n, size=7, replace=False)
    bad = df.iloc[src].copy()
    fresh = [str(i) for i in spare_ids]
    # bad.iloc[0]: exact duplicate of an existing line.
    bad.iloc[1, 0] = df.iloc[rng.integers(0, n), 0]  # different row reusing an existing ID
    if bad.iloc[1, 0] == df.iloc[src[1], 0]:
        bad.iloc[1, 0] = df.iloc[(src[1] + 1) % n, 0]
    recency = int(bad.iloc[1, df.columns.get_loc("Recency")])
    bad.iloc[1, df.columns.get_loc("Recency")] = str((recency + 37) % 100)
    edits = [("Income", "unknown"), ("MntWines", "12x"), ("Dt_Customer", "31-02-2013")]
    edits.append(("Dt_Customer", "2013/05/xx"))
    for k, (col, value) in enumerate(edits, start=2):
        bad.iloc[k, 0] = fresh[k]
        bad.iloc[k, df.columns.get_loc(col)] = value
    bad.iloc[6, 0] = ""  # missing ID
    positions = np.sort(rng.choice(n + 1, size=7, replace=True))
    parts, start = [], 0
    order = rng.permutation(7)
    for k, pos in zip(order, positions, strict=True):
        parts.append(df.iloc[start:pos])
        parts.append(bad.iloc[[k]])
        start = pos
    parts.append(df.iloc[start:])
    return pd.concat(parts, ignore_index=True)


def write_smartcart_customers(
    path: str | Path, n_rows: int, seed: int = 42, inject_bad_rows: bool = True
) -> int:
    """Write synthetic customers to ``.csv``, ``.csv.gz`` or ``.parquet``; return rows written."""
    df = generate_smartcart_customers(n_rows, seed=seed, inject_bad_rows=inject_bad_rows)
    table = pa.Table.from_pandas(df, preserve_index=False)
    table = pa.table([_empty_to_null(c) for c in table.columns], names=list(SMARTCART_COLUMNS))
    _write_tables(path, SMARTCART_COLUMNS, iter([table]))
    return len(df)


# =============================================================================================
# Transactions: vocabulary and catalogue
# =============================================================================================

_COLOURS = (
    "RED", "PINK", "BLUE", "GREEN", "IVORY", "CREAM", "WHITE", "BLACK", "GOLD", "SILVER",
    "LILAC", "MINT", "TEAL", "ORANGE", "YELLOW", "PURPLE", "NAVY", "SAGE", "CORAL", "TURQUOISE",
    "PEACH", "GREY", "CHOCOLATE", "CHERRY",
)  # fmt: skip
_ADJECTIVES = (
    "VINTAGE", "RETRO", "HANGING", "GLASS", "WOODEN", "ENAMEL", "ZINC", "CERAMIC", "PAPER",
    "FELT", "KNITTED", "SPOTTY", "STRIPED", "FLORAL", "MINI", "JUMBO", "LARGE", "SMALL",
    "ANTIQUE", "RUSTIC", "NORDIC", "PAINTED", "FRILLY", "GLITTER", "HAND MADE", "TIN",
    "CHUNKY", "SWEETHEART", "CLASSIC", "COUNTRY",
)  # fmt: skip
_MOTIFS = (
    "WOODLAND FOX", "POLKA DOT", "BUTTERFLY", "SEASIDE", "VINTAGE ROSE", "STRAWBERRY", "OWL",
    "BIRDHOUSE", "GINGHAM", "PAISLEY", "DAISY", "LEMON", "CACTUS", "ROBOT", "RAINBOW",
    "STARRY NIGHT", "HEART", "LACE", "HEDGEHOG", "SAILING BOAT", "TEA PARTY", "BICYCLE",
    "CUPCAKE", "LADYBIRD", "BUMBLE BEE", "PEONY", "SUNFLOWER", "ELEPHANT", "SPACE ROCKET",
    "DINOSAUR", "MERMAID", "PIRATE", "UNICORN", "CHERRY BLOSSOM", "WILD MEADOW", "HONEYCOMB",
    "LIGHTHOUSE", "ALPINE", "MOROCCAN", "DOTTY", "CHECKERED", "TOADSTOOL", "ORCHARD", "SWALLOW",
    "PEACOCK", "TULIP", "BUNNY", "DOG AND BONE", "KITTEN", "LLAMA", "FLAMINGO", "PINEAPPLE",
    "LONDON BUS", "POSTBOX", "TEAPOT", "HOT AIR BALLOON", "CIRCUS TENT", "GARDEN GNOME",
)  # fmt: skip
_XMAS_MOTIFS = (
    "REINDEER", "SNOWFLAKE", "ROBIN", "SANTA", "CHRISTMAS STAR", "GINGERBREAD", "HOLLY",
    "NUTCRACKER", "SNOWMAN", "MISTLETOE", "CHRISTMAS TREE", "ANGEL", "SLEIGH BELLS",
)  # fmt: skip
_SIGN_PHRASES = ("GONE FISHING", "TEA TIME", "KEEP SMILING", "HOME SWEET HOME", "BAKE IT",
                 "GARDEN PARTY", "BEST MUM", "NO PARKING")  # fmt: skip

# category: (weight, ((noun, low GBP, high GBP), ...)); motif set "xmas" for Christmas.
_CATEGORIES: dict[str, tuple[float, tuple[tuple[str, float, float], ...]]] = {
    "bags": (0.08, (("TOTE BAG", 1.6, 2.6), ("LUNCH BAG", 1.6, 2.2), ("SHOPPING BAG", 1.2, 2.5),
                    ("WASH BAG", 2.1, 4.2), ("DRAWSTRING BAG", 0.8, 1.7), ("COIN PURSE", 0.8, 2.5),
                    ("GIFT BAG", 0.4, 1.3), ("BEACH BAG", 3.5, 6.0))),
    "lighting": (0.13, (("T-LIGHT HOLDER", 0.8, 3.8), ("LANTERN", 3.7, 9.9), ("CANDLE", 0.3, 2.9),
                        ("STRING LIGHTS", 4.9, 9.9), ("NIGHT LIGHT", 1.6, 3.0),
                        ("TEALIGHTS", 0.5, 1.5), ("CANDLE HOLDER", 1.2, 4.2),
                        ("LAMP SHADE", 4.5, 12.0))),
    "kitchen": (0.20, (("MUG", 1.2, 2.6), ("PLATE", 0.8, 2.0), ("CAKE TIN", 3.7, 12.7),
                       ("LUNCH BOX", 1.6, 2.9), ("TEA TOWEL", 0.8, 3.3), ("BOWL", 0.8, 3.9),
                       ("MILK JUG", 2.1, 4.9), ("TEAPOT", 4.9, 9.9), ("EGG CUP", 0.4, 1.3),
                       ("CAKE CASES", 0.4, 0.6), ("SNACK BOXES", 2.5, 3.0), ("APRON", 2.9, 5.0),
                       ("OVEN GLOVE", 1.5, 3.0), ("CAKE STAND", 4.9, 10.9),
                       ("PAPER CUPS", 0.6, 0.9), ("NAPKINS", 0.6, 0.9), ("BAKING SET", 4.9, 7.5),
                       ("STORAGE JAR", 1.6, 5.0), ("SPOON REST", 1.2, 2.5))),
    "christmas": (0.09, (("BAUBLE", 0.4, 1.7), ("DECORATION", 0.2, 1.3),
                         ("ADVENT CALENDAR", 2.9, 8.0), ("STOCKING", 1.6, 5.0),
                         ("WREATH", 3.9, 9.9), ("TREE TOPPER", 2.1, 5.0),
                         ("CRACKERS", 2.5, 5.0), ("HANGING ORNAMENT", 0.4, 1.6))),
    "cards": (0.10, (("WRAP", 0.4, 0.5), ("GREETING CARD", 0.4, 0.6), ("GIFT TAG", 0.6, 1.0),
                     ("RIBBON REEL", 0.4, 1.7), ("GIFT BOX", 1.2, 3.0), ("TISSUE PAPER", 0.4, 0.8),
                     ("ENVELOPES", 0.6, 1.0), ("GIFT TAPE", 0.6, 0.9))),
    "decor": (0.17, (("METAL SIGN", 1.2, 4.9), ("PHOTO FRAME", 1.2, 6.0),
                     ("CUSHION COVER", 3.3, 7.9), ("WALL CLOCK", 4.9, 9.9),
                     ("ALARM CLOCK", 3.7, 4.9), ("DOORMAT", 6.7, 8.3), ("COAT HANGER", 0.8, 2.0),
                     ("WALL HOOK", 0.8, 2.5), ("DOORSTOP", 3.7, 6.0), ("MIRROR", 2.1, 9.9),
                     ("VASE", 1.2, 6.0), ("DRAWER KNOB", 1.2, 1.8), ("STORAGE TIN", 1.6, 5.0),
                     ("HOT WATER BOTTLE", 3.3, 5.0), ("BUNTING", 1.6, 3.7),
                     ("HEART WICKER", 1.2, 3.0), ("TRINKET BOX", 1.2, 2.5),
                     ("BOTTLE", 0.8, 2.0))),
    "garden": (0.06, (("PLANT POT", 0.8, 3.7), ("WATERING CAN", 1.2, 4.9),
                      ("BIRD FEEDER", 1.6, 4.9), ("GARDEN MARKER", 0.4, 1.0),
                      ("HERB POT", 0.8, 2.5), ("PLANTER", 2.9, 8.5), ("WIND CHIME", 1.2, 3.8),
                      ("PICNIC BASKET", 4.9, 9.9))),
    "children": (0.10, (("TOY", 0.4, 2.5), ("PARTY BAG", 0.4, 1.7), ("DOLLY", 2.1, 5.0),
                        ("JIGSAW", 0.4, 3.8), ("SKIPPING ROPE", 1.2, 1.5),
                        ("SPINNING TOP", 0.4, 1.0),
                        ("TEA SET", 4.9, 9.9), ("PAINT SET", 0.6, 1.7), ("BALLOONS", 0.2, 0.7),
                        ("PARTY INVITES", 0.8, 1.3), ("SOFT TOY", 2.5, 5.0),
                        ("PARTY PLATES", 0.8, 1.7))),
    "stationery": (0.10, (("NOTEBOOK", 0.8, 2.5), ("PENCILS", 0.2, 0.9),
                          ("STICKER SHEET", 0.4, 0.9),
                          ("ERASER", 0.2, 0.4), ("PEN", 0.4, 0.9), ("MEMO PAD", 0.6, 1.7),
                          ("JOURNAL", 1.6, 5.0), ("POSTCARD", 0.2, 0.5), ("RULER", 0.3, 0.6),
                          ("PENCIL CASE", 1.2, 2.5))),
    "furniture": (0.02, (("CABINET", 19.0, 165.0), ("CHEST OF DRAWERS", 35.0, 295.0),
                         ("SHELF", 8.5, 39.0), ("DOLLS HOUSE", 12.7, 35.0),
                         ("SIDE TABLE", 25.0, 125.0),
                         ("BENCH", 35.0, 175.0))),
}  # fmt: skip

# Non-product codes, with the real-world descriptions.
_SPECIALS: tuple[tuple[str, str], ...] = (
    ("POST", "POSTAGE"),
    ("DOT", "DOTCOM POSTAGE"),
    ("M", "Manual"),
    ("C2", "CARRIAGE"),
    ("D", "Discount"),
    ("S", "SAMPLES"),
    ("BANK CHARGES", "Bank Charges"),
    ("AMAZONFEE", "AMAZON FEE"),
    ("CRUK", "CRUK Commission"),
    ("B", "Adjust bad debt"),
    ("gift_0001_10", "Dotcomgiftshop Gift Voucher £10.00"),
    ("gift_0001_20", "Dotcomgiftshop Gift Voucher £20.00"),
    ("gift_0001_30", "Dotcomgiftshop Gift Voucher £30.00"),
    ("gift_0001_40", "Dotcomgiftshop Gift Voucher £40.00"),
    ("gift_0001_50", "Dotcomgiftshop Gift Voucher £50.00"),
    ("PADS", "PADS TO MATCH ALL CUSHIONS"),
    ("DCGSSGIRL", "GIRLS PARTY BAG"),
    ("DCGSSBOY", "BOYS PARTY BAG"),
)
_N_PRODUCT_CODES = 3_700
_CODE_RANGES = ((20000, 24000), (84000, 86000), (10000, 90000))
_SMALL_PRICES = np.array([190, 210, 250, 290, 360, 390, 420, 550, 590, 650, 720, 790, 830, 850, 950])


def _snap_price(gbp: np.ndarray) -> np.ndarray:
    """Shop-like price points in mills (0.001 GBP): 0.42, 0.85, 1.25, 2.95, 12.75, 24.95 ..."""
    mills = np.asarray(gbp) * 1000
    small = _SMALL_PRICES[np.abs(mills[:, None] - _SMALL_PRICES[None, :]).argmin(axis=1)]
    cents = np.maximum(np.round(mills / 50) * 5, 100).astype(np.int64)
    cents = np.where(cents % 10 == 0, cents - 5, cents)
    return np.where(mills < 1000, small, cents * 10).astype(np.int64)


@dataclass(frozen=True)
class _Catalog:
    """Product and non-product items; prices in mills; popularity over products only."""

    codes: pa.Array
    descs: pa.Array  # last entry is null (empty description)
    price: np.ndarray
    price_bulk: np.ndarray
    price_guest: np.ndarray
    pop_cum: np.ndarray
    n_products: int
    special: dict[str, int]

    @property
    def null_desc(self) -> int:
        return len(self.descs) - 1


@lru_cache(maxsize=8)
def _catalog(seed: int) -> _Catalog:
    """Build the stock-code catalogue (independent of the number of lines)."""
    rng = np.random.default_rng([seed, _TAG_CATALOG])
    cats = list(_CATEGORIES)
    cat_p = np.array([_CATEGORIES[c][0] for c in cats])
    cat_p /= cat_p.sum()
    codes: list[str] = []
    descs: list[str] = []
    prices: list[float] = []
    seen: set[str] = set()
    used_bases: set[int] = set()
    while len(codes) < _N_PRODUCT_CODES:
        cat = cats[rng.choice(len(cats), p=cat_p)]
        noun, lo, hi = _CATEGORIES[cat][1][rng.integers(len(_CATEGORIES[cat][1]))]
        motifs = _XMAS_MOTIFS if cat == "christmas" else _MOTIFS
        motif = motifs[rng.integers(len(motifs))]
        adj = _ADJECTIVES[rng.integers(len(_ADJECTIVES))]
        n_var = 1 if rng.random() < 0.88 else int(rng.integers(2, 6))
        if n_var > 1:
            colours = rng.choice(len(_COLOURS), size=n_var, replace=False)
            names = [f"{adj} {motif} {noun} {_COLOURS[c]}" for c in colours]
        else:
            form = rng.integers(8)
            colour = _COLOURS[rng.integers(len(_COLOURS))]
            names = [
                (
                    f"{colour} {motif} {noun}",
                    f"{motif} {noun}",
                    f"{adj} {motif} {noun}",
                    f"SET OF {rng.choice([2, 3, 4, 6, 12])} {motif} {noun}",
                    f"{noun} {motif} DESIGN",
                    f"{adj} {noun} {colour}",
                    f"{motif} {noun}, {adj}",  # contains a comma (CSV quoting)
                    f'{adj} {noun} "{_SIGN_PHRASES[rng.integers(len(_SIGN_PHRASES))]}"',
                )[form]
            ]
            if form == 6 and rng.random() < 0.8 or form == 7 and rng.random() < 0.95:
                names = [f"{adj} {motif} {noun}"]
        if any(name in seen for name in names):
            continue
        while True:  # 5-digit base code, mostly 2xxxx and 84xxx-85xxx as in the real file
            lo_code, hi_code = _CODE_RANGES[rng.choice(3, p=[0.6, 0.25, 0.15])]
            base = int(rng.integers(lo_code, hi_code))
            if base not in used_bases:
                used_bases.add(base)
                break
        price = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        lower = rng.random() < 0.06
        for k, name in enumerate(names):
            seen.add(name)
            suffix = "" if n_var == 1 else (chr(ord("a") + k) if lower else chr(ord("A") + k))
            codes.append(f"{base}{suffix}")
            descs.append(name + (" " if rng.random() < 0.16 else ""))
            prices.append(price)
    codes, descs = codes[:_N_PRODUCT_CODES], descs[:_N_PRODUCT_CODES]
    price = _snap_price(np.array(prices[:_N_PRODUCT_CODES]))
    bulk = np.where(price >= 1000, _snap_price(price * 0.00085), price)
    guest = np.round(price * 1.65 / 10).astype(np.int64) * 10
    # Heavy-tailed (log-normal, capped) popularity: matches the real lines-per-code quantiles.
    weight = np.exp(1.5 * np.minimum(rng.standard_normal(_N_PRODUCT_CODES), 2.6))
    weight[price > 15_000] *= 0.2
    special = {code: _N_PRODUCT_CODES + k for k, (code, _) in enumerate(_SPECIALS)}
    n_sp = len(_SPECIALS)
    return _Catalog(
        codes=pa.array(codes + [c for c, _ in _SPECIALS], pa.string()),
        descs=pa.array(descs + [d for _, d in _SPECIALS] + [None], pa.string()),
        price=np.concatenate([price, np.zeros(n_sp, np.int64)]),
        price_bulk=np.concatenate([bulk, np.zeros(n_sp, np.int64)]),
        price_guest=np.concatenate([guest, np.zeros(n_sp, np.int64)]),
        pop_cum=np.cumsum(weight / weight.sum()),
        n_products=_N_PRODUCT_CODES,
        special=special,
    )


# =============================================================================================
# Transactions: countries, customers, calendar
# =============================================================================================

# Non-UK countries: (name, customer weight, activity multiplier); shape of the real files.
_COUNTRIES: tuple[tuple[str, float, float], ...] = (
    ("Germany", 95, 1.0), ("France", 87, 1.0), ("Spain", 31, 0.9), ("Belgium", 25, 0.9),
    ("Switzerland", 21, 1.0), ("Portugal", 19, 0.8), ("Italy", 15, 0.6), ("Finland", 12, 0.6),
    ("Austria", 11, 0.4), ("Norway", 10, 1.0), ("Netherlands", 9, 2.0), ("Australia", 9, 1.5),
    ("Channel Islands", 9, 0.9), ("Denmark", 9, 0.5), ("Cyprus", 8, 0.8), ("Sweden", 8, 0.5),
    ("Japan", 8, 0.6), ("Poland", 6, 0.6), ("Israel", 4, 0.8), ("USA", 4, 0.7), ("Canada", 4, 0.4),
    ("Greece", 4, 0.4), ("Unspecified", 4, 0.5), ("EIRE", 3, 6.0), ("Malta", 2, 0.6),
    ("United Arab Emirates", 2, 0.4), ("Bahrain", 2, 0.2), ("Iceland", 1, 1.5),
    ("Lithuania", 1, 0.4), ("Lebanon", 1, 0.5), ("Brazil", 1, 0.4), ("Czech Republic", 1, 0.3),
    ("RSA", 1, 0.6), ("Saudi Arabia", 1, 0.1), ("Singapore", 1, 2.0),
    ("European Community", 1, 0.6), ("Hong Kong", 0.5, 1.0),
)  # fmt: skip
_UK = "United Kingdom"
_UK_CUSTOMER_WEIGHT = 3950.0  # against ~420 for all the others together (full file)


@dataclass(frozen=True)
class _Customers:
    """Customer pool: ids, country, activity window in line-fraction space, habits."""

    ids: np.ndarray
    country: np.ndarray
    cum_weight: np.ndarray
    start: np.ndarray
    end: np.ndarray
    size_shift: np.ndarray
    qty_shift: np.ndarray
    country_names: pa.Array
    guest_country_cum: np.ndarray
    uk: int  # index of United Kingdom in country_names, -1 if absent


# Distinct customers seen ~ pool * this factor for the default activity spread; keeps N/100.
_POOL_FACTOR = 1.85


def _customers(n_lines: int, seed: int, include_uk: bool) -> _Customers:
    """Draw the customer pool: ~n_lines/100 customers end up with at least one line."""
    rng = np.random.default_rng([seed, _TAG_CUSTOMERS])
    n = max(3, round(n_lines / 100 * _POOL_FACTOR))
    names = [c for c, _, _ in _COUNTRIES]
    w = np.array([c[1] for c in _COUNTRIES], dtype=float)
    act = np.array([c[2] for c in _COUNTRIES])
    if include_uk:
        names.append(_UK)
        w = np.append(w, _UK_CUSTOMER_WEIGHT)
        act = np.append(act, 1.0)
    country = rng.choice(len(names), size=n, p=w / w.sum())
    ids = 12346 + np.sort(rng.choice(int(n * 1.36) + 1, size=n, replace=False))
    activity = rng.lognormal(0.0, 1.1, n) * act[country]
    start = np.maximum(rng.uniform(-0.45, 1.0, n), 0.0)
    end = np.minimum(start + rng.uniform(0.08, 1.6, n), 1.0)
    size_shift = rng.normal(0.0, 0.45, n)
    qty_shift = np.where(rng.random(n) < 0.2, rng.integers(1, 7, n), 0) + (act[country] > 2.5) * 2
    if include_uk:
        guest_w = np.zeros(len(names))
        guest_w[-1] = 0.985
        guest_w[:-1] = 0.015 * w[:-1] / w[:-1].sum()
    else:
        guest_w = w * act
    return _Customers(
        ids=ids,
        country=country,
        cum_weight=np.cumsum(activity) / activity.sum(),
        start=start,
        end=end,
        size_shift=size_shift,
        qty_shift=qty_shift.astype(np.int64),
        country_names=pa.array(names, pa.string()),
        guest_country_cum=np.cumsum(guest_w) / guest_w.sum(),
        uk=len(names) - 1 if include_uk else -1,
    )


_FIRST_DAY = date(2010, 12, 1)
_LAST_DAY = date(2011, 12, 9)
_FIRST_INVOICE = 536_365
# Lines per month (Dec 2010 .. Dec 2011) and invoices per weekday (Mon..Sun) and hour (6..20).
_MONTH_LINES = (42481, 35147, 27707, 36748, 29916, 37030, 36874, 39518, 35284, 50226, 60742,
                84711, 25525)  # fmt: skip
_WEEKDAY_W = (4138, 4722, 4815, 5660, 4184, 0, 2381)
_HOUR_W = (22, 31, 624, 1824, 2961, 3165, 3962, 3369, 3137, 3069, 1952, 1205, 333, 219, 28)
_FIRST_MINUTE = 6 * 60


@dataclass(frozen=True)
class _Calendar:
    """Maps a line fraction u in [0, 1) monotonically to (day index, minute of day)."""

    days: tuple[date, ...]
    day_cum: np.ndarray
    day_w: np.ndarray
    minute_cum: np.ndarray

    def locate(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = np.minimum(np.searchsorted(self.day_cum, u, side="right"), len(self.days) - 1)
        prev = np.where(d > 0, self.day_cum[np.maximum(d - 1, 0)], 0.0)
        r = np.clip((u - prev) / self.day_w[d], 0.0, 1.0 - 1e-12)
        m = np.minimum(np.searchsorted(self.minute_cum, r, side="right"), len(self.minute_cum) - 1)
        return d, m + _FIRST_MINUTE


@lru_cache(maxsize=1)
def _calendar() -> _Calendar:
    n_days = (_LAST_DAY - _FIRST_DAY).days + 1
    days = tuple(_FIRST_DAY + timedelta(days=k) for k in range(n_days))
    month_days: dict[tuple[int, int], int] = {}
    for d in days:
        month_days[(d.year, d.month)] = month_days.get((d.year, d.month), 0) + 1
    months = sorted(month_days)
    w = np.array(
        [
            _MONTH_LINES[months.index((d.year, d.month))]
            / month_days[(d.year, d.month)]
            * _WEEKDAY_W[d.weekday()]
            * (0.0 if date(2010, 12, 23) <= d <= date(2011, 1, 3) else 1.0)
            for d in days
        ]
    )
    w /= w.sum()
    minute_w = np.repeat(np.asarray(_HOUR_W, dtype=float), 60)
    return _Calendar(
        days=days,
        day_cum=np.cumsum(w),
        day_w=np.where(w > 0, w, 1.0),
        minute_cum=np.cumsum(minute_w) / minute_w.sum(),
    )


@lru_cache(maxsize=2)
def _date_tables(date_style: DateStyle) -> tuple[pa.Array, pa.Array]:
    """Per-day date prefixes and per-(layout, minute) time parts, before the 10/11 quirk."""
    days = _calendar().days
    minutes = range(24 * 60)
    if date_style == "iso":
        prefix = [d.strftime("%Y-%m-%d ") for d in days]
        times = [f"{m // 60:02d}:{m % 60:02d}:00" for m in minutes]
        return pa.array(prefix, pa.string()), pa.array(times, pa.string())
    prefix = []
    for d in days:
        if d.day >= 13:
            prefix.append(f"{d.month}/{d.day}/{d.year % 100:02d} ")
        elif d.day in (10, 11):
            prefix.append(f"{d.month:02d}-{d.day:02d}-{d.year}  ")
        else:
            prefix.append(f"{d.month:02d}-{d.day:02d}-{d.year} ")
    times = [f"{m // 60:02d}:{m % 60:02d}" for m in minutes]  # dash
    times += [f"{m // 60:02d}:{m % 60:02d}:00" for m in minutes]  # two spaces, seconds
    times += [f"{m // 60}:{m % 60:02d}" for m in minutes]  # slash, unpadded hour
    return pa.array(prefix, pa.string()), pa.array(times, pa.string())


def _format_dates(day: np.ndarray, minute: np.ndarray, date_style: DateStyle) -> pa.Array:
    """Invoice timestamps as text; ``mixed`` applies the real file's 10->22, 11->23 shift."""
    prefix, times = _date_tables(date_style)
    if date_style == "mixed":
        dom = np.array([d.day for d in _calendar().days])[day]
        layout = np.where(dom >= 13, 2, np.where((dom == 10) | (dom == 11), 1, 0))
        minute = layout * 1440 + minute
    s = pc.binary_join_element_wise(prefix.take(day), times.take(minute), "")
    if date_style == "mixed":
        s = pc.replace_substring(pc.replace_substring(s, "10", "22"), "11", "23")
    return s


@lru_cache(maxsize=2)
def _price_fractions(date_style: DateStyle) -> pa.Array:
    """Decimal part per number of mills 0..999: ``.55``, ``.5``, ``.001``; 0 is ``.0`` or ``""``."""
    frac = [f"{k / 1000:.3f}"[1:].rstrip("0") for k in range(1000)]
    frac[0] = ".0" if date_style == "iso" else ""
    return pa.array(frac, pa.string())


def _format_prices(mills: np.ndarray, date_style: DateStyle) -> pa.Array:
    """Prices like the real files: iso ``40.0``/``2.55``/``0.001``; mixed ``40``/``2.5``."""
    a = np.abs(mills)
    sign = pa.array(np.where(mills < 0, "-", ""), pa.string())
    ints = pa.array(a // 1000).cast(pa.string())
    return pc.binary_join_element_wise(sign, ints, _price_fractions(date_style).take(a % 1000), "")


# =============================================================================================
# Transactions: block generator
# =============================================================================================

_BLOCK_LINES = 1 << 16
_MIN_LINES_FOR_DIRT = 1_000
# Pack-size quantities and their weights (shape of the real positive quantities).
_QTY = np.array([1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 25, 32, 36, 48, 50, 60, 72, 96, 100,
                 120, 144, 200, 240, 288, 400, 480, 576, 600, 720, 1000, 1440, 2400])  # fmt: skip
_QTY_W = np.array([148, 82, 37, 38, 12, 41, 13, 22, 61, 4.3, 5, 24, 5.1, 1.5, 3.8, 6, 1.2, 0.9,
                   1.9, 1.8, 1.8, 0.6, 0.9, 0.5, 0.3, 0.3, 0.2, 0.2, 0.15, 0.1, 0.08, 0.05,
                   0.02, 0.01])  # fmt: skip
_QTY_CUM = np.cumsum(_QTY_W) / _QTY_W.sum()
# Per-line rates of the rarer dirt (events per line) and the minimum count in the first block.
_RATES: dict[str, tuple[float, int]] = {
    "adjust_neg": (2.5e-3, 2),
    "adjust_pos": (1.1e-3, 1),
    "free_gift": (7e-5, 1),
    "M": (8e-4, 1),
    "M_cancel": (2.5e-4, 1),
    "C2": (2.7e-4, 1),
    "D": (1.4e-4, 1),
    "S": (1.2e-4, 1),
    "BANK CHARGES": (4e-5, 1),
    "BANK CHARGES_plus": (2e-5, 1),
    "AMAZONFEE": (6e-5, 1),
    "CRUK": (3e-5, 1),
    "B": (3e-6, 1),
    "gift": (5.5e-5, 2),
    "PADS": (7e-6, 1),
    "DCGSS": (4.4e-5, 1),
}
_N_BAD_LINES = 6


@dataclass
class _Lines:
    """Column arrays of one block's lines before formatting."""

    inv: np.ndarray  # invoice index within the block
    item: np.ndarray
    qty: np.ndarray
    price: np.ndarray  # mills
    null_desc: np.ndarray
    pos: np.ndarray  # order inside the invoice
    plain: np.ndarray  # ordinary product line of a purchase (eligible for corruption)

    @classmethod
    def concat(cls, parts: Sequence[_Lines]) -> _Lines:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__annotations__))

    def take(self, idx: np.ndarray) -> _Lines:
        return _Lines(*(getattr(self, f)[idx] for f in self.__annotations__))


class _TxGenerator:
    """Generates the transaction lines block by block (each block its own RNG stream)."""

    def __init__(
        self,
        n_lines: int,
        seed: int,
        date_style: DateStyle,
        missing_customer_share: float,
        duplicate_share: float,
        cancellation_share: float,
        include_uk: bool,
        inject_bad_rows: bool,
    ) -> None:
        self.n_lines = n_lines
        self.seed = seed
        self.date_style = date_style
        self.dup_share = duplicate_share
        self.canc_share = cancellation_share
        self.inject = inject_bad_rows
        self.cat = _catalog(seed)
        self.cust = _customers(n_lines, seed, include_uk)
        self.cal = _calendar()
        self.guest_size_shift = 0.9
        s = missing_customer_share
        ratio = float(np.exp(self.guest_size_shift - 0.45**2 / 2))  # guest baskets are larger
        self.guest_p = s / (s + (1 - s) * ratio) if 0 < s < 1 else float(s)
        self.next_invoice = _FIRST_INVOICE

    # -- helpers ---------------------------------------------------------------------------
    def _pick_customers(self, rng: np.random.Generator, u: np.ndarray) -> np.ndarray:
        """Activity-weighted customers, preferably active at time u."""
        c = self.cust
        pick = np.searchsorted(c.cum_weight, rng.random(len(u)), side="right")
        pick = np.minimum(pick, len(c.ids) - 1)
        for _ in range(6):
            bad = (c.start[pick] > u) | (c.end[pick] < u)
            if not bad.any():
                break
            new = np.searchsorted(c.cum_weight, rng.random(int(bad.sum())), side="right")
            pick[bad] = np.minimum(new, len(c.ids) - 1)
        return pick

    def _guest_country(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.searchsorted(self.cust.guest_country_cum, rng.random(n), side="right")

    def _items(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.minimum(
            np.searchsorted(self.cat.pop_cum, rng.random(n), side="right"), self.cat.n_products - 1
        )

    def _distinct_items(self, rng: np.random.Generator, inv: np.ndarray) -> np.ndarray:
        """Popularity-weighted items, redrawn where an invoice would repeat an item."""
        item = self._items(rng, len(inv))
        rows = np.arange(len(inv))  # lines still to check (inv is sorted)
        for _ in range(4):
            key = inv[rows] * self.cat.n_products + item[rows]
            _, first = np.unique(key, return_index=True)
            again = np.ones(len(rows), bool)
            again[first] = False
            if not again.any():
                break
            item[rows[again]] = self._items(rng, int(again.sum()))
            rows = rows[np.isin(inv[rows], inv[rows[again]])]
        return item

    def _quantities(self, rng: np.random.Generator, shift: np.ndarray, item: np.ndarray):
        k = np.searchsorted(_QTY_CUM, rng.random(len(item)), side="right")
        price = self.cat.price[item]
        k = k + shift + 2 * (price < 500) - 2 * (price >= 8000)
        return _QTY[np.clip(k, 0, len(_QTY) - 1)]

    # -- one block -------------------------------------------------------------------------
    def block(self, b: int) -> pa.Table:
        """Generate block ``b`` (lines [b*B, min((b+1)*B, n))) as a string table."""
        rng = np.random.default_rng([self.seed, _TAG_BLOCK, b])
        n_total = self.n_lines
        lo, hi = b * _BLOCK_LINES, min((b + 1) * _BLOCK_LINES, n_total)
        size = hi - lo
        f0, f1 = lo / n_total, hi / n_total
        dirt = size >= min(_MIN_LINES_FOR_DIRT, n_total) and n_total >= _MIN_LINES_FOR_DIRT
        first = b == 0 and dirt
        counts = {
            k: (max(int(rng.poisson(rate * size)), m if first else 0) if dirt else 0)
            for k, (rate, m) in _RATES.items()
        }
        n_bad = _N_BAD_LINES if (first and self.inject) else 0
        n_dup = max(int(rng.binomial(size, self.dup_share)), int(first)) if dirt else 0
        n_canc = max(int(rng.binomial(size, self.canc_share)), 2 * int(first)) if dirt else 0
        n_single = sum(counts[k] for k in ("adjust_neg", "adjust_pos", "gift", "D", "S", "CRUK"))
        n_single += sum(counts[k] for k in ("BANK CHARGES", "AMAZONFEE", "M_cancel"))
        n_single += 2 * counts["B"]
        n_normal = size - n_single - n_dup - n_canc
        if n_normal < size // 2:  # tiny blocks: no special lines at all
            counts = dict.fromkeys(counts, 0)
            n_dup = n_canc = n_single = 0
            n_normal = size

        inv_u, inv_cust, inv_country, inv_kind = [], [], [], []
        parts: list[_Lines] = []

        # Ordinary purchase invoices ------------------------------------------------------
        u, cust, sizes = self._draw_purchases(rng, n_normal, f0, f1)
        k_norm = len(u)
        guest = cust < 0
        country = np.where(guest, 0, self.cust.country[np.maximum(cust, 0)])
        country[guest] = self._guest_country(rng, int(guest.sum()))
        inv_u.append(u), inv_cust.append(cust), inv_country.append(country)
        inv_kind.append(np.zeros(k_norm, np.int8))
        starts = np.cumsum(sizes) - sizes
        inv = np.repeat(np.arange(k_norm), sizes)
        pos = np.arange(n_normal) - np.repeat(starts, sizes)
        item = self._distinct_items(rng, inv)
        shift = np.where(guest, 0, self.cust.qty_shift[np.maximum(cust, 0)])[inv]
        qty = self._quantities(rng, shift, item)
        price = np.where(qty >= 24, self.cat.price_bulk[item], self.cat.price[item])
        price = np.where(guest[inv], self.cat.price_guest[item], price)
        plain = np.ones(n_normal, bool)
        # Postage: POST closes most non-UK invoices, DOT many UK guest orders.
        last = starts + sizes - 1
        non_uk = (country != self.cust.uk) & (sizes >= 2)
        post = non_uk & (rng.random(k_norm) < 0.65)
        dot = ~non_uk & guest & (sizes >= 2) & (rng.random(k_norm) < 0.6)
        for mask, code in ((post, "POST"), (dot, "DOT")):
            at = last[mask]
            item[at] = self.cat.special[code]
            plain[at] = False
            if code == "POST":
                qty[at] = rng.choice([1, 2, 3, 4, 5, 6], size=len(at), p=[0.4, 0.3, 0.15, 0.08, 0.04, 0.03])
                price[at] = rng.choice([18, 15, 40, 28, 20], size=len(at), p=[0.6, 0.12, 0.12, 0.1, 0.06])
                price[at] *= 1000
            else:
                qty[at] = 1
                price[at] = np.round(rng.lognormal(np.log(12), 0.9, len(at)) * 100) * 10
        null_desc = np.zeros(n_normal, bool)
        # In-invoice special lines replace ordinary ones.
        free = np.flatnonzero(plain)
        rng.shuffle(free)
        taken = 0

        def replace(n: int, code: str | None, q, p, prefer_guest: bool = False) -> np.ndarray:
            nonlocal taken, free
            if n == 0:
                return np.empty(0, np.int64)
            if prefer_guest:
                g = free[taken:][guest[inv[free[taken:]]]][:n]
                rest = np.setdiff1d(free[taken:], g, assume_unique=True)
                free = np.concatenate([free[:taken], g, rest])
            at = free[taken : taken + n]
            taken += len(at)
            if code is not None:
                item[at] = self.cat.special[code]
            qty[at] = q(len(at)) if callable(q) else q
            price[at] = p(len(at)) if callable(p) else p
            plain[at] = False
            return at

        def manual_price(n: int) -> np.ndarray:
            return _snap_price(rng.lognormal(np.log(1.3), 1.3, n))

        replace(counts["M"], "M", 1, manual_price)
        replace(counts["C2"], "C2", 1, 50_000)
        replace(counts["BANK CHARGES_plus"], "BANK CHARGES", 1, 15_000)
        replace(counts["PADS"], "PADS", 1, 1)
        girl = rng.random(counts["DCGSS"]) < 0.55
        at = replace(counts["DCGSS"], None, 1, 3_290, prefer_guest=True)
        item[at] = np.where(girl[: len(at)], self.cat.special["DCGSSGIRL"], self.cat.special["DCGSSBOY"])
        gifts = free[taken:][~guest[inv[free[taken:]]]][: counts["free_gift"]]
        price[gifts], plain[gifts] = 0, False  # free gift with a customer, price 0
        parts.append(_Lines(inv, item, qty, price, null_desc, pos.astype(float), plain))

        # Cancellations of earlier purchases (same customer, item, price) ------------------
        inv_base = k_norm
        if n_canc:
            c_inv, c_lines = self._cancellations(rng, parts[0], sizes, starts, cust, n_canc)
            k_c = len(c_inv)
            later = c_inv + (rng.random(k_c) * (k_norm - c_inv)).astype(np.int64)
            inv_u.append(u[np.minimum(later, k_norm - 1)])
            inv_cust.append(cust[c_inv]), inv_country.append(country[c_inv])
            inv_kind.append(np.ones(k_c, np.int8))
            c_lines.inv += inv_base
            parts.append(c_lines)
            inv_base += k_c

        # Single-line invoices: adjustments, vouchers, bad debt, fees, discounts ----------
        singles: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, bool]] = []

        def single(item_, qty_, price_, with_customer, kind=2, null=False) -> None:
            singles.append(
                (
                    np.asarray(item_),
                    np.asarray(qty_),
                    np.asarray(price_),
                    np.asarray(with_customer),
                    kind,
                    null,
                )
            )

        for key, sign in (("adjust_neg", -1), ("adjust_pos", 1)):
            n = counts[key]
            it = self._items(rng, n)
            qty_adj = sign * _QTY[rng.integers(0, 12, n)]
            single(it, qty_adj, np.zeros(n, np.int64), np.zeros(n, bool), kind=0, null=True)
        n = counts["gift"]
        face = np.array([10, 20, 30, 40, 50])
        which = rng.choice(5, size=n, p=[0.25, 0.35, 0.15, 0.15, 0.1])
        if first:
            which[:2] = [0, 1]
        single(
            self.cat.special["gift_0001_10"] + which,
            np.ones(n, np.int64),
            np.round(face[which] * rng.uniform(0.83, 0.86, n) * 100).astype(np.int64) * 10,
            np.zeros(n, bool),
            kind=0,
        )
        for key, cust_p, lo_p, hi_p in (
            ("D", 1.0, 5.0, 300.0),
            ("S", 0.5, 1.0, 500.0),
            ("CRUK", 1.0, 1.0, 1000.0),
            ("BANK CHARGES", 1.0, 15.0, 15.0),
            ("AMAZONFEE", 0.0, 1000.0, 17000.0),
        ):
            n = counts[key]
            p = np.round(np.exp(rng.uniform(np.log(lo_p), np.log(hi_p), n)) * 100) * 10
            single(
                np.full(n, self.cat.special[key]),
                -np.ones(n, np.int64),
                p.astype(np.int64),
                rng.random(n) < cust_p,
                kind=1,
            )
        n = counts["M_cancel"]
        single(
            np.full(n, self.cat.special["M"]),
            -np.ones(n, np.int64),
            manual_price(n),
            np.ones(n, bool),
            kind=1,
        )
        n = counts["B"]
        debt = np.round(rng.lognormal(np.log(2000), 1.2, n) * 100).astype(np.int64) * 10
        single(
            np.full(2 * n, self.cat.special["B"]),
            np.ones(2 * n, np.int64),
            np.concatenate([debt, -debt]),
            np.zeros(2 * n, bool),
            kind=3,
        )

        for it, q, p, with_c, kind, null in singles:
            n = len(it)
            if n == 0:
                continue
            su = rng.uniform(f0, f1, n)
            if kind == 3:  # bad-debt pair: same minute, + then -
                su = np.concatenate([su[: n // 2], su[: n // 2]])
            sc = np.where(with_c, self._pick_customers(rng, su), -1)
            scountry = np.where(sc >= 0, self.cust.country[np.maximum(sc, 0)], 0)
            scountry[sc < 0] = self._guest_country(rng, int((sc < 0).sum()))
            inv_u.append(su), inv_cust.append(sc), inv_country.append(scountry)
            inv_kind.append(np.full(n, kind, np.int8))
            parts.append(
                _Lines(
                    inv_base + np.arange(n),
                    it,
                    q.astype(np.int64),
                    p.astype(np.int64),
                    np.full(n, null),
                    np.zeros(n),
                    np.zeros(n, bool),
                )
            )
            inv_base += n

        lines = _Lines.concat(parts)
        # Exact duplicates: copies of ordinary or cancelled lines, placed in the same invoice.
        if n_dup:
            cand = np.flatnonzero(lines.inv < k_norm) if not n_canc else np.arange(len(lines.inv))
            cand = cand[lines.item[cand] < self.cat.n_products]
            src = rng.choice(cand, size=n_dup, replace=len(cand) < n_dup)
            dup = lines.take(src)
            inv_sizes = np.bincount(lines.inv, minlength=inv_base)
            dup.pos = np.floor(rng.random(n_dup) * inv_sizes[dup.inv]) + 0.5
            dup.plain[:] = False
            lines.plain[src] = False
            lines = _Lines.concat([lines, dup])
        assert len(lines.inv) == size, (len(lines.inv), size)

        # Order invoices by time, number them, order lines by (invoice, position).
        iu = np.concatenate(inv_u)
        ikind = np.concatenate(inv_kind)
        order = np.lexsort((np.arange(len(iu)), ikind, iu))
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        gaps = rng.geometric(0.6, len(iu))
        numbers_sorted = self.next_invoice + np.cumsum(gaps) - gaps[0]
        self.next_invoice = int(numbers_sorted[-1]) + int(rng.geometric(0.6))
        numbers = numbers_sorted[rank]
        line_order = np.lexsort((lines.pos, rank[lines.inv]))
        lines = lines.take(line_order)
        table = self._format(lines, iu, np.concatenate(inv_cust), np.concatenate(inv_country), ikind, numbers)
        if n_bad:
            table = self._corrupt(rng, table, np.flatnonzero(lines.plain))
        return table

    def _draw_purchases(self, rng: np.random.Generator, n_lines: int, f0: float, f1: float):
        """Purchase invoices (sorted by time) whose sizes sum to exactly ``n_lines``."""
        us, cs, ss = [], [], []
        total = 0
        while total < n_lines:
            m = max(32, (n_lines - total) // 16)
            u = rng.uniform(f0, f1, m)
            guest = rng.random(m) < self.guest_p
            cust = np.where(guest, -1, self._pick_customers(rng, u))
            shift = self.cust.size_shift[np.maximum(cust, 0)]
            shift = np.where(guest, self.guest_size_shift, shift)
            s = 1 + np.floor(np.exp(2.45 + shift + 1.15 * rng.standard_normal(m)))
            s = np.minimum(s, 1_100).astype(np.int64)
            us.append(u), cs.append(cust), ss.append(s)
            total += int(s.sum())
        u, cust, sizes = np.concatenate(us), np.concatenate(cs), np.concatenate(ss)
        cum = np.cumsum(sizes)
        k = int(np.searchsorted(cum, n_lines))  # invoice k holds the last line
        u, cust, sizes = u[: k + 1], cust[: k + 1], sizes[: k + 1].copy()
        sizes[k] -= int(cum[k]) - n_lines
        order = np.argsort(u, kind="stable")
        return u[order], cust[order], sizes[order]

    def _cancellations(self, rng, purchases: _Lines, sizes, starts, cust, n_lines: int):
        """C invoices cancelling consecutive lines of earlier purchases; exactly ``n_lines``."""
        eligible = np.flatnonzero(cust >= 0)
        if len(eligible) == 0:  # no customers at all: cancel guest purchases instead
            eligible = np.arange(len(sizes))
        srcs, lens = [], []
        total = 0
        while total < n_lines:
            m = max(8, (n_lines - total) // 2)
            src = eligible[rng.integers(0, len(eligible), m)]
            ln = np.minimum(rng.geometric(0.5, m), sizes[src])
            srcs.append(src), lens.append(ln)
            total += int(ln.sum())
        src, ln = np.concatenate(srcs), np.concatenate(lens)
        cum = np.cumsum(ln)
        k = int(np.searchsorted(cum, n_lines))
        src, ln = src[: k + 1], ln[: k + 1].copy()
        ln[k] -= int(cum[k]) - n_lines
        offset = (rng.random(len(src)) * sizes[src]).astype(np.int64)
        c_inv = np.repeat(np.arange(len(src)), ln)
        j = np.arange(int(ln.sum())) - np.repeat(np.cumsum(ln) - ln, ln)
        line = starts[src][c_inv] + (offset[c_inv] + j) % sizes[src][c_inv]
        orig = purchases.take(line)
        full = rng.random(len(line)) < 0.7
        part = 1 + (rng.random(len(line)) * np.maximum(orig.qty, 1)).astype(np.int64)
        qty = -np.where(full, orig.qty, np.minimum(part, orig.qty))
        lines = _Lines(
            c_inv, orig.item, qty, orig.price, orig.null_desc, j.astype(float), np.zeros(len(line), bool)
        )
        return src, lines

    def _format(self, lines: _Lines, iu, icust, icountry, ikind, numbers) -> pa.Table:
        """Turn the numeric arrays into the 8 string columns."""
        day, minute = self.cal.locate(iu)
        prefix = pa.array(np.array(["", "C", "", "A"])[ikind], pa.string())
        inv_no = pc.binary_join_element_wise(prefix, pa.array(numbers).cast(pa.string()), "")
        inv_date = _format_dates(day, minute, self.date_style)
        cust_id = pa.array(self.cust.ids[np.maximum(icust, 0)], mask=icust < 0).cast(pa.string())
        country = self.cust.country_names.take(icountry)
        li = pa.array(lines.inv)
        desc_idx = np.where(lines.null_desc, self.cat.null_desc, lines.item)
        cols = [
            inv_no.take(li),
            self.cat.codes.take(lines.item),
            self.cat.descs.take(desc_idx),
            pa.array(lines.qty).cast(pa.string()),
            inv_date.take(li),
            _format_prices(lines.price, self.date_style),
            cust_id.take(li),
            country.take(li),
        ]
        return pa.table(cols, names=list(TRANSACTION_COLUMNS))

    def _corrupt(self, rng, table: pa.Table, plain: np.ndarray) -> pa.Table:
        """Replace 6 ordinary lines by structurally bad ones (see module docstring)."""
        rows = np.sort(rng.choice(plain, size=_N_BAD_LINES, replace=False))
        bad_date = "02-30-2023 22:15" if self.date_style == "mixed" else "2011-02-30 10:15:00"
        edits = [
            ("Quantity", "12x"),
            ("InvoiceDate", bad_date),
            ("InvoiceDate", "??"),
            ("UnitPrice", "N/A"),
            ("UnitPrice", "1.95.0"),
            ("InvoiceNo", None),
        ]
        order = rng.permutation(_N_BAD_LINES)
        columns = {name: table.column(name) for name in TRANSACTION_COLUMNS}
        for name in {e[0] for e in edits}:
            values = columns[name].to_numpy(zero_copy_only=False).astype(object)
            for k, (col, value) in enumerate(edits):
                if col == name:
                    values[rows[order[k]]] = value
            columns[name] = pa.array(values, pa.string())
        return pa.table(list(columns.values()), names=list(TRANSACTION_COLUMNS))


def _profile_defaults(
    date_style: DateStyle,
    include_uk: bool | None,
    missing: float | None,
    duplicate: float | None,
    cancellation: float,
) -> tuple[bool, float, float]:
    """Resolve the profile defaults (full file with iso, international file with mixed)."""
    uk = (date_style == "iso") if include_uk is None else include_uk
    miss = (0.25 if uk else 0.04) if missing is None else float(missing)
    dup = (0.01 if uk else 0.0025) if duplicate is None else float(duplicate)
    if not (0 <= miss <= 1 and 0 <= dup <= 0.2 and 0 <= cancellation <= 0.2):
        raise ValueError("missing share must be in [0, 1], duplicate/cancellation in [0, 0.2]")
    return uk, miss, dup


def iter_transaction_chunks(
    n_lines: int,
    seed: int = 42,
    date_style: DateStyle = "iso",
    missing_customer_share: float | None = None,
    inject_bad_rows: bool = True,
    chunk_size: int = 500_000,
    *,
    duplicate_share: float | None = None,
    cancellation_share: float = 0.017,
    include_uk: bool | None = None,
) -> Iterator[pa.Table]:
    """Yield the ``n_lines`` transaction lines as pyarrow Tables of ``chunk_size`` rows.

    All 8 columns are strings (null = empty field). ``include_uk`` defaults to True for
    ``iso`` (full-file profile) and False for ``mixed`` (international-file profile);
    ``missing_customer_share`` and ``duplicate_share`` default to that profile's real shares.
    Content is independent of ``chunk_size``.
    """
    if date_style not in ("iso", "mixed"):
        raise ValueError(f"date_style must be 'iso' or 'mixed', not {date_style!r}")
    if n_lines < 0 or chunk_size < 1:
        raise ValueError("n_lines must be >= 0 and chunk_size >= 1")
    uk, miss, dup = _profile_defaults(
        date_style, include_uk, missing_customer_share, duplicate_share, cancellation_share
    )
    gen = _TxGenerator(n_lines, seed, date_style, miss, dup, cancellation_share, uk, inject_bad_rows)
    pending: list[pa.Table] = []
    n_pending = 0
    for b in range((n_lines + _BLOCK_LINES - 1) // _BLOCK_LINES):
        t = gen.block(b)
        pending.append(t)
        n_pending += len(t)
        while n_pending >= chunk_size:
            whole = pa.concat_tables(pending)
            yield whole.slice(0, chunk_size).combine_chunks()
            rest = whole.slice(chunk_size)
            pending, n_pending = [rest], len(rest)
    if n_pending:
        yield pa.concat_tables(pending).combine_chunks()


def write_transactions(
    path: str | Path,
    n_lines: int,
    seed: int = 42,
    date_style: DateStyle = "iso",
    missing_customer_share: float | None = None,
    inject_bad_rows: bool = True,
    chunk_size: int = 500_000,
    *,
    duplicate_share: float | None = None,
    cancellation_share: float = 0.017,
    include_uk: bool | None = None,
) -> int:
    """Stream transaction lines to ``.csv``, ``.csv.gz`` or ``.parquet``; return lines written."""
    chunks = iter_transaction_chunks(
        n_lines,
        seed=seed,
        date_style=date_style,
        missing_customer_share=missing_customer_share,
        inject_bad_rows=inject_bad_rows,
        chunk_size=chunk_size,
        duplicate_share=duplicate_share,
        cancellation_share=cancellation_share,
        include_uk=include_uk,
    )
    return _write_tables(path, TRANSACTION_COLUMNS, chunks)


# =============================================================================================
# Writers
# =============================================================================================


def _empty_to_null(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    col = pc.cast(col, pa.string())
    return pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)


def _csv_bytes(table: pa.Table) -> memoryview:
    """Render a string table as CSV lines (``\\n``), quoting only values that need it."""
    cols = []
    for col in table.columns:
        col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        col = col.fill_null("")
        needs = pc.match_substring_regex(col, r'[",\r\n]')
        if pc.any(needs).as_py():
            quoted = pc.binary_join_element_wise('"', pc.replace_substring(col, '"', '""'), '"', "")
            col = pc.if_else(needs, quoted, col)
        cols.append(col)
    lines = pc.binary_join_element_wise(*cols, ",")
    lines = pc.binary_join_element_wise(lines, "\n", "")
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    # The values buffer of the joined lines is exactly the CSV text: no copy.
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    start, end = int(offsets[lines.offset]), int(offsets[lines.offset + len(lines)])
    return memoryview(lines.buffers()[2].slice(start, end - start))


def _write_tables(path: str | Path, columns: Sequence[str], tables: Iterator[pa.Table]) -> int:
    """Write string tables to ``path``; the format is chosen by the extension."""
    path = Path(path)
    name = path.name.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    if name.endswith(".parquet"):
        schema = pa.schema([(c, pa.string()) for c in columns])
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            for t in tables:
                writer.write_table(t.cast(schema))
                n += len(t)
        return n
    if not (name.endswith(".csv") or name.endswith(".csv.gz")):
        raise ValueError(f"unsupported output extension: {path.name} (.csv, .csv.gz, .parquet)")
    header = (",".join(columns) + "\n").encode()
    with open(path, "wb") as raw:
        if not name.endswith(".gz"):
            raw.write(header)
            for t in tables:
                raw.write(_csv_bytes(t))
                n += len(t)
            return n
        # No file name and mtime 0 in the gzip header: same arguments, same bytes.
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            return _write_threaded(gz, header, tables)


def _write_threaded(out: BinaryIO, header: bytes, tables: Iterator[pa.Table]) -> int:
    """Write CSV chunks through a thread (zlib releases the GIL) while the next is generated."""
    q: queue.Queue[bytes | memoryview | None] = queue.Queue(maxsize=2)
    errors: list[BaseException] = []

    def drain() -> None:
        while (data := q.get()) is not None:
            if not errors:
                try:
                    out.write(data)
                except BaseException as exc:  # surfaced in the caller below
                    errors.append(exc)

    worker = threading.Thread(target=drain, daemon=True)
    worker.start()
    n = 0
    try:
        q.put(header)
        for t in tables:
            if errors:
                break
            q.put(_csv_bytes(t))
            n += len(t)
    finally:
        q.put(None)
        worker.join()
    if errors:
        raise errors[0]
    return n


def write_bundled_sample(out_dir: str | Path) -> dict[str, int]:
    """Regenerate the two bundled sample files with their fixed parameters."""
    out = Path(out_dir)
    return {
        SAMPLE_SMARTCART_FILE: write_smartcart_customers(
            out / SAMPLE_SMARTCART_FILE, SAMPLE_CUSTOMERS, seed=SAMPLE_SEED, inject_bad_rows=True
        ),
        SAMPLE_TRANSACTIONS_FILE: write_transactions(
            out / SAMPLE_TRANSACTIONS_FILE,
            SAMPLE_LINES,
            seed=SAMPLE_SEED,
            date_style=SAMPLE_DATE_STYLE,
            missing_customer_share=SAMPLE_MISSING_CUSTOMER_SHARE,
            inject_bad_rows=True,
        ),
    }


# =============================================================================================
# Daily export files (issue #13: a folder of exports, one per day)
# =============================================================================================


def split_transactions(path: str | Path, out_dir: str | Path, period: str = "day") -> dict[str, int]:
    """Split a transaction file (ISO dates, header on line 1) into one gzipped CSV per day or
    month of InvoiceDate, ``transactions_<period>.csv.gz`` in ``out_dir``, as a retailer's daily
    exports arrive. Lines whose date does not start with a valid year-month-day (the generator's
    bad rows, such as 2011-02-30) go to the first file.
    Every field is kept as text, in order within each file. Returns lines per file name."""
    import duckdb

    width = {"day": 10, "month": 7}[period]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    staging = out / ".split"
    connection = duckdb.connect()
    try:
        connection.execute("set preserve_insertion_order = true")
        source = (
            f"read_csv('{str(path).replace(chr(39), chr(39) * 2)}', header = true, all_varchar = true, "
            "null_padding = true, strict_mode = false, parallel = false)"
        )
        keyed = (
            f"select *, case when try_cast(substr(InvoiceDate, 1, 10) as date) is not null "
            f"then substr(InvoiceDate, 1, {width}) end as _period from {source}"
        )
        first = connection.execute(f"select min(_period) from ({keyed})").fetchone()[0]
        connection.execute(
            f"copy (select * exclude (_period), coalesce(_period, '{first}') as _part from ({keyed})) "
            f"to '{staging}' (format csv, header true, compression gzip, partition_by (_part), "
            "overwrite_or_ignore true)"
        )
        counts: dict[str, int] = {}
        for folder in sorted(staging.iterdir()):
            part = folder.name.split("=", 1)[1]
            name = f"transactions_{part}.csv.gz"
            (file,) = folder.iterdir()
            file.replace(out / name)
            folder.rmdir()
            counts[name] = connection.execute(
                f"select count(*) from read_csv('{out / name}', header = true, all_varchar = true)"
            ).fetchone()[0]
        staging.rmdir()
    finally:
        connection.close()
    return counts


# =============================================================================================
# CLI
# =============================================================================================


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m custseg.sampledata",
        description="Generate deterministic synthetic SmartCart customers and Online-Retail "
        "transaction lines (same schemas and dirt as the real files). Output format follows "
        "the extension: .csv, .csv.gz or .parquet (all columns as strings).",
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("smartcart", help="SmartCart customer table (22 columns)")
    s.add_argument(
        "--rows",
        type=int,
        required=True,
        help="number of valid customers (7 bad rows are added unless --no-inject-bad-rows)",
    )
    s.add_argument("--out", type=Path, required=True, help="output file")
    s.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    s.add_argument(
        "--inject-bad-rows",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="append 7 structurally bad rows (duplicates, bad numbers/dates, missing ID)",
    )
    t = sub.add_parser("transactions", help="Online-Retail transaction lines (8 columns)")
    t.add_argument("--lines", type=int, required=True, help="exact number of data lines")
    t.add_argument("--out", type=Path, required=True, help="output file")
    t.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    t.add_argument(
        "--date-style",
        choices=["iso", "mixed"],
        default="iso",
        help="iso: full-file timestamps; mixed: international file's six month-first "
        "layouts with the 10->22/11->23 quirk (default iso)",
    )
    t.add_argument(
        "--missing-customer-share",
        type=float,
        default=None,
        help="share of lines without CustomerID (default 0.25 with UK, else 0.04)",
    )
    t.add_argument(
        "--duplicate-share",
        type=float,
        default=None,
        help="share of exact duplicate lines (default 0.01 with UK, else 0.0025)",
    )
    t.add_argument(
        "--cancellation-share",
        type=float,
        default=0.017,
        help="share of cancellation lines (default 0.017)",
    )
    t.add_argument(
        "--include-uk",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="UK customers dominate as in the full file (default: only with iso)",
    )
    t.add_argument(
        "--inject-bad-rows",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="replace 6 lines by unparseable ones (default on)",
    )
    t.add_argument(
        "--chunk-size",
        type=int,
        default=500_000,
        help="lines per written chunk / Parquet row group (default 500000)",
    )
    sp = sub.add_parser("split", help="split a transaction file into one file per day (or month)")
    sp.add_argument("--input", type=Path, required=True, help="transaction file (ISO dates)")
    sp.add_argument("--out-dir", type=Path, required=True, help="folder for transactions_<day>.csv.gz")
    sp.add_argument("--period", choices=["day", "month"], default="day", help="one file per (default day)")
    sm = sub.add_parser("sample", help="regenerate the bundled sample files byte for byte")
    sm.add_argument(
        "--out-dir", type=Path, default=Path("data/sample"), help="directory (default data/sample)"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns 0 on success."""
    args = _parser().parse_args(argv)
    if args.command == "smartcart":
        n = write_smartcart_customers(
            args.out, args.rows, seed=args.seed, inject_bad_rows=args.inject_bad_rows
        )
        print(f"wrote {n} rows to {args.out}")
    elif args.command == "transactions":
        n = write_transactions(
            args.out,
            args.lines,
            seed=args.seed,
            date_style=args.date_style,
            missing_customer_share=args.missing_customer_share,
            inject_bad_rows=args.inject_bad_rows,
            chunk_size=args.chunk_size,
            duplicate_share=args.duplicate_share,
            cancellation_share=args.cancellation_share,
            include_uk=args.include_uk,
        )
        print(f"wrote {n} lines to {args.out}")
    elif args.command == "split":
        counts = split_transactions(args.input, args.out_dir, args.period)
        print(f"wrote {sum(counts.values())} lines to {len(counts)} files in {args.out_dir}")
    else:
        for name, n in write_bundled_sample(args.out_dir).items():
            print(f"wrote {n} rows to {args.out_dir / name}")
    return 0


if __name__ == "__main__":
    main()
