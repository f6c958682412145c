"""FeaturePreprocessor (log1p, scaling, PCA), the item matrix (one read of DataFrame or Arrow
input, canonical sums) and ItemPatternEncoder (sparse SVD)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize

from custseg.segmentation import SegmentationInputError
from custseg.segmentation import preprocess as preprocess_module
from custseg.segmentation.preprocess import (
    FeaturePreprocessor,
    ItemMatrix,
    ItemPatternEncoder,
    build_item_matrix,
)


def raw_matrix(n: int = 200, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    spend = rng.lognormal(6, 1, n)
    visits = rng.poisson(5, n).astype(float)
    share = rng.uniform(0, 1, n)
    return np.column_stack([spend, visits, share])


def test_standard_scaling_after_log1p_and_inverse() -> None:
    raw = raw_matrix()
    pre = FeaturePreprocessor(["spend", "visits", "share"], ["spend"]).fit(raw)
    z = pre.transform_scaled(raw)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), 1.0)
    np.testing.assert_allclose(z[:, 0], (np.log1p(raw[:, 0]) - pre.center_[0]) / pre.scale_[0])
    np.testing.assert_allclose(pre.inverse_scaled(z), raw)
    np.testing.assert_allclose(pre.original_to_scaled(raw), z)
    np.testing.assert_array_equal(pre.loadings_, np.eye(3))  # no PCA: identity projection
    assert pre.transform(raw) is not None and pre.n_components_ == 3


def test_robust_scaler_uses_median_iqr_with_std_fallback() -> None:
    raw = raw_matrix()
    raw[:, 2] = 0.0
    raw[:5, 2] = [1.0, 2.0, 3.0, 4.0, 5.0]  # IQR 0 but not constant
    pre = FeaturePreprocessor(["spend", "visits", "share"], scaler="robust").fit(raw)
    q1, q3 = np.percentile(raw[:, 0], [25, 75])
    assert pre.center_[0] == pytest.approx(np.median(raw[:, 0]))
    assert pre.scale_[0] == pytest.approx(q3 - q1)
    assert pre.scale_[2] == pytest.approx(raw[:, 2].std() * 1.3489795003921634)


def test_constant_feature_is_dropped_and_nan_filled_with_fitted_median() -> None:
    raw = raw_matrix()
    raw[:, 1] = 7.0
    pre = FeaturePreprocessor(["spend", "visits", "share"]).fit(raw)
    assert pre.dropped_features_ == ("visits",)
    assert pre.features_ == ("spend", "share")
    row = np.array([[np.nan, 1.0, np.nan]])
    expected = (np.median(raw[:, [0, 2]], axis=0) - pre.center_) / pre.scale_
    np.testing.assert_allclose(pre.transform_scaled(row)[0], expected)


def test_log1p_clips_negative_values_of_excluded_rows() -> None:
    raw = raw_matrix()
    pre = FeaturePreprocessor(["spend", "visits", "share"], ["spend"]).fit(raw)
    z = pre.transform_scaled(np.array([[-50.0, 1.0, 0.5], [0.0, 1.0, 0.5]]))
    assert z[0, 0] == z[1, 0]


def test_pca_reaches_variance_target_and_formula_matches() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(size=(300, 2))
    raw = np.column_stack([base, base @ [[1.0], [0.5]] + 0.01 * rng.normal(size=(300, 1))])
    pre = FeaturePreprocessor(["a", "b", "c"], pca_variance=0.95).fit(raw)
    assert pre.n_components_ == 2
    assert pre.pca_.explained_variance_ratio_.sum() >= 0.95
    z = pre.transform_scaled(raw)
    np.testing.assert_allclose(pre.transform(raw), (z - pre.pca_mean_) @ pre.loadings_)


def item_frame() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    rows = []
    for customer in range(60):
        group = customer % 2
        for item in rng.choice(10, size=4, replace=False):
            code = f"A{item}" if group == 0 else f"B{item}"
            rows.append((customer, code, int(rng.integers(1, 5)), int(rng.integers(1, 20))))
    rows.append((59, "RARE", 1, 1))
    frame = pd.DataFrame(rows, columns=["customer_id", "stock_code", "lines", "quantity"])
    return frame.sample(frac=1.0, random_state=3), pd.Series(np.arange(61), name="customer_id")


def test_item_encoder_sparse_filtered_and_zero_for_unknown_customers() -> None:
    items, ids = item_frame()
    enc = ItemPatternEncoder(n_components=2, min_lines=3, random_state=0).fit(items, ids)
    assert "RARE" not in set(enc.items_)
    assert list(enc.items_) == sorted(enc.items_)
    matrix = enc.cell_values(enc.build_matrix(items, ids))
    assert sparse.issparse(matrix)
    np.testing.assert_allclose(sparse.linalg.norm(matrix[:60], axis=1), 1.0)
    scores = enc.transform(items, ids)
    assert scores.shape == (61, 2)
    np.testing.assert_array_equal(scores[60], 0.0)  # customer 60 bought nothing
    # the two purchase groups separate on the first components
    group = np.arange(60) % 2
    assert abs(np.corrcoef(scores[:60, 0], group)[0, 1]) + abs(np.corrcoef(scores[:60, 1], group)[0, 1]) > 0.8
    shuffled = enc.transform(items.sample(frac=1.0, random_state=9), ids)
    np.testing.assert_allclose(shuffled, scores)


def test_item_encoder_shrinks_components_to_items() -> None:
    items, ids = item_frame()
    enc = ItemPatternEncoder(n_components=50, min_lines=3).fit(items, ids)
    assert enc.n_components_ == len(enc.items_) - 1
    assert enc.feature_names_[0] == "item_svd_1"


# --------------------------------------------------------------------------- item matrix


def messy_items(seed: int = 0) -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    """Item rows with what real data has: repeated (customer, item) rows, rows of customers
    not in the features, customers without rows, zero lines and negative quantities, an item
    bought only by customers excluded from the fit; plus the (unsorted) customer ids and
    which of them are fitted."""
    rng = np.random.default_rng(seed)
    ids = pd.Series(rng.permutation(np.arange(80) * 7 + 100), name="customer_id")
    fitted = rng.random(len(ids)) > 0.15
    rows = []
    for position, customer in enumerate(ids):
        if not fitted[position]:
            rows.append((customer, "UNFITTED", 10, 10))  # many lines, none among fitted rows
        if position % 9 == 0:
            continue  # bought nothing
        shelf = "AB"[position % 2]
        for item in rng.choice(12, size=int(rng.integers(2, 7)), replace=True):  # repeats
            rows.append((customer, f"{shelf}{item:02d}", int(rng.integers(0, 5)), int(rng.integers(-3, 25))))
    for stranger in (1, 2, 3):  # not in the features: dropped, and their only item with them
        rows.append((stranger, "STRANGER", 50, 50))
    frame = pd.DataFrame(rows, columns=["customer_id", "stock_code", "lines", "quantity"])
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True), ids, fitted


def reference_scores(
    items: pd.DataFrame, ids: pd.Series, fit_rows: np.ndarray, value: str, min_lines: int, n_components: int
) -> tuple[np.ndarray, sparse.csr_matrix, np.ndarray]:
    """The item-pattern features computed the straightforward way (pandas groupby on the
    strings): kept items, the matrix the SVD sees (all rows), the scores of every customer."""
    rows = pd.Index(ids).get_indexer(items["customer_id"])
    frame = pd.DataFrame(
        {
            "row": rows,
            "item": items["stock_code"].astype(str),
            "lines": items["lines"].astype(float),
            "quantity": items["quantity"].astype(float),
        }
    )
    agg = (
        frame[frame["row"] >= 0]
        .groupby(["row", "item"], as_index=False, sort=True)[["lines", "quantity"]]
        .sum()
    )
    fitted_lines = agg[agg["row"].isin(fit_rows)].groupby("item")["lines"].sum()
    kept = np.asarray(sorted(fitted_lines.index[fitted_lines >= min_lines]), dtype=object)
    agg = agg[agg["item"].isin(kept)]
    raw = {"lines": agg["lines"], "quantity": agg["quantity"], "binary": (agg["lines"] > 0).astype(float)}[
        value
    ]
    cells = sparse.csr_matrix(
        (np.log1p(np.maximum(raw.to_numpy(), 0.0)), (agg["row"], pd.Index(kept).get_indexer(agg["item"]))),
        shape=(len(ids), len(kept)),
    )
    cells.eliminate_zeros()
    cells = normalize(cells, norm="l2", axis=1)
    svd = TruncatedSVD(n_components=n_components, n_iter=7, random_state=0).fit(cells[fit_rows])
    return kept, cells, np.asarray(cells @ svd.components_.T)


def digest(matrix: ItemMatrix) -> str:
    hasher = hashlib.sha256()
    matrix.update_hash(hasher)
    return hasher.hexdigest()


def as_table(frame: pd.DataFrame, chunk: int = 25) -> pa.Table:
    """The frame as an Arrow table of several record batches."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return pa.Table.from_batches(table.to_batches(max_chunksize=chunk))


