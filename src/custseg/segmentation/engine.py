"""The segmentation entry point :func:`run_segmentation`, its result object and the
in-process memo keyed by ``model_version``."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from threadpoolctl import threadpool_limits

from custseg import __version__ as package_version
from custseg.segmentation.clustering import (
    CentroidClusterer,
    backend_name,
    member_means,
    nearest_centroid,
)
from custseg.segmentation.comparison import compare_clusterings
from custseg.segmentation.errors import SegmentationInputError, SegmentationWarning
from custseg.segmentation.ids import match_segment_ids, order_segments
from custseg.segmentation.inputs import PreparedInput, prepare_input
from custseg.segmentation.preprocess import (
    FeaturePreprocessor,
    ItemMatrix,
    ItemPatternEncoder,
    ItemPatternSource,
)
from custseg.segmentation.selection import choose_k, evaluate_candidates
from custseg.segmentation.settings import SegmentationSettings

TABLE_NAMES = (
    "assignments",
    "centroids",
    "model_centroids",
    "preprocessing",
    "projection",
    "item_components",
    "segments",
    "model_selection",
    "comparison",
    "id_matching",
    "diagnostics",
)


@dataclass(frozen=True, eq=False)
class SegmentationResult:
    """Everything one segmentation run produces; each frame is one dbt table."""

    source: str
    model_version: str
    algorithm: str
    backend: str
    chosen_k: int
    choice_reason: str
    features: tuple[str, ...]
    dropped_features: tuple[str, ...]
    warnings: tuple[str, ...]
    settings: SegmentationSettings
    assignments: pd.DataFrame
    centroids: pd.DataFrame
    model_centroids: pd.DataFrame
    preprocessing: pd.DataFrame
    projection: pd.DataFrame
    item_components: pd.DataFrame
    segments: pd.DataFrame
    model_selection: pd.DataFrame
    comparison: pd.DataFrame
    id_matching: pd.DataFrame
    diagnostics: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """All output frames by table name."""
        return {name: getattr(self, name) for name in TABLE_NAMES}

    def table(self, name: str) -> pd.DataFrame:
        """One output frame by name (see :data:`TABLE_NAMES`)."""
        if name not in TABLE_NAMES:
            raise KeyError(f"unknown segmentation table {name!r}; choose from {TABLE_NAMES}")
        return getattr(self, name)

    def copy(self) -> SegmentationResult:
        """Shallow copy whose frames are new objects (copy-on-write: cheap, and edits by a
        caller never reach the memoised result)."""
        frames = {name: getattr(self, name).copy(deep=False) for name in TABLE_NAMES}
        return dataclasses.replace(self, **frames)


# --------------------------------------------------------------------------- memo

_CACHE: OrderedDict[str, SegmentationResult] = OrderedDict()
_CACHE_SIZE = 8
_LOCK = threading.RLock()


def clear_cache() -> None:
    """Forget memoised results (tests, or to force a refit in a long-lived process)."""
    _CACHE.clear()


# --------------------------------------------------------------------------- version


_PREVIOUS_COLUMNS = ("segment_id", "feature", "center_scaled", "center_original")


def _hash_frame(hasher: Any, frame: pd.DataFrame) -> None:
    hasher.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    hasher.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())


def compute_model_version(
    prepared: PreparedInput,
    settings: SegmentationSettings,
    *,
    source: str,
    item_matrix: ItemMatrix | None = None,
) -> str:
    """12-hex-digit hash of the settings, source, library versions and the id-sorted input
    (ids, exclusion flags, feature values; plus, when the item pattern is used, its
    canonical :class:`ItemMatrix`: item names and the summed customer x item cells). Same
    inputs -> same version, whatever the input row order; item rows of customers not in the
    input do not count (they do not reach the model). The previous build's centroids are
    not part of it: they decide segment ids, not the model, so the first build and an
    unchanged rebuild carry the same version."""
    hasher = hashlib.sha256()
    meta = {
        "settings": settings.to_dict(),
        "source": source,
        "custseg": package_version,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
    }
    hasher.update(json.dumps(meta, sort_keys=True, default=str).encode())
    data = pd.DataFrame(prepared.raw, columns=list(prepared.features))
    data.insert(0, "__excluded", prepared.excluded)
    data.insert(0, "__id", prepared.ids.to_numpy())
    data["__order"] = prepared.order_values
    _hash_frame(hasher, data)
    if item_matrix is not None:
        item_matrix.update_hash(hasher)
    return hasher.hexdigest()[:12]


def _previous_centroids_key(previous_centroids: pd.DataFrame | None, source: str) -> str:
    """Hash of what the id matching reads from the previous centroids ('' when none): part
    of the memo key, since the same model with other previous centroids gets other ids."""
    if previous_centroids is None:
        return ""
    missing = [c for c in _PREVIOUS_COLUMNS[:3] if c not in previous_centroids.columns]
    if missing:
        raise SegmentationInputError(f"previous_centroids is missing column(s) {missing}")
    prev = previous_centroids
    if "source" in prev.columns:
        prev = prev[prev["source"] == source]
    used = [c for c in _PREVIOUS_COLUMNS if c in prev.columns]
    prev = prev[used].sort_values(used[:2], kind="mergesort").reset_index(drop=True)
    prev = prev.astype({c: "float64" for c in used[2:]})
    hasher = hashlib.sha256()
    _hash_frame(hasher, prev)
    return hasher.hexdigest()[:12]


# --------------------------------------------------------------------------- entry point


def run_segmentation(
    features: pd.DataFrame,
    settings: Mapping[str, Any] | SegmentationSettings,
    *,
    source: str,
    id_column: str = "customer_id",
    exclude_column: str | None = "is_excluded_from_fit",
    item_pattern: ItemPatternSource | None = None,
    previous_centroids: pd.DataFrame | None = None,
    use_cache: bool = True,
) -> SegmentationResult:
    """Segment the customers in ``features`` (one row per customer) and return all tables.

    ``settings`` is the plain config dict (or a :class:`SegmentationSettings`); ``source``
    labels every output row. ``item_pattern`` is the long customer x item table used when
    ``item_pattern.enabled``: a pandas DataFrame, a pyarrow Table, a RecordBatchReader or an
    iterable of RecordBatches, read once, batch by batch, into a sparse matrix (see
    :func:`~custseg.segmentation.preprocess.build_item_matrix`); ``previous_centroids`` (a
    previous ``centroids`` table) keeps segment ids stable. Results are memoised in-process
    by ``model_version``: a second call with the same inputs returns the stored result
    without refitting (the item pattern is still read, to compute the version).
    """
    cfg = SegmentationSettings.from_mapping(settings)
    if not isinstance(source, str) or not source:
        raise SegmentationInputError(f"source must be a non-empty string, got {source!r}")
    prepared = prepare_input(features, cfg, id_column=id_column, exclude_column=exclude_column)
    notes = list(prepared.warnings)
    if cfg.item_pattern.enabled and item_pattern is None:
        raise SegmentationInputError("item_pattern.enabled is true but no item_pattern frame was passed")
    if not cfg.item_pattern.enabled and item_pattern is not None:
        notes.append("item_pattern frame given but item_pattern.enabled is false; ignored")
        item_pattern = None
    n_fit = int(prepared.fitted.sum())
    if n_fit < cfg.k_min + 1:
        raise SegmentationInputError(
            f"only {n_fit} fitted customer(s) of {prepared.n_rows} (the rest are excluded); "
            f"need at least k_min + 1 = {cfg.k_min + 1}"
        )
    encoder = item_matrix = None
    if item_pattern is not None:
        encoder = _item_encoder(cfg, id_column)
        item_matrix = encoder.build_matrix(item_pattern, prepared.ids)
    version = compute_model_version(prepared, cfg, source=source, item_matrix=item_matrix)
    memo_key = f"{version}:{_previous_centroids_key(previous_centroids, source)}"
    # One fit at a time: dbt may run several Python models in threads; a second caller with
    # the same inputs waits for the first fit and then reads the memo.
    with _LOCK:
        if use_cache and memo_key in _CACHE:
            _CACHE.move_to_end(memo_key)
            return _CACHE[memo_key].copy()
        # Single-threaded BLAS: the many small matrix products of the sweep (GMM above all)
        # run several times faster than with a BLAS thread pool, especially on a busy
        # machine; k-means keeps its own OpenMP parallelism.
        with threadpool_limits(limits=1, user_api="blas"):
            item_scores = None
            if encoder is not None:
                item_scores = _item_scores(encoder, item_matrix, prepared.fitted, notes)
            del item_matrix  # at scale the largest object, and not needed by the rest of the fit
            result = _fit(prepared, cfg, source, version, encoder, item_scores, previous_centroids, notes)
        if use_cache:
            _CACHE[memo_key] = result
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    for message in result.warnings:
        warnings.warn(message, SegmentationWarning, stacklevel=2)
    return result.copy() if use_cache else result


def _item_encoder(cfg: SegmentationSettings, id_column: str) -> ItemPatternEncoder:
    ip = cfg.item_pattern
    return ItemPatternEncoder(
        n_components=ip.n_components,
        min_lines=ip.min_lines,
        value=ip.value,
        item_column=ip.item_column,
        lines_column=ip.lines_column,
        quantity_column=ip.quantity_column,
        customer_column=id_column,
        random_state=cfg.random_state,
    )


def _item_scores(
    encoder: ItemPatternEncoder, matrix: ItemMatrix, fitted: np.ndarray, notes: list[str]
) -> np.ndarray:
    """Fit ``encoder`` on the fitted customers' rows of ``matrix``; SVD scores of every customer."""
    scores = encoder.fit_transform_matrix(matrix, np.flatnonzero(fitted))
    if encoder.n_components_ < encoder.n_components:
        notes.append(
            f"item_pattern.n_components lowered to {encoder.n_components_} ({len(encoder.items_)} items kept)"
        )
    return scores


