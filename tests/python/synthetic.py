"""Small synthetic customer frames for the segmentation tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

FEATURES = ["spend", "visits", "recency", "share"]
# Fewer restarts and resamples than the defaults: the tests need the behaviour, not the polish.
FAST = {"n_init": 3, "stability_resamples": 3, "k_max": 6, "structure_references": 2}


def blobs(n: int = 300, k: int = 3, seed: int = 0, spread: float = 0.6) -> pd.DataFrame:
    """Customers in k well separated groups; spend is positive and differs per group."""
    rng = np.random.default_rng(seed)
    centers = 8.0 * np.eye(4)[:k] + rng.normal(0.0, 0.5, size=(k, 4))  # equidistant groups
    truth = np.arange(n) % k
    x = centers[truth] + rng.normal(0.0, spread, size=(n, 4))
    return pd.DataFrame(
        {
            "customer_id": np.arange(n) * 3 + 1000,
            "spend": np.exp(x[:, 0] / 4 + 6),
            "visits": x[:, 1] + 20,
            "recency": x[:, 2] + 50,
            "share": x[:, 3],
            "is_excluded_from_fit": np.zeros(n, dtype=bool),
            "truth": truth,
        }
    )


def cloud(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Customers from one Gaussian cloud: no groups, only a continuum."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    return pd.DataFrame(
        {
            "customer_id": np.arange(n),
            "spend": np.exp(x[:, 0] + 6),
            "visits": x[:, 1] + 20,
            "recency": x[:, 2] + 50,
            "share": x[:, 3],
            "is_excluded_from_fit": np.zeros(n, dtype=bool),
        }
    )


def item_rows(frame: pd.DataFrame, seed: int = 0, items_per_group: int = 6) -> pd.DataFrame:
    """Long (customer, stock_code, lines) rows: each group of ``frame['truth']`` buys mostly
    its own items, everyone buys a few shared ones."""
    rng = np.random.default_rng(seed)
    rows = []
    for customer, group in zip(frame["customer_id"], frame["truth"], strict=True):
        own = [f"G{group}I{i}" for i in range(items_per_group)]
        for item in rng.choice(own, size=3, replace=False):
            rows.append((customer, item, int(rng.integers(1, 6))))
        rows.append((customer, f"S{int(rng.integers(0, 3))}", 1))
    return pd.DataFrame(rows, columns=["customer_id", "stock_code", "lines"])


def settings(**overrides) -> dict:
    return {"features": FEATURES, "log1p_features": ["spend"], **FAST, **overrides}