@pytest.mark.parametrize("value", ["lines", "quantity", "binary"])
def test_item_features_equal_a_straightforward_groupby_reference(value: str) -> None:
    items, ids, fitted = messy_items()
    fit_rows = np.flatnonzero(fitted)
    enc = ItemPatternEncoder(n_components=3, min_lines=6, value=value, random_state=0)
    scores = enc.fit_transform_matrix(enc.build_matrix(as_table(items), ids), fit_rows)
    kept, cells, expected = reference_scores(items, ids, fit_rows, value, min_lines=6, n_components=3)
    assert list(enc.items_) == list(kept)
    assert "STRANGER" not in kept and "UNFITTED" not in kept and len(kept) > 10
    got = enc.cell_values(enc.build_matrix(items, ids))
    np.testing.assert_array_equal(got.indptr, cells.indptr)
    np.testing.assert_array_equal(got.indices, cells.indices)
    np.testing.assert_array_equal(got.data, cells.data)
    np.testing.assert_array_equal(scores, expected)
    # fit on the fitted rows alone, transform every row: the same numbers
    separate = ItemPatternEncoder(n_components=3, min_lines=6, value=value, random_state=0)
    matrix = separate.build_matrix(items, ids)
    np.testing.assert_array_equal(separate.fit_matrix(matrix, fit_rows).transform_matrix(matrix), expected)


