"""Choosing the number of segments: :class:`StableKSearch`, a meta-estimator that scores every
candidate k (silhouette, Calinski-Harabasz, Davies-Bouldin, bootstrap stability) and refits
the chosen one, and :func:`choose_k`, the pure rule it applies."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from custseg.segmentation.clustering import CentroidClusterer, nearest_centroid

CANDIDATE_COLUMNS = (
    "k",
    "inertia",
    "silhouette",
    "calinski_harabasz",
    "davies_bouldin",
    "stability",
    "min_segment_share",
    "n_evaluated",
)


@dataclass(frozen=True)
class KChoice:
    """Outcome of :func:`choose_k`: the k, why, whether the rule fell back, and a note per k."""

    k: int
    reason: str
    notes: dict[int, str]
    is_fallback: bool = False


def _fmt(value: float) -> str:
    return "nan" if value is None or math.isnan(value) else f"{value:.3f}"


def choose_k(
    candidates: pd.DataFrame,
    *,
    min_stability: float = 0.75,
    min_segment_share: float = 0.02,
    silhouette_tolerance: float = 0.01,
    pinned_k: int | None = None,
) -> KChoice:
    """Pick k from per-candidate metrics (columns ``k``, ``silhouette``, ``stability``,
    ``min_segment_share``). Pure: the same table gives the same choice.

    1. ``pinned_k`` set: that k (it must be a candidate).
    2. Qualifying k: stability >= ``min_stability`` (NaN stability, i.e. no resamples, passes)
       and smallest segment share >= ``min_segment_share``. The best silhouette wins; every
       qualifying k within ``silhouette_tolerance`` of it ties, and ties go to the smaller k
       (sampled silhouettes carry noise of about that size).
    3. No k qualifies (a fallback): among the k passing the share rule (all k if none does),
       the most stable; ties (within 1e-9) to the smaller k.
    """
    table = candidates.sort_values("k").reset_index(drop=True)
    if table.empty:
        raise ValueError("no candidate k to choose from")
    ks = table["k"].astype(int).tolist()
    sil = table["silhouette"].astype("float64").fillna(-np.inf).to_numpy()
    stab = table["stability"].astype("float64").to_numpy()
    share = table["min_segment_share"].astype("float64").fillna(0.0).to_numpy()
    stable = np.isnan(stab) | (stab >= min_stability)
    big_enough = share >= min_segment_share
    qualifies = stable & big_enough

    notes: dict[int, str] = {}
    for i, k in enumerate(ks):
        problems = []
        if not stable[i]:
            problems.append(f"stability {_fmt(stab[i])} < {min_stability}")
        if not big_enough[i]:
            problems.append(f"smallest segment share {_fmt(share[i])} < {min_segment_share}")
        notes[k] = "; ".join(problems) if problems else "qualifies"

    if pinned_k is not None:
        if pinned_k not in ks:
            raise ValueError(f"pinned k={pinned_k} is not among the candidates {ks}")
        reason = f"k={pinned_k} pinned by settings"
        if notes[pinned_k] != "qualifies":
            reason += f" (rule would reject it: {notes[pinned_k]})"
        return KChoice(pinned_k, reason, notes)

    if qualifies.any():
        best = sil[qualifies].max()
        tied = [i for i in np.flatnonzero(qualifies) if sil[i] >= best - silhouette_tolerance]
        chosen = min(tied)
        k = ks[chosen]
        for i in np.flatnonzero(qualifies):
            if i != chosen:
                notes[ks[i]] = f"qualifies; silhouette {_fmt(sil[i])} vs {_fmt(sil[chosen])} for k={k}" + (
                    " (within tolerance, smaller k preferred)" if i in tied else ""
                )
        reason = (
            f"highest silhouette ({_fmt(sil[chosen])}) among k with stability >= "
            f"{min_stability} and smallest segment share >= {min_segment_share}"
        )
        if len(tied) > 1:
            reason += (
                f"; smallest of k {[ks[i] for i in tied]} within silhouette tolerance "
                f"{silhouette_tolerance} of the best ({_fmt(best)})"
            )
        return KChoice(k, reason, notes)

    pool = np.flatnonzero(big_enough) if big_enough.any() else np.arange(len(ks))
    stab_pool = np.where(np.isnan(stab[pool]), -np.inf, stab[pool])
    best = stab_pool.max()
    chosen = int(pool[np.flatnonzero(stab_pool >= best - 1e-9)[0]])
    k = ks[chosen]
    scope = (
        f"k with smallest segment share >= {min_segment_share}"
        if big_enough.any()
        else "all k (none meets the segment share rule)"
    )
    reason = (
        f"no k meets stability >= {min_stability} and segment share >= {min_segment_share}; "
        f"most stable ({_fmt(stab[chosen])}) among {scope}"
    )
    return KChoice(k, reason, notes, is_fallback=True)


def safe_score(metric, points: np.ndarray, labels: np.ndarray, **kwargs) -> float:
    """``metric(points, labels)``, NaN when it is undefined (one label, or one row per label)."""
    n_labels = len(np.unique(labels))
    if n_labels < 2 or n_labels >= len(labels):
        return math.nan
    try:
        return float(metric(points, labels, **kwargs))
    except ValueError:  # e.g. a silhouette subsample that holds a single label
        return math.nan


class StableKSearch(ClusterMixin, BaseEstimator):
    """Fit a clusterer at every candidate k, keep the k the stability-and-silhouette rule
    chooses (:func:`choose_k`), and refit it on all rows. Like ``GridSearchCV`` for k.

    Parameters
    ----------
    estimator : CentroidClusterer, default=None
        The clusterer; cloned with ``n_clusters`` and ``random_state`` set for every fit.
        None means ``CentroidClusterer()`` (k-means).
    k_values : sequence of int, default=range(2, 11)
        Candidate numbers of clusters; those above what the data supports (rows - 1 or
        distinct rows) are left out.
    k : int, default=None
        Pin k: every candidate is still scored, but this one is chosen.
    min_stability, min_segment_share, silhouette_tolerance : float
        The rule's thresholds (see :func:`choose_k`).
    stability_resamples : int, default=10
        Bootstrap resamples per k (0 skips stability).
    stability_sample_size : int, default=5000
        Rows per bootstrap resample, and rows on which the resample's labels are compared.
    silhouette_sample_size : int, default=5000
        Silhouette on a fixed random subset of this many rows (never quadratic in rows).
    selection_sample_size : int, default=20000
        The sweep runs on a random subset of at most this many rows.
    refit_estimator : CentroidClusterer, default=None
        The clusterer of the final fit on all rows when the sweep ran on a subset (for
        example mini-batch k-means on large data), warm-started from the subset's centres.
        None means ``estimator``.
    refit : bool, default=True
        Refit on all rows when the sweep ran on a subset; False keeps the subset's centres
        (for Ward, which cannot be warm-started).
    random_state : int, default=42
        One seed for the subset, the resamples, the silhouette subset and every fit.

    Attributes
    ----------
    k_ : int
        The chosen number of clusters.
    choice_ : KChoice
        The rule's decision, its reason and whether it fell back.
    results_ : pandas.DataFrame
        One row per candidate k: inertia, silhouette, Calinski-Harabasz, Davies-Bouldin,
        stability, smallest segment share and rows evaluated.
    best_estimator_ : CentroidClusterer
        The fitted clusterer at ``k_``.
    cluster_centers_ : ndarray of shape (n_clusters_, n_features)
    n_clusters_ : int
    labels_ : ndarray of shape (n_samples,)
    sample_indices_ : ndarray
        Rows of the training data in the selection subset, in increasing order.
    n_features_in_ : int
    """

    def __init__(
        self,
        estimator: CentroidClusterer | None = None,
        k_values: Sequence[int] = tuple(range(2, 11)),
        k: int | None = None,
        min_stability: float = 0.75,
        min_segment_share: float = 0.02,
        silhouette_tolerance: float = 0.01,
        stability_resamples: int = 10,
        stability_sample_size: int = 5000,
        silhouette_sample_size: int = 5000,
        selection_sample_size: int = 20000,
        refit_estimator: CentroidClusterer | None = None,
        refit: bool = True,
        random_state: int = 42,
    ) -> None:
        self.estimator = estimator
        self.k_values = k_values
        self.k = k
        self.min_stability = min_stability
        self.min_segment_share = min_segment_share
        self.silhouette_tolerance = silhouette_tolerance
        self.stability_resamples = stability_resamples
        self.stability_sample_size = stability_sample_size
        self.silhouette_sample_size = silhouette_sample_size
        self.selection_sample_size = selection_sample_size
        self.refit_estimator = refit_estimator
        self.refit = refit
        self.random_state = random_state

    def _clusterer(self, k: int, random_state: int, base: BaseEstimator | None = None) -> CentroidClusterer:
        base = base if base is not None else self.estimator
        return clone(base if base is not None else CentroidClusterer()).set_params(
            n_clusters=k, random_state=random_state
        )

    def fit(self, X, y=None) -> StableKSearch:
        """Score every candidate k on the selection subset, choose one, refit it."""
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=3)
        n = len(X)
        seeds = np.random.SeedSequence(self.random_state).spawn(2)
        if n > self.selection_sample_size:
            pick = np.random.default_rng(seeds[0]).choice(n, self.selection_sample_size, replace=False)
            self.sample_indices_ = np.sort(pick)
        else:
            self.sample_indices_ = np.arange(n)
        sample = X[self.sample_indices_]
        self.k_values_ = self._candidates(sample)
        self.results_, centers = self._sweep(sample, self.k_values_)
        self.choice_ = choose_k(
            self.results_,
            min_stability=self.min_stability,
            min_segment_share=self.min_segment_share,
            silhouette_tolerance=self.silhouette_tolerance,
            pinned_k=self.k,
        )
        self.k_ = self.choice_.k
        best = centers[self.k_]
        if self.refit and len(sample) < n:
            final = self._clusterer(len(best.cluster_centers_), self.random_state, self.refit_estimator)
            best = final.set_params(init_centers=best.cluster_centers_).fit(X)
        self.best_estimator_ = best
        self.cluster_centers_ = best.cluster_centers_
        self.n_clusters_ = len(self.cluster_centers_)
        self.labels_ = nearest_centroid(X, self.cluster_centers_)[0]
        return self

    def predict(self, X) -> np.ndarray:
        """Nearest centroid of the chosen clustering."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return nearest_centroid(X, self.cluster_centers_)[0]

    def _candidates(self, sample: np.ndarray) -> list[int]:
        wanted = sorted({int(k) for k in self.k_values} | ({int(self.k)} if self.k is not None else set()))
        if not wanted or wanted[0] < 2:
            raise ValueError(f"candidate k must be at least 2, got {wanted}")
        distinct = len(np.unique(sample, axis=0)) if len(sample) <= 200_000 else wanted[-1]
        cap = min(len(sample) - 1, distinct)
        if self.k is not None and self.k > cap:
            raise ValueError(
                f"pinned k={self.k} but the data has only {distinct} distinct row(s) of {len(sample)}"
            )
        ks = [k for k in wanted if k <= cap]
        if not ks:
            raise ValueError(
                f"no candidate k in {wanted} fits the data: {distinct} distinct row(s) of {len(sample)}"
            )
        return ks

    def _sweep(self, points: np.ndarray, ks: list[int]) -> tuple[pd.DataFrame, dict[int, CentroidClusterer]]:
        """Fit every k on ``points`` and score it; the fitted clusterers by k."""
        seeds = np.random.SeedSequence(self.random_state).spawn(3)
        fitted = {k: self._clusterer(k, self.random_state).fit(points) for k in ks}
        labels = {k: model.labels_ for k, model in fitted.items()}
        n = len(points)
        m = min(n, self.stability_sample_size)
        eval_idx = np.sort(np.random.default_rng(seeds[0]).choice(n, m, replace=False))
        boot_rng = np.random.default_rng(seeds[1])
        aris: dict[int, list[float]] = {k: [] for k in ks}
        for r in range(self.stability_resamples):
            boot = boot_rng.integers(0, n, size=m)
            for k in ks:
                if k > len(np.unique(points[boot], axis=0)):
                    continue
                resampled = self._clusterer(k, self.random_state + 1 + r).fit(points[boot])
                aris[k].append(adjusted_rand_score(labels[k][eval_idx], resampled.predict(points[eval_idx])))
        sil_seed = int(np.random.default_rng(seeds[2]).integers(0, 2**31 - 1))
        rows = []
        for k in ks:
            model, lab = fitted[k], labels[k]
            counts = np.bincount(lab, minlength=k)
            rows.append(
                {
                    "k": k,
                    "inertia": model.inertia_,
                    "silhouette": safe_score(
                        silhouette_score,
                        points,
                        lab,
                        sample_size=self.silhouette_sample_size if n > self.silhouette_sample_size else None,
                        random_state=sil_seed,
                    ),
                    "calinski_harabasz": safe_score(calinski_harabasz_score, points, lab),
                    "davies_bouldin": safe_score(davies_bouldin_score, points, lab),
                    "stability": float(np.mean(aris[k])) if aris[k] else math.nan,
                    "min_segment_share": float(counts.min() / n),
                    "n_evaluated": n,
                }
            )
        table = pd.DataFrame(rows, columns=list(CANDIDATE_COLUMNS))
        return table.astype({"k": "int64", "n_evaluated": "int64"}), fitted
