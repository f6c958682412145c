"""How strong is the structure? The chosen clustering against a null reference: the same
customers with every model-space coordinate shuffled independently, which keeps each
coordinate's distribution and removes every joint pattern, so any clusters found there are
slices of a structureless cloud."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.metrics import silhouette_score

from custseg.segmentation.clustering import CentroidClusterer
from custseg.segmentation.selection import safe_score

CLEAR_GROUPS = "clear groups"
CONTINUUM = "useful slices of a continuum"


@dataclass(frozen=True)
class StructureVerdict:
    """The chosen clustering's silhouette against the null reference's, and the verdict.

    ``verdict`` is "clear groups" when the silhouette reaches ``min_silhouette`` (0.25 by
    default: Kaufman and Rousseeuw's floor below which no substantial structure has been
    found) and beats the null reference's mean by more than three of its standard deviations
    (at least 0.01); otherwise "useful slices of a continuum".
    """

    silhouette: float
    null_silhouette_mean: float
    null_silhouette_std: float
    references: int
    min_silhouette: float
    verdict: str

    @property
    def detail(self) -> str:
        """The verdict with its numbers, in one sentence."""
        if self.references == 0:
            return f"{self.verdict}: silhouette {self.silhouette:.3f} (no null reference computed)"
        return (
            f"{self.verdict}: silhouette {self.silhouette:.3f} against {self.null_silhouette_mean:.3f} "
            f"(sd {self.null_silhouette_std:.3f}) for the same customers with every feature shuffled "
            f"independently ({self.references} reference(s)); clear groups need at least "
            f"{self.min_silhouette:.2f} and a clear margin over the reference"
        )


def null_reference(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``points`` with each column permuted independently."""
    return np.column_stack([rng.permutation(points[:, j]) for j in range(points.shape[1])])


def assess_structure(
    points: np.ndarray,
    silhouette: float,
    clusterer: CentroidClusterer,
    k: int,
    *,
    references: int = 5,
    min_silhouette: float = 0.25,
    silhouette_sample_size: int = 5000,
    random_state: int = 42,
) -> StructureVerdict:
    """Cluster ``references`` null references of ``points`` with a clone of ``clusterer`` at
    ``k`` and compare their silhouettes (same subset size) with ``silhouette``."""
    rng = np.random.default_rng(np.random.SeedSequence(random_state).spawn(4)[3])
    sample_size = silhouette_sample_size if len(points) > silhouette_sample_size else None
    scores = []
    for r in range(references):
        reference = null_reference(points, rng)
        labels = (
            clone(clusterer).set_params(n_clusters=k, random_state=random_state + r).fit(reference).labels_
        )
        score = safe_score(
            silhouette_score, reference, labels, sample_size=sample_size, random_state=random_state
        )
        if not np.isnan(score):
            scores.append(score)
    mean = float(np.mean(scores)) if scores else float("nan")
    std = float(np.std(scores)) if scores else float("nan")
    clear = silhouette >= min_silhouette and (not scores or silhouette > mean + max(3 * std, 0.01))
    return StructureVerdict(
        silhouette=float(silhouette),
        null_silhouette_mean=mean,
        null_silhouette_std=std,
        references=len(scores),
        min_silhouette=min_silhouette,
        verdict=CLEAR_GROUPS if clear else CONTINUUM,
    )
