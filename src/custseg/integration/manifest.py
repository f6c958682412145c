"""The project's settings as dbt's manifest holds them: the one place every tool outside dbt
(benchmarks, docs pictures, tests) reads them from, so nothing copies them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIT_MODEL = "model.custseg.fit_segmentation"


def load_manifest(path: Path) -> dict[str, Any]:
    """``target/manifest.json`` (written by any dbt command that parses the project)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run a dbt command (dbt parse) first")
    return json.loads(path.read_text())


def segmentation_settings(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The segmentation settings per source, as the fit model receives them."""
    try:
        return manifest["nodes"][FIT_MODEL]["config"]["meta"]["segmentation"]
    except KeyError as error:
        raise KeyError(f"the manifest has no segmentation settings on {FIT_MODEL}") from error
