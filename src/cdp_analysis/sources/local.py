"""Local returns: CSV templates for what no national source publishes per area.

Numbers in treatment by substance, continuity of care after prison, naloxone,
county lines, disruptions, young people in treatment, budgets, deaths in
treatment, treatment progress, homelessness support needs (H-CLIC), out-of-court
disposals, drug testing on arrest and community sentence treatment requirements reach a partnership as management information
(NDTMS/ViewIt extracts, police and Home Office returns, finance). Analysts copy
the header-only templates shipped in ``resources/local_templates/``
(:func:`copy_templates`, the ``cdp templates`` command), fill them in and drop
them in ``data/raw/real/local/``. The data dictionary is
``resources/local_templates/README.md``.

:func:`read_local_return` recognises the template by its header, validates
every cell (types, allowed values, non-negative whole counts, cross-field
rules such as ``engaged_within_3_weeks <= released_with_need``, duplicate rows)
and names the file, line and column of the first problem.
"""

from __future__ import annotations

import calendar
import re
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from cdp_analysis.errors import DataFormatError
from cdp_analysis.sources._common import (
    SUBSTANCE_GROUPS,
    SUPPRESSION_MARKERS,
    csv_header,
    csv_records,
    decode_bytes,
    to_number,
)

__all__ = [
    "Column",
    "Template",
    "TEMPLATES",
    "SUBSTANCE_GROUPS",
    "list_templates",
    "template_path",
    "copy_templates",
    "identify_template",
    "is_local_return",
    "read_local_return",
    "AMBITION_METRICS",
    "LOCAL_METRICS",
]

#: NDTMS adult substance groups.
_AREA_CODE = re.compile(r"^[A-Z]\d{8}$")
_DATE = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})(?:-(?P<d>\d{2}))?$")
_PERIOD = re.compile(r"^(?P<y>\d{4})(?:/(?P<yy>\d{2})(?:\s+Q(?P<q>[1-4]))?|\s+Q(?P<cq>[1-4]))?$")


@dataclass(frozen=True)
class Column:
    """One column of a template.

    ``kind`` is ``"area_code"``, ``"period"``, ``"choice"`` (one of
    ``allowed``), ``"text"``, ``"date"`` (``2025-03-31``, or ``2025-03`` for the
    month's last day), ``"count"`` (whole number ≥ 0) or ``"amount"``
    (number ≥ 0, e.g. pounds). ``required=False`` lets the cell be empty.
    """

    name: str
    kind: str
    description: str
    allowed: tuple[str, ...] = ()
    required: bool = True


