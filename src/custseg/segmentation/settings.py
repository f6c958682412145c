"""Validated, frozen segmentation settings built from the plain dict of a dbt/YAML config.

The meaning of every key is in docs/segmentation.md (the docs site's segmentation page).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from custseg.segmentation.errors import SegmentationSettingsError

SCALERS = ("standard", "robust")
ALGORITHMS = ("kmeans", "agglomerative", "gmm")
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


# --------------------------------------------------------------------------- validators


def _fail(key: str, message: str) -> SegmentationSettingsError:
    return SegmentationSettingsError(f"setting '{key}': {message}")


def _check_int(key: str, value: Any, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _fail(key, f"expected an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise _fail(key, f"must be >= {minimum}, got {value}")
    return value


def _check_float(
    key: str,
    value: Any,
    low: float,
    high: float,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _fail(key, f"expected a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if math.isnan(value) or too_low or too_high:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise _fail(key, f"must be in {interval}, got {value}")
    return value


def _check_choice(key: str, value: Any, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise _fail(key, f"must be one of {list(choices)}, got {value!r}")
    return value


def _check_bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(key, f"expected true/false, got {value!r}")
    return value


def _check_str(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(key, f"expected a non-empty string, got {value!r}")
    return value


def _check_names(key: str, value: Any, *, allow_empty: bool = True) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise _fail(key, f"expected a list of column names, got {value!r}")
    names = tuple(value)
    for name in names:
        if not isinstance(name, str) or not name:
            raise _fail(key, f"expected column names (strings), got {name!r}")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise _fail(key, f"duplicate names {duplicates}")
    if not names and not allow_empty:
        raise _fail(key, "must not be empty")
    return names


def _unknown_keys(section: str, mapping: Mapping[str, Any], allowed: Sequence[str]) -> None:
    unknown = sorted(str(k) for k in mapping if k not in allowed)
    if unknown:
        raise SegmentationSettingsError(
            f"unknown setting(s) {unknown} in {section}; allowed keys: {sorted(allowed)}"
        )


# --------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class ItemPatternSettings:
    """Whether the long item-purchase relation becomes extra features (a sparse customer x
    item matrix reduced by TruncatedSVD), and how many. Which items take part is decided by
    the item relation itself (in the warehouse: var item_pattern_min_lines)."""

    enabled: bool = False
    n_components: int = 5

    def __post_init__(self) -> None:
        _check_bool("item_pattern.enabled", self.enabled)
        _check_int("item_pattern.n_components", self.n_components, 1)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> ItemPatternSettings:
        """Build from a dict; unknown keys raise, ``null`` values take their default."""
        if mapping is None:
            return cls()
        if isinstance(mapping, ItemPatternSettings):
            return mapping
        if not isinstance(mapping, Mapping):
            raise _fail("item_pattern", f"expected a mapping, got {mapping!r}")
        allowed = [f.name for f in dataclasses.fields(cls)]
        _unknown_keys("item_pattern", mapping, allowed)
        return cls(**{k: v for k, v in mapping.items() if v is not None})


@dataclass(frozen=True)
class SegmentationSettings:
    """Every knob of :func:`custseg.segmentation.fit_segmentation`, validated (defaults and
    meanings: docs/segmentation.md). Build with :meth:`from_mapping` from a YAML/dbt config
    dict; unknown keys raise and the message names the key."""

    features: tuple[str, ...] | None = None
    exclude_features: tuple[str, ...] = ()
    log1p_features: tuple[str, ...] = ()
    scaler: str = "standard"
    pca_variance: float | None = None
    item_pattern: ItemPatternSettings = field(default_factory=ItemPatternSettings)
    algorithm: str = "kmeans"
    gmm_covariance_type: str = "full"
    gmm_n_init: int = 1
    k_min: int = 2
    k_max: int = 10
    k: int | None = None
    random_state: int = 42
    n_init: int = 10
    minibatch_threshold: int = 50_000
    minibatch_batch_size: int = 4_096
    selection_sample_size: int = 20_000
    silhouette_sample_size: int = 5_000
    stability_resamples: int = 10
    stability_sample_size: int = 5_000
    agglomerative_sample_size: int = 5_000
    min_stability: float = 0.75
    min_segment_share: float = 0.02
    silhouette_tolerance: float = 0.01
    outlier_quantile: float = 0.99
    id_order_feature: str | None = None
    id_match_max_distance: float | None = None
    comparison_algorithms: tuple[str, ...] | None = None
    comparison_feature_sets: tuple[tuple[str, tuple[str, ...]], ...] = ()
    structure_references: int = 5
    structure_min_silhouette: float = 0.25

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen dataclass: normalise in place once
        if self.features is not None:
            set_(self, "features", _check_names("features", self.features, allow_empty=False))
        set_(self, "exclude_features", _check_names("exclude_features", self.exclude_features))
        set_(self, "log1p_features", _check_names("log1p_features", self.log1p_features))
        if self.features is not None:
            not_features = [f for f in self.log1p_features if f not in self.features]
            if not_features:
                raise _fail("log1p_features", f"{not_features} are not listed in 'features'")
        _check_choice("scaler", self.scaler, SCALERS)
        if self.pca_variance is not None:
            set_(
                self,
                "pca_variance",
                _check_float("pca_variance", self.pca_variance, 0.0, 1.0, low_open=True),
            )
        if isinstance(self.item_pattern, Mapping):
            set_(self, "item_pattern", ItemPatternSettings.from_mapping(self.item_pattern))
        if not isinstance(self.item_pattern, ItemPatternSettings):
            raise _fail("item_pattern", f"expected a mapping, got {self.item_pattern!r}")
        _check_choice("algorithm", self.algorithm, ALGORITHMS)
        _check_choice("gmm_covariance_type", self.gmm_covariance_type, COVARIANCE_TYPES)
        set_(self, "k_min", _check_int("k_min", self.k_min, 2))
        set_(self, "k_max", _check_int("k_max", self.k_max, 2))
        if self.k_max < self.k_min:
            raise _fail("k_max", f"must be >= k_min ({self.k_min}), got {self.k_max}")
        if self.k is not None:
            set_(self, "k", _check_int("k", self.k, 2))
        set_(self, "random_state", _check_int("random_state", self.random_state, 0))
        for key in (
            "n_init",
            "gmm_n_init",
            "minibatch_batch_size",
            "selection_sample_size",
            "stability_sample_size",
            "agglomerative_sample_size",
        ):
            set_(self, key, _check_int(key, getattr(self, key), 1))
        set_(self, "minibatch_threshold", _check_int("minibatch_threshold", self.minibatch_threshold, 1))
        set_(
            self,
            "silhouette_sample_size",
            _check_int("silhouette_sample_size", self.silhouette_sample_size, 10),
        )
        set_(self, "stability_resamples", _check_int("stability_resamples", self.stability_resamples, 0))
        if self.selection_sample_size < 100:
            raise _fail("selection_sample_size", f"must be >= 100, got {self.selection_sample_size}")
        set_(self, "min_stability", _check_float("min_stability", self.min_stability, -1.0, 1.0))
        set_(
            self,
            "min_segment_share",
            _check_float("min_segment_share", self.min_segment_share, 0.0, 0.5),
        )
        set_(
            self,
            "silhouette_tolerance",
            _check_float("silhouette_tolerance", self.silhouette_tolerance, 0.0, 2.0),
        )
        set_(
            self,
            "outlier_quantile",
            _check_float("outlier_quantile", self.outlier_quantile, 0.5, 1.0, high_open=False),
        )
        if self.id_order_feature is not None:
            _check_str("id_order_feature", self.id_order_feature)
        if self.id_match_max_distance is not None:
            set_(
                self,
                "id_match_max_distance",
                _check_float(
                    "id_match_max_distance", self.id_match_max_distance, 0.0, math.inf, low_open=True
                ),
            )
        if self.comparison_algorithms is not None:
            algorithms = _check_names("comparison_algorithms", self.comparison_algorithms)
            for name in algorithms:
                _check_choice("comparison_algorithms", name, ALGORITHMS)
            set_(self, "comparison_algorithms", algorithms)
        set_(self, "comparison_feature_sets", self._normalise_feature_sets())
        set_(self, "structure_references", _check_int("structure_references", self.structure_references, 0))
        set_(
            self,
            "structure_min_silhouette",
            _check_float("structure_min_silhouette", self.structure_min_silhouette, -1.0, 1.0),
        )

    def _normalise_feature_sets(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        key = "comparison_feature_sets"
        raw = self.comparison_feature_sets
        if isinstance(raw, Mapping):
            pairs = list(raw.items())
        elif isinstance(raw, Sequence) and not isinstance(raw, str):
            pairs = list(raw)
        else:
            raise _fail(key, f"expected a mapping name -> list of features, got {raw!r}")
        out: list[tuple[str, tuple[str, ...]]] = []
        for pair in pairs:
            if not (isinstance(pair, Sequence) and len(pair) == 2):
                raise _fail(key, f"expected a mapping name -> list of features, got {raw!r}")
            name, columns = pair
            name = _check_str(key, name)
            columns = _check_names(f"{key}.{name}", columns, allow_empty=False)
            unknown = [c for c in columns if self.features is not None and c not in self.features]
            if unknown:
                raise _fail(f"{key}.{name}", f"{unknown} are not listed in 'features'")
            out.append((name, columns))
        return tuple(out)

    # ------------------------------------------------------------------ derived values

    def resolve_features(self, columns: Sequence[str], numeric: Sequence[bool]) -> tuple[str, ...]:
        """The features to fit, given a relation's ``columns`` (and which are numeric):
        ``features`` when set, else every numeric column not in ``exclude_features``, in the
        relation's order. The caller removes the id and exclusion columns first."""
        if self.features is not None:
            return tuple(f for f in self.features if f not in self.exclude_features)
        return tuple(
            c for c, is_num in zip(columns, numeric, strict=True) if is_num and c not in self.exclude_features
        )

    # ------------------------------------------------------------------ conversions

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | SegmentationSettings) -> SegmentationSettings:
        """Build from a plain dict (YAML / dbt ``config``). Unknown keys raise, keys set to
        ``null`` take their default, ``features`` is required."""
        if isinstance(mapping, SegmentationSettings):
            return mapping
        if not isinstance(mapping, Mapping):
            raise SegmentationSettingsError(f"settings must be a mapping, got {type(mapping).__name__}")
        allowed = [f.name for f in dataclasses.fields(cls)]
        _unknown_keys("segmentation settings", mapping, allowed)
        values = {k: v for k, v in mapping.items() if v is not None}
        values["item_pattern"] = ItemPatternSettings.from_mapping(values.get("item_pattern"))
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable dict (lists instead of tuples); round-trips via
        :meth:`from_mapping`."""
        out = dataclasses.asdict(self)
        out["features"] = None if self.features is None else list(self.features)
        out["exclude_features"] = list(self.exclude_features)
        out["log1p_features"] = list(self.log1p_features)
        if self.comparison_algorithms is not None:
            out["comparison_algorithms"] = list(self.comparison_algorithms)
        out["comparison_feature_sets"] = {n: list(c) for n, c in self.comparison_feature_sets}
        return out
