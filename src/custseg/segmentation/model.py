"""Fit one source's segmentation (:func:`fit_segmentation`); score customers with the
result's parameter tables (:mod:`~custseg.segmentation.scoring`).

The fit is a chain of scikit-learn estimators: the item pipeline and the feature pipeline
(:mod:`~custseg.segmentation.preprocessing`), then :class:`~custseg.segmentation.selection.StableKSearch`
over a :class:`~custseg.segmentation.clustering.CentroidClusterer`. Around them this module
only handles customers: ids and exclusions, segment numbering, outliers, comparisons, the
structure verdict and the tables SQL reads.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.cluster import AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.metrics import silhouette_samples
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from custseg import __version__ as package_version
from custseg.segmentation.clustering import CentroidClusterer, member_means, nearest_centroid
from custseg.segmentation.comparison import compare_clusterings
from custseg.segmentation.errors import SegmentationInputError, SegmentationWarning
from custseg.segmentation.ids import match_segment_ids, order_segments
from custseg.segmentation.items import ItemMatrix, ItemPatternSource, build_item_matrix
from custseg.segmentation.preprocessing import (
    inverse_scaled,
    make_item_pipeline,
    make_preprocessor,
    model_dimensions,
    original_to_scaled,
    preprocessing_parameters,
    projection_parameters,
    scaled_features,
    to_scaled,
)
from custseg.segmentation.scoring import ItemColumns, ModelParameters
from custseg.segmentation.selection import KChoice, StableKSearch
from custseg.segmentation.settings import ALGORITHMS, SegmentationSettings
from custseg.segmentation.structure import StructureVerdict, assess_structure
from custseg.segmentation.validation import PreparedInput, prepare_input

TABLE_NAMES = (
    "preprocessing",
    "projection",
    "model_centroids",
    "item_components",
    "model_segments",
    "centroids",
    "model_selection",
    "comparison",
    "id_matching",
    "customer_silhouettes",
)

_BACKENDS = {
    KMeans: "kmeans",
    MiniBatchKMeans: "minibatch_kmeans",
    GaussianMixture: "gmm",
    AgglomerativeClustering: "ward",
}


def make_clusterer(
    settings: SegmentationSettings, n_rows: int, algorithm: str | None = None
) -> CentroidClusterer:
    """The clusterer the settings describe for ``n_rows`` rows (``algorithm`` overrides the
    settings' one: the comparisons use the others): k-means (mini-batch above
    ``minibatch_threshold`` rows), a Gaussian mixture, or Ward on a capped subset."""
    algorithm = algorithm or settings.algorithm
    max_fit_samples = None
    if algorithm == "kmeans" and n_rows > settings.minibatch_threshold:
        estimator = MiniBatchKMeans(
            n_init=settings.n_init, batch_size=settings.minibatch_batch_size, max_no_improvement=10
        )
    elif algorithm == "kmeans":
        estimator = KMeans(n_init=settings.n_init)
    elif algorithm == "gmm":
        estimator = GaussianMixture(
            covariance_type=settings.gmm_covariance_type, n_init=settings.gmm_n_init, reg_covar=1e-6
        )
    elif algorithm == "agglomerative":
        estimator = AgglomerativeClustering(linkage="ward")
        max_fit_samples = settings.agglomerative_sample_size
    else:
        raise ValueError(f"unknown algorithm {algorithm!r}")
    return CentroidClusterer(
        estimator=estimator, max_fit_samples=max_fit_samples, random_state=settings.random_state
    )


@dataclass(frozen=True, eq=False)
class SegmentationFit:
    """A fitted segmentation of one source: the estimators, the segment numbering, and the
    tables SQL reads to score any customer (:data:`TABLE_NAMES`)."""

    source: str
    model_version: str
    settings: SegmentationSettings
    features: tuple[str, ...]
    dropped_features: tuple[str, ...]
    item_features: tuple[str, ...]
    items: tuple[str, ...]
    item_columns: ItemColumns
    preprocessor: Pipeline
    item_pipeline: Pipeline | None
    search: StableKSearch
    segment_ids: np.ndarray
    centers: np.ndarray
    outlier_thresholds: np.ndarray
    backend: str
    structure: StructureVerdict
    n_customers: int
    n_fitted: int
    warnings: tuple[str, ...]
    tables: Mapping[str, pd.DataFrame] = field(repr=False)

    @property
    def choice(self) -> KChoice:
        return self.search.choice_

    @property
    def parameters(self) -> ModelParameters:
        """The fitted model as parameter tables: what SQL reads, and what scores in Python."""
        return ModelParameters.from_tables(self.tables)

    def predict(
        self,
        features: pd.DataFrame,
        items: ItemPatternSource | None = None,
        *,
        id_column: str = "customer_id",
    ) -> pd.DataFrame:
        """Score customers: segment, distance to its centroid, margin to the next one and the
        outlier flag, by customer id (:meth:`ModelParameters.predict`, the reference of the
        SQL macro ``predict_segment``)."""
        return self.parameters.predict(features, items, id_column=id_column, item_columns=self.item_columns)

    def summary(self) -> dict[str, Any]:
        """The fit in one row of plain values (what the ``segment_models`` mart shows)."""
        chosen = self.search.results_.set_index("k").loc[self.choice.k]
        return {
            "source": self.source,
            "model_version": self.model_version,
            "algorithm": self.settings.algorithm,
            "backend": self.backend,
            "segments": len(self.segment_ids),
            "chosen_k": int(self.choice.k),
            "choice_reason": self.choice.reason,
            "is_k_rule_fallback": bool(self.choice.is_fallback),
            "silhouette": float(chosen["silhouette"]),
            "stability": float(chosen["stability"]),
            "null_silhouette_mean": self.structure.null_silhouette_mean,
            "null_silhouette_std": self.structure.null_silhouette_std,
            "structure_verdict": self.structure.verdict,
            "structure_detail": self.structure.detail,
            "customers": self.n_customers,
            "fitted_customers": self.n_fitted,
            "features": list(self.features),
            "dropped_features": list(self.dropped_features),
            "warnings": list(self.warnings),
        }


def fit_segmentation(
    features: pd.DataFrame,
    settings: Mapping[str, Any] | SegmentationSettings,
    *,
    source: str,
    id_column: str = "customer_id",
    exclude_column: str | None = "is_excluded_from_fit",
    items: ItemPatternSource | None = None,
    item_columns: ItemColumns = ("customer_id", "stock_code", "lines"),
    previous_centroids: pd.DataFrame | None = None,
) -> SegmentationFit:
    """Segment the customers in ``features`` (one row per customer).

    ``settings``: the plain config dict or :class:`SegmentationSettings` (docs/segmentation.md).
    ``source`` labels the model. ``items``: the long (customer, item, lines) relation, read
    once when ``item_pattern.enabled``, as a DataFrame, an Arrow table or a stream of record
    batches. ``previous_centroids``: the ``centroids`` table of the build before, so that
    segments keep their ids. Same input and settings give the same fit and model version.
    Each documented fallback applied is in ``warnings`` and issued as a
    :class:`SegmentationWarning`.
    """
    cfg = SegmentationSettings.from_mapping(settings)
    if not isinstance(source, str) or not source:
        raise SegmentationInputError(f"source must be a non-empty string, got {source!r}")
    prepared = prepare_input(features, cfg, id_column=id_column, exclude_column=exclude_column)
    notes = list(prepared.warnings)
    if cfg.item_pattern.enabled and items is None:
        raise SegmentationInputError("item_pattern.enabled is true but no items were passed")
    if not cfg.item_pattern.enabled and items is not None:
        notes.append("items given but item_pattern.enabled is false; ignored")
        items = None
    n_fit = int(prepared.fitted.sum())
    if n_fit < cfg.k_min + 1:
        raise SegmentationInputError(
            f"only {n_fit} fitted customer(s) of {prepared.n_rows} (the rest are excluded); "
            f"need at least k_min + 1 = {cfg.k_min + 1}"
        )
    matrix = _read_items(items, prepared.ids, item_columns) if items is not None else None
    data_version = _data_version(prepared, cfg, source, matrix)
    # Single-threaded BLAS: the many small products of the sweep run faster without a pool.
    with threadpool_limits(limits=1, user_api="blas"):
        fit = _fit(prepared, cfg, source, data_version, matrix, item_columns, previous_centroids, notes)
    for message in fit.warnings:
        warnings.warn(f"{source}: {message}", SegmentationWarning, stacklevel=2)
    return fit


def _read_items(items: ItemPatternSource | ItemMatrix, ids: pd.Series, columns: ItemColumns) -> ItemMatrix:
    if isinstance(items, ItemMatrix):
        return items
    customer, item, lines = columns
    return build_item_matrix(items, ids, customer_column=customer, item_column=item, lines_column=lines)


def _data_version(
    prepared: PreparedInput, cfg: SegmentationSettings, source: str, matrix: ItemMatrix | None
) -> hashlib._Hash:
    """SHA-256 of the settings, source, library versions and the id-sorted input (ids,
    exclusion flags, feature values and, with the item pattern, its canonical matrix)."""
    hasher = hashlib.sha256()
    meta = {
        "settings": cfg.to_dict(),
        "source": source,
        "features": list(prepared.features),
        "custseg": package_version,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
    }
    hasher.update(json.dumps(meta, sort_keys=True, default=str).encode())
    data = prepared.frame()
    data.insert(0, "__excluded", prepared.excluded)
    data.insert(0, "__id", prepared.ids.to_numpy())
    data["__order"] = prepared.order_values
    hasher.update(json.dumps([[str(c), str(t)] for c, t in data.dtypes.items()]).encode())
    hasher.update(pd.util.hash_pandas_object(data, index=False).to_numpy().tobytes())
    if matrix is not None:
        matrix.update_hash(hasher)
    return hasher


def _fit_items(
    matrix: ItemMatrix, fitted: np.ndarray, cfg: SegmentationSettings, notes: list[str]
) -> tuple[Pipeline, tuple[str, ...], np.ndarray]:
    """The item pipeline fitted on the fitted customers' rows; its scores for every row."""
    if len(matrix.items) < 2:
        raise SegmentationInputError(
            f"item pattern: only {len(matrix.items)} item(s) in the item relation; the pattern needs at "
            "least 2 (lower var item_pattern_min_lines or disable item_pattern)"
        )
    n_components = min(cfg.item_pattern.n_components, len(matrix.items) - 1)
    if n_components < cfg.item_pattern.n_components:
        notes.append(f"item_pattern.n_components lowered to {n_components} ({len(matrix.items)} items)")
    pipeline = make_item_pipeline(n_components, cfg.random_state).fit(matrix.lines[np.flatnonzero(fitted)])
    names = tuple(f"item_svd_{c + 1}" for c in range(n_components))
    return pipeline, names, pipeline.transform(matrix.lines)


