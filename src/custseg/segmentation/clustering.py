"""Clustering back ends reduced to one shape: fit -> model-space centroids -> nearest centroid.

Whatever the algorithm, a customer's segment is its nearest centroid (squared Euclidean in
model space, ties to the lower centroid index). For k-means the centroids are the cluster
centres; for Ward and GMM they are the member means of the native clustering. This keeps
Python assignments and the SQL scoring macro identical for every algorithm.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.cluster.hierarchy import cut_tree, linkage
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.mixture import GaussianMixture

_CHUNK = 65_536


def squared_distances(points: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """(n, k) squared Euclidean distances, computed as sum((x - c)^2) like the SQL macro
    (no ||x||^2 - 2x.c + ||c||^2 shortcut, which loses precision)."""
    out = np.empty((len(points), len(centers)))
    for s, center in enumerate(centers):
        for start in range(0, len(points), _CHUNK):
            diff = points[start : start + _CHUNK] - center
            out[start : start + _CHUNK, s] = np.einsum("ij,ij->i", diff, diff)
    return out


def nearest_centroid(points: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index of the nearest centre (ties -> lower index), its distance, and the margin
    (second-nearest distance minus nearest; NaN with a single centre)."""
    sq = squared_distances(points, centers)
    labels = np.argmin(sq, axis=1)
    nearest = np.sqrt(sq[np.arange(len(points)), labels])
    if len(centers) < 2:
        return labels, nearest, np.full(len(points), np.nan)
    second = np.sqrt(np.partition(sq, 1, axis=1)[:, 1])
    return labels, nearest, second - nearest


def member_means(points: np.ndarray, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Mean of each label's points (NaN rows for empty labels)."""
    sums = np.zeros((n_clusters, points.shape[1]))
    np.add.at(sums, labels, points)
    counts = np.bincount(labels, minlength=n_clusters).astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts[:, None]


def _drop_nan_rows(centers: np.ndarray) -> np.ndarray:
    return centers[~np.isnan(centers).any(axis=1)]


class CentroidClusterer:
    """One clustering run at ``n_clusters``; exposes ``cluster_centers_`` in model space.

    ``algorithm``: "kmeans" (k-means++ with ``n_init`` restarts; MiniBatchKMeans when the
    data has more than ``minibatch_threshold`` rows), "agglomerative" (Ward, fitted on a
    random subset of at most ``agglomerative_sample_size`` rows because Ward is quadratic)
    or "gmm" (GaussianMixture with ``gmm_n_init`` runs; EM is far slower than k-means and
    its k-means-based initialisation makes one run usually enough). ``init`` (k x d
    centres) warm-starts k-means / GMM with a single run. ``predict`` is nearest centroid.
    """

    def __init__(
        self,
        n_clusters: int,
        algorithm: str = "kmeans",
        *,
        n_init: int = 10,
        random_state: int = 42,
        minibatch_threshold: int = 50_000,
        minibatch_batch_size: int = 4_096,
        agglomerative_sample_size: int = 5_000,
        covariance_type: str = "full",
        gmm_n_init: int = 1,
        init: np.ndarray | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.algorithm = algorithm
        self.n_init = n_init
        self.random_state = random_state
        self.minibatch_threshold = minibatch_threshold
        self.minibatch_batch_size = minibatch_batch_size
        self.agglomerative_sample_size = agglomerative_sample_size
        self.covariance_type = covariance_type
        self.gmm_n_init = gmm_n_init
        self.init = init

    def fit(self, points: np.ndarray) -> CentroidClusterer:
        """Fit the back end and store ``cluster_centers_`` and ``backend_``."""
        centers = fit_centers(
            points,
            [self.n_clusters],
            algorithm=self.algorithm,
            n_init=self.n_init,
            random_state=self.random_state,
            minibatch_threshold=self.minibatch_threshold,
            minibatch_batch_size=self.minibatch_batch_size,
            agglomerative_sample_size=self.agglomerative_sample_size,
            covariance_type=self.covariance_type,
            gmm_n_init=self.gmm_n_init,
            init={self.n_clusters: self.init} if self.init is not None else None,
        )
        self.cluster_centers_ = centers[self.n_clusters]
        self.backend_ = backend_name(self.algorithm, len(points), self.minibatch_threshold)
        return self

    def predict(self, points: np.ndarray) -> np.ndarray:
        """Nearest-centroid labels (0-based, ties to the lower index)."""
        return nearest_centroid(points, self.cluster_centers_)[0]

    def fit_predict(self, points: np.ndarray) -> np.ndarray:
        return self.fit(points).predict(points)


def backend_name(algorithm: str, n_rows: int, minibatch_threshold: int) -> str:
    """Name of the estimator actually used (k-means switches to mini-batch on big data)."""
    if algorithm == "kmeans":
        return "minibatch_kmeans" if n_rows > minibatch_threshold else "kmeans"
    return {"agglomerative": "ward", "gmm": "gmm"}[algorithm]


def fit_centers(
    points: np.ndarray,
    ks: Sequence[int],
    *,
    algorithm: str,
    n_init: int,
    random_state: int,
    minibatch_threshold: int,
    minibatch_batch_size: int,
    agglomerative_sample_size: int,
    covariance_type: str = "full",
    gmm_n_init: int = 1,
    init: dict[int, np.ndarray] | None = None,
) -> dict[int, np.ndarray]:
    """Model-space centres for each k in ``ks`` (Ward builds one tree for all k).

    Empty clusters (possible for GMM/Ward member means) are dropped, so a result may have
    fewer than k rows; callers treat that as a segment share of 0.
    """
    init = init or {}
    out: dict[int, np.ndarray] = {}
    if algorithm == "agglomerative":
        if len(points) > agglomerative_sample_size:
            rng = np.random.default_rng(random_state)
            subset = np.sort(rng.choice(len(points), agglomerative_sample_size, replace=False))
            points = points[subset]
        ks_ok = [k for k in ks if k <= len(points)]
        if ks_ok:
            tree = linkage(points, method="ward")
            cuts = cut_tree(tree, n_clusters=ks_ok)
            for j, k in enumerate(ks_ok):
                labels = cuts[:, j].astype("int64")
                out[k] = _drop_nan_rows(member_means(points, labels, k))
        return out
    for k in ks:
        start = init.get(k)
        if algorithm == "kmeans":
            if len(points) > minibatch_threshold:
                model = MiniBatchKMeans(
                    n_clusters=k,
                    init="k-means++" if start is None else start,
                    n_init=n_init if start is None else 1,
                    batch_size=minibatch_batch_size,
                    random_state=random_state,
                    max_no_improvement=10,
                )
            else:
                model = KMeans(
                    n_clusters=k,
                    init="k-means++" if start is None else start,
                    n_init=n_init if start is None else 1,
                    random_state=random_state,
                )
            out[k] = model.fit(points).cluster_centers_.astype("float64")
        elif algorithm == "gmm":
            gmm = GaussianMixture(
                n_components=k,
                covariance_type=covariance_type,
                n_init=gmm_n_init if start is None else 1,
                means_init=start,
                random_state=random_state,
                reg_covar=1e-6,
            ).fit(points)
            labels = gmm.predict(points)
            out[k] = _drop_nan_rows(member_means(points, labels, k))
        else:
            raise ValueError(f"unknown algorithm {algorithm!r}")
    return out
