"""Agreement (adjusted Rand index) between the chosen clustering and alternatives: other
algorithms at the same k, and other feature sets (named subsets, and without the item
pattern). Computed on the selection sample, so it stays cheap on big data."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score

from custseg.segmentation.clustering import CentroidClusterer

COMPARISON_COLUMNS = (
    "clustering_a",
    "clustering_b",
    "k",
    "n_customers_compared",
    "adjusted_rand_index",
)


def clustering_name(algorithm: str, feature_set: str, k: int) -> str:
    """Readable id of a clustering, e.g. ``kmeans|all_features|k=4``."""
    return f"{algorithm}|{feature_set}|k={k}"


def compare_clusterings(
    chosen_labels: np.ndarray,
    *,
    name: str,
    model_points: np.ndarray,
    algorithms: Mapping[str, CentroidClusterer],
    feature_sets: Mapping[str, Callable[[], np.ndarray]],
    clusterer: CentroidClusterer,
    k: int,
) -> tuple[pd.DataFrame, list[str]]:
    """ARI of ``chosen_labels`` against each alternative clustering of the same rows.

    ``algorithms`` maps a name to another clusterer fitted on ``model_points``;
    ``feature_sets`` maps a name to a function returning the same rows in another model
    space (refitted preprocessing on other columns), clustered with ``clusterer``. A
    function that raises ``ValueError`` skips its feature set with a warning.
    """
    chosen = clustering_name(name, "all_features", k)
    rows: list[dict] = []
    notes: list[str] = []

    def add(label: str, estimator: CentroidClusterer, points: np.ndarray) -> None:
        labels = clone(estimator).set_params(n_clusters=k).fit(points).labels_
        rows.append(
            {
                "clustering_a": chosen,
                "clustering_b": label,
                "k": k,
                "n_customers_compared": len(points),
                "adjusted_rand_index": float(adjusted_rand_score(chosen_labels, labels)),
            }
        )

    for algorithm, estimator in algorithms.items():
        add(clustering_name(algorithm, "all_features", k), estimator, model_points)
    for set_name, points in feature_sets.items():
        try:
            values = points()
        except ValueError as exc:
            notes.append(f"comparison feature set '{set_name}' skipped: {exc}")
            continue
        add(clustering_name(name, set_name, k), clusterer, values)

    table = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS)).astype(
        {
            "clustering_a": "str",
            "clustering_b": "str",
            "k": "int64",
            "n_customers_compared": "int64",
            "adjusted_rand_index": "float64",
        }
    )
    return table, notes
