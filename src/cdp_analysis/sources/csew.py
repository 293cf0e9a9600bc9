"""Crime Survey for England and Wales (CSEW): drug use by age and sex, and local estimates from it.

ONS publishes the survey's drug-misuse tables as one workbook (``drugsmisusetables<month><yy>.xlsx``,
"Drug misuse in England and Wales – appendix tables"), one table per sheet below
seven rows of title, notes and links. :func:`read_csew` reads the tables that give
the proportion of adults who used a drug **in the last year**:

* ``1.02``: 16 to 59 year olds, by drug (any drug, cannabis, any cocaine, powder
  cocaine, crack, ecstasy, …), every survey year since 1995;
* ``1.08``: the same for 16 to 24 year olds;
* ``3.03``: 16 to 59 year olds by age group (16–19, 20–24, 25–29, 30–34, 35–44,
  45–54, 55–59) for cannabis, any Class A drug and any drug;
* ``3.04``: 16 to 59 year olds by sex and age (16–24, 25–59) for the same drugs.

Each table ends with the unweighted base (adults interviewed) of each column; ONS
notes that the base "relates to any drug use; bases for other drug measures will be
similar", so the any-drug base is used for every drug of that table. The workbook
gives no confidence intervals: :func:`read_csew` computes approximate 95% intervals
(Wilson score) on an *effective* sample size, the unweighted base divided by the
square of a design factor (``deft``, default 1.2, within the range the CSEW
technical report gives for its estimates). Markers: ``[x]`` (question not asked
that year) and ``[c]`` (suppressed for disclosure or reliability) become missing
with their meaning in ``note``; they are never zero.

:func:`apply_survey_rates` turns national rates by age and sex into a *synthetic
estimate* of the number of local residents using drugs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cdp_analysis.errors import (
    DataFormatError,
    DataShortfallError,
    InconsistentDataError,
    MissingDataError,
    SchemaError,
)
from cdp_analysis.sources._tables import Workbook, norm
from cdp_analysis.stats import wilson_lower, wilson_upper

__all__ = [
    "CSEW_COLUMNS",
    "CSEW_TABLES",
    "CSEW_MARKERS",
    "DEFAULT_DEFT",
    "is_csew",
    "read_csew",
    "survey_rates",
    "apply_survey_rates",
]

#: Columns of :func:`read_csew`.
CSEW_COLUMNS: dict[str, str] = {
    "table": "string",  # "3.04"
    "recall": "string",  # "last year"
    "drug": "string",  # "Any drug", "Cannabis", "Any cocaine", "Any Class A drug", …
    "sex": "string",  # "Persons", "Male", "Female"
    "age": "string",  # "16-59", "16-24", "25-59", "16-19", …
    "age_min": "int64",
    "age_max": "int64",
    "period": "string",  # as published: "Oct 2021 to Jun 2022"
    "year_ending": "string",  # "2022-06"
    "value": "float64",  # percentage of adults
    "unweighted_base": "float64",
    "lower_ci": "float64",
    "upper_ci": "float64",
    "unit": "string",  # "%"
    "marker": "string",  # "[x]", "[c]"
    "note": "string",
    "ci_method": "string",
}
#: Sheet -> (what the title must contain, population of the table (sex, age) or None = by rows).
CSEW_TABLES: dict[str, tuple[str, tuple[str, str] | None]] = {
    "1.02": ("16 to 59 year olds reporting use of drugs in the last year", ("Persons", "16-59")),
    "1.08": ("16 to 24 year olds reporting use of drugs in the last year", ("Persons", "16-24")),
    "3.03": ("use of illicit drugs in the last year by age group", None),
    "3.04": ("use of illicit drugs in the last year by sex and age", None),
}
CSEW_MARKERS: dict[str, str] = {
    "[x]": "not available (question not asked that year)",
    "[c]": "suppressed (disclosure or reliability constraints)",
    "[z]": "not applicable",
    "[u]": "low reliability",
}
#: Design factor used for the effective sample size when none is given.
DEFAULT_DEFT = 1.2
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                       "nov", "dec"), start=1)}
_PERIOD = re.compile(r"^(?P<m1>[a-z]{3})\w* (?P<y1>\d{4}) to (?P<m2>[a-z]{3})\w* (?P<y2>\d{4})$")
_AGE = re.compile(r"^(?P<lo>\d{2})\s*[-–]\s*(?P<hi>\d{2})$")
_NOTE = re.compile(r"\s*\[note\s*\d+\]\s*", re.I)
_SEXES = {"men": "Male", "male": "Male", "women": "Female", "female": "Female"}
_HEADER_FIRST = ("drug type", "age breakdown")
_BASE = "unweighted base"


def is_csew(path: str | Path) -> bool:
    """Whether ``path`` is a CSEW drug-misuse workbook (sheets ``1.02`` and ``3.04``). Never raises."""
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm") or not path.is_file():
        return False
    try:
        book = Workbook(path)
    except Exception:  # a classifier must never stop a run
        return False
    try:
        if not {"1.02", "3.04"} <= set(book.names):
            return False
        title = next(book.rows("3.04"), [None])[0]
        return CSEW_TABLES["3.04"][0] in norm(title)
    except Exception:
        return False
    finally:
        book.close()


def read_csew(path: str | Path, *, deft: float = DEFAULT_DEFT) -> pd.DataFrame:
    """The CSEW tables of last-year drug use by drug, age and sex, long format.

    Parameters
    ----------
    path
        The ONS workbook (``drugsmisusetablesjune22.xlsx`` or a later edition
        with the same table numbers).
    deft
        Design factor for the effective sample size ``base / deft**2`` of the
        approximate confidence intervals (1 = simple random sample).

    Returns
    -------
    pandas.DataFrame
        :data:`CSEW_COLUMNS`, one row per table, drug, sex, age and survey year.

    Raises
    ------
    MissingDataError
        The file does not exist.
    DataFormatError
        A sheet is missing or has another title, no header row, an age or
        period label not recognised, or a cell that is neither a number nor a
        marker; the message names the sheet, the row and the column.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(f"CSEW workbook not found: {path}")
    if deft < 1:
        raise ValueError(f"deft must be 1 or more, got {deft}")
    try:
        book = Workbook(path)
    except Exception as exc:
        raise DataFormatError("cannot open the workbook", path=path, expected="an Excel workbook",
                              found=f"{type(exc).__name__}: {exc}") from exc
    try:
        frames = [_read_table(path, book, sheet, *spec) for sheet, spec in CSEW_TABLES.items()]
    finally:
        book.close()
    frame = pd.concat(frames, ignore_index=True)
    return _with_ci(frame, deft)