def _fit(
    prepared: PreparedInput,
    cfg: SegmentationSettings,
    source: str,
    data_version: hashlib._Hash,
    matrix: ItemMatrix | None,
    item_columns: ItemColumns,
    previous_centroids: pd.DataFrame | None,
    notes: list[str],
) -> SegmentationFit:
    fitted = prepared.fitted
    n_fit = int(fitted.sum())
    raw = prepared.frame()
    item_pipeline, item_features, items = None, (), ()
    if matrix is not None:
        item_pipeline, item_features, scores = _fit_items(matrix, fitted, cfg, notes)
        raw = raw.join(pd.DataFrame(scores, columns=list(item_features)))
        items = tuple(matrix.items.tolist())
    del matrix  # at scale the largest object, and not needed by the rest of the fit

    preprocessor = make_preprocessor(cfg.log1p_features, cfg.scaler, cfg.pca_variance, cfg.random_state)
    try:
        preprocessor.fit(raw[fitted])
    except ValueError as error:  # VarianceThreshold: every feature is constant
        raise SegmentationInputError(
            f"all features are constant over the fitted customers (e.g. all rows identical): {error}"
        ) from error
    kept = scaled_features(preprocessor)
    dropped = tuple(f for f in raw.columns if f not in kept)
    if dropped:
        notes.append(f"constant feature(s) dropped (no variation among fitted customers): {list(dropped)}")
    scaled = to_scaled(preprocessor, raw).to_numpy()
    model = preprocessor.transform(raw).to_numpy(dtype="float64")

    fit_rows = np.flatnonzero(fitted)
    sample_size = min(n_fit, cfg.selection_sample_size)
    search = StableKSearch(
        estimator=make_clusterer(cfg, sample_size),
        k_values=range(cfg.k_min, cfg.k_max + 1),
        k=cfg.k,
        min_stability=cfg.min_stability,
        min_segment_share=cfg.min_segment_share,
        silhouette_tolerance=cfg.silhouette_tolerance,
        stability_resamples=cfg.stability_resamples,
        stability_sample_size=cfg.stability_sample_size,
        silhouette_sample_size=cfg.silhouette_sample_size,
        selection_sample_size=cfg.selection_sample_size,
        refit_estimator=make_clusterer(cfg, n_fit),
        refit=cfg.algorithm != "agglomerative",
        random_state=cfg.random_state,
    )
    try:
        with threadpool_limits(limits=1):  # many small fits: threads only add overhead
            search.fit(model[fitted])
    except ValueError as error:
        raise SegmentationInputError(f"cannot choose k for {n_fit} fitted customers: {error}") from error
    lowered = sorted(set(range(cfg.k_min, cfg.k_max + 1)) - set(search.k_values_))
    if lowered:
        notes.append(f"k {lowered} left out: not enough distinct customers")
    if search.choice_.is_fallback:
        notes.append(f"k rule fell back: {search.choice_.reason}")

    # ---- segments: drop empty ones, number them, keep previous ids
    centers = search.cluster_centers_
    labels = nearest_centroid(model, centers)[0]
    counts = np.bincount(labels[fitted], minlength=len(centers))
    if (counts == 0).any():
        notes.append(
            f"{int((counts == 0).sum())} segment(s) without fitted customers dropped "
            f"(k={search.k_} -> {int((counts > 0).sum())})"
        )
        centers = centers[counts > 0]
        labels = nearest_centroid(model, centers)[0]
    n_seg = len(centers)
    order_means = member_means(prepared.order_values[fitted][:, None], labels[fitted], n_seg)[:, 0]
    sizes = np.bincount(labels[fitted], minlength=n_seg)
    ordered_ids = order_segments(order_means, sizes, centers)
    final_ids, id_matching = match_segment_ids(
        member_means(scaled[fitted], labels[fitted], n_seg),
        kept,
        ordered_ids,
        previous_centroids,
        scale_original=partial(original_to_scaled, preprocessor),
        max_distance=cfg.id_match_max_distance,
        source=source,
    )
    perm = np.argsort(final_ids, kind="stable")
    centers, segment_ids = centers[perm], final_ids[perm]
    # with the centres sorted by id, exact ties go to the smaller id (as in SQL)
    labels, distance, _ = nearest_centroid(model, centers)
    sizes = np.bincount(labels[fitted], minlength=n_seg)
    thresholds = np.array(
        [
            np.quantile(distance[fitted & (labels == s)], cfg.outlier_quantile) if sizes[s] else np.nan
            for s in range(n_seg)
        ]
    )

    sample_rows = fit_rows[search.sample_indices_]
    chosen_silhouette = float(search.results_.set_index("k").loc[search.k_, "silhouette"])
    with threadpool_limits(limits=1):
        comparison, comparison_notes = _compare(cfg, raw, model, labels, sample_rows, item_features, n_seg)
        structure = assess_structure(
            model[sample_rows],
            chosen_silhouette,
            make_clusterer(cfg, len(sample_rows)),
            n_seg,
            references=cfg.structure_references,
            min_silhouette=cfg.structure_min_silhouette,
            silhouette_sample_size=cfg.silhouette_sample_size,
            random_state=cfg.random_state,
        )
    notes.extend(comparison_notes)

    data_version.update(json.dumps(segment_ids.tolist()).encode())
    data_version.update(np.ascontiguousarray(centers, dtype=np.float64).tobytes())
    version = data_version.hexdigest()[:12]
    scaled_fit = scaled[fitted]
    tables = {
        "preprocessing": preprocessing_parameters(preprocessor, item_features),
        "projection": projection_parameters(preprocessor),
        "model_centroids": _model_centroids(segment_ids, centers, model_dimensions(preprocessor)),
        "item_components": _item_components(item_pipeline, item_features, items),
        "model_segments": pd.DataFrame(
            {
                "segment_id": segment_ids.astype("int64"),
                "n_fitted": sizes.astype("int64"),
                "share_of_fitted": (sizes / n_fit).astype("float64"),
                "outlier_distance_threshold": thresholds.astype("float64"),
                "order_feature": pd.Series([prepared.order_feature] * n_seg, dtype="str"),
                "order_value": member_means(prepared.order_values[fitted][:, None], labels[fitted], n_seg)[
                    :, 0
                ],
            }
        ),
        "centroids": _centroids(
            preprocessor, segment_ids, scaled_fit, raw[kept][fitted].to_numpy(), labels[fitted]
        ),
        "model_selection": _model_selection(search, cfg.algorithm),
        "comparison": comparison,
        "id_matching": id_matching.copy(),
        "customer_silhouettes": _customer_silhouettes(prepared.ids, model, labels, cfg),
    }
    return SegmentationFit(
        source=source,
        model_version=version,
        settings=cfg,
        features=prepared.features,
        dropped_features=dropped,
        item_features=item_features,
        items=items,
        item_columns=item_columns,
        preprocessor=preprocessor,
        item_pipeline=item_pipeline,
        search=search,
        segment_ids=segment_ids,
        centers=centers,
        outlier_thresholds=thresholds,
        backend=_BACKENDS.get(type(search.best_estimator_.estimator_), cfg.algorithm),
        structure=structure,
        n_customers=prepared.n_rows,
        n_fitted=n_fit,
        warnings=tuple(notes),
        tables=tables,
    )


