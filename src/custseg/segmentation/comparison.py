"""Agreement (adjusted Rand index) between the chosen clustering and alternatives: other
algorithms at the same k, and other feature sets (named subsets, and without the item
pattern). Computed on the selection sample, so it stays cheap on big data."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from custseg.segmentation.clustering import fit_centers, nearest_centroid
from custseg.segmentation.errors import SegmentationInputError
from custseg.segmentation.preprocess import FeaturePreprocessor
from custseg.segmentation.settings import ALGORITHMS, SegmentationSettings

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
    model_points: np.ndarray,
    raw_points: np.ndarray,
    raw_names: Sequence[str],
    item_names: Sequence[str],
    settings: SegmentationSettings,
    k: int,
) -> tuple[pd.DataFrame, list[str]]:
    """ARI of ``chosen_labels`` against each alternative clustering of the same rows.

    ``model_points`` are the rows in the chosen model space (for other algorithms),
    ``raw_points`` the same rows' raw values with columns ``raw_names`` (base features
    followed by the ``item_names`` SVD scores) for refitting the preprocessing on other
    feature sets. Returns the table and warnings for alternatives that could not be fitted.
    """
    fit_kwargs = dict(
        n_init=settings.n_init,
        random_state=settings.random_state,
        minibatch_threshold=settings.minibatch_threshold,
        minibatch_batch_size=settings.minibatch_batch_size,
        agglomerative_sample_size=settings.agglomerative_sample_size,
        covariance_type=settings.gmm_covariance_type,
        gmm_n_init=settings.gmm_n_init,
    )
    chosen = clustering_name(settings.algorithm, "all_features", k)
    rows: list[dict] = []
    notes: list[str] = []

    def add(name: str, points: np.ndarray, algorithm: str) -> None:
        centers = fit_centers(points, [k], algorithm=algorithm, **fit_kwargs).get(k)
        if centers is None:
            notes.append(f"comparison {name} skipped: could not fit k={k}")
            return
        labels = nearest_centroid(points, centers)[0]
        rows.append(
            {
                "clustering_a": chosen,
                "clustering_b": name,
                "k": k,
                "n_customers_compared": len(points),
                "adjusted_rand_index": float(adjusted_rand_score(chosen_labels, labels)),
            }
        )

    algorithms = settings.comparison_algorithms
    if algorithms is None:
        algorithms = tuple(a for a in ALGORITHMS if a != settings.algorithm)
    for algorithm in algorithms:
        if algorithm != settings.algorithm:
            add(clustering_name(algorithm, "all_features", k), model_points, algorithm)

    feature_sets = list(settings.comparison_feature_sets)
    if item_names:
        base = tuple(n for n in raw_names if n not in item_names)
        feature_sets.append(("without_item_pattern", base))
    for set_name, columns in feature_sets:
        names = list(columns)
        if set_name != "without_item_pattern":
            names += list(item_names)
        index = [list(raw_names).index(n) for n in names]
        try:
            pre = FeaturePreprocessor(
                names,
                [f for f in settings.log1p_features if f in names],
                settings.scaler,
                settings.pca_variance,
                settings.random_state,
            ).fit(raw_points[:, index])
        except SegmentationInputError as exc:
            notes.append(f"comparison feature set '{set_name}' skipped: {exc}")
            continue
        points = pre.transform(raw_points[:, index])
        add(clustering_name(settings.algorithm, set_name, k), points, settings.algorithm)

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