def _read_table(path: Path, book: Workbook, sheet: str, title: str, fixed: tuple[str, str] | None
                ) -> pd.DataFrame:
    if sheet not in book.names:
        raise DataFormatError("sheet not in the workbook", path=path, expected=f"CSEW table {sheet!r}",
                              found="sheets " + ", ".join(repr(n) for n in book.names[:12]))
    rows = list(book.rows(sheet))
    if not rows or title not in norm(rows[0][0] if rows[0] else ""):
        raise DataFormatError(f"sheet {sheet!r}: not the expected table", path=path, line=1,
                              expected=repr(title), found=repr(rows[0][0] if rows and rows[0] else None))
    start = next((i for i, r in enumerate(rows) if r and norm(r[0]) in _HEADER_FIRST), None)
    if start is None:
        raise DataFormatError(f"sheet {sheet!r}: no header row", path=path,
                              expected=" or ".join(repr(h) for h in _HEADER_FIRST) + " in column A")
    header = rows[start]
    periods = {j: _clean(h) for j, h in enumerate(header) if j and h and "significance" not in norm(h)}
    for j, label in periods.items():
        if _year_ending(label) is None:
            raise DataFormatError(f"sheet {sheet!r}: not a survey period", path=path, line=start + 1,
                                  column=_column_letter(j), expected="e.g. 'Apr 2019 to Mar 2020'",
                                  found=repr(label))
    values, bases = _walk(path, sheet, rows, start, periods, fixed)
    frame = pd.DataFrame(values, columns=["drug", "sex", "age", "period", "value", "marker"])
    base = pd.DataFrame(bases, columns=["sex", "age", "period", "unweighted_base"])
    frame = frame.merge(base, on=["sex", "age", "period"], how="left")
    frame["table"] = sheet
    return frame


