"""Choosing the number of segments: the candidate sweep (metrics + bootstrap stability) and
the pure k-selection rule :func:`choose_k` (documented in :mod:`custseg.segmentation`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)

from custseg.segmentation.clustering import fit_centers, nearest_centroid

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
    """Outcome of :func:`choose_k`: the k, why, and a note per candidate k."""

    k: int
    reason: str
    notes: dict[int, str]


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
    ``min_segment_share``). Pure: same table -> same choice.

    1. ``pinned_k`` set -> that k (must be a candidate).
    2. Qualifying k: stability >= ``min_stability`` (NaN stability, i.e. no resamples, counts
       as passing) and smallest segment share >= ``min_segment_share``. Among them take the
       best silhouette; every k within ``silhouette_tolerance`` of it ties, and ties go to
       the smaller k (parsimony; sampled silhouettes carry noise of about that size).
    3. None qualifies -> among k passing the share rule (or all k if none does), the highest
       stability, ties (within 1e-9) to the smaller k.
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
    return KChoice(k, reason, notes)


def _safe(metric, points: np.ndarray, labels: np.ndarray, **kwargs) -> float:
    n_labels = len(np.unique(labels))
    if n_labels < 2 or n_labels >= len(labels):
        return math.nan
    try:
        return float(metric(points, labels, **kwargs))
    except ValueError:  # e.g. a silhouette subsample that holds a single label
        return math.nan


def evaluate_candidates(
    points: np.ndarray,
    ks: Sequence[int],
    *,
    algorithm: str,
    n_init: int,
    random_state: int,
    minibatch_threshold: int,
    minibatch_batch_size: int,
    agglomerative_sample_size: int,
    covariance_type: str,
    gmm_n_init: int,
    silhouette_sample_size: int,
    stability_resamples: int,
    stability_sample_size: int,
) -> tuple[pd.DataFrame, dict[int, np.ndarray]]:
    """Fit every k on ``points`` (the selection sample) and score it.

    Metrics are computed on nearest-centroid labels of ``points``: inertia (sum of squared
    distances), silhouette (on a fixed random subset of ``silhouette_sample_size`` rows),
    Calinski-Harabasz, Davies-Bouldin, smallest segment share, and stability: the mean
    adjusted Rand index, over ``stability_resamples`` bootstrap resamples of at most
    ``stability_sample_size`` rows, between the clustering refitted on the resample and the
    reference clustering, both evaluated on the same fixed subset of ``points``.
    Returns the metric table and the centres per k.
    """
    fit_kwargs = dict(
        algorithm=algorithm,
        n_init=n_init,
        minibatch_threshold=minibatch_threshold,
        minibatch_batch_size=minibatch_batch_size,
        agglomerative_sample_size=agglomerative_sample_size,
        covariance_type=covariance_type,
        gmm_n_init=gmm_n_init,
    )
    seeds = np.random.SeedSequence(random_state).spawn(3)
    centers = fit_centers(points, ks, random_state=random_state, **fit_kwargs)
    n = len(points)
    labels = {k: nearest_centroid(points, c)[0] for k, c in centers.items()}

    m = min(n, stability_sample_size)
    eval_idx = np.sort(np.random.default_rng(seeds[0]).choice(n, m, replace=False))
    boot_rng = np.random.default_rng(seeds[1])
    aris: dict[int, list[float]] = {k: [] for k in centers}
    for r in range(stability_resamples):
        boot = boot_rng.integers(0, n, size=m)
        boot_centers = fit_centers(
            points[boot], list(centers), random_state=random_state + 1 + r, **fit_kwargs
        )
        for k, c in boot_centers.items():
            boot_labels = nearest_centroid(points[eval_idx], c)[0]
            aris[k].append(adjusted_rand_score(labels[k][eval_idx], boot_labels))

    sil_seed = int(np.random.default_rng(seeds[2]).integers(0, 2**31 - 1))
    rows = []
    for k in ks:
        if k not in centers:
            continue
        lab = labels[k]
        counts = np.bincount(lab, minlength=k)
        diff = points - centers[k][lab]
        rows.append(
            {
                "k": k,
                "inertia": float(np.einsum("ij,ij->", diff, diff)),
                "silhouette": _safe(
                    silhouette_score,
                    points,
                    lab,
                    sample_size=silhouette_sample_size if n > silhouette_sample_size else None,
                    random_state=sil_seed,
                ),
                "calinski_harabasz": _safe(calinski_harabasz_score, points, lab),
                "davies_bouldin": _safe(davies_bouldin_score, points, lab),
                "stability": float(np.mean(aris[k])) if aris[k] else math.nan,
                "min_segment_share": float(counts.min() / n),
                "n_evaluated": n,
            }
        )
    table = pd.DataFrame(rows, columns=list(CANDIDATE_COLUMNS))
    return table.astype({"k": "int64", "n_evaluated": "int64"}), centers