def _candidate_ks(cfg: SegmentationSettings, n_fit: int, sample: np.ndarray, notes: list[str]) -> list[int]:
    """Candidate k values, shrunk to what the data can support (documented fallback)."""
    wanted = max(cfg.k_min, cfg.k or 0)
    if n_fit < wanted + 1:
        raise SegmentationInputError(
            f"only {n_fit} fitted customer(s); need at least {wanted + 1} for "
            f"{'pinned k' if cfg.k and cfg.k >= cfg.k_min else 'k_min'}={wanted}"
        )
    limit = max(cfg.k_max, cfg.k or 0)
    distinct = len(np.unique(sample, axis=0)) if len(sample) <= 200_000 else limit
    cap = min(limit, len(sample) - 1, distinct)
    if cfg.k is not None and cfg.k > cap:
        raise SegmentationInputError(
            f"pinned k={cfg.k} but the fitted customers have only {distinct} distinct "
            f"point(s) in model space ({n_fit} fitted customers)"
        )
    if cfg.k_min > cap:
        raise SegmentationInputError(
            f"k_min={cfg.k_min} but the fitted customers have only {distinct} distinct "
            f"point(s) in model space ({n_fit} fitted customers)"
        )
    if cap < cfg.k_max:
        notes.append(f"k_max lowered from {cfg.k_max} to {cap}: not enough distinct customers")
    ks = set(range(cfg.k_min, min(cfg.k_max, cap) + 1))
    if cfg.k is not None:
        ks.add(cfg.k)
    return sorted(ks)


