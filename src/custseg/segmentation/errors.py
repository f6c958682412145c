"""Exception and warning classes of the segmentation package."""

from __future__ import annotations


class SegmentationInputError(ValueError):
    """The input data cannot be segmented (missing columns, NaN, duplicates, too few rows...)."""


class SegmentationSettingsError(ValueError):
    """A segmentation setting is unknown or has an invalid value; the message names the key."""


class SegmentationWarning(UserWarning):
    """A documented fallback was applied (dropped constant feature, shrunk k range, ...)."""
