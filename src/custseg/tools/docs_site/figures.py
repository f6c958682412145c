"""The segmentation pictures of the docs site, drawn with matplotlib's object API (no pyplot
state, no display needed) and saved as PNGs whose bytes depend only on the data: a fixed
style, a fixed dpi and no software or time stamp in the file."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import patches, ticker
from matplotlib import style as mpl_style
from matplotlib.figure import Figure
from sklearn.decomposition import PCA

from custseg.tools.docs_site.warehouse import ModelSpace, SourceTables

DPI = 100
STYLE: Mapping[str, object] = {
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.labelsize": 8.5,
    "figure.titlesize": 10.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
}
CHOSEN_COLOUR = "#d62728"
LINE_COLOUR = "#1f77b4"


@contextmanager
def style() -> Iterator[None]:
    """Matplotlib's defaults plus ours, whatever the user's matplotlibrc says."""
    with mpl_style.context("default"), matplotlib.rc_context(dict(STYLE)):
        yield


def png_bytes(figure: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes without metadata that changes between runs or machines."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    return buffer.getvalue()


def segment_colours(segment_ids: list[int]) -> dict[int, tuple[float, float, float, float]]:
    """One colour per segment id, the same in every picture of a source."""
    palette = matplotlib.colormaps["tab10" if len(segment_ids) <= 10 else "tab20"]
    return {segment_id: palette(index % palette.N) for index, segment_id in enumerate(sorted(segment_ids))}


def share(value: float) -> str:
    """A share as a percentage, with a decimal below 10% so that small segments do not read 0%."""
    return f"{value:.0%}" if value >= 0.095 else f"{value:.1%}"


def _segment_label(segment_id: int, name: str, width: int | None = None) -> str:
    label = f"{segment_id} · {name}"
    return "\n".join(textwrap.wrap(label, width)) if width else label


@dataclass(frozen=True)
class RuleThresholds:
    """The k rule's limits, drawn as reference lines on the selection curves."""

    min_stability: float
    min_segment_share: float


def k_selection(tables: SourceTables, thresholds: RuleThresholds) -> Figure:
    """Inertia, silhouette and stability against k, with the chosen k marked."""
    selection, chosen = tables.selection, tables.chosen
    figure = Figure(figsize=(9.0, 2.9), layout="constrained")
    axes = figure.subplots(1, 3)
    panels = [
        ("inertia", "Inertia (elbow: lower, flattening)"),
        ("silhouette", "Silhouette (higher = better separated)"),
        ("stability", "Stability (mean ARI over resamples)"),
    ]
    for ax, (column, title) in zip(axes, panels, strict=True):
        ax.plot(selection["k"], selection[column], marker="o", markersize=4, color=LINE_COLOUR)
        ax.axvline(chosen["k"], color=CHOSEN_COLOUR, linestyle="--", linewidth=1)
        ax.plot([chosen["k"]], [chosen[column]], marker="o", markersize=9, color=CHOSEN_COLOUR, zorder=3)
        ax.set_title(title)
        ax.set_xlabel("k (number of segments)")
        ax.set_xticks(selection["k"].tolist())
    stability_axis = axes[2]
    stability_axis.axhline(thresholds.min_stability, color="grey", linestyle=":", linewidth=1)
    stability_axis.annotate(
        f"min_stability {thresholds.min_stability:g}",
        xy=(1.0, thresholds.min_stability),
        xycoords=("axes fraction", "data"),
        ha="right",
        va="bottom",
        fontsize=7.5,
        color="grey",
    )
    stability_axis.set_ylim(min(0.0, float(selection["stability"].min())), 1.02)
    figure.suptitle(f"{tables.label}: choosing the number of segments (chosen k = {int(chosen['k'])}, red)")
    return figure


@dataclass(frozen=True)
class Projection:
    """Customers and segment centres on the first two principal components of model space."""

    points: np.ndarray
    centres: np.ndarray
    explained: tuple[float, float]


def project(space: ModelSpace, random_state: int = 42) -> Projection:
    """PCA of the sampled model-space coordinates to two components (exact SVD, fixed seed)."""
    components = min(2, *space.coordinates.shape)
    pca = PCA(n_components=components, svd_solver="full", random_state=random_state).fit(space.coordinates)
    pad = 2 - components
    points = np.pad(pca.transform(space.coordinates), ((0, 0), (0, pad)))
    centres = np.pad(pca.transform(space.centroids), ((0, 0), (0, pad)))
    ratios = [*pca.explained_variance_ratio_.tolist(), *([0.0] * pad)]
    return Projection(points, centres, (ratios[0], ratios[1]))


