"""dbt-duckdb plugin: the project's SQL helper functions and the in-memory ``raw`` catalog.

Enabled in ``profiles.yml`` (``plugins: [{module: custseg.dbt_plugin}]``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from custseg.inputs import register_input

#: The catalog that holds the raw sources (views over the input files, created by the
#: ``register_raw_inputs`` hook on every dbt command). In memory, so that a raw file is never
#: copied into the warehouse or the serving file.
RAW_CATALOG = "raw"

#: DuckDB settings taken from the environment when the database opens (not from the profile,
#: whose values dbt hashes into its parse state: a changed value there re-parses the project).
DUCKDB_SETTINGS = {
    "memory_limit": ("CUSTSEG_DUCKDB_MEMORY_LIMIT", "3GB"),
    "temp_directory": ("CUSTSEG_DUCKDB_TEMP_DIR", "warehouse/tmp"),
}


def duckdb_settings(environ: dict[str, str] | None = None) -> dict[str, str]:
    """memory_limit and temp_directory from the environment (defaults 3GB, warehouse/tmp)."""
    environ = dict(os.environ) if environ is None else environ
    return {name: environ.get(variable) or default for name, (variable, default) in DUCKDB_SETTINGS.items()}


class Plugin(BasePlugin):
    """Adds ``custseg_register_input(request)``, used by the ``register_raw_inputs`` hook, and
    applies :func:`duckdb_settings` when the database opens (once: DuckDB refuses to move its
    spill folder after it has been used)."""

    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        for name, value in duckdb_settings().items():
            config.setdefault(name, value)

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        work_dir = _input_work_dir(self.creds)

        def register(request: str) -> str:
            return register_input(request, work_dir)

        conn.create_function("custseg_register_input", register, ["VARCHAR"], "VARCHAR", side_effects=True)
        conn.execute(f"attach if not exists ':memory:' as {RAW_CATALOG}")


def _input_work_dir(creds) -> Path:
    """Where UTF-8 copies of cp1252/Latin-1 inputs go: ``inputs/`` in DuckDB's temp folder."""
    options = getattr(creds, "config_options", None) or {}
    temp_dir = options.get("temp_directory") or duckdb_settings()["temp_directory"]
    if not temp_dir:
        database = getattr(creds, "path", None) or "warehouse/build.duckdb"
        temp_dir = Path(database).parent / "tmp"
    return Path(temp_dir) / "inputs"
