"""The pure k-selection rule ``choose_k``."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from custseg.segmentation import choose_k


def table(rows: list[tuple[int, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["k", "silhouette", "stability", "min_segment_share"])


RULE = {"min_stability": 0.75, "min_segment_share": 0.02, "silhouette_tolerance": 0.0}


def test_highest_silhouette_among_qualifying() -> None:
    t = table([(2, 0.40, 0.95, 0.30), (3, 0.55, 0.90, 0.20), (4, 0.50, 0.85, 0.10)])
    choice = choose_k(t, **RULE)
    assert choice.k == 3
    assert "highest silhouette" in choice.reason
    assert not choice.is_fallback
    assert "qualifies" in choice.notes[2]


def test_unstable_k_is_skipped_even_with_best_silhouette() -> None:
    t = table([(2, 0.40, 0.95, 0.30), (3, 0.70, 0.60, 0.20), (4, 0.50, 0.80, 0.10)])
    choice = choose_k(t, **RULE)
    assert choice.k == 4
    assert "stability 0.600 < 0.75" in choice.notes[3]


def test_tiny_segment_is_skipped() -> None:
    t = table([(2, 0.40, 0.95, 0.30), (3, 0.70, 0.90, 0.01)])
    choice = choose_k(t, **RULE)
    assert choice.k == 2
    assert "segment share" in choice.notes[3]


def test_exact_tie_goes_to_smaller_k_and_tolerance_prefers_parsimony() -> None:
    t = table([(2, 0.50, 0.95, 0.30), (3, 0.50, 0.90, 0.20), (4, 0.505, 0.90, 0.20)])
    assert choose_k(t, **RULE).k == 4
    tolerant = {**RULE, "silhouette_tolerance": 0.01}
    choice = choose_k(t, **tolerant)
    assert choice.k == 2
    assert "tolerance" in choice.reason
    t2 = table([(3, 0.50, 0.90, 0.20), (2, 0.50, 0.95, 0.30)])  # unsorted input
    assert choose_k(t2, **RULE).k == 2


def test_fallback_most_stable_among_k_with_big_enough_segments() -> None:
    t = table([(2, 0.40, 0.70, 0.30), (3, 0.60, 0.72, 0.20), (4, 0.50, 0.74, 0.01)])
    choice = choose_k(t, **RULE)
    assert choice.k == 3
    assert choice.reason.startswith("no k meets")
    assert choice.is_fallback


def test_fallback_when_no_k_has_big_enough_segments() -> None:
    t = table([(2, 0.40, 0.50, 0.01), (3, 0.60, 0.60, 0.01), (4, 0.50, 0.60, 0.01)])
    choice = choose_k(t, **RULE)
    assert choice.k == 3  # most stable; tie 3 vs 4 -> smaller k
    assert "none meets the segment share rule" in choice.reason


def test_pinned_k_wins_and_reason_says_so() -> None:
    t = table([(2, 0.40, 0.95, 0.30), (3, 0.70, 0.20, 0.20)])
    choice = choose_k(t, **RULE, pinned_k=3)
    assert choice.k == 3
    assert "pinned" in choice.reason and "would reject" in choice.reason
    with pytest.raises(ValueError, match="pinned k=5"):
        choose_k(t, **RULE, pinned_k=5)


def test_missing_stability_counts_as_passing() -> None:
    t = table([(2, 0.40, math.nan, 0.30), (3, 0.70, math.nan, 0.20)])
    assert choose_k(t, **RULE).k == 3


def test_empty_table_raises() -> None:
    with pytest.raises(ValueError, match="no candidate"):
        choose_k(table([]), **RULE)
