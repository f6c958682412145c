"""The two preprocessing pipelines, built from scikit-learn parts, and the parameters SQL
needs to replay them.

Customer features: impute the fitted median, drop features constant over the fitted
customers, log1p the skewed ones, scale, and optionally project on principal components::

    SimpleImputer(median) -> VarianceThreshold(0) -> log1p (ColumnTransformer) -> scaler -> PCA

Item pattern (a sparse customer x item matrix of purchase lines)::

    log1p -> Normalizer(l2) -> TruncatedSVD

The scoring arithmetic this amounts to (the SQL twin is the ``predict_segment`` macro)::

    x' = coalesce(x, fill_value)
    t  = ln(1 + max(x', 0)) for log1p features, x' otherwise
    z  = (t - center) / scale
    m_c = sum_f (z_f - pca_mean_f) * loading_fc
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.feature_selection import VarianceThreshold
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, Normalizer, RobustScaler, StandardScaler

SCALERS = {"standard": StandardScaler, "robust": RobustScaler}


def log1p_nonnegative(values):
    """ln(1 + max(x, 0)), elementwise, for dense frames/arrays and sparse matrices."""
    if sparse.issparse(values):
        return values.maximum(0).log1p()
    return np.log1p(np.maximum(values, 0.0))


def make_preprocessor(
    log1p_features: Sequence[str] = (),
    scaler: str = "standard",
    pca_variance: float | None = None,
    random_state: int = 42,
) -> Pipeline:
    """The customer-feature pipeline; it reads and writes pandas frames, so every step's
    output keeps the feature names. ``pca_variance`` in (0, 1) keeps that share of the
    variance, 1 keeps every component, None skips PCA."""
    if scaler not in SCALERS:
        raise ValueError(f"unknown scaler {scaler!r}; choose from {sorted(SCALERS)}")
    log1p = "passthrough"
    if log1p_features:
        pattern = "^(?:" + "|".join(re.escape(name) for name in log1p_features) + ")$"
        log1p = ColumnTransformer(
            [
                (
                    "log1p",
                    FunctionTransformer(log1p_nonnegative, feature_names_out="one-to-one"),
                    make_column_selector(pattern=pattern),
                )
            ],
            remainder="passthrough",
            verbose_feature_names_out=False,
        )
    pca = "passthrough"
    if pca_variance is not None:
        pca = PCA(n_components=None if pca_variance >= 1.0 else pca_variance, random_state=random_state)
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("drop_constant", VarianceThreshold(threshold=0.0)),
            ("log1p", log1p),
            ("scale", SCALERS[scaler]()),
            ("pca", pca),
        ]
    ).set_output(transform="pandas")


def make_item_pipeline(n_components: int = 5, random_state: int = 42) -> Pipeline:
    """The item-pattern pipeline: each customer's lines per item as ln(1 + lines), the row
    scaled to unit length (the pattern counts, not the volume), then truncated SVD."""
    return Pipeline(
        [
            ("log1p", FunctionTransformer(log1p_nonnegative, accept_sparse=True)),
            ("normalize", Normalizer(norm="l2")),
            ("svd", TruncatedSVD(n_components=n_components, n_iter=7, random_state=random_state)),
        ]
    )


def scaled_features(preprocessor: Pipeline) -> list[str]:
    """The features of the scaled space (after dropping constants), in model order."""
    return list(_scaling(preprocessor).get_feature_names_out())


def to_scaled(preprocessor: Pipeline, frame: pd.DataFrame) -> pd.DataFrame:
    """Raw feature values -> the scaled space (every step but the projection)."""
    return _scaling(preprocessor).transform(frame)


def preprocessing_parameters(preprocessor: Pipeline, item_features: Sequence[str] = ()) -> pd.DataFrame:
    """One row per feature of the scaled space: position, transform ("none", "log1p" or
    "item_svd"), fill_value, center, scale and pca_mean, read from the fitted steps."""
    imputer = preprocessor.named_steps["impute"]
    fill = dict(zip(imputer.feature_names_in_, imputer.statistics_, strict=True))
    scaler = preprocessor.named_steps["scale"]
    names = list(scaler.feature_names_in_)
    center = scaler.mean_ if isinstance(scaler, StandardScaler) else scaler.center_
    pca = preprocessor.named_steps["pca"]
    log1p = _log1p_features(preprocessor)
    return pd.DataFrame(
        {
            "feature": pd.Series(names, dtype="str"),
            "position": np.arange(1, len(names) + 1, dtype="int64"),
            "transform": pd.Series(
                ["item_svd" if f in item_features else "log1p" if f in log1p else "none" for f in names],
                dtype="str",
            ),
            "fill_value": np.array([fill[f] for f in names], dtype="float64"),
            "center": np.asarray(center, dtype="float64"),
            "scale": np.asarray(scaler.scale_, dtype="float64"),
            "pca_mean": np.zeros(len(names))
            if pca == "passthrough"
            else np.asarray(pca.mean_, dtype="float64"),
        }
    )


def projection_parameters(preprocessor: Pipeline) -> pd.DataFrame:
    """Loadings from the scaled space to model space, one row per (feature, component):
    the PCA components, or the identity without PCA (one row per feature)."""
    names = scaled_features(preprocessor)
    pca = preprocessor.named_steps["pca"]
    if pca == "passthrough":
        features, components, loadings = names, np.arange(1, len(names) + 1), np.ones(len(names))
    else:
        component_index, feature_index = np.indices(pca.components_.shape)
        order = np.lexsort((component_index.ravel(), feature_index.ravel()))
        features = [names[i] for i in feature_index.ravel()[order]]
        components = component_index.ravel()[order] + 1
        loadings = pca.components_.ravel()[order]
    return pd.DataFrame(
        {
            "feature": pd.Series(features, dtype="str"),
            "component": np.asarray(components, dtype="int64"),
            "loading": np.asarray(loadings, dtype="float64"),
        }
    )


def model_dimensions(preprocessor: Pipeline) -> int:
    """Number of model-space coordinates (PCA components, or scaled features)."""
    pca = preprocessor.named_steps["pca"]
    return len(scaled_features(preprocessor)) if pca == "passthrough" else int(pca.n_components_)


def inverse_scaled(preprocessor: Pipeline, scaled: np.ndarray) -> np.ndarray:
    """Scaled space -> original units (inverse scaling, then expm1 for log1p features): a
    centre in the scaled space read as a customer's values."""
    values = preprocessor.named_steps["scale"].inverse_transform(np.atleast_2d(scaled))
    mask = np.isin(scaled_features(preprocessor), list(_log1p_features(preprocessor)))
    values[:, mask] = np.expm1(values[:, mask])
    return values


def original_to_scaled(preprocessor: Pipeline, values: np.ndarray, features: Sequence[str]) -> np.ndarray:
    """Original units of ``features`` (a subset of the scaled space's) -> scaled space."""
    names = scaled_features(preprocessor)
    index = [names.index(f) for f in features]
    scaler = preprocessor.named_steps["scale"]
    center = (scaler.mean_ if isinstance(scaler, StandardScaler) else scaler.center_)[index]
    out = np.array(values, dtype="float64", copy=True)
    mask = np.isin(list(features), list(_log1p_features(preprocessor)))
    out[..., mask] = np.log1p(np.maximum(out[..., mask], 0.0))
    return (out - center) / scaler.scale_[index]


def _scaling(preprocessor: Pipeline) -> Pipeline:
    """The steps up to and with the scaler."""
    return preprocessor[: [name for name, _ in preprocessor.steps].index("scale") + 1]


def _log1p_features(preprocessor: Pipeline) -> set[str]:
    step = preprocessor.named_steps["log1p"]
    if step == "passthrough":
        return set()
    name, transformer, columns = step.transformers_[0]
    return set(columns) if name == "log1p" else set()
