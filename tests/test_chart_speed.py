"""The faster chart path draws the same figure: same layout, same pixels, no leaked figures."""

from __future__ import annotations

import base64
import io

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from cdp_analysis import charts, render


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
    assert vars(chart.figure.subplotpars) == pytest.approx(fast)
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
