"""Ministry of Justice proven reoffending statistics: offenders and reoffenders by local authority.

The MoJ's quarterly "Proven reoffending statistics" release gives, besides its national tables,
figures by local authority for adult and juvenile offenders (the release's geographical data
tool and its local authority data, one row per authority, offender type and cohort). The columns
read are named as in the release's tables: "Number of offenders" (in the cohort), "Number of
reoffenders", "Number of reoffences" and "Proportion of offenders who reoffend (%)"; the
authority is a GSS code (upper-tier: county councils and unitary authorities) with its name,
the offender type is "Adult" or "Juvenile" and the cohort a three-month period ("Jan 2023 to Mar
2023") or a year of cohorts ("Apr 2022 to Mar 2023").

:func:`read_proven_reoffending` matches columns by label (case, spacing and line breaks ignored),
keeps England, region and authority rows, and checks each published proportion against the
counts beside it (a proportion more than 0.1 percentage points away from reoffenders divided by
offenders is an error naming the line). Markers are never zero: ``*``, ``[c]``, ``c`` and ``..``
(suppressed), ``-``, ``[x]``, ``x`` (not available), ``[z]`` (not applicable) give a missing
count with the marker's meaning in ``note``. Anything else that is not a count raises a
:class:`~cdp_analysis.errors.DataFormatError` naming the file, line and column.

Cohort periods are written as the local returns write them: a year of cohorts from April
``"2022/23"``, a quarter ``"2022/23 Q4"`` (January to March 2023).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from cdp_analysis.errors import DataFormatError, InconsistentDataError, MissingDataError
from cdp_analysis.sources._common import line_of, to_count
from cdp_analysis.sources._tables import match_columns, norm, read_tables
from cdp_analysis.sources.homelessness import hclic_period

__all__ = ["REOFFENDING_COLUMNS", "REOFFENDING_MARKERS", "OFFENDER_TYPES", "is_proven_reoffending",
           "read_proven_reoffending", "cohort_period"]

#: Columns of :func:`read_proven_reoffending`.
REOFFENDING_COLUMNS: dict[str, str] = {
    "area_code": "string",
    "area_name": "string",
    "period": "string",  # "2022/23" (four cohorts) or "2022/23 Q4"
    "cohort": "string",  # as published
    "offender_type": "string",  # "adult" or "juvenile"
    "offenders": "float64",
    "reoffenders": "float64",
    "reoffences": "float64",
    "note": "string",
}
OFFENDER_TYPES = ("adult", "juvenile")
#: Markers and their meaning (never zero).
REOFFENDING_MARKERS: dict[str, str] = {
    "*": "suppressed (small number)",
    "[c]": "suppressed (small number)",
    "c": "suppressed (small number)",
    "..": "suppressed (small number)",
    "-": "not available",
    "[x]": "not available",
    "x": "not available",
    "[z]": "not applicable",
    "z": "not applicable",
}
_PATTERNS: dict[str, re.Pattern[str]] = {
    "cohort": re.compile(r"^(offender )?cohort( period)?$|^period$"),
    "offender_type": re.compile(r"^(offender type|adult ?(/|or) ?juvenile|offender group)$"),
    "area_code": re.compile(r"^(local authority|la|area|upper tier local authority|utla) code$"),
    "area_name": re.compile(r"^(local authority|la|area|upper tier local authority|utla)( name)?$"),
    "offenders": re.compile(r"^number of offenders"),
    "reoffenders": re.compile(r"^number of reoffenders$"),
    "reoffences": re.compile(r"^number of reoffences$"),
    "proportion": re.compile(r"^proportion of offenders who reoffend"),
}
_REQUIRED = ("cohort", "offender_type", "area_code", "offenders", "reoffenders")
_LABELS = {"cohort": "Cohort", "offender_type": "Offender type", "area_code": "Local authority code",
           "offenders": "Number of offenders", "reoffenders": "Number of reoffenders"}
_CODE = re.compile(r"^[EWZ](0[6-9]\d{6}|1[0-2]\d{6})$|^E92000001$|^W92000004$|^K04000001$")  # Z: the demo
_MONTH = {"jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june", "jul": "july",
          "aug": "august", "sep": "september", "sept": "september", "oct": "october", "nov": "november",
          "dec": "december"}


def _columns(header: list[str]) -> dict[str, int]:
    return match_columns(header, _PATTERNS)


def _accept(header: list[str]) -> bool:
    found = _columns(header)
    return all(k in found for k in _REQUIRED)


def cohort_period(cohort: str) -> str | None:
    """``'Jan 2023 to Mar 2023'`` -> ``'2022/23 Q4'``; ``'Apr 2022 to Mar 2023'`` -> ``'2022/23'``; else None."""
    words = [_MONTH.get(w, w) for w in re.split(r"[\s-]+", norm(cohort).replace(" to ", " to ")) if w]
    text = " ".join(words)
    # 'january 2023 to march 2023' -> 'january to march 2023' (the quarter form hclic_period reads)
    same = re.fullmatch(r"([a-z]+) (20\d\d) to ([a-z]+) (20\d\d)", text)
    if same and same.group(2) == same.group(4):
        text = f"{same.group(1)} to {same.group(3)} {same.group(2)}"
    return hclic_period(text)


def is_proven_reoffending(path: str | Path) -> bool:
    """Whether ``path`` is an MoJ proven reoffending table by local authority. Never raises."""
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".xlsx", ".xlsm") or not path.is_file():
        return False
    try:
        read_tables(path, None, _accept, "proven reoffending", header_only=True)
        return True
    except Exception:  # a classifier must never stop a run
        return False


def read_proven_reoffending(path: str | Path) -> pd.DataFrame:
    """Offenders, reoffenders and reoffences by authority, offender type and cohort.

    Returns
    -------
    DataFrame with :data:`REOFFENDING_COLUMNS`.

    Raises
    ------
    MissingDataError
        The file does not exist.
    DataFormatError
        A required column is missing, a cohort or offender type is not recognised, or a cell is
        neither a count nor a marker (file, line and column named).
    InconsistentDataError
        More reoffenders than offenders, or a published proportion that disagrees with the counts.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(f"proven reoffending file not found: {path}")
    try:
        table = read_tables(path, None, _accept, "proven reoffending (local authority)")[0]
    except DataFormatError as exc:
        first = exc.found or ""
        missing = next((label for key, label in _LABELS.items() if not _PATTERNS[key].search(norm(first))
                        and label.lower() not in first.lower()), None)
        raise DataFormatError("required column missing", path=path, line=1, column=missing,
                              expected="the MoJ local authority columns: " + ", ".join(_LABELS.values()),
                              found=first or "nothing recognisable") from None
    cols = _columns(table.header)
    body = table.body
    lines = table.header_lines
    code = body[cols["area_code"]].astype("string").str.strip()
    keep = code.fillna("").str.match(_CODE.pattern)
    body, code = body[keep.to_numpy()], code[keep]
    if body.empty:
        raise DataFormatError("no local authority rows", path=path, line=lines + 1, column=table.header[cols["area_code"]],
                              expected="rows with a GSS code (E06…, E10…, E92000001)", found="none")
    out = pd.DataFrame({"area_code": code.to_numpy()})
    out["area_name"] = (body[cols["area_name"]].astype("string").str.strip().to_numpy() if "area_name" in cols
                        else pd.array([""] * len(body), dtype="string"))
    out["cohort"] = body[cols["cohort"]].astype("string").str.strip().to_numpy()
    periods = [cohort_period(c) for c in out["cohort"]]
    positions = np.flatnonzero(keep.to_numpy())
    for i, p in enumerate(periods):
        if p is None:
            raise DataFormatError("cohort not recognised", path=path, line=line_of(positions[i], lines),
                                  column=table.header[cols["cohort"]],
                                  expected="a three-month cohort ('Jan 2023 to Mar 2023') or a year from April "
                                           "('Apr 2022 to Mar 2023')", found=repr(out["cohort"].iloc[i]))
    out["period"] = periods
    kinds = body[cols["offender_type"]].astype("string").str.strip().str.lower()
    bad = ~kinds.isin(OFFENDER_TYPES)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFormatError("offender type not recognised", path=path, line=line_of(positions[i], lines),
                              column=table.header[cols["offender_type"]], expected="'Adult' or 'Juvenile'",
                              found=repr(body[cols["offender_type"]].iloc[i]))
    out["offender_type"] = kinds.to_numpy()
    notes = pd.Series([""] * len(out), dtype="string")
    for key in ("offenders", "reoffenders", "reoffences"):
        if key not in cols:
            out[key] = np.nan
            continue
        series = body[cols[key]].reset_index(drop=True)
        values, reasons = _counts(series, path, table.header[cols[key]], positions, lines)
        out[key] = values.to_numpy()
        notes = notes.str.cat(reasons.fillna("").radd(f"{key}: ").where(reasons.notna(), ""), sep="; ")
    out["note"] = notes.str.strip("; ").str.replace(r"(; )+", "; ", regex=True)
    over = out["reoffenders"] > out["offenders"]
    if over.any():
        i = int(np.flatnonzero(over.to_numpy())[0])
        raise InconsistentDataError(
            "more reoffenders than offenders", path=path, line=line_of(positions[i], lines),
            column=table.header[cols["reoffenders"]], expected=f"at most {out['offenders'].iloc[i]:.0f} (the offenders)",
            found=f"{out['reoffenders'].iloc[i]:.0f}")
    if "proportion" in cols:
        _check_proportion(out, body[cols["proportion"]].reset_index(drop=True), path,
                          table.header[cols["proportion"]], positions, lines)
    return out[list(REOFFENDING_COLUMNS)].astype(REOFFENDING_COLUMNS)


