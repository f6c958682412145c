"""dbt-duckdb plugin: registers the project's SQL helper functions on each connection.

Enabled in ``profiles.yml`` (``plugins: [{module: custseg.dbt_plugin}]``).
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from custseg.inputs import input_file_problem


class Plugin(BasePlugin):
    """Adds ``custseg_input_problem(path, kind)``, used by the ``check_raw_inputs`` macro."""

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        conn.create_function(
            "custseg_input_problem",
            input_file_problem,
            ["VARCHAR", "VARCHAR"],
            "VARCHAR",
            side_effects=True,
        )
