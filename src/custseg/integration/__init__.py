"""How the project reaches the warehouse: the glue of the dbt Python models and the
project's settings as dbt's manifest holds them."""
