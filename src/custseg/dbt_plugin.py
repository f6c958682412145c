"""dbt-duckdb plugin: the project's SQL helper functions and the in-memory ``raw`` catalog.

Enabled in ``profiles.yml`` (``plugins: [{module: custseg.dbt_plugin}]``).
"""

from __future__ import annotations

from pathlib import Path

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from custseg.inputs import register_input

#: The catalog that holds the raw sources (views over the input files, created by the
#: ``register_raw_inputs`` hook on every dbt command). In memory, so that a raw file is never
#: copied into the warehouse or the serving file.
RAW_CATALOG = "raw"


class Plugin(BasePlugin):
    """Adds ``custseg_register_input(request)``, used by the ``register_raw_inputs`` hook."""

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        work_dir = _input_work_dir(self.creds)

        def register(request: str) -> str:
            return register_input(request, work_dir)

        conn.create_function("custseg_register_input", register, ["VARCHAR"], "VARCHAR", side_effects=True)
        conn.execute(f"attach if not exists ':memory:' as {RAW_CATALOG}")


def _input_work_dir(creds) -> Path:
    """Where UTF-8 copies of cp1252/Latin-1 inputs go: ``inputs/`` in DuckDB's temp folder."""
    options = getattr(creds, "config_options", None) or {}
    temp_dir = options.get("temp_directory")
    if not temp_dir:
        database = getattr(creds, "path", None) or "warehouse/build.duckdb"
        temp_dir = Path(database).parent / "tmp"
    return Path(temp_dir) / "inputs"