def _compare(
    cfg: SegmentationSettings,
    raw: pd.DataFrame,
    model: np.ndarray,
    labels: np.ndarray,
    rows: np.ndarray,
    item_features: Sequence[str],
    k: int,
) -> tuple[pd.DataFrame, list[str]]:
    """The chosen clustering against the other algorithms and the comparison feature sets."""
    algorithms = cfg.comparison_algorithms
    if algorithms is None:
        algorithms = tuple(a for a in ALGORITHMS if a != cfg.algorithm)
    sample = raw.iloc[rows].reset_index(drop=True)

    def points_on(columns: list[str]):
        def points() -> np.ndarray:
            logged = [f for f in cfg.log1p_features if f in columns]
            pipeline = make_preprocessor(logged, cfg.scaler, cfg.pca_variance, cfg.random_state)
            return pipeline.fit_transform(sample[columns]).to_numpy()

        return points

    base = [c for c in raw.columns if c not in item_features]
    feature_sets = {
        name: points_on([*columns, *item_features]) for name, columns in cfg.comparison_feature_sets
    }
    if item_features:
        feature_sets["without_item_pattern"] = points_on(base)
    return compare_clusterings(
        labels[rows],
        name=cfg.algorithm,
        model_points=model[rows],
        algorithms={a: make_clusterer(cfg, len(rows), a) for a in algorithms if a != cfg.algorithm},
        feature_sets=feature_sets,
        clusterer=make_clusterer(cfg, len(rows)),
        k=k,
    )


