"""The faster chart path draws the same figure: same layout, same pixels, no leaked figures."""

from __future__ import annotations

import base64
import contextlib
import io

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from cdp_analysis.report import charts, render


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = [{"year": y, "area": a, "rate": float(rng.uniform(10, 400))}
            for a in ("Elmsworth", "Wyvern Vale (demo region)", "England") for y in range(2015, 2024)]
    return pd.DataFrame(rows)


def _multiples() -> charts.Chart:
    data = _frame().assign(kind=lambda f: np.where(f["year"] % 2 == 0, "Drug offences", "Possession of weapons"))
    return charts.small_multiples(data, facet="kind", x="year", y="rate", series="area",
                                  order=["Elmsworth", "Wyvern Vale (demo region)", "England"],
                                  title="Rates by type", ylabel="Per 100,000", source="test")


def _trend() -> charts.Chart:
    return charts.trend_lines(_frame(), x="year", y="rate", series="area",
                              order=["Elmsworth", "Wyvern Vale (demo region)", "England"],
                              title="A long title for the rate of drug offences", ylabel="Per 100,000",
                              source="police.uk", synthetic=True)


@pytest.mark.parametrize("make", [_trend, _multiples])
def test_layout_is_matplotlibs_tight_layout(make):
    chart = make()
    fast = vars(chart.figure.subplotpars).copy()
    chart.figure.tight_layout(rect=(0, 0.04, 1, 1))  # matplotlib's own two-pass layout
    # Small multiples put the latest year's label at the panel's edge, where it overhangs by an amount that
    # depends on the panel's width: matplotlib's own layout does not settle either (a third pass moves
    # `right` by 3e-4), so the fast path is held to within 1% of the figure there, exact elsewhere.
    tolerance = 0.01 if make is _multiples else None
    assert vars(chart.figure.subplotpars) == pytest.approx(fast, abs=tolerance)
    chart.close()


@pytest.mark.parametrize("make", [_trend, _multiples])
def test_png_has_the_savefig_pixels_and_frees_the_figure(make):
    chart = make()
    number = chart.figure.number
    buffer = io.BytesIO()
    chart.figure.savefig(buffer, format="png")  # what the slower path encoded
    expected = np.asarray(Image.open(buffer).convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
                          .convert("RGB"))
    got = np.asarray(Image.open(io.BytesIO(base64.b64decode(render._png(chart)))).convert("RGB"))
    assert got.shape == expected.shape == (round(chart.figure.get_figheight() * 100), 800, 3)
    assert np.array_equal(got, expected)
    assert number not in plt.get_fignums()


def _bars() -> charts.Chart:
    data = pd.DataFrame({"name": ["Elmsworth", "Wyvern Vale", "England"], "rate": [12.5, 30.25, 21.0],
                         "lo": [10.0, 25.0, 20.5], "hi": [15.0, 35.5, 21.5],
                         "compared": ["Better", "Worse", "Similar"]})
    return charts.rate_bars(data, label="name", value="rate", lower="lo", upper="hi", colour="compared",
                            title="Drug offences per 1,000 residents", xlabel="Per 1,000 residents",
                            source="test", highlight="Elmsworth")


def _heatmap() -> charts.Chart:
    rng = np.random.default_rng(3)
    table = pd.DataFrame(rng.integers(0, 90, (3, 12)), index=[2021, 2022, 2023],
                         columns=[f"M{m}" for m in range(1, 13)]).astype(float)
    return charts.seasonality_heatmap(table, title="Drug offences by month", source="test", synthetic=True)


def _plain_png(make, monkeypatch) -> bytes:
    """The chart drawn with none of the shortcuts: matplotlib measures, places and lays out everything."""
    with monkeypatch.context() as patch:
        patch.setattr(charts, "_measured_once", lambda fig: contextlib.nullcontext())
        patch.setattr(charts, "_pin_empty_axis_labels", lambda fig: None)
        patch.setattr(render, "texts_laid_out_once", lambda fig: contextlib.nullcontext())
        chart = make()
        subplotpars = vars(chart.figure.subplotpars).copy()
        return render._png(chart), subplotpars


@pytest.mark.parametrize("make", [_trend, _multiples, _bars, _heatmap])
def test_shortcuts_draw_the_same_image(make, monkeypatch):
    plain, plain_pars = _plain_png(make, monkeypatch)
    chart = make()
    assert vars(chart.figure.subplotpars) == plain_pars
    assert render._png(chart) == plain  # the same bytes


def test_shortcuts_are_undone():
    from matplotlib import artist, axis, text

    before = (artist._get_tightbbox_for_layout_only, axis.Axis._update_ticks, text.Text._get_layout)
    render._png(_trend())
    assert (artist._get_tightbbox_for_layout_only, axis.Axis._update_ticks, text.Text._get_layout) == before


def test_replaced_puts_back_what_was_there_even_after_an_error():
    fig = plt.figure()
    canvas = fig.canvas
    assert "draw_idle" not in vars(canvas)  # the class's method
    with pytest.raises(ZeroDivisionError), charts.replaced(canvas, "draw_idle", lambda: "stand-in") as original:
        assert canvas.draw_idle() == "stand-in"
        assert original.__func__ is type(canvas).draw_idle  # what it was: the class's method, bound
        raise ZeroDivisionError("an error inside the block")
    assert "draw_idle" not in vars(canvas)  # the instance's copy deleted, not the bound method kept
    plt.close(fig)

    class Owner:
        def method(self) -> str:
            return "own"

    before = vars(Owner)["method"]
    with charts.replaced(Owner, "method", lambda self: "stand-in"):
        assert Owner().method() == "stand-in"
    assert vars(Owner)["method"] is before and Owner().method() == "own"


def test_empty_axis_labels_are_pinned_and_worded_ones_are_not():
    chart = _bars()  # an x label, no y label
    assert chart.figure.axes[0].xaxis._autolabelpos
    assert not chart.figure.axes[0].yaxis._autolabelpos
    chart.close()