def _fit(
    prepared: PreparedInput,
    cfg: SegmentationSettings,
    source: str,
    version: str,
    encoder: ItemPatternEncoder | None,
    item_scores: np.ndarray | None,
    previous_centroids: pd.DataFrame | None,
    notes: list[str],
) -> SegmentationResult:
    """The fit proper; ``item_scores`` are ``encoder``'s SVD scores of every customer (both
    None without the item pattern)."""
    fitted = prepared.fitted
    n_fit = int(fitted.sum())
    seeds = np.random.SeedSequence(cfg.random_state).spawn(2)

    # ---- features: base + item pattern SVD scores
    raw = prepared.raw
    names = list(prepared.features)
    item_names: tuple[str, ...] = ()
    if encoder is not None:
        item_names = encoder.feature_names_
        raw = np.hstack([raw, item_scores])
        names += list(item_names)

    pre = FeaturePreprocessor(names, cfg.log1p_features, cfg.scaler, cfg.pca_variance, cfg.random_state).fit(
        raw[fitted]
    )
    # item scores are never missing (no purchases = 0); SQL fills absent rows with 0 too
    pre.fill_values_[[i for i, f in enumerate(pre.features_) if f in item_names]] = 0.0
    if pre.dropped_features_:
        notes.append(
            f"constant feature(s) dropped (no variation among fitted customers): "
            f"{list(pre.dropped_features_)}"
        )
    scaled = pre.transform_scaled(raw)
    model = pre.scaled_to_model(scaled)
    fit_rows = np.flatnonzero(fitted)

    # ---- k sweep on the selection sample
    if n_fit > cfg.selection_sample_size:
        pick = np.random.default_rng(seeds[0]).choice(n_fit, cfg.selection_sample_size, False)
        sample_rows = fit_rows[np.sort(pick)]
    else:
        sample_rows = fit_rows
    sample = model[sample_rows]
    ks = _candidate_ks(cfg, n_fit, sample, notes)
    with threadpool_limits(limits=1):  # many small fits: threads only add overhead
        candidates, sweep_centers = evaluate_candidates(
            sample,
            ks,
            algorithm=cfg.algorithm,
            n_init=cfg.n_init,
            random_state=cfg.random_state,
            minibatch_threshold=cfg.minibatch_threshold,
            minibatch_batch_size=cfg.minibatch_batch_size,
            agglomerative_sample_size=cfg.agglomerative_sample_size,
            covariance_type=cfg.gmm_covariance_type,
            gmm_n_init=cfg.gmm_n_init,
            silhouette_sample_size=cfg.silhouette_sample_size,
            stability_resamples=cfg.stability_resamples,
            stability_sample_size=cfg.stability_sample_size,
        )
    choice = choose_k(
        candidates,
        min_stability=cfg.min_stability,
        min_segment_share=cfg.min_segment_share,
        silhouette_tolerance=cfg.silhouette_tolerance,
        pinned_k=cfg.k,
    )

    # ---- final fit on all fitted customers (warm-started from the sample fit)
    centers = sweep_centers[choice.k]
    refit = len(sample_rows) < n_fit and cfg.algorithm != "agglomerative"
    if refit:
        centers = (
            CentroidClusterer(
                len(centers),
                cfg.algorithm,
                n_init=cfg.n_init,
                random_state=cfg.random_state,
                minibatch_threshold=cfg.minibatch_threshold,
                minibatch_batch_size=cfg.minibatch_batch_size,
                covariance_type=cfg.gmm_covariance_type,
                init=centers,
            )
            .fit(model[fit_rows])
            .cluster_centers_
        )
    backend = backend_name(cfg.algorithm, n_fit if refit else len(sample_rows), cfg.minibatch_threshold)

    # ---- assignment, empty segments, ids
    labels = nearest_centroid(model, centers)[0]
    counts = np.bincount(labels[fitted], minlength=len(centers))
    if (counts == 0).any():
        notes.append(
            f"{int((counts == 0).sum())} segment(s) without fitted customers dropped "
            f"(k={choice.k} -> {int((counts > 0).sum())})"
        )
        centers = centers[counts > 0]
        labels = nearest_centroid(model, centers)[0]
    n_seg = len(centers)
    order_means = member_means(prepared.order_values[fitted][:, None], labels[fitted], n_seg)[:, 0]
    sizes = np.bincount(labels[fitted], minlength=n_seg)
    center_scaled = member_means(scaled[fitted], labels[fitted], n_seg)
    ordered_ids = order_segments(order_means, sizes, centers)
    final_ids, id_matching = match_segment_ids(
        center_scaled,
        pre.features_,
        ordered_ids,
        previous_centroids,
        scale_original=pre.original_to_scaled,
        max_distance=cfg.id_match_max_distance,
        source=source,
    )
    perm = np.argsort(final_ids, kind="stable")
    centers, segment_ids = centers[perm], final_ids[perm]
    # recompute with centres sorted by segment id: exact ties go to the smaller id (as in SQL)
    labels, distance, margin = nearest_centroid(model, centers)
    sizes = np.bincount(labels[fitted], minlength=n_seg)
    center_scaled = member_means(scaled[fitted], labels[fitted], n_seg)
    kept_raw_fit = np.where(np.isnan(raw[fitted]), 0.0, raw[fitted])[:, pre.kept_index_]
    mean_original = member_means(kept_raw_fit, labels[fitted], n_seg)
    order_means = member_means(prepared.order_values[fitted][:, None], labels[fitted], n_seg)[:, 0]

    # ---- outliers: distance above the segment's quantile among its fitted customers
    thresholds = np.full(n_seg, np.nan)
    for s in range(n_seg):
        own = distance[fitted & (labels == s)]
        if len(own):
            thresholds[s] = np.quantile(own, cfg.outlier_quantile)
    is_outlier = distance > thresholds[labels]

    # ---- comparison on the selection sample
    with threadpool_limits(limits=1):
        comparison, comparison_notes = compare_clusterings(
            labels[sample_rows],
            model[sample_rows],
            np.where(np.isnan(raw[sample_rows]), 0.0, raw[sample_rows]),
            names,
            item_names,
            cfg,
            n_seg,
        )
    notes.extend(comparison_notes)

    frames = _build_frames(
        prepared=prepared,
        cfg=cfg,
        source=source,
        version=version,
        pre=pre,
        encoder=encoder,
        item_names=item_names,
        segment_ids=segment_ids,
        labels=labels,
        distance=distance,
        margin=margin,
        is_outlier=is_outlier,
        thresholds=thresholds,
        centers=centers,
        center_scaled=center_scaled,
        mean_original=mean_original,
        order_means=order_means,
        sizes=sizes,
        candidates=candidates,
        choice=choice,
        comparison=comparison,
        id_matching=id_matching,
        notes=notes,
    )
    return SegmentationResult(
        source=source,
        model_version=version,
        algorithm=cfg.algorithm,
        backend=backend,
        chosen_k=choice.k,
        choice_reason=choice.reason,
        features=pre.features_,
        dropped_features=pre.dropped_features_,
        warnings=tuple(notes),
        settings=cfg,
        **frames,
    )