def _model_centroids(segment_ids: np.ndarray, centers: np.ndarray, dimensions: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment_id": np.repeat(segment_ids, dimensions).astype("int64"),
            "component": np.tile(np.arange(1, dimensions + 1), len(segment_ids)).astype("int64"),
            "center": centers.ravel().astype("float64"),
        }
    )


def _item_components(pipeline: Pipeline | None, names: Sequence[str], items: Sequence[str]) -> pd.DataFrame:
    if pipeline is None:
        return pd.DataFrame(
            {
                "feature": pd.Series([], dtype="str"),
                "item": pd.Series([], dtype="str"),
                "loading": pd.Series([], dtype="float64"),
            }
        )
    components = pipeline.named_steps["svd"].components_  # (components x items)
    c_i, i_i = np.indices(components.shape)
    return pd.DataFrame(
        {
            "feature": pd.Series([names[c] for c in c_i.ravel()], dtype="str"),
            "item": pd.Series([items[i] for i in i_i.ravel()], dtype="str"),
            "loading": components.ravel().astype("float64"),
        }
    )


def _centroids(
    preprocessor: Pipeline, segment_ids: np.ndarray, scaled: np.ndarray, raw: np.ndarray, labels: np.ndarray
) -> pd.DataFrame:
    """Each segment's centre per feature: member mean in the scaled space, that centre in
    original units, and the arithmetic member mean in original units (fitted customers)."""
    n_seg = len(segment_ids)
    center_scaled = member_means(scaled, labels, n_seg)
    features = scaled_features(preprocessor)
    return pd.DataFrame(
        {
            "segment_id": np.repeat(segment_ids, len(features)).astype("int64"),
            "feature": pd.Series(features * n_seg, dtype="str"),
            "center_scaled": center_scaled.ravel(),
            "center_original": inverse_scaled(preprocessor, center_scaled).ravel(),
            "mean_original": member_means(raw, labels, n_seg).ravel(),
        }
    )


