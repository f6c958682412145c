"""Customer segmentation: customer features in, segments and everything needed to explain,
reproduce and score them out.

This is the reference for the settings and rules. dbt Python models are thin glue: each
calls :func:`run_segmentation` with the same input and settings and returns one table of the
result; the result is memoised in-process by ``model_version``, so only the first call in a
``dbt build`` fits anything.

Public API
==========

``run_segmentation(features, settings, *, source, id_column="customer_id",
exclude_column="is_excluded_from_fit", item_pattern=None, previous_centroids=None,
use_cache=True) -> SegmentationResult``
    ``features``: one row per customer, an id column (int or string), the numeric feature
    columns named in the settings, and a boolean column marking rows left out of fitting
    (implausible rows; ``exclude_column=None`` means none). ``settings``: plain dict (YAML /
    dbt config) or :class:`SegmentationSettings`. ``source``: label written on every output
    row (``"smartcart"``, ``"online_retail"``). ``item_pattern``: long table (customer id,
    item, lines, quantity) used when ``item_pattern.enabled``: a DataFrame, a pyarrow Table,
    a pyarrow RecordBatchReader or an iterable of RecordBatches, read once, batch by batch.
    ``previous_centroids``: the ``centroids`` table of an earlier run, to keep segment ids
    stable.

``SegmentationResult``: attributes ``source, model_version, algorithm, backend, chosen_k,
choice_reason, features, dropped_features, warnings, settings`` and one DataFrame per output
table (below); ``tables()`` returns them by name, ``table(name)`` one of them.

``SegmentationSettings.from_mapping(dict)``, ``choose_k(...)`` (the pure k rule),
``clear_cache()``; errors ``SegmentationInputError`` (bad data) and
``SegmentationSettingsError`` (bad settings, message names the key), both ``ValueError``;
``SegmentationWarning`` for documented fallbacks (also listed in ``result.warnings`` and the
``diagnostics`` table). Building blocks (sklearn-shaped, usable alone):
``preprocess.FeaturePreprocessor``, ``preprocess.ItemPatternEncoder``,
``preprocess.build_item_matrix``,
``clustering.CentroidClusterer``, ``selection.evaluate_candidates``,
``ids.order_segments``, ``ids.match_segment_ids``.

Settings (keys, defaults)
=========================

Unknown keys raise; a key set to ``null`` takes its default; ``features`` is required.

============================  ============  ==============================================================
key                           default       meaning
============================  ============  ==============================================================
features                      (required)    feature columns, in this order
log1p_features                []            subset transformed by log1p (skewed money, counts)
scaler                        "standard"    mean/std; "robust": median/IQR
pca_variance                  null          null: no PCA; (0, 1]: PCA after scaling to that variance share
item_pattern.enabled          false         add item-purchase SVD features (needs the frame)
item_pattern.n_components     5             SVD components (lowered to kept items - 1 if needed)
item_pattern.min_lines        100           keep items with >= this many lines (fitted rows)
item_pattern.value            "lines"       cell value: "lines", "quantity" (clipped at 0), "binary"
item_pattern.item_column      "stock_code"  item column of the long frame
item_pattern.lines_column     "lines"       its customer column is the id_column argument
item_pattern.quantity_column  "quantity"    only read when value is "quantity"
algorithm                     "kmeans"      "kmeans", "agglomerative" (Ward) or "gmm"
gmm_covariance_type           "full"        GaussianMixture covariance type
gmm_n_init                    1             GMM restarts (EM is slow; its init is k-means)
k_min, k_max                  2, 10         candidate k range
k                             null          pin k: all candidates are still scored
random_state                  42            one seed for every random step
n_init                        10            k-means++ restarts
minibatch_threshold           50000         k-means on more rows uses MiniBatchKMeans
minibatch_batch_size          4096          MiniBatchKMeans batch size
selection_sample_size         20000         the k sweep runs on at most this many fitted rows
silhouette_sample_size        5000          silhouette on a fixed random subset of this size
stability_resamples           10            bootstrap resamples per k (0: skip stability)
stability_sample_size         5000          rows per resample, and rows compared
agglomerative_sample_size     5000          Ward fits on at most this many rows (quadratic)
min_stability                 0.75          k rule: minimum mean ARI
min_segment_share             0.02          k rule: minimum share of the smallest segment
silhouette_tolerance          0.01          k rule: silhouettes this close count as tied
outlier_quantile              0.99          outlier: distance above this segment quantile
id_order_feature              null          feature numbering segments (null: features[0])
id_match_max_distance         null          max centroid distance for keeping an old id
comparison_algorithms         null          algorithms compared (null: the two others)
comparison_feature_sets       {}            name -> feature list, each compared at chosen k
============================  ============  ==============================================================

Input rules and degenerate input
================================

Rows are sorted by id first, so input row order never matters. Ids: all-integer ids become
int64, anything else strings. Raised as ``SegmentationInputError`` (message names the
column and count): not a DataFrame or empty; a missing id, exclusion or feature column;
null or duplicate ids; a non-numeric feature; infinite values (any row); NaN in a fitted
row; a negative value of a log1p feature in a fitted row; fewer than ``k_min + 1`` (or
pinned ``k + 1``) fitted customers; ``k_min`` or pinned ``k`` larger than the number of
distinct fitted points; all features constant (e.g. all rows identical).

Documented fallbacks (warning + ``diagnostics`` row): NaN in an *excluded* row is replaced by
the fitted median of that feature (``fill_value``); a negative log1p value in an excluded
row is clipped to 0 (the transform is log1p(max(x, 0))); a feature constant over the fitted
rows is dropped; ``k_max`` is lowered to the number of distinct fitted points; a segment
left without fitted customers (possible for GMM/Ward member means) is dropped.

Preprocessing and model space (the SQL contract)
================================================

Fitted on fitted rows only, applied to all rows. For feature f (table ``preprocessing``)::

    x'  = coalesce(x, fill_value)
    t   = ln(1 + max(x', 0))  if transform = 'log1p';   x' otherwise
    z_f = (t - center_f) / scale_f                              -- scaled space
    m_c = sum_f (z_f - pca_mean_f) * loading_{f,c}              -- model space (projection)
    segment = argmin_s sum_c (m_c - center_{s,c})^2, ties to the smaller segment_id

Without PCA, ``pca_mean`` is 0 and ``projection`` is the identity (one row per feature,
loading 1). Robust scaling uses median and IQR; a feature with IQR 0 that is not constant
uses 1.349 * std instead (the IQR of a normal with that std). Every algorithm assigns each
customer to the nearest model-space centroid (k-means: its centres; Ward and GMM: member
means of their native clustering), so SQL scoring is nearest-centroid for every algorithm
and agrees with ``assignments`` on every customer (the reference SQL is in
``tests/python/test_segmentation_sql.py``, run in DuckDB with and without PCA, for every
algorithm and with the item pattern).

Item pattern: the long table is read once, batch by batch, into a sparse customer x item
matrix of integer codes and sums (never dense, never a frame of strings; repeated
(customer, item) rows are summed, rows of customers not in the features are left out). Its
columns are the items with >= ``min_lines`` lines among fitted customers; cell
v = ln(1 + lines) (or quantity / 1), each customer row L2-normalised; TruncatedSVD (no
centring) gives features ``item_svd_1..n`` = sum_items v * loading (table
``item_components``), 0 for customers without kept items (their ``fill_value`` is 0). They
then go through scaling/PCA like any feature (``transform = 'item_svd'``); SQL can compute
them from ``item_components``.

Choosing k
==========

The sweep runs on a random sample of at most ``selection_sample_size`` fitted rows (all of
them when fewer). For every candidate k it fits the algorithm, labels the sample by nearest
centroid and records inertia, silhouette (fixed subset of ``silhouette_sample_size`` rows via
sklearn's ``sample_size`` + ``random_state``; never quadratic in customers),
Calinski-Harabasz, Davies-Bouldin, the smallest segment's share, and stability: the mean
adjusted Rand index over ``stability_resamples`` bootstrap resamples (size
min(sample, ``stability_sample_size``)) between the clustering refitted on the resample and
the sample clustering, both labelling the same fixed subset of the sample.

Rule (pure function ``choose_k``; the reason is stored in ``model_selection``):

1. ``k`` pinned -> that k.
2. Qualifying k: stability >= ``min_stability`` and smallest segment share >=
   ``min_segment_share``. Choose the highest silhouette; any qualifying k within
   ``silhouette_tolerance`` of that best silhouette ties, and ties go to the smaller k.
3. No k qualifies -> the most stable k among those meeting the share rule (among all k if
   none does); ties to the smaller k.

The chosen k is then fitted on *all* fitted rows, warm-started from the sample solution
(k-means: one run from those centres, MiniBatchKMeans above ``minibatch_threshold`` rows;
GMM: ``means_init``; Ward keeps its sample centroids), and every row, excluded ones too, is
assigned to its nearest centroid. ``is_outlier``: distance to the own centroid above the
``outlier_quantile`` quantile of that segment's fitted customers' distances (the threshold
is in ``segments``).

Segment ids
===========

Without previous centroids, segment 1 has the highest mean (original units, fitted members)
of ``id_order_feature``, then descending; exact ties go to the larger segment, then to the
lexicographically smaller centroid. With ``previous_centroids`` whose feature set equals the
current one, new and previous segments are paired by the Hungarian algorithm on Euclidean
centroid distance in the current scaled space (previous ``center_original`` re-scaled with
the current parameters, else ``center_scaled``; item SVD features are left out because
their axes change between fits). Paired segments keep the previous id (unless further apart
than ``id_match_max_distance``), unpaired new segments get ids after the largest previous
id, unpaired previous ids are listed as retired. A different feature set falls back to
ordering.

Output tables (every table starts with ``source`` (str) and ends with ``model_version`` (str))
=============================================================================================

- ``assignments`` (one row per input customer, ordered by customer_id): customer_id (int64
  or str), segment_id (int64), distance_to_centroid (float64, model space),
  margin_to_next_centroid (float64, second-nearest minus nearest), is_outlier (bool),
  is_excluded_from_fit (bool).
- ``centroids`` (segment x feature): segment_id, feature, center_scaled (member mean in the
  scaled, pre-PCA space), center_original (inverse scaling then expm1 for log1p features,
  i.e. a geometric-type centre), mean_original (arithmetic member mean, original units).
- ``model_centroids``: segment_id, component (int64, 1-based), center -- used for scoring.
- ``preprocessing``: feature, position, transform ("none" | "log1p" | "item_svd"),
  fill_value, center, scale, pca_mean.
- ``projection``: feature, component, loading.
- ``item_components``: feature (item_svd_c), item, loading (empty without item pattern).
- ``segments``: segment_id, n_customers, n_fitted, share_of_fitted, n_outliers,
  outlier_distance_threshold, order_feature, order_value.
- ``model_selection`` (one row per candidate k): k, inertia, silhouette,
  calinski_harabasz, davies_bouldin, stability, min_segment_share, n_evaluated, is_chosen,
  choice_reason (the reason on the chosen row, why-not on others), algorithm.
- ``comparison``: clustering_a, clustering_b (``algorithm|feature_set|k=K``), k,
  n_customers_compared, adjusted_rand_index -- the chosen clustering against the other
  algorithms at the same k, each ``comparison_feature_sets`` entry, and (with item pattern)
  ``without_item_pattern``; on the selection sample.
- ``id_matching``: new_segment_id (Int64), previous_segment_id (Int64), centroid_distance,
  decision ("ordered", "ordered_feature_set_changed", "kept", "new_id", "retired").
- ``diagnostics``: message (warnings and fallbacks applied).

Versioning and memo
===================

``model_version`` is the first 12 hex digits of a SHA-256 over the settings, source, package
and library versions, the id-sorted input (ids, exclusion flags, feature values, via
``pandas.util.hash_pandas_object``) and, when used, the item pattern as its canonical sparse
matrix (sorted item names, summed cells). The previous centroids are not part of it (they
decide ids, not the model), so the first build and every unchanged rebuild carry the same
version. Same input and settings -> same version and identical tables, whatever the row
order; any change that reaches the model -> a new version (item rows of customers not in
the features do not). Results are memoised per process (last 8 fits, keyed by version and
previous centroids); each call returns shallow copy-on-write copies so callers cannot alter
the memo. Calls are serialised by a lock, so dbt models running in parallel threads still
fit once.

Performance
===========

Nothing is quadratic in customers: the sweep, silhouette, stability, Ward and the
comparisons run on capped samples (single-threaded: many small fits), the final fit,
transforms and assignment are linear. Measured with default settings on a shared 2-core
machine (12 features, 5 synthetic groups, 1% excluded; ranges reflect other load):

==============  =============  ==============  ====================
algorithm       200k rows      1M rows         peak memory at 1M
==============  =============  ==============  ====================
kmeans          6-9 s          10-24 s         about 1.1 GB
gmm             about 9.5 s    about 18 s      about 1.1 GB
agglomerative   about 10 s     about 13 s      about 1.1 GB
==============  =============  ==============  ====================

A memo hit (second call, same input) costs the input check and hash: under 1 s at 1M.
The item pattern adds a linear read of its rows into integer codes: about 1.6 s for 6.6M
item rows of 95k customers (and 0.7 s for its SVD); about 23 s and a 2.9 GB peak for 60M
rows of 1M customers streamed from DuckDB.
"""

from custseg.segmentation.engine import SegmentationResult, clear_cache, run_segmentation
from custseg.segmentation.errors import (
    SegmentationInputError,
    SegmentationSettingsError,
    SegmentationWarning,
)
from custseg.segmentation.selection import KChoice, choose_k
from custseg.segmentation.settings import ItemPatternSettings, SegmentationSettings

__all__ = [
    "ItemPatternSettings",
    "KChoice",
    "SegmentationInputError",
    "SegmentationResult",
    "SegmentationSettings",
    "SegmentationSettingsError",
    "SegmentationWarning",
    "choose_k",
    "clear_cache",
    "run_segmentation",
]