def _with_meta(frame: pd.DataFrame, source: str, version: str) -> pd.DataFrame:
    frame.insert(0, "source", pd.Series([source] * len(frame), dtype="str", index=frame.index))
    frame["model_version"] = pd.Series([version] * len(frame), dtype="str", index=frame.index)
    return frame


def _build_frames(
    *,
    prepared: PreparedInput,
    cfg: SegmentationSettings,
    source: str,
    version: str,
    pre: FeaturePreprocessor,
    encoder: ItemPatternEncoder | None,
    item_names: tuple[str, ...],
    segment_ids: np.ndarray,
    labels: np.ndarray,
    distance: np.ndarray,
    margin: np.ndarray,
    is_outlier: np.ndarray,
    thresholds: np.ndarray,
    centers: np.ndarray,
    center_scaled: np.ndarray,
    mean_original: np.ndarray,
    order_means: np.ndarray,
    sizes: np.ndarray,
    candidates: pd.DataFrame,
    choice: Any,
    comparison: pd.DataFrame,
    id_matching: pd.DataFrame,
    notes: list[str],
) -> dict[str, pd.DataFrame]:
    n_seg, n_feat = center_scaled.shape
    features = list(pre.features_)
    meta = {"source": source, "version": version}

    assignments = pd.DataFrame(
        {
            "customer_id": prepared.ids.to_numpy(),
            "segment_id": segment_ids[labels].astype("int64"),
            "distance_to_centroid": distance.astype("float64"),
            "margin_to_next_centroid": margin.astype("float64"),
            "is_outlier": is_outlier.astype(bool),
            "is_excluded_from_fit": prepared.excluded.astype(bool),
        }
    )
    assignments["customer_id"] = assignments["customer_id"].astype(prepared.ids.dtype)

    seg_rep = np.repeat(segment_ids, n_feat)
    centroids = pd.DataFrame(
        {
            "segment_id": seg_rep.astype("int64"),
            "feature": pd.Series(features * n_seg, dtype="str"),
            "center_scaled": center_scaled.ravel(),
            "center_original": pre.inverse_scaled(center_scaled).ravel(),
            "mean_original": mean_original.ravel(),
        }
    )

    n_comp = pre.n_components_
    model_centroids = pd.DataFrame(
        {
            "segment_id": np.repeat(segment_ids, n_comp).astype("int64"),
            "component": np.tile(np.arange(1, n_comp + 1), n_seg).astype("int64"),
            "center": centers.ravel().astype("float64"),
        }
    )

    transforms = [
        "item_svd" if f in item_names else ("log1p" if f in cfg.log1p_features else "none") for f in features
    ]
    preprocessing = pd.DataFrame(
        {
            "feature": pd.Series(features, dtype="str"),
            "position": np.arange(1, n_feat + 1, dtype="int64"),
            "transform": pd.Series(transforms, dtype="str"),
            "fill_value": pre.fill_values_.astype("float64"),
            "center": pre.center_.astype("float64"),
            "scale": pre.scale_.astype("float64"),
            "pca_mean": np.asarray(pre.pca_mean_, dtype="float64"),
        }
    )

    loadings = pre.loadings_
    f_idx, c_idx = np.nonzero(loadings) if pre.pca_ is None else np.indices(loadings.shape)
    f_idx, c_idx = f_idx.ravel(), c_idx.ravel()
    projection = pd.DataFrame(
        {
            "feature": pd.Series([features[i] for i in f_idx], dtype="str"),
            "component": (c_idx + 1).astype("int64"),
            "loading": loadings[f_idx, c_idx].astype("float64"),
        }
    )

    if encoder is not None:
        comp = encoder.components_  # (components x items)
        c_i, i_i = np.indices(comp.shape)
        item_components = pd.DataFrame(
            {
                "feature": pd.Series([item_names[c] for c in c_i.ravel()], dtype="str"),
                "item": pd.Series(encoder.items_[i_i.ravel()].astype(str), dtype="str"),
                "loading": comp.ravel().astype("float64"),
            }
        )
    else:
        item_components = pd.DataFrame(
            {
                "feature": pd.Series([], dtype="str"),
                "item": pd.Series([], dtype="str"),
                "loading": pd.Series([], dtype="float64"),
            }
        )

    fitted = prepared.fitted
    n_all = np.bincount(labels, minlength=n_seg)
    n_out = np.bincount(labels[is_outlier], minlength=n_seg)
    segments = pd.DataFrame(
        {
            "segment_id": segment_ids.astype("int64"),
            "n_customers": n_all.astype("int64"),
            "n_fitted": sizes.astype("int64"),
            "share_of_fitted": (sizes / fitted.sum()).astype("float64"),
            "n_outliers": n_out.astype("int64"),
            "outlier_distance_threshold": thresholds.astype("float64"),
            "order_feature": pd.Series([cfg.order_feature] * n_seg, dtype="str"),
            "order_value": order_means.astype("float64"),
        }
    )

    selection = candidates.copy()
    selection["is_chosen"] = selection["k"] == choice.k
    selection["choice_reason"] = pd.Series(
        [choice.reason if k == choice.k else f"not chosen: {choice.notes[k]}" for k in selection["k"]],
        dtype="str",
    )
    selection["algorithm"] = pd.Series([cfg.algorithm] * len(selection), dtype="str")

    diagnostics = pd.DataFrame({"message": pd.Series(notes, dtype="str")})

    out = {
        "assignments": assignments,
        "centroids": centroids,
        "model_centroids": model_centroids,
        "preprocessing": preprocessing,
        "projection": projection,
        "item_components": item_components,
        "segments": segments,
        "model_selection": selection.reset_index(drop=True),
        "comparison": comparison.copy(),
        "id_matching": id_matching.copy(),
        "diagnostics": diagnostics,
    }
    return {name: _with_meta(frame, **meta) for name, frame in out.items()}
