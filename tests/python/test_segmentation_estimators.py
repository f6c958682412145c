"""The custom estimators follow scikit-learn's conventions (its own estimator checks) and do
what their docstrings say: nearest-centroid clustering over any algorithm, and the k search."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture
from sklearn.utils.estimator_checks import parametrize_with_checks

from custseg.segmentation import CentroidClusterer, StableKSearch
from custseg.segmentation.clustering import nearest_centroid


@parametrize_with_checks(
    [
        CentroidClusterer(random_state=0),
        CentroidClusterer(estimator=GaussianMixture(), random_state=0),
        CentroidClusterer(estimator=AgglomerativeClustering(linkage="ward")),
        StableKSearch(k_values=(2, 3, 4), stability_resamples=2),
    ]
)
def test_scikit_learn_estimator_checks(estimator, check) -> None:
    # scikit-learn skips its array-API checks itself unless SCIPY_ARRAY_API is set (4 skips):
    # the estimators take NumPy input only.
    check(estimator)


@pytest.fixture(scope="module")
def three_blobs() -> tuple[np.ndarray, np.ndarray]:
    return make_blobs(n_samples=300, centers=3, cluster_std=0.6, random_state=3)


@pytest.mark.parametrize(
    "estimator",
    [KMeans(n_init=3), GaussianMixture(), AgglomerativeClustering(linkage="ward")],
    ids=["kmeans", "gmm", "ward"],
)
def test_every_algorithm_ends_as_nearest_centroid(estimator, three_blobs) -> None:
    X, truth = three_blobs
    model = CentroidClusterer(estimator=estimator, n_clusters=3, random_state=0).fit(X)
    assert model.cluster_centers_.shape == (3, 2)
    np.testing.assert_array_equal(model.labels_, nearest_centroid(X, model.cluster_centers_)[0])
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    assert adjusted_rand_score(truth, model.labels_) == pytest.approx(1.0)
    assert model.transform(X).shape == (300, 3)
    assert estimator.get_params() == clone(estimator).get_params()  # the wrapped one is untouched


def test_warm_start_from_given_centres_reproduces_them(three_blobs) -> None:
    X, _ = three_blobs
    first = CentroidClusterer(n_clusters=3, random_state=0).fit(X)
    warm = CentroidClusterer(n_clusters=3, init_centers=first.cluster_centers_, random_state=1).fit(X)
    np.testing.assert_allclose(warm.cluster_centers_, first.cluster_centers_)
    assert warm.estimator_.n_init == 1


def test_max_fit_samples_fits_on_a_subset_but_labels_every_row(three_blobs) -> None:
    X, truth = three_blobs
    ward = AgglomerativeClustering(linkage="ward")
    model = CentroidClusterer(estimator=ward, n_clusters=3, max_fit_samples=60, random_state=0).fit(X)
    assert len(model.estimator_.labels_) == 60
    assert len(model.labels_) == 300
    assert adjusted_rand_score(truth, model.labels_) == pytest.approx(1.0)


def test_search_picks_the_true_k_and_scores_every_candidate() -> None:
    X, truth = make_blobs(n_samples=400, centers=4, cluster_std=0.5, random_state=1)
    search = StableKSearch(k_values=range(2, 8), stability_resamples=3).fit(X)
    assert search.k_ == 4 and not search.choice_.is_fallback
    assert search.results_["k"].tolist() == [2, 3, 4, 5, 6, 7]
    assert adjusted_rand_score(truth, search.labels_) == pytest.approx(1.0)
    pinned = clone(search).set_params(k=6).fit(X)
    assert pinned.k_ == 6 and "pinned" in pinned.choice_.reason


def test_search_on_a_subset_refits_on_every_row() -> None:
    X, truth = make_blobs(n_samples=600, centers=[[0, 0], [10, 0], [0, 10]], cluster_std=0.5, random_state=2)
    search = StableKSearch(k_values=(2, 3, 4), stability_resamples=2, selection_sample_size=150).fit(X)
    assert len(search.sample_indices_) == 150
    assert (search.results_["n_evaluated"] == 150).all()
    assert adjusted_rand_score(truth, search.labels_) == pytest.approx(1.0)


def test_search_leaves_out_k_the_data_cannot_hold() -> None:
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0], [0.0, 5.0]]), 10, axis=0)
    search = StableKSearch(k_values=range(2, 7), stability_resamples=0).fit(X)
    assert search.k_values_ == [2, 3]
    with pytest.raises(ValueError, match="pinned k=5"):
        clone(search).set_params(k=5).fit(X)
