"""Choropleth maps of small-area rates, hotspots named on the map."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from cdp_analysis.report.charts import Chart, alt_number, finish_figure, replaced

__all__ = ["choropleth", "rate_classes"]

_PALETTE = ["#deebf7", "#9ecae1", "#4292c6", "#08519c", "#08306b"]


def rate_classes(values: pd.Series, n: int = 5) -> tuple[pd.Series, list[str]]:
    """Quantile classes of ``values`` (NaN stays NaN) and their legend labels."""
    finite = values.dropna()
    if finite.empty:
        return pd.Series(np.nan, index=values.index), []
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, n + 1)))
    if len(edges) < 2:
        edges = np.array([finite.min(), finite.max() + 1e-9])
    classes = pd.cut(values, bins=edges, labels=False, include_lowest=True)
    labels = [f"{edges[i]:.1f} to {edges[i + 1]:.1f}" for i in range(len(edges) - 1)]
    return classes, labels


@contextmanager
def _no_redraws(fig: Figure) -> Iterator[None]:
    """Skip the full redraw geopandas asks for after each layer (``plt.draw()``).

    The figure is drawn once, when it is saved; without this a map was drawn again
    after every layer it was given (classes, suppressed, no data, outline, hotspots).
    """
    with replaced(fig.canvas, "draw_idle", lambda *args, **kwargs: None):
        yield


def choropleth(
    geo: gpd.GeoDataFrame,
    rates: pd.DataFrame,
    *,
    value: str,
    title: str,
    legend_title: str,
    source: str,
    highlight: Sequence[str] = (),
    outline: gpd.GeoDataFrame | None = None,
    synthetic: bool = False,
) -> Chart:
    """Map ``rates[value]`` on the shapes of ``geo`` (joined on ``code``).

    Every shape of ``geo`` is drawn. Small areas whose value is suppressed
    (``rates["suppressed"]`` true) are hatched grey and keyed "Suppressed"; shapes
    with no row or no value (no residents, or not in the data) are hatched
    differently and keyed "No data". Codes in ``highlight`` are outlined and labelled.
    """
    shapes = geo[["code", "geometry"]].merge(rates, on="code", how="left")
    if "suppressed" not in shapes:
        shapes["suppressed"] = shapes[value].isna() & shapes["code"].isin(rates["code"])
    shapes["suppressed"] = shapes["suppressed"].eq(True).astype(bool)  # no data (NaN) is not suppressed
    if "name" in shapes and "name" in geo:
        names = geo.drop_duplicates("code").set_index("code")["name"]
        shapes["name"] = shapes["name"].fillna(shapes["code"].map(names))
    classes, labels = rate_classes(shapes[value])
    fig, ax = plt.subplots(figsize=(8, 7))
    with _no_redraws(fig):
        for i, _label in enumerate(labels):
            part = shapes[classes == i]
            if not part.empty:
                part.plot(ax=ax, color=_PALETTE[i % len(_PALETTE)], edgecolor="white", linewidth=0.4)
        missing = shapes[shapes[value].isna() & shapes["suppressed"]]
        if not missing.empty:
            missing.plot(ax=ax, color="#f3f2f1", edgecolor="#b1b4b6", hatch="///", linewidth=0.4)
        nodata = shapes[shapes[value].isna() & ~shapes["suppressed"]]
        if not nodata.empty:
            nodata.plot(ax=ax, color="white", edgecolor="#505a5f", hatch="...", linewidth=0.4)
        if outline is not None:
            outline.boundary.plot(ax=ax, color="#0b0c0c", linewidth=1.2)
        hot = shapes[shapes["code"].isin(highlight)]
        if not hot.empty:
            hot.boundary.plot(ax=ax, color="#d4351c", linewidth=2)
            for _, row in hot.iterrows():
                point = row.geometry.representative_point()
                ax.annotate(row["name"], (point.x, point.y), fontsize=8, ha="center", fontweight="bold",
                            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#d4351c", "alpha": 0.9})
    handles = [Patch(facecolor=_PALETTE[i], label=lab) for i, lab in enumerate(labels)]
    if not missing.empty:
        handles.append(Patch(facecolor="#f3f2f1", edgecolor="#b1b4b6", hatch="///", label="Suppressed"))
    if not nodata.empty:
        handles.append(Patch(facecolor="white", edgecolor="#505a5f", hatch="...", label="No data"))
    if not hot.empty:
        handles.append(Patch(facecolor="none", edgecolor="#d4351c", linewidth=2, label="Hotspot"))
    ax.legend(handles=handles, title=legend_title, loc="upper left", bbox_to_anchor=(1.0, 1.0),
              frameon=False, fontsize=9)
    ax.set_axis_off()
    ax.set_title(title, loc="left")
    finish_figure(fig, source, synthetic)
    ranked = shapes.dropna(subset=[value]).sort_values(value, ascending=False)
    alt = f"Map: {title}. {len(shapes)} areas shaded in {len(labels)} bands from lightest (lowest) to darkest (highest)."
    if not ranked.empty:
        top = ", ".join(f"{r['name']} ({alt_number(r[value])})" for _, r in ranked.head(3).iterrows())
        low = ranked.iloc[-1]
        alt += f" Highest: {top}. Lowest: {low['name']} ({alt_number(low[value])})."
    if not hot.empty:
        alt += " Hotspots outlined in red: " + ", ".join(hot["name"]) + "."
    if not missing.empty:
        alt += f" {len(missing)} areas are suppressed (small numbers)."
    if not nodata.empty:
        alt += f" {len(nodata)} areas have no data and are hatched."
    data = pd.DataFrame(shapes.drop(columns="geometry"))
    return Chart(fig, title, alt, data, source, synthetic)
