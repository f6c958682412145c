"""Render the pictures from the built warehouse and write the dbt ``__overview__`` docs block
(docs/overview.md, from the committed docs/overview.md.template) with the pictures embedded as
data URIs, so that the single-file static site carries them."""

from __future__ import annotations

import base64
import html
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import duckdb
from matplotlib.figure import Figure

from custseg.integration.manifest import segmentation_settings
from custseg.segmentation.settings import SegmentationSettings
from custseg.tools.docs_site import figures
from custseg.tools.docs_site.warehouse import (
    ModelSpace,
    SourceTables,
    connect,
    last_transitions,
    model_space,
    source_tables,
    sources,
    value_summary,
)

TEMPLATE = Path("docs/overview.md.template")
OVERVIEW = Path("docs/overview.md")
IMAGES_DIR = Path("target/docs_images")
MAX_PLOTTED_CUSTOMERS = 5000
# The currency of each source's money figures (SmartCart's is unnamed in its data).
CURRENCIES = {"online_retail": "GBP", "smartcart": "SmartCart currency units"}


@dataclass(frozen=True)
class Picture:
    """One rendered picture with its alt text and Markdown caption."""

    source: str
    name: str
    alt: str
    caption: str
    png: bytes

    @property
    def filename(self) -> str:
        return f"{self.source}_{self.name}.png"

    def markdown(self) -> str:
        """A Markdown image with the PNG as a data URI, then its caption. (dbt docs escapes raw HTML
        such as <img>, but renders Markdown images, and allows data:image URIs.)"""
        data = base64.b64encode(self.png).decode("ascii")
        return f"![{_text(self.alt)}](data:image/png;base64,{data})\n\n{self.caption}\n"


def _text(value: object) -> str:
    """Data as inert Markdown text: no tags, emphasis, links or table cell breaks, and no Jinja
    delimiters for dbt's docs parser."""
    escaped = html.escape(str(value), quote=True).replace("{", "&#123;").replace("}", "&#125;")
    return re.sub(r"([\\`*_\[\]|])", r"\\\1", escaped)


def _picture(tables: SourceTables, name: str, alt: str, caption: str, figure: Figure) -> Picture:
    with figures.style():
        png = figures.png_bytes(figure)
    return Picture(tables.source, name, f"{tables.label}: {alt}", caption, png)


def rule_thresholds(manifest: Mapping[str, Any] | None, source: str) -> figures.RuleThresholds:
    """The k rule's limits for a source: its settings in the dbt manifest over the package
    defaults (the defaults alone when no manifest was given)."""
    defaults = {f.name: f.default for f in fields(SegmentationSettings)}
    settings = (segmentation_settings(manifest).get(source) or {}) if manifest is not None else {}

    def setting(key: str) -> float:  # a key set to null takes its default, as in the package
        value = settings.get(key)
        return float(defaults[key] if value is None else value)

    return figures.RuleThresholds(setting("min_stability"), setting("min_segment_share"))


def k_selection_picture(tables: SourceTables, thresholds: figures.RuleThresholds) -> Picture:
    chosen, selection = tables.chosen, tables.selection
    k = int(chosen["k"])
    caption = (
        f"**{tables.label}: choosing k.** Candidates k = {selection['k'].min()} to {selection['k'].max()}, "
        f"scored on {int(chosen['customers_evaluated']):,} customers. The rule chose **k = {k}**: "
        f"silhouette {chosen['silhouette']:.3f}, stability {chosen['stability']:.3f} "
        f"(minimum {thresholds.min_stability:g}), smallest segment "
        f"{figures.share(chosen['min_segment_share'])} of customers "
        f"(minimum {figures.share(thresholds.min_segment_share)}). "
        f"Why: {_text(chosen['choice_reason'])}. Table `segment_model_selection`."
    )
    with figures.style():
        figure = figures.k_selection(tables, thresholds)
    return _picture(tables, "k_selection", "inertia, silhouette and stability against k", caption, figure)


def segment_map_picture(tables: SourceTables, space: ModelSpace) -> Picture:
    with figures.style():
        projection = figures.project(space)
        figure = figures.segment_map(tables, space, projection)
    shown, total = len(space.customers), space.total_customers
    plotted = (
        f"All {total:,} customers"
        if shown == total
        else f"A fixed sample of {shown:,} of {total:,} customers"
    )
    caption = (
        f"**{tables.label}: customers by segment.** {plotted} on the first two principal components of "
        f"the {space.coordinates.shape[1]}-dimensional space the clusterer works in "
        f"({sum(projection.explained):.0%} of its variance; segments that overlap here can be apart in "
        f"the other dimensions). Crosses are the segment centres. Scored again in Python from the "
        f"fitted model's tables, {space.agreement():.1%} of these customers land in the segment the "
        f"build assigned. {_text(tables.model['structure_detail'])}. Tables `customer_segments`, "
        f"`segment_model_features`, `segment_model_projection`, `segment_models`."
    )
    return _picture(
        tables, "segment_map", "customers on two principal components, by segment", caption, figure
    )


