"""ONS Census 2021: usual residents by ethnic group (TS021 and custom datasets).

:func:`read_census_ethnicity` reads the published CSV layouts into one long table::

    area_code, area_name, ethnic_group, population

with ``ethnic_group`` one of the five high-level Census 2021 groups
(:data:`CENSUS_ETHNIC_GROUPS`), whatever the detail of the file. Layouts read:

(a) **long**, as ONS "Create a custom dataset" (and the TS021 "Filter outputs")
    downloads write them, one row per area and category (counts illustrative)::

        Lower tier local authorities Code,Lower tier local authorities,Ethnic group (6 categories) Code,Ethnic group (6 categories),Observation
        E09000001,City of London,-8,Does not apply,0
        E09000001,City of London,1,"Asian, Asian British or Asian Welsh",1500

    The area columns are ``<area type> Code`` and ``<area type>`` for any area
    type (``Upper tier local authorities``, ``Lower layer Super Output Areas``,
    ``Electoral wards and divisions`` …). The classification is the 6-category one
    (the five groups and ``Does not apply``, code -8) or the 20-category one
    (``"<group>: <detail>"`` labels, e.g. ``"White: Irish"``, and ``Does not
    apply``), whose rows are summed into their group. ``Does not apply`` is
    dropped: it is 0 for the usual-resident base of TS021.
(b) **wide**, the Nomis bulk download ``census2021-ts021-<geography>.csv`` (headers
    holding commas are quoted)::

        date,geography,geography code,Ethnic group: Total: All usual residents,Ethnic group: Asian, Asian British or Asian Welsh,Ethnic group: Asian, Asian British or Asian Welsh: Bangladeshi,…

    The five ``Ethnic group: <group>`` columns are used (older Nomis files end
    each header with ``; measures: Value``, which is ignored); without them the
    ``<group>: <detail>`` columns are summed.

Headers are matched after trimming and collapsing spaces, case-insensitively.
Categories are recognised by their label (codes are not relied on). The labels
are those of the Census 2021 ethnic group classification (ONS Census 2021
dictionary, variable "Ethnic group", 6 and 20 categories).
"""

from __future__ import annotations

import csv
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from cdp_analysis.errors import DataFormatError, MissingDataError
from cdp_analysis.sources._common import detect_encoding

__all__ = [
    "CENSUS_ETHNIC_GROUPS",
    "ETHNIC_GROUP_DETAIL",
    "DOES_NOT_APPLY",
    "CENSUS_COLUMNS",
    "is_census_ethnicity",
    "read_census_ethnicity",
]

log = logging.getLogger(__name__)

#: The five high-level Census 2021 ethnic groups (England and Wales), in ONS order.
CENSUS_ETHNIC_GROUPS = (
    "Asian, Asian British or Asian Welsh",
    "Black, Black British, Black Welsh, Caribbean or African",
    "Mixed or Multiple ethnic groups",
    "White",
    "Other ethnic group",
)
#: The 19 detailed categories of the 20-category classification, by group
#: (their labels are ``"<group>: <detail>"``).
ETHNIC_GROUP_DETAIL: dict[str, tuple[str, ...]] = {
    CENSUS_ETHNIC_GROUPS[0]: ("Bangladeshi", "Chinese", "Indian", "Pakistani", "Other Asian"),
    CENSUS_ETHNIC_GROUPS[1]: ("African", "Caribbean", "Other Black"),
    CENSUS_ETHNIC_GROUPS[2]: ("White and Asian", "White and Black African", "White and Black Caribbean",
                              "Other Mixed or Multiple ethnic groups"),
    CENSUS_ETHNIC_GROUPS[3]: ("English, Welsh, Scottish, Northern Irish or British", "Irish",
                              "Gypsy or Irish Traveller", "Roma", "Other White"),
    CENSUS_ETHNIC_GROUPS[4]: ("Arab", "Any other ethnic group"),
}
#: The category outside the population base (code -8); dropped.
DOES_NOT_APPLY = "Does not apply"
#: Output columns of :func:`read_census_ethnicity`.
CENSUS_COLUMNS = ("area_code", "area_name", "ethnic_group", "population")