def segment_map(tables: SourceTables, space: ModelSpace, projection: Projection) -> Figure:
    """Customers coloured by segment on two principal components; crosses are the centres."""
    profiles = tables.profiles
    colours = segment_colours(profiles["segment_id"].tolist())
    figure = Figure(figsize=(9.0, 4.6), layout="constrained")
    ax = figure.subplots()
    segments = space.customers["segment_id"].to_numpy()
    for row in profiles.itertuples():
        mask = segments == row.segment_id
        label = f"{_segment_label(row.segment_id, row.segment_name)} ({row.customers:,} customers)"
        colour = colours[row.segment_id]
        ax.scatter(*projection.points[mask].T, s=7, alpha=0.55, color=colour, label=label, lw=0)
    for segment_id, (x, y) in zip(space.centroid_ids.tolist(), projection.centres, strict=True):
        colour = colours.get(segment_id, "black")
        ax.scatter([x], [y], marker="X", s=160, color=colour, edgecolor="black", lw=1)
        ax.annotate(str(segment_id), (x, y), xytext=(6, 6), textcoords="offset points", fontweight="bold")
    ax.set_xlabel(f"principal component 1 ({projection.explained[0]:.0%} of model-space variance)")
    ax.set_ylabel(f"principal component 2 ({projection.explained[1]:.0%})")
    shown = len(space.customers)
    sample = "all" if shown == space.total_customers else f"a fixed sample of {shown:,} of"
    ax.set_title(f"{tables.label}: {sample} {space.total_customers:,} customers in model space, by segment")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), markerscale=2.5, title="segment")
    return figure


def profile_heatmap(tables: SourceTables) -> Figure:
    """Features x segments z-scores against all customers, annotated with their values."""
    profiles, features = tables.profiles, tables.feature_order
    matrix = (
        tables.feature_profiles.pivot_table(
            index="feature", columns="segment_id", values="z_score", aggfunc="first", dropna=False
        )
        .reindex(index=features, columns=profiles["segment_id"].tolist())
        .to_numpy(dtype=float)
    )
    limit = 2.0
    figure = Figure(figsize=(2.6 + 1.45 * len(profiles), 1.1 + 0.27 * len(features)), layout="constrained")
    ax = figure.subplots()
    ax.grid(False)
    cmap = matplotlib.colormaps["RdBu_r"].with_extremes(bad="#eeeeee")
    image = ax.imshow(np.clip(matrix, -limit, limit), cmap=cmap, vmin=-limit, vmax=limit, aspect="auto")
    for (row, column), value in np.ndenumerate(matrix):
        text, colour = ("n/a", "grey") if np.isnan(value) else (f"{value:+.1f}", "black")
        if abs(value) >= 1.3:
            colour = "white"
        ax.text(column, row, text, ha="center", va="center", fontsize=7.5, color=colour)
    ax.set_yticks(range(len(features)), features)
    labels = [_segment_label(r.segment_id, r.segment_name, 16) for r in profiles.itertuples()]
    ax.set_xticks(range(len(profiles)), labels)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    colourbar = figure.colorbar(image, ax=ax, shrink=0.6, extend="both")
    colourbar.set_label("z-score: sd from the average customer")
    figure.suptitle(f"{tables.label}: segment profiles (feature means as z-scores)")
    return figure