def profile_heatmap_picture(tables: SourceTables) -> Picture:
    strongest = tables.feature_profiles.loc[tables.feature_profiles["z_score"].abs().idxmax()]
    name = tables.profiles.set_index("segment_id").loc[strongest["segment_id"], "segment_name"]
    caption = (
        f"**{tables.label}: segment profiles.** Each cell is the segment's centre on a feature of the "
        f"model, in standard deviations from the average fitted customer on the scale the clusterer "
        f"sees (red above, blue below; colours stop at ±2). The strongest: {_text(name)}, "
        f"`{strongest['feature']}` {strongest['z_score']:+.1f} sd. Table `segment_feature_profiles`; "
        f"the segment descriptions in `segment_profiles` say the same in business units."
    )
    with figures.style():
        figure = figures.profile_heatmap(tables)
    return _picture(tables, "profile_heatmap", "feature z-scores per segment", caption, figure)


def segment_sizes_picture(tables: SourceTables) -> Picture:
    top = tables.profiles.sort_values(["revenue_share", "segment_id"], ascending=[False, True]).iloc[0]
    caption = (
        f"**{tables.label}: segment sizes.** {int(tables.profiles['customers'].sum()):,} customers in "
        f"{len(tables.profiles)} segments. {_text(top['segment_name'])}: "
        f"{figures.share(top['customer_share'])} of customers bring "
        f"{figures.share(top['revenue_share'])} of revenue. Suggested action: "
        f"{_text(top['suggested_action'])}. Table `segment_profiles`."
    )
    with figures.style():
        figure = figures.segment_sizes(tables)
    return _picture(tables, "segment_sizes", "share of customers and of revenue per segment", caption, figure)


def churn_bands_picture(tables: SourceTables, summary) -> Picture:
    riskiest = (
        summary.assign(
            share=summary["high_risk_customers"] / summary["customers"].where(summary["customers"] > 0)
        )
        .sort_values(["share", "segment_id"], ascending=[False, True])
        .iloc[0]
    )
    high = int(summary["high_risk_customers"].sum())
    caption = (
        f"**{tables.label}: churn risk by segment.** {high:,} of {int(summary['customers'].sum()):,} "
        "customers have a high churn risk (probability of no purchase over the value models' horizon). "
        f"Riskiest segment: {_text(riskiest['segment_name'])}, {figures.share(riskiest['share'])} high risk. "
        "Tables `customer_value` and `segment_value_summary`."
    )
    with figures.style():
        figure = figures.churn_bands(tables, summary)
    return _picture(tables, "churn_bands", "churn-risk bands per segment", caption, figure)


def predicted_value_picture(tables: SourceTables, summary) -> Picture:
    currency = CURRENCIES.get(tables.source, "source currency")
    total = float(summary["predicted_value"].fillna(0).sum())
    top = summary.sort_values(["predicted_value", "segment_id"], ascending=[False, True]).iloc[0]
    top_share = float(top["predicted_value"] or 0) / total if total else 0.0
    caption = (
        f"**{tables.label}: predicted value by segment.** {total:,.0f} {_text(currency)} predicted over the "
        f"next months; {_text(top['segment_name'])} brings {figures.share(top_share)} of it. "
        "Table `segment_value_summary`."
    )
    with figures.style():
        figure = figures.predicted_value(tables, summary, currency)
    return _picture(tables, "predicted_value", "predicted value per segment", caption, figure)


def migrations_picture(tables: SourceTables, transitions) -> Picture:
    moved = transitions[transitions["from_segment"] != transitions["to_segment"]]
    new = transitions[transitions["from_segment_id"].isna()]
    existing = moved[moved["from_segment_id"].notna()]
    largest = existing.sort_values(["customers", "to_segment_id"], ascending=[False, True]).head(1)
    move = (
        f" Largest move: {int(largest['customers'].iloc[0]):,} from {_text(largest['from_segment'].iloc[0])} "
        f"to {_text(largest['to_segment'].iloc[0])}."
        if len(largest)
        else " No customer changed segment."
    )
    caption = (
        f"**{tables.label}: the last period's migrations.** From "
        f"{transitions['previous_as_of_date'].iloc[0]} to {transitions['as_of_date'].iloc[0]}, "
        f"{int(existing['customers'].sum()):,} customers changed "
        f"segment and {int(new['customers'].sum()):,} were new.{move} Table `segment_transitions`."
    )
    with figures.style():
        figure = figures.migrations(tables, transitions)
    alt = "customers moving between segments in the last period"
    return _picture(tables, "migrations", alt, caption, figure)