def _walk(path: Path, sheet: str, rows: list[list[object]], start: int, periods: dict[int, str],
          fixed: tuple[str, str] | None) -> tuple[list[tuple], list[tuple]]:
    """Values ``(drug, sex, age, period, value, marker)`` and bases ``(sex, age, period, base)``."""
    values: list[tuple] = []
    bases: list[tuple] = []
    drug, sex, in_base = None, "Persons", False
    for i in range(start + 1, len(rows)):
        row = rows[i]
        label = _clean(row[0]) if row else ""
        if not label:
            continue
        lowered = label.lower()
        if lowered.startswith(_BASE):
            in_base, sex = True, fixed[0] if fixed else "Persons"
            age = fixed[1] if fixed else "16-59"
        elif lowered in _SEXES:
            sex, age = _SEXES[lowered], (fixed[1] if fixed else "16-59")
        elif _AGE.match(label):
            age = _age(label)
        else:  # a drug
            if in_base:
                raise DataFormatError(f"sheet {sheet!r}: unexpected row in the base block", path=path,
                                      line=i + 1, column="A", expected="a sex or an age group", found=repr(label))
            drug, sex = label, fixed[0] if fixed else "Persons"
            age = fixed[1] if fixed else "16-59"
        for j, period in periods.items():
            cell = row[j] if j < len(row) else None
            number, marker = _cell(path, sheet, i, j, cell)
            if in_base:
                if number is not None:
                    bases.append((sex, age, period, number))
            elif drug is not None:
                values.append((drug, sex, age, period, number, marker))
    return values, bases


def _cell(path: Path, sheet: str, i: int, j: int, cell: object) -> tuple[float | None, str | None]:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None, None
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return float(cell), None
    text = str(cell).strip().lower()
    if text in CSEW_MARKERS:
        return None, text
    try:
        return float(text), None
    except ValueError:
        raise DataFormatError(f"sheet {sheet!r}: not a number", path=path, line=i + 1, column=_column_letter(j),
                              expected="a percentage or a marker ([x], [c])", found=repr(cell)) from None


def _with_ci(frame: pd.DataFrame, deft: float) -> pd.DataFrame:
    frame = frame.copy()
    frame["recall"] = "last year"
    frame["year_ending"] = frame["period"].map(_year_ending)
    frame["age_min"] = frame["age"].str.split("-").str[0].astype(int)
    frame["age_max"] = frame["age"].str.split("-").str[1].astype(int)
    frame["unit"] = "%"
    frame["note"] = frame["marker"].map(CSEW_MARKERS)
    n = frame["unweighted_base"].to_numpy(dtype=float) / deft**2
    p = frame["value"].to_numpy(dtype=float) / 100
    ok = np.isfinite(p) & np.isfinite(n) & (n > 0)
    lower = np.full(len(frame), np.nan)
    upper = np.full(len(frame), np.nan)
    lower[ok] = wilson_lower(p[ok] * n[ok], n[ok]) * 100
    upper[ok] = wilson_upper(p[ok] * n[ok], n[ok]) * 100
    frame["lower_ci"], frame["upper_ci"] = lower, upper
    frame["ci_method"] = np.where(ok, f"Wilson 95%, effective base = unweighted base / {deft:g}^2", pd.NA)
    no_base = ~ok & np.isfinite(p)
    frame.loc[no_base, "note"] = "no unweighted base in this table: no interval"
    for column, dtype in CSEW_COLUMNS.items():
        frame[column] = frame[column].astype(dtype)
    return frame[list(CSEW_COLUMNS)]


def _clean(value: object) -> str:
    return _NOTE.sub(" ", str(value)).strip() if value is not None else ""


def _age(label: str) -> str:
    match = _AGE.match(label)
    return f"{match['lo']}-{match['hi']}"  # type: ignore[index]


