"""Campaign lists: the customers of each segment as a CSV file and a Parquet file that a
campaign team uploads to an email or ads tool without touching SQL.

The lists are the mart ``marts.campaign_customers`` split by source and segment, and by
source and churn-risk band (the groupings below), every column but ``source``, sorted by
customer id, so identical builds give identical files. Each Parquet file carries the mart's
column descriptions. ``index.csv`` lists every file with its list, segment, customers and
suggested action. Written by the publish
step into a new folder that is swapped in as a whole (:mod:`custseg.tools.publish`).

A new grouping is one more :class:`Grouping` in ``GROUPINGS`` and its columns in the mart.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from custseg.tools.parquet import write_described_parquet

TABLE = ("marts", "campaign_customers")
ORDER_BY = "customer_id"
INDEX_FILE = "index.csv"
INDEX_COLUMNS = (
    "source",
    "list",
    "segment_id",
    "segment_name",
    "suggested_action",
    "customers",
    "csv",
    "parquet",
)


@dataclass(frozen=True)
class Grouping:
    """One way of splitting the customers into lists: by the values of ``columns``, one list
    per combination, named ``<prefix>_<first value>_<the others, slugged>``."""

    prefix: str
    columns: tuple[str, ...]
    # the list's suggested action: this column's value (one per list)
    action_column: str = "suggested_action"


GROUPINGS = (
    Grouping("segment", ("segment_id", "segment_name")),
    Grouping("churn_risk", ("churn_risk",), action_column="churn_risk_action"),
)


@dataclass(frozen=True)
class CampaignList:
    """One list written: a source's customers for one combination of a grouping's values."""

    source: str
    grouping: str
    values: tuple[object, ...]
    stem: str
    customers: int
    segment_id: int | None
    segment_name: str | None
    suggested_action: str | None

    @property
    def csv(self) -> str:
        return f"{self.source}/{self.stem}.csv"

    @property
    def parquet(self) -> str:
        return f"{self.source}/{self.stem}.parquet"


def slug(text: object) -> str:
    """Lower-case words joined by underscores, for file names ("Bag-buying customers" ->
    "bag_buying_customers")."""
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(connection: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str | None]]:
    schema, name = TABLE
    return connection.execute(
        "select column_name, comment from duckdb_columns() where database_name = ? and schema_name = ?"
        " and table_name = ? order by column_index",
        [catalog, schema, name],
    ).fetchall()


def _table_comment(connection: duckdb.DuckDBPyConnection, catalog: str) -> str | None:
    schema, name = TABLE
    row = connection.execute(
        "select comment from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
        [catalog, schema, name],
    ).fetchone()
    return row[0] if row else None


def write_campaign_lists(
    connection: duckdb.DuckDBPyConnection, catalog: str, folder: Path
) -> tuple[CampaignList, ...]:
    """Write every list of every grouping from ``<catalog>.marts.campaign_customers`` into
    ``folder`` (created), plus the index; the lists written, in file order."""
    columns = _columns(connection, catalog)
    if not columns:
        raise LookupError(f"no table {'.'.join(TABLE)}")
    names = [name for name, _ in columns]
    select_list = ", ".join(quote_identifier(name) for name in names if name != "source")
    descriptions = {name: comment for name, comment in columns if comment and name != "source"}
    table_description = _table_comment(connection, catalog)
    relation = f"{quote_identifier(catalog)}.{'.'.join(map(quote_identifier, TABLE))}"
    folder.mkdir(parents=True)
    written: list[CampaignList] = []
    for grouping in GROUPINGS:
        keys = ", ".join(map(quote_identifier, grouping.columns))
        action = quote_identifier(grouping.action_column)
        combos = connection.execute(
            f"select source, {keys}, count(*), min({action}) from {relation}"
            f" group by source, {keys} order by source, {keys}"
        ).fetchall()
        for source, *values, customers, action in combos:
            item = CampaignList(
                source=source,
                grouping=grouping.prefix,
                values=tuple(values),
                stem="_".join([grouping.prefix, *(slug(value) for value in values)]),
                customers=int(customers),
                segment_id=_value(grouping, values, "segment_id"),
                segment_name=_value(grouping, values, "segment_name"),
                suggested_action=action,
            )
            where = " and ".join(["source = ?", *(f"{quote_identifier(c)} = ?" for c in grouping.columns)])
            connection.execute(
                f"create or replace temporary table campaign_list as select {select_list} from {relation}"
                f" where {where} order by {ORDER_BY}",
                [source, *values],
            )
            (folder / source).mkdir(exist_ok=True)
            connection.execute(
                f"copy (select * from campaign_list order by {ORDER_BY})"
                f" to {_literal(str(folder / item.csv))} (header, delimiter ',')"
            )
            write_described_parquet(
                connection,
                f"select * from campaign_list order by {ORDER_BY}",
                folder / item.parquet,
                table_description=table_description,
                column_descriptions=descriptions,
            )
            written.append(item)
    connection.execute("drop table if exists campaign_list")
    _write_index(folder / INDEX_FILE, written)
    return tuple(written)


def _value(grouping: Grouping, values: Sequence[object], column: str) -> object | None:
    return values[grouping.columns.index(column)] if column in grouping.columns else None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _write_index(path: Path, lists: Sequence[CampaignList]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(INDEX_COLUMNS)
        for item in lists:
            writer.writerow(
                [item.source, item.grouping, item.segment_id, item.segment_name, item.suggested_action,
                 item.customers, item.csv, item.parquet]
            )  # fmt: skip
