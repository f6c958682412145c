"""One shape for every clustering algorithm: fit, then centroids, then nearest centroid.

Whatever the wrapped algorithm, a customer's segment is its nearest centroid (squared
Euclidean distance, ties to the lower index). For k-means the centroids are the cluster
centres; for Ward and Gaussian mixtures they are the member means of the native clustering.
This keeps the Python reference and the SQL scoring macro identical for every algorithm.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
    clone,
)
from sklearn.cluster import KMeans
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

_CHUNK = 65_536


def squared_distances(points: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """(n, k) squared Euclidean distances, summed as ``sum((x - c)^2)`` like the SQL macro
    (not the ``|x|^2 - 2 x.c + |c|^2`` shortcut, which loses precision)."""
    out = np.empty((len(points), len(centers)))
    for s, center in enumerate(centers):
        for start in range(0, len(points), _CHUNK):
            diff = points[start : start + _CHUNK] - center
            out[start : start + _CHUNK, s] = np.einsum("ij,ij->i", diff, diff)
    return out


def nearest_centroid(points: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index of the nearest centre (ties to the lower index), the distance to it, and the
    margin to the next one (second-nearest distance minus nearest; NaN with one centre)."""
    sq = squared_distances(points, centers)
    labels = np.argmin(sq, axis=1)
    nearest = np.sqrt(sq[np.arange(len(points)), labels])
    if len(centers) < 2:
        return labels, nearest, np.full(len(points), np.nan)
    second = np.sqrt(np.partition(sq, 1, axis=1)[:, 1])
    return labels, nearest, second - nearest


def member_means(points: np.ndarray, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Mean of each label's points (NaN rows for labels without points)."""
    sums = np.zeros((n_clusters, points.shape[1]))
    np.add.at(sums, labels, points)
    counts = np.bincount(labels, minlength=n_clusters).astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts[:, None]


def _size_parameter(estimator: BaseEstimator) -> str:
    """The constructor argument that sets the number of clusters of ``estimator``."""
    params = estimator.get_params(deep=False)
    for name in ("n_clusters", "n_components"):
        if name in params:
            return name
    raise ValueError(
        f"{type(estimator).__name__} has neither n_clusters nor n_components: "
        "cannot set its number of clusters"
    )


class CentroidClusterer(ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin, BaseEstimator):
    """Nearest-centroid clustering on top of any scikit-learn clusterer.

    Parameters
    ----------
    estimator : estimator, default=None
        The clusterer to wrap: ``KMeans``, ``MiniBatchKMeans``, ``GaussianMixture`` or
        ``AgglomerativeClustering(linkage="ward")`` (or any estimator with ``n_clusters`` or
        ``n_components``). None means ``KMeans(n_init=10)``. It is cloned, never modified.
    n_clusters : int, default=3
        Number of clusters; set on the clone of ``estimator``.
    init_centers : array of shape (n_clusters, n_features), default=None
        Warm start: the starting centres of k-means (one run) or the initial means of a
        Gaussian mixture. Ignored by Ward.
    max_fit_samples : int, default=None
        Fit on a random subset of at most this many rows (for algorithms that are quadratic
        in rows, such as Ward); every row is still labelled by its nearest centroid.
    random_state : int, RandomState instance or None, default=None
        Passed to the wrapped estimator (when it takes one) and used to draw the subset.

    Attributes
    ----------
    estimator_ : estimator
        The fitted clone of ``estimator``.
    cluster_centers_ : ndarray of shape (n_clusters_, n_features)
        The centroids: the wrapped estimator's centres, or its clusters' member means.
        Clusters left without members are dropped.
    n_clusters_ : int
        Number of centroids (``n_clusters`` minus dropped empty clusters).
    labels_ : ndarray of shape (n_samples,)
        Nearest-centroid label of every training row.
    inertia_ : float
        Sum of squared distances of the training rows to their centroids.
    n_features_in_ : int
        Number of features seen during fit.
    """

    def __init__(
        self,
        estimator: BaseEstimator | None = None,
        n_clusters: int = 3,
        init_centers: np.ndarray | None = None,
        max_fit_samples: int | None = None,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.estimator = estimator
        self.n_clusters = n_clusters
        self.init_centers = init_centers
        self.max_fit_samples = max_fit_samples
        self.random_state = random_state

    def fit(self, X, y=None) -> CentroidClusterer:
        """Fit the wrapped clusterer and derive the centroids."""
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        if not isinstance(self.n_clusters, int | np.integer) or self.n_clusters < 1:
            raise ValueError(f"n_clusters must be a positive integer, got {self.n_clusters!r}")
        if self.n_clusters > len(X):
            raise ValueError(f"n_clusters={self.n_clusters} is larger than n_samples={len(X)}")
        rng = check_random_state(self.random_state)
        estimator = clone(self.estimator if self.estimator is not None else KMeans(n_init=10))
        params: dict = {_size_parameter(estimator): int(self.n_clusters)}
        own = estimator.get_params(deep=False)
        if "random_state" in own and self.random_state is not None:
            seed = self.random_state
            params["random_state"] = seed if isinstance(seed, int) else rng.randint(np.iinfo(np.int32).max)
        if self.init_centers is not None:
            params |= _warm_start(own, np.asarray(self.init_centers, dtype=np.float64))
        estimator.set_params(**params)

        rows = X
        if self.max_fit_samples is not None and len(X) > self.max_fit_samples:
            rows = X[np.sort(rng.choice(len(X), self.max_fit_samples, replace=False))]
        estimator.fit(rows)
        if hasattr(estimator, "cluster_centers_"):
            centers = np.asarray(estimator.cluster_centers_, dtype=np.float64)
        else:
            native = estimator.labels_ if hasattr(estimator, "labels_") else estimator.predict(rows)
            centers = member_means(rows, np.asarray(native), int(self.n_clusters))
        centers = centers[~np.isnan(centers).any(axis=1)]

        self.estimator_ = estimator
        self.cluster_centers_ = centers
        self.n_clusters_ = len(centers)
        self.labels_, distance, _ = nearest_centroid(X, centers)
        self.inertia_ = float(np.sum(distance**2))
        self._n_features_out = self.n_clusters_
        return self

    def predict(self, X) -> np.ndarray:
        """Index of the nearest centroid of every row (ties to the lower index)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return nearest_centroid(X, self.cluster_centers_)[0]

    def transform(self, X) -> np.ndarray:
        """Distance of every row to every centroid, shape (n_samples, n_clusters_)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return np.sqrt(squared_distances(X, self.cluster_centers_))


def _warm_start(params: dict, centers: np.ndarray) -> dict:
    if "means_init" in params:  # GaussianMixture
        return {"means_init": centers, "n_init": 1}
    if "init" in params:  # KMeans, MiniBatchKMeans
        return {"init": centers, "n_init": 1}
    return {}  # Ward has no starting point
