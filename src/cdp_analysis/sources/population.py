"""Population estimates: ONS small-area (SAPE) and mid-year (MYE2) tables, long format.

:func:`read_population` turns the wide published layouts into one long table::

    area_code, area_name, [geography,] sex, age, population

``sex`` is ``"Female"``, ``"Male"`` or ``"Persons"``; ``age`` an integer with 90
meaning 90 and over. Files that give only broad bands have ``age_band`` (e.g.
``"0-15"``, ``"65+"``) instead of ``age``. Layouts read (CSV, .xlsx or legacy .xls):

(a) SAPE 2021 on: ``LAD 2021 Code, LAD 2021 Name, LSOA 2021 Code, LSOA 2021 Name,
    Total, F0 … F90, M0 … M90`` (one sheet, both sexes);
(b) older SAPE: ``LSOA Code, LSOA Name, …, All Ages, 0 … 89, 90+``, one sheet per sex
    (``Mid-2019 Persons``, ``Mid-2019 Males``, ``Mid-2019 Females``);
(c) ONS mid-year estimates, sheets ``MYE2 - Persons/Males/Females``: ``Code, Name,
    Geography, All ages, 0 … 90+`` below a preamble (the ``Geography`` column is kept:
    the rows are hierarchical, so countries, regions, counties and districts overlap);
(d) broad bands: ``Persons_All-Ages, Persons_0-15, …, Females_65+``.

The header row is found anywhere in the first 30 rows; the sex of a sheet without
``F``/``M`` prefixes comes from the sheet name (or the file name).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cdp_analysis.errors import DataFormatError
from cdp_analysis.sources._common import to_count
from cdp_analysis.sources._tables import Table, has_table, norm, read_tables
from cdp_analysis.stats.dsr import ESP2013_AGEBANDS, esp2013_band

__all__ = ["SEXES", "is_population", "read_population", "to_esp_bands"]

#: The 19 five-year age bands of the European Standard Population 2013.
#: Values of the ``sex`` column.
SEXES = ("Female", "Male", "Persons")
#: Oldest single year of age: 90 stands for 90 and over.
OPEN_AGE = 90
#: A total may differ from the sum of its ages by this much (rounding in published files).
TOTAL_TOLERANCE = 0.5

_AGE = re.compile(r"^(?:(?P<sex>f|m|females?|males?|persons)[ _]?)?(?P<age>\d{1,2})(?P<plus>\+)?$")
_BAND = re.compile(r"^(?P<sex>persons|males|females)_(?P<band>all-ages|\d{1,2}-\d{1,2}|\d{1,2}\+)$")
_TOTAL = re.compile(r"^(total|all ages|all-ages|all persons)$")
_CODE = re.compile(r"(\bcodes?\b|^[a-z]+\d{2}cd$)")
_GSS = r"[A-Z]\d{8}"  # an area code; a row with one and no numbers is an error, not a note
_SEX_WORD = {"f": "Female", "female": "Female", "females": "Female",
             "m": "Male", "male": "Male", "males": "Male", "persons": "Persons"}


# -- header -----------------------------------------------------------------------------------------


class _Layout:
    """What each column of a population header holds."""

    def __init__(self, header: Sequence[str]) -> None:
        normalised = [norm(h) for h in header]
        self.header = list(header)
        self.ages: list[tuple[int, str | None, int]] = []  # (position, sex or None, age)
        self.bands: list[tuple[int, str, str]] = []  # (position, sex, band)
        self.totals: list[tuple[int, str | None]] = []  # (position, sex or None = all columns)
        self.geography: int | None = None
        for position, text in enumerate(normalised):
            if (match := _BAND.match(text)) is not None:
                sex = _SEX_WORD[match["sex"]]
                if match["band"] == "all-ages":
                    self.totals.append((position, sex))
                else:
                    self.bands.append((position, sex, match["band"]))
            elif (match := _AGE.match(text)) is not None:
                self.ages.append((position, _SEX_WORD[match["sex"]] if match["sex"] else None, int(match["age"])))
            elif _TOTAL.match(text):
                self.totals.append((position, None))
            elif text == "geography":
                self.geography = position
        self.code = _code_column(normalised, {p for p, *_ in self.ages + self.bands})
        self.name = _name_column(normalised, self.code)

    @property
    def single_year(self) -> bool:
        return len(self.ages) >= 10

    @property
    def ok(self) -> bool:
        return self.code is not None and (self.single_year or len(self.bands) >= 2)


def _code_column(normalised: list[str], taken: set[int]) -> int | None:
    """The finest-level code column: LSOA before MSOA, ward, LA, then a generic ``Code``."""

    def rank(text: str) -> int:
        if "lsoa" in text:
            return 0
        if "msoa" in text:
            return 1
        if "ward" in text or text.startswith("wd"):
            return 2
        if "lad" in text or text.startswith("la ") or "local authority" in text:
            return 3
        return 4

    candidates = [(rank(t), p) for p, t in enumerate(normalised) if p not in taken and _CODE.search(t)]
    return min(candidates)[1] if candidates else None


def _name_column(normalised: list[str], code: int | None) -> int | None:
    if code is None:
        return None
    text = normalised[code]
    wanted = {re.sub(r"\bcodes\b", "names", text), re.sub(r"\bcode\b", "name", text), re.sub(r"cd$", "nm", text)}
    wanted.discard(text)
    for position, other in enumerate(normalised):
        if other in wanted:
            return position
    if code + 1 < len(normalised) and "name" in normalised[code + 1]:
        return code + 1
    return None


def _accept(normalised: list[str]) -> bool:
    return _Layout(normalised).ok


def _missing(header: list[str]) -> str | None:
    """The column a rejected header lacks: the area code or the age columns."""
    layout = _Layout(header)
    if layout.code is None and (layout.single_year or len(layout.bands) >= 2):
        return "LSOA Code / Code"
    return "age columns (0 … 90+, F0 … M90 or Persons_0-15 …)"


def _sex_of(text: str) -> str | None:
    text = text.lower()
    if re.search(r"\bfemales?\b", text):
        return "Female"
    if re.search(r"\bmales?\b", text):
        return "Male"
    if re.search(r"\bpersons\b", text):
        return "Persons"
    return None


# -- reading --------------------------------------------------------------------------------------


def is_population(path: str | Path) -> bool:
    """Whether ``path`` is a population table this module reads. Never raises."""
    return has_table(path, _accept, "population")


def read_population(path: str | Path, *, sheet: str | None = None, sex: str | None = None) -> pd.DataFrame:
    """Read population estimates into a long table.

    Parameters
    ----------
    path
        A CSV, .xlsx or .xls in one of the layouts in the module docstring.
    sheet
        One worksheet; by default every sheet with a population header
        (e.g. the three ``MYE2`` sheets, or a SAPE workbook's sex sheets).
    sex
        ``"Female"``, ``"Male"`` or ``"Persons"`` for a table whose columns carry
        no sex and whose sheet and file names do not say it.

    Returns
    -------
    pandas.DataFrame
        ``area_code, area_name`` (strings), ``geography`` (MYE2 only), ``sex``,
        ``age`` (int64, 90 = 90+) or ``age_band`` (string), ``population`` (float64).
        Totals are checked and dropped. ``attrs``: ``source``, ``sheets``, ``layout``
        (``"single_year"`` or ``"broad_bands"``).

    Raises
    ------
    MissingDataError
        The file does not exist.
    DataFormatError
        No population header; a single year of age missing (e.g. no ``F45``); a
        count negative, not a number or empty; a total differing from the sum of
        its ages by more than 0.5; an empty or repeated area code; a sex that
        cannot be told; two sheets for the same sex. The message names the file,
        the line (spreadsheet row) and the column.
    """
    path = Path(path)
    if sex is not None and sex not in SEXES:
        raise ValueError(f"sex must be one of {SEXES}, got {sex!r}")
    tables = read_tables(path, sheet, _accept, "population", first_only=sheet is not None, missing=_missing)
    frames = [_long(path, table, sex) for table in tables]
    layouts = {f.attrs["layout"] for f in frames}
    if len(layouts) > 1:
        raise DataFormatError(
            "sheets mix single years of age and broad bands; pass sheet=", path=path,
            expected="one layout", found=", ".join(t.sheet or "" for t in tables),
        )
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    age = "age" if "age" in out.columns else "age_band"
    repeated = out.duplicated(["area_code", "sex", age])
    if repeated.any():
        row = out[repeated].iloc[0]
        raise DataFormatError(
            "the same area, sex and age appear on several sheets; pass sheet=", path=path,
            column="sex", expected="one sheet per sex",
            found=f"{row['area_code']} {row['sex']} {row[age]} on sheets "
            + ", ".join(repr(t.sheet) for t in tables),
        )
    out.attrs = {"source": str(path), "sheets": [t.sheet for t in tables], "layout": layouts.pop()}
    return out


def _long(path: Path, table: Table, sex: str | None) -> pd.DataFrame:
    layout = _Layout(table.header)
    where = f"sheet {table.sheet!r}: " if table.sheet else ""
    body = table.body
    header = [str(h).strip() for h in table.header]
    default_sex = sex or _sex_of(table.sheet or "") or _sex_of(path.stem)
    columns: list[tuple[int, str, object]]
    if layout.single_year:
        if any(a > OPEN_AGE for _, _, a in layout.ages):
            raise DataFormatError(
                where + "ages above 90 are not supported", path=path, line=table.header_lines,
                expected="single years 0 to 89 and 90+",
                found=", ".join(header[p] for p, _, a in layout.ages if a > OPEN_AGE),
            )
        ages = _with_sex(layout.ages, default_sex, path, table, header, where)
        _check_complete(path, table, ages, where)
        columns = list(ages)
    else:
        columns = list(layout.bands)

    code = layout.code
    if code is None:  # unreachable: read_tables accepts a header only with its code column (_Layout.ok)
        raise AssertionError(f"{path}: population header without an area code column")
    codes = body[code].map(lambda v: "" if v is None else str(v).strip())
    numbers = {p: _counts(path, table, p, where) for p, _, _ in columns}
    numbers.update({p: _counts(path, table, p, where) for p, _ in layout.totals})
    # rows without a single number and without an area code are blank lines or footnotes
    no_numbers = pd.concat([numbers[p].isna() for p in numbers], axis=1).all(axis=1)
    keep = ~(no_numbers & ~codes.str.fullmatch(_GSS)).to_numpy()
    _check_rows(path, table, codes, numbers, keep, header[code], where)
    _check_totals(path, table, layout, columns, numbers, keep, where)

    positions = [p for p, _, _ in columns]
    matrix = np.column_stack([numbers[p].to_numpy(dtype=float)[keep] for p in positions])
    n_rows, n_cols = matrix.shape
    names = (
        body[layout.name].map(lambda v: None if v is None else str(v).strip())[keep].to_numpy()
        if layout.name is not None else np.full(n_rows, None)
    )
    data: dict[str, object] = {
        "area_code": np.repeat(codes[keep].to_numpy(), n_cols),
        "area_name": np.repeat(names, n_cols),
    }
    if layout.geography is not None:
        geography = body[layout.geography].map(lambda v: None if v is None else str(v).strip())[keep]
        data["geography"] = np.repeat(geography.to_numpy(), n_cols)
    data["sex"] = np.tile(np.array([s for _, s, _ in columns], dtype=object), n_rows)
    if layout.single_year:
        data["age"] = np.tile(np.array([a for _, _, a in columns], dtype="int64"), n_rows)
    else:
        data["age_band"] = np.tile(np.array([b for _, _, b in columns], dtype=object), n_rows)
    data["population"] = matrix.ravel()
    frame = pd.DataFrame(data)
    for column in ("area_code", "area_name", "geography", "sex", "age_band"):
        if column in frame.columns:
            frame[column] = frame[column].astype("string")
    frame.attrs = {"layout": "single_year" if layout.single_year else "broad_bands"}
    return frame


def _with_sex(ages: list[tuple[int, str | None, int]], default_sex: str | None, path: Path, table: Table,
              header: list[str], where: str) -> list[tuple[int, str, int]]:
    """Single-year columns with their sex: the column's own prefix, else the sheet's or file's sex."""
    if default_sex is None and any(s is None for _, s, _ in ages):
        raise DataFormatError(
            where + "cannot tell the sex of the age columns", path=path, line=table.header_lines,
            expected="F0/M0 prefixes, a sheet or file named Persons/Males/Females, or sex=",
            found=f"columns {header[ages[0][0]]!r} …",
        )
    return [(p, s if s is not None else str(default_sex), a) for p, s, a in ages]


def _check_complete(path: Path, table: Table, columns: list[tuple[int, str, int]], where: str) -> None:
    by_sex: dict[str, list[int]] = {}
    for _, s, a in columns:
        by_sex.setdefault(s, []).append(a)
    prefix = {"Female": "F", "Male": "M", "Persons": ""}
    for s, ages in by_sex.items():
        if sorted(ages) != list(range(OPEN_AGE + 1)):
            missing = sorted(set(range(OPEN_AGE + 1)) - set(ages))
            repeated = sorted({a for a in ages if ages.count(a) > 1})
            explicit = any((m := _AGE.match(norm(table.header[p]))) is not None and m["sex"] for p, _, _ in columns)
            label = f"{prefix[s] if explicit else ''}{(missing or repeated)[0]}"
            raise DataFormatError(
                where + ("required column missing" if missing else "age column repeated"), path=path,
                line=table.header_lines, column=label,
                expected=f"single years of age 0 to {OPEN_AGE} ({OPEN_AGE} = {OPEN_AGE}+) for {s}",
                found=f"{len(ages)} age columns, "
                + (f"missing {missing[:5]}" if missing else f"repeated {repeated[:5]}"),
            )


def _counts(path: Path, table: Table, position: int, where: str) -> pd.Series:
    """A count column as float: negative, non-numeric (or suppressed) cells raise; empty → NaN."""
    column = table.body[position]
    values = pd.to_numeric(column, errors="coerce")
    suspect = values.isna().any() and column[values.isna()].map(lambda v: v is not None and str(v).strip() != "").any()
    if suspect or (values < 0).any():
        text = column.map(lambda v: "" if v is None else str(v).strip())
        # the shared parser names the line; no suppression markers in population estimates
        values, _ = to_count(text, path=path, column=str(table.header[position]).strip(),
                             header_lines=table.header_lines, markers={})
    return values.astype("float64")


def _check_rows(
    path: Path, table: Table, codes: pd.Series, numbers: dict[int, pd.Series], keep: np.ndarray,
    code_header: str, where: str,
) -> None:
    empty_code = codes.eq("").to_numpy() & keep
    if empty_code.any():
        position = int(np.flatnonzero(empty_code)[0])
        raise DataFormatError(
            where + "empty area code", path=path, line=table.line(position), column=code_header,
            expected="an area code on every row with numbers", found="an empty cell",
        )
    repeated = codes.where(keep).duplicated().to_numpy() & keep
    if repeated.any():
        position = int(np.flatnonzero(repeated)[0])
        raise DataFormatError(
            where + "duplicate area code", path=path, line=table.line(position), column=code_header,
            expected="each area once", found=repr(codes.iloc[position]),
        )
    for p, values in numbers.items():
        empty = values.isna().to_numpy() & keep
        if empty.any():
            position = int(np.flatnonzero(empty)[0])
            raise DataFormatError(
                where + "missing count", path=path, line=table.line(position),
                column=str(table.header[p]).strip(), expected="a count", found="an empty cell",
            )


def _check_totals(
    path: Path, table: Table, layout: _Layout, columns: list[tuple[int, str, object]],
    numbers: dict[int, pd.Series], keep: np.ndarray, where: str,
) -> None:
    for position, sex in layout.totals:
        parts = [p for p, s, _ in columns if sex is None or s == sex]
        if not parts:
            continue
        summed = sum(numbers[p] for p in parts)
        difference = (numbers[position] - summed).abs().to_numpy()
        bad = (difference > TOTAL_TOLERANCE) & keep
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataFormatError(
                where + "total is not the sum of its ages", path=path, line=table.line(row),
                column=str(table.header[position]).strip(),
                expected=f"{summed.iloc[row]:,.0f} (sum of {len(parts)} age columns, ±{TOTAL_TOLERANCE})",
                found=f"{numbers[position].iloc[row]:,.0f}",
            )


# -- bands ------------------------------------------------------------------------------------------


def to_esp_bands(pop: pd.DataFrame) -> pd.DataFrame:
    """Sum single years of age into the 19 ESP2013 bands (``0-4`` … ``85-89``, ``90+``).

    Parameters
    ----------
    pop
        A single-year table from :func:`read_population` (columns ``age`` and
        ``population``; every other column identifies a group).

    Returns
    -------
    pandas.DataFrame
        The group columns, ``age_band`` (string, one of :data:`cdp_analysis.stats.ESP2013_AGEBANDS`) and
        ``population``, sorted by group then band.

    Raises
    ------
    DataFormatError
        ``pop`` has no ``age``/``population`` column, or a group does not have
        every single year 0–90 exactly once.

    References
    ----------
    Eurostat (2013), *Revision of the European Standard Population*; 90+ is the open band.
    """
    source = pop.attrs.get("source")
    for column in ("age", "population"):
        if column not in pop.columns:
            raise DataFormatError(
                "single-year population needed", path=source, column=column,
                expected="columns age and population (read_population of a single-year table)",
                found=", ".join(map(str, pop.columns)),
            )
    keys = [c for c in pop.columns if c not in ("age", "population")]
    ages = pop["age"].astype("int64")
    if keys:
        groups = pop.assign(age=ages).groupby(keys, sort=False, dropna=False)["age"]
        stats = groups.agg(["size", "nunique", "min", "max"])
        incomplete = ~((stats["size"] == OPEN_AGE + 1) & (stats["nunique"] == OPEN_AGE + 1)
                       & (stats["min"] == 0) & (stats["max"] == OPEN_AGE))
        if incomplete.any():
            group = incomplete[incomplete].index[0]
            raise DataFormatError(
                "single years of age incomplete", path=source, column="age",
                expected=f"ages 0 to {OPEN_AGE} once each per group",
                found=f"{stats.loc[group, 'size']} rows, ages {stats.loc[group, 'min']}–{stats.loc[group, 'max']} "
                f"for {group!r}",
            )
    elif sorted(ages) != list(range(OPEN_AGE + 1)):
        raise DataFormatError("single years of age incomplete", path=source, column="age",
                              expected=f"ages 0 to {OPEN_AGE} once each", found=f"{len(ages)} rows")
    band = pd.Categorical.from_codes(esp2013_band(ages.to_numpy()), categories=list(ESP2013_AGEBANDS), ordered=True)
    grouped = (
        pop.assign(age_band=band)
        .groupby(keys + ["age_band"], sort=False, observed=True, dropna=False)["population"]
        .sum()
        .reset_index()
    )
    order = {k: pd.Categorical(grouped[k], categories=pd.unique(pop[k].dropna()), ordered=True) for k in keys}
    grouped = grouped.assign(**{f"_{k}": v for k, v in order.items()}).sort_values(
        [f"_{k}" for k in keys] + ["age_band"], kind="stable"
    )
    grouped = grouped.drop(columns=[f"_{k}" for k in keys]).reset_index(drop=True)
    grouped["age_band"] = grouped["age_band"].astype("string")
    grouped.attrs = {**pop.attrs, "bands": "ESP2013 (19 bands, 90+ open)"}
    return grouped