@dataclass(frozen=True)
class SourceSection:
    """One source's tables and pictures."""

    tables: SourceTables
    space: ModelSpace
    pictures: list[Picture]

    def markdown(self) -> str:
        body = "\n".join(picture.markdown() for picture in self.pictures)
        return f"### {_text(self.tables.label)}\n\n{body}"


def source_section(
    connection: duckdb.DuckDBPyConnection, source: str, manifest: Mapping[str, Any] | None
) -> SourceSection:
    """Read one source and render its pictures: the segmentation's four, churn risk and
    predicted value by segment when the value models predicted, the last period's
    migrations when the source has a segment history."""
    tables = source_tables(connection, source)
    space = model_space(connection, source, max_customers=MAX_PLOTTED_CUSTOMERS)
    pictures = [
        k_selection_picture(tables, rule_thresholds(manifest, source)),
        segment_map_picture(tables, space),
        profile_heatmap_picture(tables),
        segment_sizes_picture(tables),
    ]
    summary = value_summary(connection, source)
    if (
        summary is not None
        and len(summary)
        and int(summary["unknown_risk_customers"].sum()) < int(summary["customers"].sum())
    ):
        pictures += [churn_bands_picture(tables, summary), predicted_value_picture(tables, summary)]
    transitions = last_transitions(connection, source)
    if transitions is not None:
        pictures.append(migrations_picture(tables, transitions))
    return SourceSection(tables, space, pictures)


def summary_table(sections: list[SourceSection]) -> str:
    """A Markdown table: per source, customers, chosen k and its scores, the model version."""
    lines = [
        "| source | customers | segments (k) | silhouette | stability | structure | biggest revenue segment "
        "| model version |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for section in sections:
        tables, chosen = section.tables, section.tables.chosen
        top = tables.profiles.sort_values(["revenue_share", "segment_id"], ascending=[False, True]).iloc[0]
        lines.append(
            f"| {_text(tables.label)} | {int(tables.profiles['customers'].sum()):,} | {int(chosen['k'])} "
            f"| {chosen['silhouette']:.3f} | {chosen['stability']:.3f} "
            f"| {_text(tables.model['structure_verdict'])} "
            f"(shuffled data: {tables.model['null_silhouette_mean']:.3f}) "
            f"| {_text(top['segment_name'])} ({figures.share(top['revenue_share'])} of revenue) "
            f"| `{_text(tables.model_version)}` |"
        )
    return "\n".join(lines)


def render_overview(template: str, sections: list[SourceSection]) -> str:
    """Fill the template's ${summary_table} and ${figures}."""
    figures_markdown = "\n".join(section.markdown() for section in sections)
    return string.Template(template).substitute(
        summary_table=summary_table(sections), figures=figures_markdown
    )


def _write_if_changed(path: Path, content: bytes) -> bool:
    """Write atomically, and only when the bytes differ (dbt reparses changed docs files)."""
    if path.is_file() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(content)
    partial.replace(path)
    return True


@dataclass(frozen=True)
class SiteImages:
    """What ``images`` wrote."""

    overview: Path
    images: list[Path]
    sections: list[SourceSection]

    @property
    def total_png_bytes(self) -> int:
        return sum(len(p.png) for s in self.sections for p in s.pictures)


def write_site_images(
    warehouse: Path,
    *,
    project_dir: Path = Path("."),
    images_dir: Path | None = None,
    overview: Path | None = None,
    template: Path | None = None,
    manifest: Mapping[str, Any] | None = None,
) -> SiteImages:
    """Render every source's pictures to images_dir and write the overview docs block;
    ``manifest`` (dbt's, parsed) gives the segmentation settings shown in the captions."""
    images_dir = images_dir or project_dir / IMAGES_DIR
    overview = overview or project_dir / OVERVIEW
    template_text = (template or project_dir / TEMPLATE).read_text(encoding="utf-8")
    with connect(warehouse) as connection:
        sections = [source_section(connection, source, manifest) for source in sources(connection)]
    if not sections:
        raise ValueError(f"{warehouse} has no segments in marts.segment_profiles: did dbt build finish?")
    written = []
    for picture in (p for section in sections for p in section.pictures):
        _write_if_changed(images_dir / picture.filename, picture.png)
        written.append(images_dir / picture.filename)
    _write_if_changed(overview, render_overview(template_text, sections).encode("utf-8"))
    return SiteImages(overview, written, sections)
