"""Public-health statistics for CDP needs assessments, conforming to Fingertips methods.

Proportions (Wilson), crude rates (Byar's / exact Poisson), directly
standardised rates (Dobson, ESP2013), indirectly standardised ratios and
rates, means (Student's t), funnel-plot limits, slope and relative index of
inequality, benchmark comparison, recent-trend markers, XmR SPC charts and
aggregation of local authorities into partnerships.

The methods follow PHEindicatormethods 2.1.0 (UKHSA/OHID) and are tested
against its published test workbooks. Every function raises
:class:`cdp_analysis.errors.StatsInputError` on invalid input.
"""

from cdp_analysis.stats._limits import (
    byars_lower,
    byars_upper,
    exact_poisson_lower,
    exact_poisson_upper,
    poisson_count_limits,
    wilson_lower,
    wilson_upper,
    z_value,
)
from cdp_analysis.stats.aggregate import aggregate_counts, combine_then
from cdp_analysis.stats.benchmark import (
    BENCHMARK_COLOURS,
    BENCHMARK_LABELS,
    POLARITIES,
    compare_to_benchmark,
    compare_to_benchmark_series,
    normalise_polarity,
    quintile_labels,
)
from cdp_analysis.stats.change import CHANGE_LABELS, change_judgement, compare_periods
from cdp_analysis.stats.coerce import as_float
from cdp_analysis.stats.dsr import ESP2013_AGEBANDS, ESP2013_WEIGHTS, dsr, esp2013, esp2013_band
from cdp_analysis.stats.estimate import Estimate
from cdp_analysis.stats.funnel import (
    SIGNIFICANCE_LEVELS,
    assign_funnel_significance,
    funnel_limits,
    funnel_points,
)
from cdp_analysis.stats.isr import isr
from cdp_analysis.stats.mean import mean
from cdp_analysis.stats.proportion import proportion, proportion_table
from cdp_analysis.stats.rate import crude_rate, crude_rate_table
from cdp_analysis.stats.sii import sii
from cdp_analysis.stats.spc import spc
from cdp_analysis.stats.trend import (
    TREND_LABELS,
    TrendResult,
    recent_trend,
    recent_trend_proportion,
)

__all__ = [
    "Estimate",
    # proportions and rates
    "proportion",
    "proportion_table",
    "crude_rate",
    "crude_rate_table",
    "dsr",
    "esp2013",
    "esp2013_band",
    "ESP2013_AGEBANDS",
    "ESP2013_WEIGHTS",
    "isr",
    "mean",
    # confidence-limit building blocks
    "z_value",
    "wilson_lower",
    "wilson_upper",
    "byars_lower",
    "byars_upper",
    "exact_poisson_lower",
    "exact_poisson_upper",
    "poisson_count_limits",
    # funnels and inequality
    "funnel_limits",
    "assign_funnel_significance",
    "funnel_points",
    "SIGNIFICANCE_LEVELS",
    "sii",
    # comparison, trend and SPC
    "compare_to_benchmark",
    "compare_to_benchmark_series",
    "compare_periods",
    "change_judgement",
    "CHANGE_LABELS",
    "quintile_labels",
    "normalise_polarity",
    "BENCHMARK_COLOURS",
    "BENCHMARK_LABELS",
    "POLARITIES",
    "recent_trend",
    "recent_trend_proportion",
    "TrendResult",
    "TREND_LABELS",
    "spc",
    # a cell's value as a number
    "as_float",
    # partnerships
    "aggregate_counts",
    "combine_then",
]