def _year_ending(label: str) -> str | None:
    match = _PERIOD.match(str(label).strip().lower())
    if not match or match["m2"] not in _MONTHS:
        return None
    return f"{match['y2']}-{_MONTHS[match['m2']]:02d}"


def _column_letter(j: int) -> str:
    letters = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        letters = chr(65 + r) + letters
    return letters


# -- rates applied to a local population ---------------------------------------------------------


def survey_rates(csew: pd.DataFrame, drug: str = "Any drug", year_ending: str | None = None) -> pd.DataFrame:
    """National last-year use of ``drug`` by sex and age band (table 3.04) for one survey year.

    Returns ``sex, age, age_min, age_max, value, lower_ci, upper_ci, unweighted_base,
    drug, period, year_ending``: four rows (Male/Female × 16-24/25-59), percentages.
    ``year_ending`` defaults to the latest survey year with every band published.
    """
    rows = csew[(csew["table"] == "3.04") & (csew["drug"].str.lower() == drug.lower())
                & (csew["sex"] != "Persons") & (csew["age"] != "16-59")]
    if rows.empty:
        known = sorted(csew.loc[csew["table"] == "3.04", "drug"].dropna().unique())
        raise MissingDataError(f"no CSEW rates by sex and age for {drug!r}; known: {', '.join(known)}")
    complete = rows.groupby("year_ending")["value"].apply(lambda v: v.notna().all() and len(v) == 4)
    year = year_ending or complete[complete].index.max()
    chosen = rows[rows["year_ending"] == year]
    if chosen.empty or chosen["value"].isna().any():
        raise MissingDataError(f"no complete CSEW rates for {drug!r} in the year ending {year}")
    columns = ["sex", "age", "age_min", "age_max", "value", "lower_ci", "upper_ci", "unweighted_base", "drug",
               "period", "year_ending"]
    return chosen[columns].reset_index(drop=True)


