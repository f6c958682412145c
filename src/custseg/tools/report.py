"""The segment report: one static HTML page for marketers, with one card per segment in
business units, built from the serving file (so it shows exactly what BI tools see).

    python -m custseg.tools.report            # after publish: writes target/segment_report.html

Every figure comes from the marts (segment_profiles, segment_report_sources,
segment_report_figures, segment_category_shares, segment_rfm_mix) and the campaign lists'
index; this module only lays them out. The page is one file with its styles inside and no
scripts, it works offline, and the same serving file gives the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import html
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from custseg.tools.docs_site.warehouse import source_label
from custseg.tools.publish import PublishSettings

DEFAULT_OUT = Path("target/segment_report.html")
DOCS_PAGE = Path("target/static_index.html")
# RFM segments shown by name in a card's mix; the rest are added up as "other".
RFM_SHOWN = 4
RFM_COLOURS = ("#2f6f9f", "#5b9bd5", "#9cc3e6", "#c9def0", "#e3e3e3")


@dataclass(frozen=True)
class Segment:
    """One card: the segment's row of segment_profiles and its figures, categories, RFM mix."""

    profile: pd.Series
    figures: pd.DataFrame
    categories: pd.DataFrame
    rfm_mix: pd.DataFrame
    campaign_list: dict[str, str] | None
    value: pd.Series | None = None  # the segment's row of segment_value_summary


@dataclass(frozen=True)
class SourceReport:
    """One source: its head (segment_report_sources) and its segments."""

    head: pd.Series
    segments: list[Segment]

    @property
    def label(self) -> str:
        return source_label(str(self.head["source"]))


def _frame(connection: duckdb.DuckDBPyConnection, sql: str, *params: object) -> pd.DataFrame:
    return connection.execute(sql, list(params)).df()


def read_report(connection: duckdb.DuckDBPyConnection, campaign_index: Path | None) -> list[SourceReport]:
    """Everything the page shows, per source in display order, segments by id."""
    heads = _frame(
        connection,
        "select source, customers, segments, as_of_date, revenue_unit, structure_summary, model_version"
        " from marts.segment_report_sources order by source",
    )
    profiles = _frame(
        connection,
        "select source, segment_id, segment_name, customers, customer_share, revenue, revenue_share,"
        " segment_description, suggested_action from marts.segment_profiles order by source, segment_id",
    )
    figures = _frame(
        connection,
        "select source, segment_id, label, statistic, segment_text, overall_text"
        " from marts.segment_report_figures order by source, segment_id, figure_position",
    )
    categories = _frame(
        connection,
        "select source, segment_id, category, segment_share_text, overall_share_text"
        " from marts.segment_category_shares where sets_segment_apart"
        " order by source, segment_id, category_rank",
    )
    rfm_mix = _frame(
        connection,
        "select source, segment_id, rfm_segment, customers, share_of_segment"
        " from marts.segment_rfm_mix order by source, segment_id, rfm_rank",
    )
    values = _frame(
        connection,
        "select summary.*, models.value_months from marts.segment_value_summary as summary"
        " left join marts.customer_value_models as models on summary.source = models.source"
        " order by summary.source, summary.segment_id",
    )
    lists = _campaign_lists(campaign_index)
    order = {"smartcart": 0, "online_retail": 1}
    reports = []
    for _, head in sorted(
        heads.iterrows(), key=lambda item: (order.get(item[1]["source"], 2), item[1]["source"])
    ):
        source = head["source"]
        segments = []
        for _, profile in profiles.loc[profiles["source"] == source].iterrows():
            key = (source, int(profile["segment_id"]))

            def rows(frame: pd.DataFrame, key: tuple[str, int] = key) -> pd.DataFrame:
                return frame.loc[(frame["source"] == key[0]) & (frame["segment_id"] == key[1])]

            value = rows(values)
            segments.append(
                Segment(
                    profile,
                    rows(figures),
                    rows(categories),
                    rows(rfm_mix),
                    lists.get(key),
                    value.iloc[0] if len(value) else None,
                )
            )
        reports.append(SourceReport(head, segments))
    return reports


