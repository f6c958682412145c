"""Segment id numbering and Hungarian matching against previous centroids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custseg.segmentation import fit_segmentation
from custseg.segmentation.ids import match_segment_ids, order_segments

FAST = {"n_init": 3, "stability_resamples": 2, "k_max": 6}
FEATURES = ["spend", "visits", "recency"]


def groups(k: int, n_per: int = 60, seed: int = 0) -> pd.DataFrame:
    """k groups: group g has spend rank g and visits rank k-1-g (orders disagree)."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(k), n_per)
    return pd.DataFrame(
        {
            "customer_id": np.arange(len(g)) + 1,
            "spend": 100.0 + 200.0 * g + rng.normal(0, 5, len(g)),
            "visits": 5.0 + 10.0 * (k - 1 - g) + rng.normal(0, 0.5, len(g)),
            "recency": 30.0 + 15.0 * ((g * 7) % k) + rng.normal(0, 0.5, len(g)),
            "is_excluded_from_fit": False,
            "group": g,
        }
    )


def run(data: pd.DataFrame, previous: pd.DataFrame | None = None, **overrides):
    cfg = {"features": FEATURES, **FAST, **overrides}
    return fit_segmentation(data, cfg, source="s", previous_centroids=previous)


def group_to_segment(result, data: pd.DataFrame) -> dict[int, int]:
    seg = result.predict(data).set_index("customer_id")["segment_id"].loc[data["customer_id"]]
    pairs = pd.DataFrame({"group": data["group"].to_numpy(), "segment": seg.to_numpy()})
    mapping = pairs.drop_duplicates()
    assert len(mapping) == mapping["group"].nunique()  # groups recovered exactly
    return dict(zip(mapping["group"], mapping["segment"], strict=True))


def test_order_segments_highest_first_with_deterministic_ties() -> None:
    ids = order_segments(
        np.array([5.0, 9.0, 5.0, 5.0]),
        np.array([10, 3, 20, 10]),
        np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.5, 0.0]]),
    )
    # 9.0 first; ties on 5.0: larger size (20) first, then smaller centre (0.5 < 1.0)
    assert ids.tolist() == [4, 1, 2, 3]


def test_previous_ids_kept_when_ordering_would_change() -> None:
    data = groups(3)
    first = run(data, id_order_feature="spend")
    by_spend = group_to_segment(first, data)
    assert by_spend == {2: 1, 1: 2, 0: 3}
    second = run(data, previous=first.tables["centroids"], id_order_feature="visits")
    assert group_to_segment(second, data) == by_spend
    m = second.tables["id_matching"]
    assert m["decision"].tolist() == ["kept"] * 3
    assert (m["new_segment_id"] == m["previous_segment_id"]).all()
    assert (m["centroid_distance"] < 0.1).all()
    without = run(data, id_order_feature="visits")
    assert group_to_segment(without, data) == {0: 1, 1: 2, 2: 3}
    assert set(without.tables["id_matching"]["decision"]) == {"ordered"}


def test_new_segment_gets_next_free_id_and_vanished_one_is_retired() -> None:
    three = groups(3)
    old = run(three, k=3)
    four = groups(4, seed=1)
    new = run(four, previous=old.tables["centroids"], k=4)
    m = new.tables["id_matching"]
    assert sorted(m["decision"]) == ["kept", "kept", "kept", "new_id"]
    assert m.loc[m["decision"] == "new_id", "new_segment_id"].tolist() == [4]
    assert sorted(new.tables["model_segments"]["segment_id"]) == [1, 2, 3, 4]

    back = run(three, previous=new.tables["centroids"], k=3)
    decisions = back.tables["id_matching"].set_index("decision")
    assert decisions.index.tolist().count("retired") == 1
    retired = back.tables["id_matching"][back.tables["id_matching"]["decision"] == "retired"]
    assert retired["new_segment_id"].isna().all()
    assert set(back.tables["model_segments"]["segment_id"]) | {
        int(retired["previous_segment_id"].iloc[0])
    } == {
        1,
        2,
        3,
        4,
    }


def test_max_distance_turns_far_matches_into_new_ids() -> None:
    data = groups(3)
    old = run(data)
    moved = data.assign(spend=data["spend"] + 1000.0)  # every segment moves in spend
    new = run(moved, previous=old.tables["centroids"], id_match_max_distance=0.5)
    assert set(new.tables["id_matching"]["decision"]) == {"new_id", "retired"}
    assert sorted(new.tables["model_segments"]["segment_id"]) == [4, 5, 6]


def test_changed_feature_set_falls_back_to_ordering() -> None:
    data = groups(3)
    old = run(data)
    prev = old.tables["centroids"][old.tables["centroids"]["feature"] != "recency"]
    new = run(data, previous=prev)
    assert set(new.tables["id_matching"]["decision"]) == {"ordered_feature_set_changed"}
    assert new.tables["id_matching"]["previous_segment_id"].isna().all()


def test_match_uses_center_scaled_when_original_missing() -> None:
    previous = pd.DataFrame(
        {
            "segment_id": [7, 7, 9, 9],
            "feature": ["a", "b", "a", "b"],
            "center_scaled": [1.0, 1.0, -1.0, -1.0],
        }
    )
    ids, table = match_segment_ids(
        np.array([[-0.9, -1.1], [1.1, 0.9]]),
        ["a", "b"],
        np.array([1, 2]),
        previous,
        scale_original=lambda values, features: values,
    )
    assert ids.tolist() == [9, 7]
    assert table["decision"].tolist() == ["kept", "kept"]
    assert table["new_segment_id"].tolist() == [7, 9]


def test_other_ids_give_another_model_version() -> None:
    data = groups(3)
    first = run(data)
    previous = first.tables["centroids"].assign(segment_id=lambda t: t["segment_id"] + 10)
    renumbered = run(data, previous=previous)
    assert sorted(renumbered.segment_ids) == [11, 12, 13]
    assert renumbered.model_version != first.model_version


def test_unchanged_rebuild_with_previous_centroids_keeps_version_and_ids() -> None:
    data = groups(3)
    first = run(data)
    second = run(data, previous=first.tables["centroids"])
    third = run(data.sample(frac=1.0, random_state=2), previous=second.tables["centroids"])
    assert first.model_version == second.model_version == third.model_version
    assert set(third.tables["id_matching"]["decision"]) == {"kept"}
    pd.testing.assert_frame_equal(first.predict(data), third.predict(data))


def test_previous_centroids_without_required_columns() -> None:
    from custseg.segmentation import SegmentationInputError

    with pytest.raises(SegmentationInputError, match="center_scaled"):
        run(groups(3), previous=pd.DataFrame({"segment_id": [1], "feature": ["spend"]}))
