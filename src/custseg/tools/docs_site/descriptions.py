"""Check that the docs site describes everything: every model, seed and source of the project,
every column they declare, and every column the warehouse actually has (dbt's catalog) for
models and seeds. Reads target/manifest.json and target/catalog.json after ``dbt docs generate``."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHECKED_NODES = ("model", "seed")


@dataclass(frozen=True)
class Undescribed:
    """One thing without a description; ``column`` is None for the model, seed or source itself."""

    resource: str
    name: str
    column: str | None = None
    note: str = "no description"

    def __str__(self) -> str:
        where = f"{self.resource} {self.name}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.note}"


def _blank(text: object) -> bool:
    return not isinstance(text, str) or not text.strip()


def _declared_columns(node: Mapping[str, Any], resource: str, name: str) -> Iterator[Undescribed]:
    for column in node.get("columns", {}).values():
        if _blank(column.get("description")):
            yield Undescribed(resource, name, column["name"])


def _catalog_columns(
    node: Mapping[str, Any], entry: Mapping[str, Any] | None, resource: str, name: str
) -> Iterator[Undescribed]:
    """Columns in the warehouse that the YAML does not declare at all."""
    if not entry:
        return
    declared = {column_name.casefold() for column_name in node.get("columns", {})}
    for column in entry.get("columns", {}).values():
        if column["name"].casefold() not in declared:
            yield Undescribed(resource, name, column["name"], "in the warehouse but not in the YAML")


def _project_name(manifest: Mapping[str, Any]) -> str | None:
    return manifest.get("metadata", {}).get("project_name")


def undescribed(manifest: Mapping[str, Any], catalog: Mapping[str, Any] | None = None) -> list[Undescribed]:
    """Every model, seed and source table of the project (and column) without a description."""
    project = _project_name(manifest)
    catalog_nodes = (catalog or {}).get("nodes", {})
    found: list[Undescribed] = []
    for unique_id, node in manifest.get("nodes", {}).items():
        resource = node.get("resource_type")
        if resource not in CHECKED_NODES or (project and node.get("package_name") != project):
            continue
        name = node["name"]
        if _blank(node.get("description")):
            found.append(Undescribed(resource, name))
        found.extend(_declared_columns(node, resource, name))
        found.extend(_catalog_columns(node, catalog_nodes.get(unique_id), resource, name))
    for source in manifest.get("sources", {}).values():
        if project and source.get("package_name") != project:
            continue
        name = f"{source['source_name']}.{source['name']}"
        if _blank(source.get("description")):
            found.append(Undescribed("source", name))
        found.extend(_declared_columns(source, "source", name))
    return sorted(
        found, key=lambda item: (item.resource, item.name, (item.column or "").casefold(), item.note)
    )


def check_target(target_dir: Path) -> list[Undescribed]:
    """Load manifest.json and (when present) catalog.json from a dbt target folder and check them."""
    manifest_path = target_dir / "manifest.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"no {manifest_path}: run dbt docs generate first")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    catalog_path = target_dir / "catalog.json"
    catalog = json.loads(catalog_path.read_text(encoding="utf-8")) if catalog_path.is_file() else None
    return undescribed(manifest, catalog)
