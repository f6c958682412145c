"""Settings: defaults, round trip, and error messages that name the bad key."""

from __future__ import annotations

import pytest

from custseg.segmentation import (
    ItemPatternSettings,
    SegmentationSettings,
    SegmentationSettingsError,
)


def test_minimal_dict_gets_documented_defaults() -> None:
    cfg = SegmentationSettings.from_mapping({"features": ["a", "b"]})
    assert cfg.features == ("a", "b")
    assert (cfg.algorithm, cfg.scaler, cfg.pca_variance) == ("kmeans", "standard", None)
    assert (cfg.k_min, cfg.k_max, cfg.k, cfg.random_state, cfg.n_init) == (2, 10, None, 42, 10)
    assert cfg.item_pattern == ItemPatternSettings()
    assert (cfg.structure_references, cfg.structure_min_silhouette) == (5, 0.25)


def test_features_default_to_every_numeric_column_but_the_excluded() -> None:
    cfg = SegmentationSettings.from_mapping({"exclude_features": ["b"]})
    assert cfg.features is None
    assert cfg.resolve_features(["a", "b", "c", "d"], [True, True, False, True]) == ("a", "d")


def test_round_trip_and_null_means_default() -> None:
    raw = {
        "features": ["a", "b", "c"],
        "log1p_features": ["b"],
        "pca_variance": 0.9,
        "k": 4,
        "k_max": None,
        "item_pattern": {"enabled": True, "n_components": None},
        "comparison_feature_sets": {"no_c": ["a", "b"]},
    }
    cfg = SegmentationSettings.from_mapping(raw)
    assert cfg.k_max == 10
    assert cfg.item_pattern.n_components == 5
    assert cfg.comparison_feature_sets == (("no_c", ("a", "b")),)
    assert SegmentationSettings.from_mapping(cfg.to_dict()) == cfg


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"features": ["a"], "colour": 1}, "colour"),
        ({"features": []}, "features"),
        ({"features": ["a", "a"]}, "features"),
        ({"features": ["a"], "log1p_features": ["b"]}, "log1p_features"),
        ({"features": ["a"], "scaler": "minmax"}, "scaler"),
        ({"features": ["a"], "pca_variance": 0}, "pca_variance"),
        ({"features": ["a"], "pca_variance": 1.5}, "pca_variance"),
        ({"features": ["a"], "algorithm": "dbscan"}, "algorithm"),
        ({"features": ["a"], "k_min": 1}, "k_min"),
        ({"features": ["a"], "k_min": 5, "k_max": 3}, "k_max"),
        ({"features": ["a"], "k": True}, "'k'"),
        ({"features": ["a"], "k": 2.5}, "'k'"),
        ({"features": ["a"], "n_init": "ten"}, "n_init"),
        ({"features": ["a"], "min_stability": 2}, "min_stability"),
        ({"features": ["a"], "min_segment_share": 0.9}, "min_segment_share"),
        ({"features": ["a"], "outlier_quantile": 0.2}, "outlier_quantile"),
        ({"features": ["a"], "item_pattern": {"enable": True}}, "item_pattern"),
        ({"features": ["a"], "item_pattern": {"n_components": 0}}, "item_pattern.n_components"),
        ({"features": ["a"], "item_pattern": {"min_lines": 100}}, "min_lines"),
        ({"features": ["a"], "structure_references": -1}, "structure_references"),
        ({"features": ["a"], "comparison_algorithms": ["kmedoids"]}, "comparison_algorithms"),
        ({"features": ["a"], "comparison_feature_sets": {"x": ["z"]}}, "comparison_feature_sets"),
        ({"features": ["a"], "selection_sample_size": 10}, "selection_sample_size"),
    ],
)
def test_invalid_settings_name_the_key(raw: dict, key: str) -> None:
    with pytest.raises(SegmentationSettingsError, match=key):
        SegmentationSettings.from_mapping(raw)


def test_settings_are_frozen_and_hashable() -> None:
    cfg = SegmentationSettings.from_mapping({"features": ["a"]})
    with pytest.raises(AttributeError):
        cfg.k = 3  # type: ignore[misc]
    assert hash(cfg) == hash(SegmentationSettings.from_mapping({"features": ["a"]}))