@dataclass(frozen=True)
class Template:
    """A local-return template: its columns, unique key and cross-field rules.

    ``not_above`` lists ``(smaller, larger)`` pairs: where both are given,
    ``smaller <= larger``. ``one_of`` names columns of which at least one must
    be given on every row.
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    not_above: tuple[tuple[str, str], ...] = ()
    one_of: tuple[str, ...] = ()

    @property
    def header(self) -> tuple[str, ...]:
        """Column names in template order."""
        return tuple(c.name for c in self.columns)


def _area() -> Column:
    return Column("area_code", "area_code", "GSS code of the local authority or partnership, e.g. E09000003")


def _period() -> Column:
    return Column("period", "period", "calendar year 2023, financial year 2023/24, or quarter 2023/24 Q1 "
                                      "(financial) / 2023 Q1 (calendar)")


def _substance() -> Column:
    return Column("substance_group", "choice", "NDTMS substance group", SUBSTANCE_GROUPS)


#: Measures a partnership fills in through quarterly local returns that the local outcomes framework can track:
#: metric name → (label, unit, polarity, template, numerator column, denominator column).
LOCAL_METRICS: dict[str, tuple[str, str, str, str, str, str]] = {
    "continuity_of_care": ("Continuity of care after prison (local return)", "%", "HighIsGood", "continuity_of_care",
                           "engaged_within_3_weeks", "released_with_need"),
    "substantial_progress": ("Treatment progress: substantial progress (local return)", "%", "HighIsGood",
                             "treatment_progress", "substantial_progress", "in_treatment"),
    "successful_completions": ("Successful completions (local return)", "%", "HighIsGood", "treatment_progress",
                               "successful_completions", "in_treatment"),
}


def _catalogue_ids() -> tuple[str, ...]:
    import csv

    text = resources.files("cdp_analysis.resources").joinpath("indicators.csv").read_text(encoding="utf-8")
    return tuple(r["indicator_id"] for r in csv.DictReader(text.splitlines()))


#: What an ambition can be set for: an outcomes framework indicator (its Fingertips id) or a local-return measure.
AMBITION_METRICS: tuple[str, ...] = (*_catalogue_ids(), *LOCAL_METRICS)

TEMPLATES: dict[str, Template] = {t.name: t for t in (
    Template(
        "ambitions", "Local outcomes framework: each metric's baseline, ambition and owner",
        (_area(),
         Column("metric", "choice", "an outcomes framework indicator (its Fingertips id, e.g. 92432) or a "
                                    "local-return measure (continuity_of_care, substantial_progress, "
                                    "successful_completions)", AMBITION_METRICS),
         Column("baseline_period", "period", "the baseline's period (empty: 2021/22)", required=False),
         Column("baseline_value", "amount", "the baseline value in the metric's unit (empty: the data's value for "
                                            "the baseline period)", required=False),
         Column("ambition_value", "amount", "the value the partnership aims to reach, in the metric's unit"),
         Column("ambition_date", "date", "when it aims to reach it: 2025-03-31, or 2025-03 for the month's end"),
         Column("owner", "text", "who answers for it: a person, a role or a board")),
        key=("area_code", "metric"),
    ),
    Template(
        "treatment_numbers", "People in structured treatment by substance group and age group",
        (_area(), _period(), _substance(),
         Column("age_group", "choice", "adult (18+) or young person (under 18)", ("adult", "young person")),
         Column("count", "count", "people in treatment during the period")),
        key=("area_code", "period", "substance_group", "age_group"),
    ),
    Template(
        "continuity_of_care", "Continuity of care: adults released from prison with a treatment need",
        (_area(), _period(),
         Column("released_with_need", "count", "adults released from prison with a substance misuse treatment need"),
         Column("engaged_within_3_weeks", "count", "of those, engaged in community treatment within 3 weeks")),
        key=("area_code", "period"),
        not_above=(("engaged_within_3_weeks", "released_with_need"),),
    ),
    Template(
        "naloxone", "Take-home naloxone supplied",
        (_area(), _period(),
         Column("setting", "choice", "where it was supplied",
                ("treatment service", "pharmacy", "prison release", "outreach", "other")),
         Column("kits_supplied", "count", "naloxone kits supplied"),
         Column("people_supplied", "count", "people supplied with at least one kit")),
        key=("area_code", "period", "setting"),
        not_above=(("people_supplied", "kits_supplied"),),
    ),
    Template(
        "county_lines", "County lines: referrals and line closures",
        (_area(), _period(),
         Column("referrals", "count", "people referred to support because of county lines exploitation"),
         Column("closures_type_1", "count", "lines closed, type 1 (as reported by the police force)"),
         Column("closures_type_2", "count", "lines closed, type 2 (as reported by the police force)")),
        key=("area_code", "period"),
    ),
    Template(
        "disruptions", "Drug supply disruptions of organised crime groups",
        (_area(), _period(),
         Column("major", "count", "major disruptions"),
         Column("moderate", "count", "moderate disruptions")),
        key=("area_code", "period"),
    ),
    Template(
        "young_people_treatment", "Young people in specialist substance misuse treatment",
        (_area(), _period(),
         Column("breakdown", "choice", "which breakdown the row belongs to", ("main substance", "referral source")),
         Column("category", "text", "the substance or referral source (NDTMS wording)"),
         Column("count", "count", "young people in treatment")),
        key=("area_code", "period", "breakdown", "category"),
    ),
    Template(
        "budgets", "Drug and alcohol treatment funding",
        (_area(), _period(),
         Column("funding_stream", "text", "e.g. public health grant, SSMTR grant, other"),
         Column("allocated_gbp", "amount", "money allocated, pounds", required=False),
         Column("spent_gbp", "amount", "money spent, pounds", required=False)),
        key=("area_code", "period", "funding_stream"),
        one_of=("allocated_gbp", "spent_gbp"),
    ),
    Template(
        "deaths_in_treatment", "Deaths of people in treatment",
        (_area(), _period(), _substance(),
         Column("in_treatment", "count", "people in treatment during the period"),
         Column("deaths", "count", "of those, people who died while in treatment")),
        key=("area_code", "period", "substance_group"),
        not_above=(("deaths", "in_treatment"),),
    ),
    Template(
        "treatment_progress", "Treatment progress and successful completions",
        (_area(), _period(), _substance(),
         Column("in_treatment", "count", "people in treatment during the period"),
         Column("substantial_progress", "count", "people showing substantial progress"),
         Column("successful_completions", "count", "people who completed treatment free of dependence")),
        key=("area_code", "period", "substance_group"),
        not_above=(("substantial_progress", "in_treatment"), ("successful_completions", "in_treatment")),
    ),
    Template(
        "homelessness_support_needs", "Households owed a homelessness duty with a drug or alcohol dependency need "
        "(H-CLIC support needs)",
        (_area(), _period(),
         Column("households_assessed", "count", "households assessed and owed a prevention or relief duty"),
         Column("with_support_needs", "count", "of those, households with one or more support needs"),
         Column("drug_dependency", "count", "households with a support need: drug dependency"),
         Column("alcohol_dependency", "count", "households with a support need: alcohol dependency")),
        key=("area_code", "period"),
        not_above=(("with_support_needs", "households_assessed"), ("drug_dependency", "with_support_needs"),
                   ("alcohol_dependency", "with_support_needs")),
    ),
    Template(
        "out_of_court_disposals", "Out-of-court disposals for drug offences",
        (_area(), _period(),
         Column("disposal", "choice", "the disposal given",
                ("community resolution", "cannabis or khat warning", "penalty notice", "simple caution",
                 "conditional caution", "diversion scheme")),
         Column("offence", "choice", "the offence group", ("drug possession", "drug supply", "other")),
         Column("count", "count", "disposals given"),
         Column("referred_to_treatment", "count", "of those, people referred to drug education or treatment",
                required=False)),
        key=("area_code", "period", "disposal", "offence"),
        not_above=(("referred_to_treatment", "count"),),
    ),
    Template(
        "drug_testing_on_arrest", "Drug testing on arrest (opiates and cocaine)",
        (_area(), _period(),
         Column("tests", "count", "people tested for opiates and cocaine on arrest"),
         Column("positive", "count", "tests positive for opiates, cocaine or both"),
         Column("required_assessments", "count", "required initial assessments imposed after a positive test"),
         Column("assessments_attended", "count", "of those, assessments attended")),
        key=("area_code", "period"),
        not_above=(("positive", "tests"), ("assessments_attended", "required_assessments")),
    ),
    Template(
        "community_sentence_treatment", "Community sentence treatment requirements (DRR, ATR, MHTR)",
        (_area(), _period(),
         Column("requirement", "choice", "the treatment requirement of the community or suspended sentence order",
                ("drug rehabilitation requirement", "alcohol treatment requirement",
                 "mental health treatment requirement")),
         Column("made", "count", "requirements made (commenced) in the period"),
         Column("ended", "count", "requirements that ended in the period"),
         Column("completed", "count", "of those ended, requirements completed successfully")),
        key=("area_code", "period", "requirement"),
        not_above=(("completed", "ended"),),
    ),
)}


# -- templates on disk ----------------------------------------------------------------------------


def _template_dir():  # importlib.resources Traversable
    return resources.files("cdp_analysis").joinpath("resources", "local_templates")


def list_templates() -> list[str]:
    """Names of the local-return templates (``"treatment_numbers"``, …), sorted."""
    return sorted(TEMPLATES)


def template_path(name: str) -> Path:
    """The shipped header-only CSV of template ``name``."""
    if name not in TEMPLATES:
        raise KeyError(f"unknown template {name!r}; known: {', '.join(list_templates())}")
    return Path(str(_template_dir().joinpath(f"{name}.csv")))


def copy_templates(dest_dir: str | Path, overwrite: bool = False) -> list[Path]:
    """Copy every template CSV and the ``README.md`` data dictionary into ``dest_dir``.

    Existing files are left alone unless ``overwrite`` (a filled-in return is
    never clobbered by accident). Returns the files written.
    """
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name in [f"{n}.csv" for n in list_templates()] + ["README.md"]:
        target = dest / name
        if target.exists() and not overwrite:
            continue
        with resources.as_file(_template_dir().joinpath(name)) as source:
            shutil.copyfile(source, target)
        written.append(target)
    return written


# -- reading a return -----------------------------------------------------------------------------


def identify_template(header: list[str] | tuple[str, ...]) -> Template | None:
    """The template whose columns are exactly ``header`` (any order), else None."""
    wanted = {h.strip().lower() for h in header}
    for template in TEMPLATES.values():
        if set(template.header) == wanted:
            return template
    return None


def is_local_return(path: str | Path) -> bool:
    """Whether ``path`` is a CSV with the header of one of the templates. Never raises."""
    header = csv_header(Path(path))
    return header is not None and identify_template(header) is not None


def read_local_return(path: str | Path) -> pd.DataFrame:
    """Read and validate a filled-in local return.

    The template is recognised by the header (columns in any order, case
    ignored). A ``*`` or other suppression marker in a count becomes missing
    (never 0), with its meaning in ``<column>__note``.

    Returns
    -------
    pandas.DataFrame
        The template's columns in template order: codes, periods and choices as
        ``string`` (choices in their canonical lower-case spelling), counts as
        ``Int64``, amounts as ``Float64``; ``__note`` columns where markers were
        used. Index ``line``: the editor line of each row.
        ``attrs["template"]`` names the template, ``attrs["path"]`` the file.

    Raises
    ------
    DataFormatError
        Empty file; a header that matches no template (the message names the
        closest one and its missing or unexpected columns); a wrong number of
        fields; an empty required cell; an area code, period, choice or number
        that is not valid; a negative or fractional count; a cross-field rule
        broken; a duplicate row. The message names file, line and column.
    """
    path = Path(path)
    data = path.read_bytes()
    if not data.strip():
        raise DataFormatError("file is empty", path=path, line=1, expected="a template header",
                              found=f"{len(data)} bytes")
    rows, starts = csv_records(decode_bytes(data), path)
    header = [h.strip() for h in rows[0]]
    while header and not header[-1]:  # Excel sometimes saves empty trailing columns
        header.pop()
    template = _match(path, header)
    lowered = [h.lower() for h in header]
    width = len(header)
    for i, row in enumerate(rows[1:], start=1):
        if len(row) != width and not (len(row) > width and not any(x.strip() for x in row[width:])):
            raise DataFormatError("wrong number of fields", path=path, line=starts[i],
                                  column=header[len(row)] if len(row) < width else None,
                                  expected=f"{width} fields as in the header", found=str(len(row)))
    body = [row[:width] for row in rows[1:]]
    raw = pd.DataFrame(body, columns=lowered, dtype=object)
    lines = starts[1:]
    frame = _validate(template, raw, lines, path)
    frame.index = pd.Index(lines, name="line")
    frame.attrs["template"] = template.name
    frame.attrs["path"] = str(path)
    return frame


def _match(path: Path, header: list[str]) -> Template:
    template = identify_template(header)
    if template is not None:
        return template
    found = {h.lower() for h in header}
    if len(header) == 1 and any(d in header[0] for d in (";", "\t", "|")):
        raise DataFormatError("not comma-separated", path=path, line=1, column=header[0][:40],
                              expected="comma-separated values (the file seems to use another delimiter)",
                              found=header[0][:80])
    by_stem = TEMPLATES.get(path.stem.lower())
    closest = by_stem or max(TEMPLATES.values(), key=lambda t: (len(found & set(t.header)), -len(t.header)))
    missing = [c for c in closest.header if c not in found]
    extra = [h for h in header if h.lower() not in closest.header]
    column = missing[0] if missing else extra[0] if extra else None
    detail = []
    if missing:
        detail.append("missing " + ", ".join(missing))
    if extra:
        detail.append("unexpected " + ", ".join(extra))
    raise DataFormatError(
        f"header matches no local-return template (closest: {closest.name}: {'; '.join(detail)})",
        path=path, line=1, column=column, expected=", ".join(closest.header), found=", ".join(header),
    )


def _fail(path: Path, line: int, column: str | None, message: str, *, expected: str | None = None,
          found: str | None = None) -> None:
    raise DataFormatError(message, path=path, line=line, column=column, expected=expected, found=found)


def _validate(template: Template, raw: pd.DataFrame, lines: list[int], path: Path) -> pd.DataFrame:
    out: dict[str, pd.Series] = {}
    for column in template.columns:
        text = raw[column.name].astype("string").str.strip()
        empty = (text.isna() | (text == "")).to_numpy()
        if column.required and column.kind not in ("count", "amount") and empty.any():
            i = int(np.flatnonzero(empty)[0])
            _fail(path, lines[i], column.name, "missing value", expected=column.description, found="an empty cell")
        if column.kind == "area_code":
            text = text.str.upper()
            bad = ~text.str.fullmatch(_AREA_CODE.pattern).fillna(False).to_numpy()
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                _fail(path, lines[i], column.name, "not an area code", expected="a GSS code such as E09000003",
                      found=repr(raw[column.name].iloc[i]))
            out[column.name] = text
        elif column.kind == "period":
            for i, value in enumerate(text):
                if (column.required or not empty[i]) and not _valid_period(value):
                    _fail(path, lines[i], column.name, "not a period",
                          expected="2023, 2023/24, 2023/24 Q1 or 2023 Q1", found=repr(raw[column.name].iloc[i]))
            out[column.name] = text
        elif column.kind == "choice":
            canonical = {" ".join(a.lower().split()): a for a in column.allowed}
            folded = text.str.lower().str.split().str.join(" ")
            for i, value in enumerate(folded):
                if value not in canonical:
                    _fail(path, lines[i], column.name, "not an allowed value",
                          expected="one of " + ", ".join(repr(a) for a in column.allowed),
                          found=repr(raw[column.name].iloc[i]))
            out[column.name] = folded.map(canonical).astype("string")
        elif column.kind == "text":
            out[column.name] = text.mask(text == "")
        elif column.kind == "date":
            dates = []
            for i, value in enumerate(text):
                m = _DATE.fullmatch(value) if isinstance(value, str) else None
                when = pd.NaT
                if m and 1 <= int(m["m"]) <= 12:
                    day = m["d"] or str(calendar.monthrange(int(m["y"]), int(m["m"]))[1])
                    when = pd.to_datetime(f"{m['y']}-{m['m']}-{day}", errors="coerce", format="%Y-%m-%d")
                if pd.isna(when):
                    _fail(path, lines[i], column.name, "not a date", expected="2025-03-31 or 2025-03",
                          found=repr(raw[column.name].iloc[i]))
                dates.append(when)
            out[column.name] = pd.Series(pd.DatetimeIndex(dates), index=text.index)
        else:
            values, notes = _numbers(raw[column.name], text, column, lines, path)
            out[column.name] = values
            if notes.notna().any():
                out[f"{column.name}__note"] = notes
    frame = pd.DataFrame(out)
    _check_rules(template, frame, lines, path)
    return frame


def _numbers(raw: pd.Series, text: pd.Series, column: Column, lines: list[int],
             path: Path) -> tuple[pd.Series, pd.Series]:
    try:
        values, notes = to_number(text.fillna(""), path=path, column=column.name, markers=SUPPRESSION_MARKERS)
    except DataFormatError as exc:
        i = (exc.line or 2) - 2
        _fail(path, lines[i], column.name, "not a number", expected=f"{column.description} (a number)",
              found=repr(raw.iloc[i]))
        raise  # pragma: no cover
    empty = (values.isna() & notes.isna()).to_numpy()
    if column.required and empty.any():
        i = int(np.flatnonzero(empty)[0])
        _fail(path, lines[i], column.name, "missing value",
              expected=f"{column.description} (0 if none; * if suppressed at source)", found="an empty cell")
    negative = (values < 0).to_numpy()
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        _fail(path, lines[i], column.name, "negative number", expected="0 or more", found=repr(raw.iloc[i]))
    if column.kind == "count":
        fractional = (values.notna() & (values != np.floor(values))).to_numpy()
        if fractional.any():
            i = int(np.flatnonzero(fractional)[0])
            _fail(path, lines[i], column.name, "not a whole number", expected="a count of people or events",
                  found=repr(raw.iloc[i]))
        return values.astype("Int64"), notes
    return values.astype("Float64"), notes


def _check_rules(template: Template, frame: pd.DataFrame, lines: list[int], path: Path) -> None:
    for smaller, larger in template.not_above:
        bad = (frame[smaller] > frame[larger]).fillna(False).to_numpy(dtype=bool)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            _fail(path, lines[i], smaller, f"{smaller} is larger than {larger}",
                  expected=f"{smaller} <= {larger}",
                  found=f"{frame[smaller].iloc[i]} > {frame[larger].iloc[i]}")
    if template.one_of:
        given = np.zeros(len(frame), dtype=bool)
        for name in template.one_of:
            given |= frame[name].notna().to_numpy()
            if f"{name}__note" in frame:
                given |= frame[f"{name}__note"].notna().to_numpy()
        if not given.all():
            i = int(np.flatnonzero(~given)[0])
            _fail(path, lines[i], template.one_of[0], "no value given",
                  expected="a value in " + " or ".join(template.one_of), found="empty cells")
    key = list(template.key)
    duplicated = frame.duplicated(subset=key, keep="first").to_numpy()
    if duplicated.any():
        i = int(np.flatnonzero(duplicated)[0])
        values = tuple(frame[k].iloc[i] for k in key)
        first = frame[key].apply(tuple, axis=1).tolist().index(values)
        _fail(path, lines[i], key[-1], f"duplicate row: same {', '.join(key)} as line {lines[first]}",
              expected="one row per " + ", ".join(key), found=", ".join(map(str, values)))


def _valid_period(value: object) -> bool:
    if not isinstance(value, str):
        return False
    m = _PERIOD.fullmatch(" ".join(value.split()))
    if not m:
        return False
    if m["yy"] is not None:
        return int(m["yy"]) == (int(m["y"]) + 1) % 100
    return True