def test_dataframe_table_reader_and_batches_give_the_same_matrix() -> None:
    items, ids, _ = messy_items()
    table = as_table(items)
    sources = {
        "frame": items,
        "table": table,
        "reader": pa.RecordBatchReader.from_batches(table.schema, table.to_batches()),
        "batches": (batch for batch in table.to_batches()),
    }
    matrices = {
        name: build_item_matrix(source, ids, quantity_column="quantity") for name, source in sources.items()
    }
    first = matrices["frame"]
    assert first.lines.has_canonical_format and first.lines.shape == (len(ids), len(first.items))
    assert list(first.items) == sorted(first.items) and "STRANGER" not in first.items
    for matrix in matrices.values():
        assert list(matrix.items) == list(first.items)
        for mine, theirs in ((matrix.lines, first.lines), (matrix.quantity, first.quantity)):
            np.testing.assert_array_equal(mine.indptr, theirs.indptr)
            np.testing.assert_array_equal(mine.indices, theirs.indices)
            np.testing.assert_array_equal(mine.data, theirs.data)
    assert len({digest(m) for m in matrices.values()}) == 1


def test_matrix_sums_repeated_rows_and_keeps_zero_cells() -> None:
    items = pd.DataFrame(
        {"customer_id": [5, 3, 5, 5, 9], "stock_code": ["b", "a", "b", "a", "a"], "lines": [1, 0, 2, 4, 7]}
    )
    matrix = build_item_matrix(items, pd.Series([5, 3]))
    assert list(matrix.items) == ["a", "b"]
    np.testing.assert_array_equal(matrix.lines.toarray(), [[4.0, 3.0], [0.0, 0.0]])
    assert matrix.lines.nnz == 3  # customer 3's zero-line row is a stored cell
    assert matrix.quantity is None