def apply_survey_rates(rates: pd.DataFrame, population: pd.DataFrame, *, confidence: float = 0.95
                       ) -> pd.DataFrame:
    """Synthetic estimate of local drug users: national rates by age and sex × local population.

    Method: for each area, sex and age band, the estimated number of users is the
    local population in the band times the national survey proportion for that
    sex and band; the band's interval is the population times the survey's
    confidence limits. Totals add the bands; their interval treats the bands'
    survey errors as independent (separate groups of respondents): the standard
    error of each band is its interval's half-width divided by the normal
    quantile, and the total's is the square root of the summed squares (normal
    approximation, lower limit floored at 0).

    This **assumes local rates equal the national rates for each age and sex**:
    it reflects the area's age and sex structure only, not local deprivation,
    drug markets or culture, and the survey covers England and Wales and private
    households (not prisons, hostels or people sleeping rough). It is context,
    not a measured local prevalence.

    Parameters
    ----------
    rates
        ``sex`` (``"Male"``/``"Female"``), ``age_min``, ``age_max`` (inclusive),
        ``value``, ``lower_ci``, ``upper_ci`` (percentages), e.g. :func:`survey_rates`.
        An ``age`` label column is used when present.
    population
        ``area_code``, ``sex``, ``age`` (integer single years), ``population``
        (optionally ``area_name``), e.g. :func:`~cdp_analysis.sources.population.read_population`
        summed to the areas wanted. Rows for ``"Persons"`` are ignored.
    confidence
        Level of the intervals of the rates (for the totals' standard errors).

    Returns
    -------
    pandas.DataFrame
        ``area_code, area_name, level, sex, age, population, rate, rate_lower,
        rate_upper, estimate, lower, upper, method``: one row per area, sex and band
        (``level`` ``"age band"``), then per area and sex for all bands (``"sex"``,
        ``age`` e.g. ``"16-59"``), then per area for both sexes (``"persons"``,
        ``sex`` ``"Persons"``). Rates in %, estimates in people.

    Raises
    ------
    ValueError
        A required column is missing, a rate is outside 0–100 or its interval
        does not contain it, bands overlap, or the population has no male and
        female rows in the bands.
    """
    from scipy.stats import norm as normal

    _require(rates, ("sex", "age_min", "age_max", "value", "lower_ci", "upper_ci"), "rates")
    _require(population, ("area_code", "sex", "age", "population"), "population")
    rates = rates.copy()
    for column in ("value", "lower_ci", "upper_ci"):
        rates[column] = pd.to_numeric(rates[column]).astype(float)
    bad = ~((rates["lower_ci"] <= rates["value"]) & (rates["value"] <= rates["upper_ci"])
            & rates["value"].between(0, 100))
    if bad.any():
        raise InconsistentDataError(f"rates: value must lie in 0-100 and between its limits; row {bad.idxmax()} does not", column="value")
    if "age" not in rates:
        rates["age"] = rates["age_min"].astype(str) + "-" + rates["age_max"].astype(str)
    _check_bands(rates)
    pop = population[population["sex"].isin(["Male", "Female"])].copy()
    if "area_name" not in pop:
        pop["area_name"] = pd.NA
    names = pop.drop_duplicates("area_code").set_index("area_code")["area_name"]
    parts = []
    for band in rates.itertuples(index=False):
        in_band = pop[(pop["sex"] == band.sex) & pop["age"].between(band.age_min, band.age_max)]
        summed = in_band.groupby("area_code", as_index=False)["population"].sum()
        summed["sex"], summed["age"] = band.sex, band.age
        summed["rate"], summed["rate_lower"], summed["rate_upper"] = band.value, band.lower_ci, band.upper_ci
        parts.append(summed)
    bands = pd.concat(parts, ignore_index=True)
    if bands.empty or bands["population"].sum() == 0:
        raise DataShortfallError(
            "the population data holds no residents by sex and single year of age in the survey rates' age "
            f"bands, {int(rates['age_min'].min())} to {int(rates['age_max'].max())}")
    z = float(normal.ppf(0.5 + confidence / 2))
    bands["estimate"] = bands["population"] * bands["rate"] / 100
    bands["lower"] = bands["population"] * bands["rate_lower"] / 100
    bands["upper"] = bands["population"] * bands["rate_upper"] / 100
    bands["_var"] = ((bands["upper"] - bands["lower"]) / (2 * z)) ** 2
    span = f"{int(rates['age_min'].min())}-{int(rates['age_max'].max())}"
    bands["level"] = "age band"
    by_sex = _total(bands, ["area_code", "sex"], z).assign(age=span, level="sex")
    persons = _total(bands, ["area_code"], z).assign(sex="Persons", age=span, level="persons")
    out = pd.concat([bands, by_sex, persons], ignore_index=True)
    out["area_name"] = out["area_code"].map(names)
    out["method"] = ("synthetic estimate: national CSEW rate by age and sex x local population; "
                     "assumes local rates equal national")
    columns = ["area_code", "area_name", "level", "sex", "age", "population", "rate", "rate_lower", "rate_upper",
               "estimate", "lower", "upper", "method"]
    return out[columns].reset_index(drop=True)


def _total(bands: pd.DataFrame, by: list[str], z: float) -> pd.DataFrame:
    total = bands.groupby(by, as_index=False)[["population", "estimate", "_var"]].sum()
    se = np.sqrt(total["_var"])
    total["lower"] = np.maximum(total["estimate"] - z * se, 0.0)
    total["upper"] = total["estimate"] + z * se
    total["rate"] = total["estimate"] / total["population"] * 100
    total["rate_lower"] = total["lower"] / total["population"] * 100
    total["rate_upper"] = total["upper"] / total["population"] * 100
    return total.drop(columns="_var")


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(f"{what} must have columns {list(columns)}; missing {missing}", column=str(missing[0]))


def _check_bands(rates: pd.DataFrame) -> None:
    for sex, group in rates.groupby("sex"):
        spans = sorted(zip(group["age_min"], group["age_max"], strict=True))
        for (lo1, hi1), (lo2, _) in zip(spans, spans[1:]):
            if lo2 <= hi1:
                raise InconsistentDataError(f"rates: age bands overlap for {sex}: {lo1}-{hi1} and from {lo2}",
                                            column="age_min")