_KEY = {g.casefold(): g for g in CENSUS_ETHNIC_GROUPS}
_DETAIL_KEY = {f"{g}: {d}".casefold(): g for g, details in ETHNIC_GROUP_DETAIL.items() for d in details}
_CLASSIFICATION = re.compile(r"^ethnic group \((?P<n>6|20) categories\)$")
_WIDE_PREFIX = "ethnic group: "
_WIDE_TOTAL = "ethnic group: total: all usual residents"
_MEASURES = re.compile(r";\s*measures:\s*value$")


def _norm(text: object) -> str:
    return " ".join(str(text).split()).casefold()


def _header(path: Path) -> list[str]:
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        row = next(csv.reader(handle), None)
    if not row:
        raise DataFormatError("file has no header", path=path, line=1,
                              expected="a Census 2021 ethnic group CSV header", found="an empty first line")
    return [c.strip() for c in row]


def _body(path: Path, header: list[str]) -> pd.DataFrame:
    """The data rows as strings, columns by position, indexed by their editor line."""
    rows, lines = [], []
    with path.open(encoding=detect_encoding(path), newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        start = reader.line_num
        for row in reader:
            line, start = start + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # blank line
            if len(row) != len(header):
                raise DataFormatError(
                    f"row has {'too few' if len(row) < len(header) else 'too many'} fields", path=path,
                    line=line, column=header[min(len(row), len(header) - 1)],
                    expected=f"{len(header)} comma-separated fields", found=f"{len(row)} fields",
                )
            rows.append(row)
            lines.append(line)
    return pd.DataFrame(rows, columns=range(len(header)), index=pd.Index(lines, name="line"), dtype=object)


def _first_line(mask: pd.Series) -> int:
    """Editor line of the first row where ``mask`` is true (the frame is indexed by line)."""
    return int(mask.index[np.flatnonzero(mask.to_numpy())[0]])


def _layout(header: list[str]) -> str | None:
    norm = [_norm(h) for h in header]
    if any(_CLASSIFICATION.match(h) for h in norm) and "observation" in norm:
        return "long"
    if "geography code" in norm and any(h.startswith(_WIDE_PREFIX) for h in norm):
        return "wide"
    return None


def is_census_ethnicity(path: str | Path) -> bool:
    """Whether ``path`` is a Census 2021 ethnic group CSV this module reads. Never raises."""
    path = Path(path)
    try:
        return path.suffix.lower() == ".csv" and _layout(_header(path)) is not None
    except Exception:  # unreadable, binary, empty: not ours
        return False


def read_census_ethnicity(path: str | Path) -> pd.DataFrame:
    """Read Census 2021 usual residents by ethnic group, in the five high-level groups.

    Parameters
    ----------
    path
        A CSV in one of the layouts of the module docstring (custom dataset with
        6 or 20 categories, or the Nomis bulk TS021 file).

    Returns
    -------
    pandas.DataFrame
        ``area_code, area_name`` (``string``), ``ethnic_group`` (``string``, one
        of :data:`CENSUS_ETHNIC_GROUPS`), ``population`` (``int64``): one row per
        area and group, areas in file order, groups in ONS order. ``attrs``:
        ``source`` (the path), ``layout`` (``"long"`` or ``"wide"``),
        ``categories`` (6 or 20; ``None`` for the wide layout) and ``area_type``
        (e.g. ``"Lower tier local authorities"``).

    Raises
    ------
    MissingDataError
        The file does not exist.
    DataFormatError
        Naming the file, line and column: no recognisable header or a required
        column missing; an ``Observation`` that is empty, not a whole number or
        negative; an unknown category; an empty area code; an area listed twice
        for one category; an area lacking a category of the classification; a
        row with too few or too many fields; no data rows.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(f"Census ethnic group file not found: {path}")
    header = _header(path)
    layout = _layout(header)
    if layout is None:
        raise DataFormatError(
            "not a Census 2021 ethnic group table", path=path, line=1,
            expected="a header with 'Ethnic group (6 categories)' or 'Ethnic group (20 categories)' and "
                     "'Observation', or the TS021 bulk header 'date,geography,geography code,Ethnic group: …'",
            found=", ".join(repr(h) for h in header[:6]) + (" …" if len(header) > 6 else ""),
        )
    body = _body(path, header)
    if body.empty:
        raise DataFormatError("no data rows below the header", path=path, line=2,
                              expected="one row per area and category (or per area)", found="none")
    if layout == "long":
        out, attrs = _read_long(path, header, body)
    else:
        out, attrs = _read_wide(path, header, body)
    out.attrs.update(source=str(path), layout=layout, **attrs)
    return out


# -- long layout --------------------------------------------------------------------------------------
def _read_long(path: Path, header: list[str], body: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    norm = [_norm(h) for h in header]
    label_at = next(i for i, h in enumerate(norm) if _CLASSIFICATION.match(h))
    categories = int(_CLASSIFICATION.match(norm[label_at])["n"])  # type: ignore[index]
    ethnic_code = norm[label_at] + " code"
    area_codes = [i for i, h in enumerate(norm) if h.endswith(" code") and h != ethnic_code]
    if len(area_codes) != 1:
        raise DataFormatError(
            "cannot tell the area column" if area_codes else "required column missing", path=path, line=1,
            column=None if area_codes else "<area type> Code",
            expected="one area code column such as 'Lower tier local authorities Code'",
            found=", ".join(repr(header[i]) for i in area_codes or range(len(header))),
        )
    code_at = area_codes[0]
    area_type = " ".join(header[code_at].split())[: -len(" code")]
    name_at = next((i for i, h in enumerate(norm) if h == _norm(area_type)), None)
    value_at = norm.index("observation")

    codes = _area_codes(path, body, code_at, header)
    names = body[name_at].str.strip() if name_at is not None else codes
    labels = body[label_at].map(_norm)
    known = _KEY if categories == 6 else _DETAIL_KEY
    group = labels.map(lambda v: known.get(v, DOES_NOT_APPLY if v == _norm(DOES_NOT_APPLY) else None))
    unknown = group.isna()
    if unknown.any():
        line = _first_line(unknown)
        raise DataFormatError(
            "unknown ethnic group category", path=path, line=line, column=header[label_at],
            expected=f"a label of the Census 2021 {categories}-category classification",
            found=repr(body.at[line, label_at]),
        )
    population = _counts(body[value_at], path, header[value_at])
    _check_complete(path, header[label_at], codes, labels, known)
    keep = group != DOES_NOT_APPLY
    dropped = int(population[~keep].sum())
    if dropped:
        log.info("%s: %d residents in %r dropped", path.name, dropped, DOES_NOT_APPLY)
    frame = pd.DataFrame({"area_code": codes[keep], "area_name": names[keep],
                          "ethnic_group": group[keep], "population": population[keep]})
    return _finish(frame), {"categories": categories, "area_type": area_type}


def _area_codes(path: Path, body: pd.DataFrame, at: int, header: list[str]) -> pd.Series:
    codes = body[at].str.strip()
    blank = codes == ""
    if blank.any():
        raise DataFormatError("empty area code", path=path, line=_first_line(blank), column=header[at],
                              expected="an area code", found="''")
    return codes


def _counts(values: pd.Series, path: Path, column: str) -> pd.Series:
    """Whole numbers of 0 or more; anything else raises naming the line."""
    text = values.str.strip().str.replace(",", "", regex=False)  # "1,234" thousands separators
    numbers = pd.to_numeric(text, errors="coerce")
    for bad, message, expected in (
        (text == "", "empty count", "a count of 0 or more"),
        (~np.isfinite(numbers.astype(float)), "not a number", "a count of 0 or more"),
        (numbers < 0, "negative count", "a count of 0 or more"),
        (numbers != np.round(numbers), "not a whole number", "a whole number of residents"),
    ):
        if bad.any():
            line = _first_line(bad)
            raise DataFormatError(message, path=path, line=line, column=column, expected=expected,
                                  found=repr(values.at[line]))
    return numbers.astype(np.int64)


def _check_complete(path: Path, column: str, codes: pd.Series, labels: pd.Series, known: dict) -> None:
    """Each area once per category, with every category (``Does not apply`` optional)."""
    pairs = pd.DataFrame({"code": codes, "label": labels})
    repeated = pairs.duplicated()
    if repeated.any():
        line = _first_line(repeated)
        raise DataFormatError(
            "area listed twice for one category", path=path, line=line, column=column,
            expected="one row per area and category", found=f"{codes.at[line]} / {labels.at[line]!r}",
        )
    wanted = set(known)
    for code, seen in pairs.groupby("code", sort=False)["label"]:
        lacking = wanted - set(seen)
        if lacking:
            raise DataFormatError(
                "area lacks categories (is the file cut short?)", path=path, line=int(seen.index[0]),
                column=column, expected=f"every category of the classification for {code}",
                found="no row for " + ", ".join(repr(_label(k)) for k in sorted(lacking)),
            )


def _label(key: str) -> str:
    """The published spelling of a case-folded group or ``group: detail`` label."""
    for group, details in ETHNIC_GROUP_DETAIL.items():
        if key == group.casefold():
            return group
        for detail in details:
            if key == f"{group}: {detail}".casefold():
                return f"{group}: {detail}"
    return key


# -- wide layout --------------------------------------------------------------------------------------
def _read_wide(path: Path, header: list[str], body: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    norm = [_MEASURES.sub("", _norm(h)).strip() for h in header]
    code_at = norm.index("geography code")
    name_at = norm.index("geography") if "geography" in norm else None
    columns: dict[str, list[int]] = {}
    for group in CENSUS_ETHNIC_GROUPS:
        broad = _WIDE_PREFIX + group.casefold()
        if broad in norm:
            columns[group] = [norm.index(broad)]
            continue
        wanted = [_WIDE_PREFIX + f"{group}: {d}".casefold() for d in ETHNIC_GROUP_DETAIL[group]]
        missing = [w for w in wanted if w not in norm]
        if missing:
            raise DataFormatError(
                "required column missing", path=path, line=1, column=f"Ethnic group: {group}",
                expected=f"'Ethnic group: {group}' or all its detailed columns, such as "
                         f"'Ethnic group: {_label(missing[0][len(_WIDE_PREFIX):])}'",
                found=", ".join(repr(h) for h in header[:6]) + (" …" if len(header) > 6 else ""),
            )
        columns[group] = [norm.index(w) for w in wanted]
    codes = _area_codes(path, body, code_at, header)
    names = body[name_at].str.strip() if name_at is not None else codes
    repeated = codes.duplicated()
    if repeated.any():
        line = _first_line(repeated)
        raise DataFormatError("area listed twice", path=path, line=line, column=header[code_at],
                              expected="one row per area", found=repr(codes.at[line]))
    counts = {g: sum(_counts(body[i], path, header[i]) for i in idx) for g, idx in columns.items()}
    if _WIDE_TOTAL in norm:
        at = norm.index(_WIDE_TOTAL)
        differs = _counts(body[at], path, header[at]) != sum(counts.values())
        if differs.any():
            log.warning("%s: in %d area(s) the groups do not add up to %r (first: line %d)", path.name,
                        int(differs.sum()), header[at], _first_line(differs))
    frame = pd.concat(
        [pd.DataFrame({"area_code": codes, "area_name": names, "ethnic_group": g, "population": counts[g]})
         for g in CENSUS_ETHNIC_GROUPS],
    )
    return _finish(frame), {"categories": None, "area_type": "geography"}


# -- output ---------------------------------------------------------------------------------------------
def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum into area × group: areas in file order, groups in ONS order."""
    order = pd.unique(frame["area_code"].to_numpy())
    names = frame.drop_duplicates("area_code").set_index("area_code")["area_name"]
    sums = frame.groupby(["area_code", "ethnic_group"], sort=False)["population"].sum()
    index = pd.MultiIndex.from_product([order, CENSUS_ETHNIC_GROUPS], names=["area_code", "ethnic_group"])
    out = sums.reindex(index, fill_value=0).reset_index()
    out.insert(1, "area_name", names.reindex(out["area_code"]).to_numpy())
    for column in ("area_code", "area_name", "ethnic_group"):
        out[column] = out[column].astype("string")
    out["population"] = out["population"].astype("int64")
    return out[list(CENSUS_COLUMNS)]