def _model_selection(search: StableKSearch, algorithm: str) -> pd.DataFrame:
    table = search.results_.copy()
    choice = search.choice_
    table["is_chosen"] = table["k"] == choice.k
    table["choice_reason"] = pd.Series(
        [choice.reason if k == choice.k else f"not chosen: {choice.notes[k]}" for k in table["k"]],
        dtype="str",
    )
    table["algorithm"] = pd.Series([algorithm] * len(table), dtype="str")
    return table.reset_index(drop=True)


def _customer_silhouettes(
    ids: pd.Series, model: np.ndarray, labels: np.ndarray, cfg: SegmentationSettings
) -> pd.DataFrame:
    """Each customer's silhouette, among a fixed random subset of ``silhouette_sample_size``
    customers when there are more (then only the subset's customers get one)."""
    n = len(ids)
    rows = np.arange(n)
    if n > cfg.silhouette_sample_size:
        rng = np.random.default_rng(np.random.SeedSequence(cfg.random_state).spawn(5)[4])
        rows = np.sort(rng.choice(n, cfg.silhouette_sample_size, replace=False))
    values = np.full(len(rows), np.nan)
    if 1 < len(np.unique(labels[rows])) < len(rows):
        values = silhouette_samples(model[rows], labels[rows])
    return pd.DataFrame({"customer_id": ids.iloc[rows].astype("str").to_numpy(), "silhouette": values})