def test_many_small_chunks_give_the_same_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    items, ids, _ = messy_items(seed=4)
    whole = build_item_matrix(as_table(items), ids, quantity_column="quantity")
    monkeypatch.setattr(preprocess_module, "_MIN_CHUNK_ROWS", 7)
    monkeypatch.setattr(preprocess_module, "_CHUNK_ROWS_PER_CUSTOMER", 0)
    chunked = build_item_matrix(as_table(items, chunk=3), ids, quantity_column="quantity")
    assert list(chunked.items) == list(whole.items)
    assert digest(chunked) == digest(whole)
    assert (chunked.lines != whole.lines).nnz == 0


def test_matrix_hash_ignores_order_and_strangers_but_not_values() -> None:
    items, ids, _ = messy_items()
    base = digest(build_item_matrix(items, ids, quantity_column="quantity"))
    shuffled = items.sample(frac=1.0, random_state=11)
    assert digest(build_item_matrix(as_table(shuffled, chunk=7), ids, quantity_column="quantity")) == base
    stranger = pd.concat([items, pd.DataFrame([(4, "A01", 9, 9)], columns=items.columns)])
    assert digest(build_item_matrix(stranger, ids, quantity_column="quantity")) == base
    for column in ("lines", "quantity"):
        changed = items.copy()
        changed.loc[17, column] += 1
        assert digest(build_item_matrix(changed, ids, quantity_column="quantity")) != base
    renamed = items.copy()
    renamed.loc[17, "stock_code"] = "NEW"
    assert digest(build_item_matrix(renamed, ids, quantity_column="quantity")) != base


@pytest.mark.parametrize(
    ("feature_ids", "item_ids"),
    [
        (pd.Series([10, 20, 30]), pa.array([20, 30, 40], pa.int32())),
        (pd.Series([10, 20, 30]), pa.array(["20", "30", "40"])),
        (pd.Series(["10", "20", "30"]), pa.array([20, 30, 40])),
        (pd.Series([10, 20, 30]), pa.array([20.0, 30.0, 40.0])),
        (pd.Series(["10", "20", "30"]), pa.array(["20", "30", "40"]).dictionary_encode()),
    ],
    ids=["int32", "text_items", "text_features", "whole_floats", "dictionary"],
)
def test_arrow_ids_match_as_normalised(feature_ids: pd.Series, item_ids: pa.Array) -> None:
    table = pa.table({"customer_id": item_ids, "stock_code": ["x", "y", "x"], "lines": [1, 2, 3]})
    matrix = build_item_matrix(table, feature_ids)
    np.testing.assert_array_equal(matrix.lines.toarray(), [[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])


def test_item_pattern_errors_name_the_column(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preprocess_module, "_MIN_CHUNK_ROWS", 10)  # counts add up over chunks
    monkeypatch.setattr(preprocess_module, "_CHUNK_ROWS_PER_CUSTOMER", 0)
    items, ids, _ = messy_items()
    table = as_table(items)
    for source in (items.drop(columns="lines"), table.drop_columns(["lines"])):
        with pytest.raises(SegmentationInputError, match=r"missing column\(s\) \['lines'\]"):
            build_item_matrix(source, ids)
    nulls = items.astype({"customer_id": "float64"})
    nulls.loc[[3, 90], "customer_id"] = np.nan  # in two different batches
    for source in (nulls, as_table(nulls)):
        with pytest.raises(SegmentationInputError, match="id column 'customer_id' has 2 null"):
            build_item_matrix(source, ids)
    codes = items.copy()
    codes.loc[5, "stock_code"] = None
    for source in (codes, as_table(codes)):
        with pytest.raises(SegmentationInputError, match="column 'stock_code' has 1 null"):
            build_item_matrix(source, ids)
    values = items.astype({"quantity": "float64"})
    values.loc[values["customer_id"] == 1, "quantity"] = np.nan  # unknown customer: ignored
    build_item_matrix(as_table(values), ids, quantity_column="quantity")
    values.loc[8, "quantity"] = np.nan
    for source in (values, as_table(values)):
        with pytest.raises(SegmentationInputError, match="column 'quantity' has 1 null"):
            build_item_matrix(source, ids, quantity_column="quantity")
    with pytest.raises(SegmentationInputError, match="must be a pandas DataFrame"):
        build_item_matrix(42, ids)