def segment_sizes(tables: SourceTables) -> Figure:
    """Each segment's share of customers and of revenue, with its name and size."""
    profiles = tables.profiles
    colours = segment_colours(profiles["segment_id"].tolist())
    figure = Figure(figsize=(9.0, 1.2 + 0.62 * len(profiles)), layout="constrained")
    ax = figure.subplots()
    ax.grid(axis="y", visible=False)
    positions = np.arange(len(profiles))[::-1]
    height = 0.38
    for position, row in zip(positions, profiles.itertuples(), strict=True):
        colour = colours[row.segment_id]
        ax.barh(position + height / 2, row.customer_share, height, color=colour)
        ax.barh(position - height / 2, row.revenue_share, height, color=colour, alpha=0.45, hatch="///")
        customers = f" {share(row.customer_share)} ({row.customers:,})"
        ax.text(row.customer_share, position + height / 2, customers, va="center")
        ax.text(row.revenue_share, position - height / 2, f" {share(row.revenue_share)}", va="center")
    names = [_segment_label(r.segment_id, r.segment_name) for r in profiles.itertuples()]
    ax.set_yticks(positions, names)
    ax.set_xlim(0, min(1.0, max(profiles["customer_share"].max(), profiles["revenue_share"].max()) + 0.15))
    ax.xaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
    handles = [
        patches.Patch(color="grey", label="share of customers (number of customers)"),
        patches.Patch(facecolor="grey", alpha=0.45, hatch="///", label="share of revenue"),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    ax.set_title(f"{tables.label}: segment sizes")
    return figure


RISK_BANDS = (("high", "#d62728"), ("medium", "#ff7f0e"), ("low", "#2ca02c"), ("unknown", "#c7c7c7"))


def churn_bands(tables: SourceTables, summary: pd.DataFrame) -> Figure:
    """Each segment's customers by churn-risk band (customer_value), as shares of the segment."""
    figure = Figure(figsize=(9.0, 1.2 + 0.5 * len(summary)), layout="constrained")
    ax = figure.subplots()
    ax.grid(axis="y", visible=False)
    positions = np.arange(len(summary))[::-1]
    left = np.zeros(len(summary))
    totals = summary["customers"].to_numpy(dtype=float)
    for band, colour in RISK_BANDS:
        counts = summary[f"{band}_risk_customers"].to_numpy(dtype=float)
        shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
        ax.barh(positions, shares, left=left, color=colour, label=f"{band} risk")
        for position, start, value in zip(positions, left, shares, strict=True):
            if value >= 0.07:
                ax.text(start + value / 2, position, share(value), ha="center", va="center", fontsize=7.5)
        left += shares
    names = [_segment_label(r.segment_id, r.segment_name) for r in summary.itertuples()]
    ax.set_yticks(positions, names)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(RISK_BANDS))
    ax.set_title(f"{tables.label}: churn risk by segment (share of the segment's customers)")
    return figure


def predicted_value(tables: SourceTables, summary: pd.DataFrame, currency: str) -> Figure:
    """Each segment's predicted value: the total (bar) and per customer (label)."""
    colours = segment_colours(summary["segment_id"].tolist())
    figure = Figure(figsize=(9.0, 1.2 + 0.5 * len(summary)), layout="constrained")
    ax = figure.subplots()
    ax.grid(axis="y", visible=False)
    positions = np.arange(len(summary))[::-1]
    totals = summary["predicted_value"].fillna(0).to_numpy(dtype=float)
    for position, total, row in zip(positions, totals, summary.itertuples(), strict=True):
        ax.barh(position, total, color=colours[row.segment_id])
        each = "n/a" if pd.isna(row.average_predicted_value) else f"{row.average_predicted_value:,.0f}"
        ax.text(total, position, f" {total:,.0f} ({each} a customer)", va="center")
    names = [_segment_label(r.segment_id, r.segment_name) for r in summary.itertuples()]
    ax.set_yticks(positions, names)
    ax.set_xlim(0, max(totals.max(), 1) * 1.35)
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:,.0f}"))
    ax.set_xlabel(f"predicted value of the next months, {currency}")
    ax.set_title(f"{tables.label}: predicted value by segment")
    return figure


def migrations(tables: SourceTables, transitions: pd.DataFrame) -> Figure:
    """Customers by segment at the previous point (rows, new customers first) and at the
    last point (columns), counts annotated: the last period's migrations."""
    rows = list(dict.fromkeys(transitions["from_segment"]))
    columns = list(dict.fromkeys(transitions.sort_values("to_segment_id")["to_segment"]))
    matrix = (
        transitions.pivot_table(index="from_segment", columns="to_segment", values="customers", aggfunc="sum")
        .reindex(index=rows, columns=columns)
        .fillna(0)
        .to_numpy(dtype=float)
    )
    figure = Figure(figsize=(2.8 + 1.5 * len(columns), 1.4 + 0.42 * len(rows)), layout="constrained")
    ax = figure.subplots()
    ax.grid(False)
    image = ax.imshow(np.log1p(matrix), cmap=matplotlib.colormaps["Blues"], aspect="auto")
    for (row, column), value in np.ndenumerate(matrix):
        colour = "white" if value > matrix.max() / 2 else "black"
        ax.text(column, row, f"{value:,.0f}", ha="center", va="center", fontsize=8, color=colour)
    ax.set_yticks(range(len(rows)), [textwrap.fill(name, 24) for name in rows])
    ax.set_xticks(range(len(columns)), [textwrap.fill(name, 16) for name in columns])
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.set_ylabel(f"segment on {transitions['previous_as_of_date'].iloc[0]}")
    ax.set_xlabel(f"segment on {transitions['as_of_date'].iloc[0]}")
    image.set_clim(0, max(np.log1p(matrix).max(), 1))
    figure.suptitle(f"{tables.label}: the last period's migrations (customers)")
    return figure