def _counts(series: pd.Series, path: Path, column: str, positions: np.ndarray, lines: int
            ) -> tuple[pd.Series, pd.Series]:
    text = series.map(lambda v: "" if v is None else (f"{v:g}" if isinstance(v, float) else str(v)))
    try:
        return to_count(text, path=path, column=column, header_lines=0, markers=REOFFENDING_MARKERS)
    except DataFormatError as exc:  # the line is of the kept rows: give the file's own line
        position = (exc.line or 1) - 1
        raise DataFormatError(exc.reason, path=path, line=line_of(positions[position], lines), column=column,
                              expected=exc.expected, found=exc.found) from None


def _check_proportion(out: pd.DataFrame, published: pd.Series, path: Path, column: str, positions: np.ndarray,
                      lines: int) -> None:
    text = published.map(lambda v: "" if v is None else (f"{v:g}" if isinstance(v, float) else str(v)))
    values, _ = _counts(text.str.rstrip("%"), path, column, positions, lines)
    computed = 100 * out["reoffenders"] / out["offenders"]
    wrong = (values - computed).abs() > 0.1
    if wrong.any():
        i = int(np.flatnonzero(wrong.to_numpy())[0])
        raise InconsistentDataError(
            "the published proportion disagrees with the counts", path=path, line=line_of(positions[i], lines),
            column=column, expected=f"{computed.iloc[i]:.1f} ({out['reoffenders'].iloc[i]:.0f} reoffenders of "
                                    f"{out['offenders'].iloc[i]:.0f} offenders)", found=f"{values.iloc[i]:g}")

