"""Customer segmentation: customer features in; a fitted model that scores any customer, with
everything needed to explain and reproduce it, out.

``fit_segmentation(features, settings, source=...)`` fits one source and returns a
:class:`SegmentationFit`: its ``predict`` is the Python reference of the SQL scoring macro,
its ``tables`` are the parameters SQL reads. The estimators it chains are usable alone:
:func:`~custseg.segmentation.preprocessing.make_preprocessor`,
:func:`~custseg.segmentation.preprocessing.make_item_pipeline`,
:class:`CentroidClusterer` and :class:`StableKSearch`. Settings, rules and formulas are
documented in docs/segmentation.md (the docs site's segmentation page).
"""

from custseg.segmentation.clustering import CentroidClusterer
from custseg.segmentation.errors import (
    SegmentationInputError,
    SegmentationSettingsError,
    SegmentationWarning,
)
from custseg.segmentation.model import TABLE_NAMES, SegmentationFit, fit_segmentation, make_clusterer
from custseg.segmentation.scoring import ModelParameters
from custseg.segmentation.selection import KChoice, StableKSearch, choose_k
from custseg.segmentation.settings import ItemPatternSettings, SegmentationSettings
from custseg.segmentation.structure import StructureVerdict

__all__ = [
    "TABLE_NAMES",
    "CentroidClusterer",
    "ItemPatternSettings",
    "KChoice",
    "ModelParameters",
    "SegmentationFit",
    "SegmentationInputError",
    "SegmentationSettings",
    "SegmentationSettingsError",
    "SegmentationWarning",
    "StableKSearch",
    "StructureVerdict",
    "choose_k",
    "fit_segmentation",
    "make_clusterer",
]
