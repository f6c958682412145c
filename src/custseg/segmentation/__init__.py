"""Customer segmentation core (placeholder docstring)."""

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