def _campaign_lists(index: Path | None) -> dict[tuple[str, int], dict[str, str]]:
    """The campaign lists per (source, segment id) from the lists' index.csv, if there is one."""
    if index is None or not index.is_file():
        return {}
    with index.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row.get("list") == "segment"]
    folder = index.parent
    return {
        (row["source"], int(row["segment_id"])): {
            "csv": str(folder / row["csv"]),
            "parquet": str(folder / row["parquet"]),
        }
        for row in rows
    }


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _count(value: object) -> str:
    return f"{int(value):,}"


def _share(value: object) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{float(value):.1%}"


def _money(value: object, unit: str) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{float(value):,.0f} {unit}"


def _date(value: object) -> str:
    if value is None or pd.isna(value):
        return "the build's as-of date"
    day = pd.Timestamp(value).date() if not isinstance(value, dt.date) else value
    return f"{day.day} {day:%B %Y}"


def _link(path: str, out: Path) -> str:
    return os.path.relpath(Path(path).resolve(), out.resolve().parent)


def render_figures(segment: Segment) -> str:
    rows = []
    for figure in segment.figures.itertuples():
        prefix = "typically " if figure.statistic == "median" else "on average "
        rows.append(
            f"<tr><th scope='row'>{_e(str(figure.label).capitalize())}</th>"
            f"<td>{_e(prefix + figure.segment_text)}</td><td>{_e(figure.overall_text)}</td></tr>"
        )
    return (
        "<table class='figures'><thead><tr><th></th><th>This segment</th><th>All customers</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def render_categories(segment: Segment) -> str:
    if segment.categories.empty:
        return (
            "<p class='categories none'>No product category stands out: they spend on the same mix "
            "as the average customer.</p>"
        )
    items = "".join(
        f"<li><strong>{_e(str(row.category).capitalize())}</strong>: {_e(row.segment_share_text)} "
        f"on average ({_e(row.overall_share_text)} for all customers)</li>"
        for row in segment.categories.itertuples()
    )
    return f"<h4>What sets them apart</h4><ul class='categories'>{items}</ul>"


def render_rfm_mix(segment: Segment) -> str:
    mix = segment.rfm_mix
    shown = list(mix.head(RFM_SHOWN).itertuples())
    other = float(mix["share_of_segment"].iloc[RFM_SHOWN:].sum()) if len(mix) > RFM_SHOWN else 0.0
    parts = [(str(row.rfm_segment), float(row.share_of_segment)) for row in shown]
    if other > 0:
        parts.append(("other RFM segments", other))
    bar = "".join(
        f"<span style='width:{share * 100:.2f}%;background:{RFM_COLOURS[i]}' title='{_e(name)}'></span>"
        for i, (name, share) in enumerate(parts)
    )
    legend = "".join(
        f"<li><i style='background:{RFM_COLOURS[i]}'></i>{_e(name)} {share:.0%}</li>"
        for i, (name, share) in enumerate(parts)
    )
    return f"<h4>RFM mix</h4><div class='bar'>{bar}</div><ul class='legend'>{legend}</ul>"


RISK_COLOURS = {"high": "#d62728", "medium": "#ff7f0e", "low": "#2ca02c", "unknown": "#c7c7c7"}


def render_value(segment: Segment, unit: str) -> str:
    """Churn risk (customers likely to buy nothing over the horizon) and predicted value."""
    value = segment.value
    if value is None or int(value["unknown_risk_customers"]) == int(value["customers"]):
        return ""
    customers = max(int(value["customers"]), 1)
    parts = [(band, int(value[f"{band}_risk_customers"])) for band in RISK_COLOURS]
    bar = "".join(
        f"<span style='width:{count / customers * 100:.2f}%;background:{RISK_COLOURS[band]}'"
        f" title='{band} risk'></span>"
        for band, count in parts
        if count
    )
    legend = "".join(
        f"<li><i style='background:{RISK_COLOURS[band]}'></i>{band} {count / customers:.0%}</li>"
        for band, count in parts
        if count
    )
    predicted = ""
    if pd.notna(value["predicted_value"]):
        total, each = _money(value["predicted_value"], unit), _money(value["average_predicted_value"], unit)
        predicted = (
            f"<p class='value'>Predicted value of the next {int(value['value_months'])} months: "
            f"<b>{_e(total)}</b> ({_e(each)} a customer)</p>"
        )
    return f"<h4>Churn risk</h4><div class='bar'>{bar}</div><ul class='legend'>{legend}</ul>{predicted}"


def render_card(segment: Segment, head: pd.Series, out: Path) -> str:
    profile = segment.profile
    unit = str(head["revenue_unit"])
    campaign = ""
    if segment.campaign_list:
        links = " · ".join(
            f"<a href='{_e(_link(path, out))}'>{kind.upper()}</a>"
            for kind, path in segment.campaign_list.items()
        )
        campaign = (
            f"<p class='campaign'>Campaign list of its {_count(profile['customers'])} customers: {links}</p>"
        )
    segment_id = int(profile["segment_id"])
    customers = f"<b>{_count(profile['customers'])}</b> customers"
    revenue = f"<b>{_e(_money(profile['revenue'], unit))}</b> revenue"
    return f"""
<article class="card" id="{_e(head["source"])}-{segment_id}">
  <header><h3>{_e(profile["segment_name"])}</h3><span class="id">Segment {segment_id}</span></header>
  <div class="headline">
    <div>{customers}<br><small>{_share(profile["customer_share"])} of customers</small></div>
    <div>{revenue}<br><small>{_share(profile["revenue_share"])} of revenue</small></div>
  </div>
  <p class="description">{_e(profile["segment_description"])}</p>
  {render_figures(segment)}
  {render_categories(segment)}
  {render_rfm_mix(segment)}
  {render_value(segment, unit)}
  <p class="action"><strong>Suggested action:</strong> {_e(profile["suggested_action"])}</p>
  {campaign}
</article>"""


def render_source(report: SourceReport, out: Path) -> str:
    head = report.head
    cards = "".join(render_card(segment, head, out) for segment in report.segments)
    return f"""
<section class="source" id="{_e(head["source"])}">
  <h2>{_e(report.label)}</h2>
  <p class="lead">{_count(head["customers"])} customers in {int(head["segments"])} segments; figures at
  {_e(_date(head["as_of_date"]))}; revenue in {_e(head["revenue_unit"])}.</p>
  <p class="verdict">{_e(head["structure_summary"])}</p>
  <div class="cards">{cards}</div>
</section>"""


STYLE = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;background:#f4f6f8;
color:#1f2933}
main{max-width:1320px;margin:0 auto;padding:24px 32px 48px}
h1{font-size:28px;margin:8px 0 4px}h2{font-size:22px;margin:32px 0 4px;border-bottom:2px solid #2f6f9f}
.intro,.lead{color:#52606d;margin:4px 0}
.verdict{background:#fff8e1;border-left:4px solid #f0b429;padding:8px 12px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(400px,1fr));gap:16px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:16px 18px}
.card header{display:flex;justify-content:space-between;align-items:baseline}
.card h3{margin:0;font-size:19px;color:#102a43}.id{color:#829ab1;font-size:13px}
.headline{display:flex;gap:24px;margin:10px 0}.headline b{font-size:22px;color:#2f6f9f}
.description{font-size:14px;color:#334e68}h4{margin:12px 0 4px;font-size:14px}
table.figures{border-collapse:collapse;width:100%;font-size:14px}
table.figures th,table.figures td{text-align:left;padding:3px 6px;border-bottom:1px solid #e4e7eb}
table.figures thead th{color:#829ab1;font-weight:normal;font-size:12px}
ul.categories{margin:0;padding-left:18px;font-size:14px}.none{font-size:14px;color:#52606d}
.bar{display:flex;height:14px;border-radius:3px;overflow:hidden}.bar span{display:block;height:100%}
ul.legend{list-style:none;padding:0;margin:4px 0;font-size:12px;display:flex;flex-wrap:wrap;gap:4px 12px}
ul.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
.action{background:#e3f0fa;border-radius:6px;padding:8px 10px;font-size:14px}
.campaign{font-size:13px;color:#52606d}footer{color:#829ab1;font-size:12px;margin-top:32px}
"""


def render_report(reports: Sequence[SourceReport], out: Path, serving: Path) -> str:
    """The whole page."""
    sections = "".join(render_source(report, out) for report in reports)
    versions = "; ".join(f"{report.label} {report.head['model_version']}" for report in reports)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Segment report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>
<body><main>
<h1>Segment report</h1>
<p class="intro">Who the customers of each business are, group by group, with what to do next. Figures
marked "typically" are the middle customer of the segment (half are above, half below); shares of
spend are averages over the segment's customers. Each segment has a campaign list ready to upload.</p>
{sections}
<footer>Built from {_e(serving.name)} by ./scripts/build.sh. Segmentation versions: {_e(versions)}.</footer>
</main></body></html>
"""


def write_report(serving: Path, out: Path, campaign_index: Path | None) -> list[SourceReport]:
    """Read the serving file read-only and write the page (only when its bytes change)."""
    if not serving.is_file():
        raise FileNotFoundError(f"no serving file at {serving}: run ./scripts/build.sh first")
    with duckdb.connect(str(serving), read_only=True) as connection:
        reports = read_report(connection, campaign_index)
    if not reports:
        raise ValueError(f"{serving} has no segments (marts.segment_report_sources is empty)")
    page = render_report(reports, out, serving).encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    if not (out.is_file() and out.read_bytes() == page):
        partial = out.with_name(f".{out.name}.partial")
        partial.write_bytes(page)
        partial.replace(out)
    return reports


def main(argv: Sequence[str] | None = None) -> int:
    defaults = PublishSettings.from_env()
    parser = argparse.ArgumentParser(
        prog="python -m custseg.tools.report", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--serving", type=Path, default=defaults.serving, help=f"default {defaults.serving}")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"page to write (default {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--campaign-dir",
        type=Path,
        default=defaults.campaigns,
        help=f"campaign lists (default {defaults.campaigns})",
    )
    parser.add_argument(
        "--where", action="store_true", help="only say where the serving file, docs site and report are"
    )
    arguments = parser.parse_args(argv)
    if arguments.where:
        print(where(arguments.serving, arguments.out, arguments.campaign_dir))
        return 0
    started = time.monotonic()
    try:
        reports = write_report(arguments.serving, arguments.out, arguments.campaign_dir / "index.csv")
    except (FileNotFoundError, ValueError) as error:
        print(f"report: {error}", file=sys.stderr)
        return 2
    except duckdb.Error as error:
        print(f"report: the serving file cannot be read ({error}); run ./scripts/build.sh", file=sys.stderr)
        return 2
    segments = sum(len(report.segments) for report in reports)
    print(
        f"report: wrote {arguments.out} ({segments} segments of {len(reports)} sources)"
        f" in {time.monotonic() - started:.1f} s"
    )
    return 0


def where(serving: Path, report: Path, campaigns: Path) -> str:
    """The closing lines of a build: where its three outputs are and how to open them."""
    return "\n".join(
        [
            f'Serving file:   {serving}  (BI tools open it read-only: README "Connect your BI tool";'
            f" metrics: ./scripts/mf.sh list metrics)",
            f"Docs site:      {DOCS_PAGE}  (open it in a browser, or ./scripts/serve_docs.sh for"
            " http://localhost:8080/)",
            f"Segment report: {report}  (open it in a browser; campaign lists in {campaigns}/)",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
