"""NDTMS (OHID National Drug Treatment Monitoring System) downloads: ViewIt exports and estimates.

Four real layouts are read (all in ``shared/data/real/ndtms``), each recognised by
its header:

**ViewIt all-LA export** (``ViewIt Export Data_LAs.csv``; 244 snake_case columns,
LF, no BOM). One row per ``ReportingPeriod`` (financial year ``2021/22``) ×
``Area`` (the local authority *name*, no code) × ``sex`` (``M``, ``F``, ``Total``
or ``TOTAL``) × ``age_group`` (``18-29``, ``30-49``, ``50+``, ``Total`` or
``TOTAL``) × ``drug_group`` (``Total``, ``Opiate``, ``Non-opiate only``,
``Alcohol only``, ``Non-opiate & alcohol``). Then 239 count columns named
``<topic>_<category>_<cohort>``: the cohort suffix ``_allintx`` counts everyone in
treatment in the year, ``_newtx`` new presentations. Topics: ``intreatment``,
``newpresentation``, ``eth_*`` (ethnicity), ``referralsource_*``,
``housingsituation_*``, ``waitsfirst_*`` / ``waitssub_*`` (waits to first and
subsequent interventions), ``exits_*`` (treatment exits by reason, e.g.
``exits_successfulcompletion_allintx``), ``safeguarding_*`` (parents and people
living with children; ``safeguarding_num_of_children_*`` counts children, not
clients), ``employmentstatus_*``, ``lengthintreatment_*`` (``…_exits_allintx``:
length at exit), ``alc_units_*``, ``substanceanycitation_*``, ``injecting_*``,
``interventions_*`` (no cohort suffix), ``disability_*``, ``sexuality_*``,
``religion_*`` and ``scnr_*`` (the successful-completion/re-presentation cohort:
``scnr_intreatment``, ``scnr_completion``, ``scnr_representation`` and
``scnr_scrn``, completions not re-presenting within six months). Counts are
rounded to 5. ``NULL`` stands where a value is suppressed or was not collected
that year (whole columns before a measure existed); it becomes missing with a
note, never 0. ``Total`` and ``TOTAL`` both mean "all" (the 2021/22 rows use
``TOTAL``).

**ViewIt England export** (``ViewIt Export Data_England.csv``; 11 columns):
``ReportingPeriod_Data, Area_Data, DrugGroup_Data, Gender_Data, AgeGroup_Data,
Num_InTreatment_AllInTx, Eth_{White,Mixed,Asian,Black,Other}_AllInTx``. Drug
groups are spelt ``opiates``, ``non-opiates only``, ``alcohol only``,
``alcohol & non-opiates`` (upper case in 2021/22), totals ``Total``/``TOTAL``.

**Adult England table** (``adults_england_ndtms.csv``; 161 columns, UTF-8 BOM):
``Reporting period, Area, Sex, Age group, Substance category, All in treatment,
New presentations`` then ``<Topic> - <Category> - <Cohort>`` headers written by
hand, with double spaces (``Substance use  - Cocaine``), a missing dash
(``Treatment exits Not known - All in treatment``), a missing space
(``… - Ecstasy- All in treatment``) and mixed case (``New Presentations``). An
empty cell is a measure not collected that year.

**Alcohol dependence estimates** (``Estimates_of_Alcohol_Dependent_Adults_in_
England_for_R.csv``): ``PHE_Centre, Local_Authority, Area_Code_GSS,
Alcohol_dependent, Alcohol_lower_CI, Alcohol_upper_CI, Year`` with ``NA`` for
missing and ``Year`` either ``2010`` or ``2017/18``. Areas are coded.

:func:`read_ndtms` returns every layout as one tidy long frame,
:data:`NDTMS_COLUMNS`. Area names are turned into GSS codes by a resolver
(default :func:`registry_resolver`: the area registry, matching normalised
names); a code column, where the file has one, wins.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cdp_analysis.errors import DataFormatError, InconsistentDataError, suggest
from cdp_analysis.sources._common import SUBSTANCE_GROUPS as _GROUPS
from cdp_analysis.sources._common import csv_header, csv_records, decode_bytes, to_count, to_number

__all__ = [
    "NDTMS_COLUMNS",
    "NDTMS_SORT",
    "SUBSTANCE_GROUPS",
    "MEASURES",
    "LAYOUTS",
    "NULL_NOTE",
    "is_ndtms",
    "layout_of",
    "read_ndtms",
    "registry_resolver",
    "normalise_name",
]

#: Column -> dtype of the tidy frame :func:`read_ndtms` returns, in order.
NDTMS_COLUMNS: dict[str, str] = {
    "area_code": "string",
    "area_name": "string",
    "period": "string",
    "period_start": "Int64",
    "sex": "string",
    "age_group": "string",
    "substance_group": "string",
    "measure": "string",
    "breakdown": "string",
    "category": "string",
    "count": "Float64",
    "denominator": "Float64",
    "value": "Float64",
    "lower_ci": "Float64",
    "upper_ci": "Float64",
    "unit": "string",
    "note": "string",
    "source": "string",
    "source_column": "string",
}
#: The order the processed table is written in (``cdp prepare``): its row groups then
#: hold few measures, breakdowns, sexes and ages each, so a filtered read
#: (:meth:`cdp_analysis.store.dataset.Dataset.ndtms`) skips the others.
NDTMS_SORT: tuple[str, ...] = ("measure", "breakdown", "sex", "age_group", "substance_group", "area_code", "period")
#: Substance groups after normalisation ("total" = all four; "alcohol" only for dependence estimates).
SUBSTANCE_GROUPS: tuple[str, ...] = ("total", *_GROUPS)
#: Measures and what ``count`` counts; ``denominator`` (when filled) is named after the arrow.
MEASURES: dict[str, str] = {
    "in_treatment": "adults in structured treatment in the year (all in treatment)",
    "new_presentations": "adults starting treatment in the year -> new_presentations total",
    "exits": "adults leaving treatment in the year, by reason or length -> in_treatment total",
    "children_of_clients": "children of (or living with) adults in treatment; category = cohort",
    "interventions": "adults receiving an intervention, by type and setting",
    "scnr_in_treatment": "in treatment, cohort of the successful-completion indicator",
    "scnr_completions": "successful completions -> scnr_in_treatment",
    "scnr_representations": "of those, re-presenting within six months -> scnr_completions",
    "scnr_completions_not_representing": "completions not re-presenting -> scnr_in_treatment",
    "alcohol_dependent_adults": "estimated alcohol-dependent adults (modelled, with 95% CI)",
}
LAYOUTS: dict[str, str] = {
    "viewit_la": "NDTMS ViewIt export, all local authorities",
    "viewit_england": "NDTMS ViewIt export, England",
    "adult_table": "NDTMS adult treatment statistics, England table",
    "alcohol_estimates": "Estimates of alcohol dependent adults (PHE/University of Sheffield)",
}
NULL_NOTE = "suppressed or not collected (NULL in the export)"
_EMPTY_NOTE = "not collected (empty cell)"
_NA_NOTE = "not available (NA)"

_KEYS = {
    "viewit_la": ("ReportingPeriod", "Area", "sex", "age_group", "drug_group"),
    "viewit_england": ("ReportingPeriod_Data", "Area_Data", "DrugGroup_Data", "Gender_Data", "AgeGroup_Data"),
    "adult_table": ("Reporting period", "Area", "Sex", "Age group", "Substance category"),
    "alcohol_estimates": ("PHE_Centre", "Local_Authority", "Area_Code_GSS", "Alcohol_dependent",
                          "Alcohol_lower_CI", "Alcohol_upper_CI", "Year"),
}
_SUBSTANCE_ALIASES = {
    "total": "total", "all": "total",
    "opiate": "opiate", "opiates": "opiate",
    "nonopiateonly": "non-opiate only", "nonopiatesonly": "non-opiate only",
    "alcoholonly": "alcohol only",
    "nonopiateandalcohol": "non-opiate and alcohol", "nonopiatealcohol": "non-opiate and alcohol",
    "alcoholandnonopiates": "non-opiate and alcohol", "alcoholnonopiates": "non-opiate and alcohol",
    "alcoholandnonopiate": "non-opiate and alcohol",
}
_SEX_ALIASES = {"total": "total", "persons": "total", "all": "total", "m": "male", "male": "male",
                "f": "female", "female": "female"}
_PERIOD = re.compile(r"^(\d{4})(?:/(\d{2}))?$")
_CODE = re.compile(r"^[A-Z]\d{8}$")

Resolver = Callable[[str], "str | None"]


# -- column vocabulary ----------------------------------------------------------------------------
# Canonical category labels per breakdown, keyed by the squashed spelling of either layout.
_CATEGORIES: dict[str, dict[str, str]] = {
    "ethnicity": {"white": "White", "mixed": "Mixed", "mixedmultipleethnicgroup": "Mixed",
                  "asian": "Asian", "asianasianbritish": "Asian", "black": "Black",
                  "blackafricancaribbeanblackbritish": "Black", "other": "Other", "otherethnicgroup": "Other"},
    "referral_source": {"criminaljustice": "criminal justice",
                        "healthservicessocialcare": "health services and social care",
                        "healthservicesandsocialcare": "health services and social care",
                        "selffamilyfriends": "self, family and friends",
                        "substancemisuseservice": "substance misuse service", "other": "other",
                        "missing": "missing"},
    "housing": {"urgentproblem": "urgent housing problem", "urgenthousingproblem": "urgent housing problem",
                "housingproblem": "housing problem", "noproblem": "no problem", "other": "other",
                "notstatedormissing": "not stated or missing"},
    "wait_first_intervention": {"3weeksandunder": "under 3 weeks", "under3weeks": "under 3 weeks",
                                "3to6weeks": "3 to 6 weeks", "between3and6weeks": "3 to 6 weeks",
                                "over6weeks": "over 6 weeks"},
    "exit_reason": {"successfulcompletion": "successful completion", "died": "died",
                    "droppedout": "dropped out or left", "droppedoutleft": "dropped out or left",
                    "movedaway": "moved away", "noappropriatetreatment": "no appropriate treatment",
                    "notknown": "not known", "other": "other", "prison": "prison",
                    "transferrednotincustody": "transferred (not in custody)",
                    "transferredincustody": "transferred (in custody)", "referredon": "referred on",
                    "treatmentdeclined": "treatment declined", "treatmentwithdrawn": "treatment withdrawn",
                    "inconsistent": "inconsistent"},
    "parental_status": {"parentlivingwithchildren": "parent living with children",
                        "othercontactlivingwithchildren": "not a parent, living with children",
                        "notaparentandlivingwithchildren": "not a parent, living with children",
                        "parentsnotwithchildren": "parent not living with children",
                        "parentnotlivingwithchildren": "parent not living with children",
                        "notparentnocontactwithchildren": "not a parent, not living with children",
                        "notaparentandnotlivingwithchildren": "not a parent, not living with children",
                        "livingwithincompletedata": "incomplete data"},
    "employment": {"regularemployment": "regular employment", "inregularemployment": "regular employment",
                   "unemployedinactive": "unemployed or economically inactive",
                   "unemployedeconomicallyinactive": "unemployed or economically inactive",
                   "longtermsickdisabled": "long-term sick or disabled", "ineducation": "in education",
                   "unpaidvoluntary": "unpaid or voluntary", "other": "other",
                   "notstatedmissing": "not stated or missing"},
    "length_in_treatment": {"under1year": "under 1 year", "1to2years": "1 to 2 years",
                            "2to4years": "2 to 4 years", "4to6years": "4 to 6 years",
                            "over6years": "over 6 years"},
    "alcohol_units": {"0": "0 units", "0units": "0 units", "1to199": "1 to 199 units",
                      "1to199units": "1 to 199 units", "200to399": "200 to 399 units",
                      "200to399units": "200 to 399 units", "400to599": "400 to 599 units",
                      "400to599units": "400 to 599 units", "600to799": "600 to 799 units",
                      "600to799units": "600 to 799 units", "800to999": "800 to 999 units",
                      "800to999units": "800 to 999 units", "1000andover": "1000 units and over",
                      "1000andoverunits": "1000 units and over"},
    "injecting": {"currentlyinjecting": "currently injecting", "previouslyinjecting": "previously injected",
                  "previouslyinjected": "previously injected", "never": "never injected",
                  "neverpreviouslyinjected": "never injected", "declinedtoanswer": "declined to answer",
                  "missing": "missing"},
}
_CATEGORIES["wait_subsequent_intervention"] = _CATEGORIES["wait_first_intervention"]

# ViewIt LA topic prefix -> breakdown
_LA_TOPICS = {
    "eth": "ethnicity", "referralsource": "referral_source", "housingsituation": "housing",
    "waitsfirst": "wait_first_intervention", "waitssub": "wait_subsequent_intervention",
    "exits": "exit_reason", "safeguarding": "parental_status", "employmentstatus": "employment",
    "lengthintreatment": "length_in_treatment", "alc_units": "alcohol_units",
    "substanceanycitation": "substance", "injecting": "injecting", "disability": "disability",
    "sexuality": "sexuality", "religion": "religion",
}
_LA_COLUMN = re.compile(r"^(?P<topic>" + "|".join(sorted(_LA_TOPICS, key=len, reverse=True))
                        + r")_(?P<category>.+)_(?P<cohort>allintx|newtx)$")
_LA_FIXED = {
    "intreatment_allintx": ("in_treatment", "total", "total"),
    "newpresentation_newtx": ("new_presentations", "total", "total"),
    "num_intreatment_allintx": ("in_treatment", "total", "total"),  # England layout
    "scnr_intreatment_allintx": ("scnr_in_treatment", "total", "total"),
    "scnr_completion_allintx": ("scnr_completions", "total", "total"),
    "scnr_representation_allintx": ("scnr_representations", "total", "total"),
    "scnr_scrn_allintx": ("scnr_completions_not_representing", "total", "total"),
    "safeguarding_num_of_children_allintx": ("children_of_clients", "cohort", "all in treatment"),
    "safeguarding_num_of_children_newtx": ("children_of_clients", "cohort", "new presentations"),
}
# adult England table: first header part (squashed) -> breakdown
_ADULT_TOPICS = {
    "ethnicity": "ethnicity", "referralsource": "referral_source", "housingsituation": "housing",
    "waitingtimes": "wait_first_intervention", "treatmentexits": "exit_reason",
    "clientswhoareparentscarers": "parental_status", "employmentstatus": "employment",
    "lengthintreatment": "length_in_treatment", "alcoholconsumption": "alcohol_units",
    "substanceuse": "substance", "substanceuseclubdrugsandnps": "substance", "clubdrugsandnps": "substance",
    "injectingbehaviour": "injecting", "disability": "disability", "sexualorientation": "sexuality",
    "religion": "religion",
}
_COHORTS = {"allintreatment": "in_treatment", "newpresentations": "new_presentations",
            "newpresentation": "new_presentations"}
# measure -> (denominator measure, its breakdown); the denominator is looked up in the same cell
_DENOMINATORS = {
    "in_treatment": "in_treatment", "new_presentations": "new_presentations", "exits": "in_treatment",
    "scnr_completions": "scnr_in_treatment", "scnr_completions_not_representing": "scnr_in_treatment",
    "scnr_representations": "scnr_completions",
}


@dataclass(frozen=True)
class _Column:
    measure: str
    breakdown: str
    category: str


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _category(breakdown: str, raw: str) -> str:
    known = _CATEGORIES.get(breakdown, {})
    return known.get(_squash(raw), " ".join(raw.replace("_", " ").split()))


def _la_column(name: str) -> _Column:
    """Measure, breakdown and category of a ViewIt (LA or England layout) count column."""
    key = name.lower()
    if key in _LA_FIXED:
        return _Column(*_LA_FIXED[key])
    if key.startswith("interventions_"):
        return _Column("interventions", "intervention", key.removeprefix("interventions_").replace("_", " "))
    m = _LA_COLUMN.match(key)
    if not m:
        return _Column(key, "total", "total")  # a column NDTMS added later: kept under its own name
    topic, category, cohort = m["topic"], m["category"], m["cohort"]
    if topic == "lengthintreatment" and category.endswith("_exits"):
        return _Column("exits", "length_in_treatment", _category("length_in_treatment",
                                                                 category.removesuffix("_exits")))
    breakdown = _LA_TOPICS[topic]
    measure = "exits" if topic == "exits" else ("in_treatment" if cohort == "allintx" else "new_presentations")
    return _Column(measure, breakdown, _category(breakdown, category))


def _adult_column(name: str) -> _Column:
    """Measure, breakdown and category of an adult England table header."""
    text = " ".join(name.split())
    if _squash(text) in _COHORTS:
        return _Column(_COHORTS[_squash(text)], "total", "total")
    text = re.sub(r"^Treatment exits (?=\w)", "Treatment exits - ", text)
    parts = [p for p in re.split(r"\s*-\s+|\s+-\s*|(?<=\w)-(?=\s)", text) if p]
    topic = _squash(parts[0])
    if topic == "interventions":
        return _Column("interventions", "intervention", " - ".join(parts[1:]).lower())
    cohort = _COHORTS.get(_squash(parts[-1]))
    breakdown = _ADULT_TOPICS.get(topic)
    if cohort is None or breakdown is None or len(parts) < 3:
        return _Column(_squash(text), "total", "total")
    measure = "exits" if breakdown == "exit_reason" else cohort
    return _Column(measure, breakdown, _category(breakdown, " ".join(parts[1:-1])))


# -- names and codes ------------------------------------------------------------------------------


def normalise_name(name: str) -> str:
    """A key under which spellings of one area name agree.

    Case, ``&``/``and``, punctuation and spacing are ignored, and the ONS
    ``", City of"`` / ``", County of"`` suffixes are dropped.

    >>> normalise_name("Kingston upon Hull, City of") == normalise_name("Kingston Upon Hull")
    True
    >>> normalise_name("Barking & Dagenham")
    'barking and dagenham'
    """
    text = name.casefold().replace("&", " and ")
    text = re.sub(r",\s*(city|county) of\s*$", "", text)
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


_TYPE_PREFERENCE = {"utla": 0, "lad": 1, "cdp": 2, "region": 3, "country": 4}


def _registry_beside(path: Path):  # noqa: ANN202 - an AreaRegistry or None
    """The registry with the areas listed beside the source folder (``<folder>/areas.csv``,
    written by a national-scale ``cdp demo --areas N``), or None for the built-in one."""
    folder = path.parent.parent
    if not (folder / "areas.csv").is_file():
        return None
    from cdp_analysis.areas import AreaRegistry

    return AreaRegistry.load(folder)


def registry_resolver(registry=None) -> Resolver:  # registry: cdp_analysis.areas.AreaRegistry
    """A name -> GSS code function over an area registry (default: the built-in one).

    Names are compared by :func:`normalise_name`; where two areas share a name
    the upper-tier authority wins (NDTMS reports by upper-tier LA). Codes are
    accepted as they are.
    """
    if registry is None:
        from cdp_analysis.areas import AreaRegistry

        registry = AreaRegistry.builtin()
    best: dict[str, tuple[int, str]] = {}
    for area in registry:
        rank = _TYPE_PREFERENCE.get(area.type, 9)
        key = normalise_name(area.name)
        if key not in best or rank < best[key][0]:
            best[key] = (rank, area.code)
    codes = {area.code for area in registry}
    lookup = {key: code for key, (_, code) in best.items()}

    def resolve(name: str) -> str | None:
        text = name.strip()
        return text if text in codes else lookup.get(normalise_name(text))

    resolve.known = sorted(area.name for area in registry)  # type: ignore[attr-defined]
    return resolve


# -- reading --------------------------------------------------------------------------------------


def layout_of(header: list[str]) -> str | None:
    """Which :data:`LAYOUTS` entry a header belongs to (its leading key columns), or None."""
    for layout, keys in _KEYS.items():
        if tuple(header[: len(keys)]) == keys:
            return layout
    return None


def is_ndtms(path: str | Path) -> bool:
    """Whether ``path`` is an NDTMS download this module reads (by its header). Never raises."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        return False
    header = csv_header(path)
    return header is not None and layout_of(header) is not None


@dataclass
class _Raw:
    """A file's key columns as text, its other columns as Arrow strings, and each row's editor line."""

    path: Path
    layout: str
    header: list[str]
    frame: pd.DataFrame
    lines: np.ndarray
    cells: list[pa.ChunkedArray]

    def fail(self, position: int, column: str, message: str, *, expected: str | None = None,
             found: str | None = None) -> DataFormatError:
        return DataFormatError(message, path=self.path, line=int(self.lines[position]), column=column,
                               expected=expected, found=found)


def _load(path: Path) -> _Raw:
    data = path.read_bytes()
    if not data.strip():
        raise DataFormatError("file is empty", path=path, line=1, expected="an NDTMS header",
                              found=f"{len(data)} bytes")
    plain = not any(mark in data for mark in _NOT_PLAIN)
    text = decode_bytes(data)
    del data
    if plain:
        body = text.encode("utf-8")
        del text
        starts = _plain_starts(body)
        if starts is not None:  # one record per line and no blank line: split in bulk
            end = body.find(b"\n")
            header = [h.strip() for h in body[: end if end >= 0 else len(body)].decode("utf-8").split(",")]
            layout = _layout(path, header)
            _check_widths(path, header, _commas(body, len(starts)) + 1, starts)
            return _raw(path, layout, header, _plain_columns(body, len(header), len(starts) - 1), starts)
        text = body.decode("utf-8")
        lines, line_starts = _plain_lines(text)
        del text
        header = [h.strip() for h in lines[0].split(",")]
        layout = _layout(path, header)
        _check_widths(path, header, [line.count(",") + 1 for line in lines], line_starts)
        body = "\n".join(lines).encode("utf-8")
        return _raw(path, layout, header, _plain_columns(body, len(header), len(lines) - 1), line_starts)
    records, record_starts = csv_records(text, path)
    del text
    header = [h.strip() for h in records[0]]
    layout = _layout(path, header)
    _check_widths(path, header, [len(row) for row in records], record_starts)
    return _raw(path, layout, header, _record_columns(records[1:], len(header)), record_starts)


def _layout(path: Path, header: list[str]) -> str:
    layout = layout_of(header)
    if layout is None:
        raise DataFormatError(
            "not an NDTMS download this reader knows", path=path, line=1,
            expected="a header starting " + " or ".join(repr(",".join(k)) for k in _KEYS.values()),
            found=repr(",".join(header[:5])))
    return layout


# Per-line integers (field counts, editor line numbers): a list from the line-by-line readers,
# a NumPy array from the bulk split.
_Ints = Sequence[int] | np.ndarray


def _raw(path: Path, layout: str, header: list[str], columns: list[pa.ChunkedArray], starts: _Ints) -> _Raw:
    keys = len(_KEYS[layout])
    frame = pd.DataFrame({name: np.asarray(column.to_pylist(), dtype=object)
                          for name, column in zip(header[:keys], columns[:keys], strict=True)})
    return _Raw(path, layout, header, frame, np.asarray(starts[1:], dtype=np.int64), columns[keys:])


def _check_widths(path: Path, header: list[str], widths: _Ints, starts: _Ints) -> None:
    """Raise at the first record after the header whose number of fields differs from the header's."""
    width = len(header)
    bad = np.flatnonzero(np.asarray(widths[1:]) != width)
    if len(bad):
        fields = int(widths[1 + bad[0]])
        raise DataFormatError("wrong number of fields", path=path, line=int(starts[1 + bad[0]]),
                              column=header[fields] if fields < width else None,
                              expected=f"{width} fields as in the header", found=str(fields))


# Text without these is split on "\n" and "," exactly as the csv module would read it.
_NOT_PLAIN = (b'"', b"\r", b"\x00")
# Bytes a blank record may consist of: ASCII whitespace (as str.strip sees it), commas, the line break.
_BLANK = np.frombuffer(b" \t\n\x0b\x0c\x1c\x1d\x1e\x1f,", dtype=np.uint8)


def _line_begins(codes: np.ndarray, lines: int) -> np.ndarray:
    return np.r_[0, np.flatnonzero(codes == 10)[: lines - 1] + 1]


def _plain_starts(body: bytes) -> np.ndarray | None:
    """Editor line numbers ``1..n`` of quote-free UTF-8 text, or None if a line may be blank.

    Every line but an empty last one must hold an ASCII byte other than
    whitespace and commas (a line of non-ASCII bytes only might be Unicode
    whitespace: such text goes line by line through :func:`_plain_lines`).
    """
    codes = np.frombuffer(body, dtype=np.uint8)
    breaks = np.flatnonzero(codes == 10)
    if body.startswith(b"\n") or np.any(np.diff(breaks) == 1):
        return None  # an empty line
    lines = len(breaks) + (not body.endswith(b"\n"))
    solid = (~np.isin(codes, _BLANK) & (codes < 128)).view(np.uint8)
    if not np.maximum.reduceat(solid, _line_begins(codes, lines)).all():
        return None
    return np.arange(1, lines + 1)


def _commas(body: bytes, lines: int) -> np.ndarray:
    """Number of commas on each of the first ``lines`` lines of ``body`` (none of them empty)."""
    codes = np.frombuffer(body, dtype=np.uint8)
    return np.add.reduceat((codes == 44).view(np.uint8), _line_begins(codes, lines), dtype=np.int64)


def _plain_lines(text: str) -> tuple[list[str], list[int]]:
    """Non-blank lines of quote-free text and their editor line numbers (as :func:`csv_records`)."""
    rows: list[str] = []
    starts: list[int] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.replace(",", "").strip():  # a record whose every cell is blank is skipped
            rows.append(line)
            starts.append(number)
    return rows, starts


def _plain_columns(body: bytes, width: int, rows: int) -> list[pa.ChunkedArray]:
    """Columns of the ``rows`` quote-free lines after the header line of ``body``, as Arrow strings."""
    if not rows:
        return [pa.chunked_array([], type=pa.string()) for _ in range(width)]
    names = [str(j) for j in range(width)]
    lengths = np.diff(np.r_[-1, np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == 10), len(body)])
    table = pacsv.read_csv(
        io.BytesIO(body),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                       block_size=max(1 << 24, 2 * int(lengths.max()))),
        parse_options=pacsv.ParseOptions(quote_char=False, escape_char=False, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                             strings_can_be_null=False, quoted_strings_can_be_null=False))
    if table.num_rows != rows:
        raise AssertionError(f"{table.num_rows} rows parsed from {rows} lines")
    return table.columns


def _record_columns(rows: list[list[str]], width: int) -> list[pa.ChunkedArray]:
    """Columns of parsed CSV records, as Arrow strings."""
    return [pa.chunked_array([[row[j] for row in rows]], type=pa.string()) for j in range(width)]


def read_ndtms(
    path: str | Path,
    *,
    resolve_name: Resolver | None = None,
    on_unknown: Literal["raise", "report"] = "raise",
) -> pd.DataFrame:
    """Read an NDTMS download (any of :data:`LAYOUTS`) into the tidy long frame.

    Parameters
    ----------
    path
        The CSV file (UTF-8 with or without BOM, or Windows-1252).
    resolve_name
        ``name -> GSS code or None``. Default: :func:`registry_resolver` over the
        built-in area registry. A code column in the file (the estimates have
        ``Area_Code_GSS``) is used as it is; the resolver only places names.
    on_unknown
        ``"raise"`` (default): a name the resolver cannot place raises.
        ``"report"``: its rows keep an empty ``area_code`` and
        ``attrs["unresolved"]`` lists ``{"name", "line", "column"}`` for each such name.

    Returns
    -------
    pandas.DataFrame
        :data:`NDTMS_COLUMNS`, one row per published number. ``sex`` is
        ``total``/``male``/``female``; ``age_group`` ``total`` or the published
        band; ``substance_group`` one of :data:`SUBSTANCE_GROUPS` (``alcohol``
        for dependence estimates); ``measure`` one of :data:`MEASURES`;
        ``breakdown``/``category`` ``total`` for the headline number of a
        measure, else e.g. ``exit_reason``/``successful completion``. ``count``
        is missing (never 0) where the file has ``NULL``, ``NA`` or an empty
        cell, ``note`` saying which. ``denominator`` is the headline count of
        the measure's base in the same cell (area, period, sex, age, substance;
        see :data:`MEASURES`), ``value`` = 100 × count / denominator (``unit``
        ``%``) where both are known; for the estimates ``value`` is the estimate
        and ``lower_ci``/``upper_ci`` its 95% interval. ``source`` names the
        layout, ``source_column`` the published column. ``attrs["path"]``,
        ``attrs["layout"]``.

    Raises
    ------
    DataFormatError
        Empty file, unknown header, wrong number of fields, a period, sex or
        substance group it cannot read, a count that is not a number, an area
        name the resolver cannot place (with ``on_unknown="raise"``). The message
        names the file, the line and the column.
    InconsistentDataError
        A count larger than its total on the same row (e.g. successful completions
        above the adults in treatment); waits, which count interventions, are exempt.
    """
    if on_unknown not in ("raise", "report"):
        raise ValueError(f"on_unknown must be 'raise' or 'report', not {on_unknown!r}")
    path = Path(path)
    raw = _load(path)
    resolve = resolve_name or registry_resolver(_registry_beside(path))
    if raw.layout == "alcohol_estimates":
        tidy, unresolved = _estimates(raw, resolve, on_unknown)
        tidy = _typed(tidy)
    else:
        tidy, unresolved = _treatment(raw, resolve, on_unknown)
    tidy.attrs.update({"path": str(path), "layout": raw.layout, "unresolved": unresolved})
    return tidy


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for column, dtype in NDTMS_COLUMNS.items():
        if column not in frame:
            frame[column] = pd.NA
        frame[column] = frame[column].astype(dtype)
    return frame[list(NDTMS_COLUMNS)].reset_index(drop=True)


# -- areas, periods, keys -------------------------------------------------------------------------


def _area_codes(raw: _Raw, names: pd.Series, name_column: str, resolve: Resolver, on_unknown: str,
                codes: pd.Series | None = None) -> tuple[pd.Series, pd.Series, list[dict]]:
    """GSS codes per row, and a note where a code was not taken as published.

    A valid code in the code column wins. A row whose code is not a GSS code
    (the estimates file has ``E0999`` for Cornwall & Isles of Scilly in
    2010-2014) takes the code its name has on the file's other rows, else the
    resolved name. Rows without a code column are resolved by name.
    """
    text = names.fillna("").astype(str).str.strip()
    out = pd.Series(pd.NA, index=names.index, dtype="string")
    notes = pd.Series(pd.NA, index=names.index, dtype="string")
    own: dict[str, str] = {}
    if codes is not None:
        given = codes.fillna("").astype(str).str.strip()
        valid = given.str.match(_CODE.pattern)
        out = given.where(valid).astype("string")
        own = dict(zip(text[valid], given[valid], strict=True))
        placeholder = ~valid & (given != "") & (given.str.upper() != "NA")
        notes = notes.mask(placeholder, "published code " + given + " is not a GSS code; code from the name")
    unresolved: list[dict] = []
    todo = out.isna().to_numpy()
    for name in pd.unique(text[todo]):
        rows = np.flatnonzero(todo & (text == name).to_numpy())
        code = own.get(name) or (resolve(name) if name else None)
        if code is None:
            known = getattr(resolve, "known", ())
            if on_unknown == "raise":
                hint = suggest(name, known, n=3) if known else []
                raise raw.fail(int(rows[0]), name_column, "area name not found in the area registry",
                               expected="a local authority name the resolver knows"
                               + (f" (did you mean {', '.join(map(repr, hint))}?)" if hint else
                                  "; add the area to areas.csv in the raw folder"),
                               found=repr(name))
            unresolved.append({"name": name, "line": int(raw.lines[rows[0]]), "column": name_column})
            continue
        out.iloc[rows] = code
    return out, notes, unresolved


def _periods(raw: _Raw, column: str) -> tuple[pd.Series, pd.Series]:
    text = raw.frame[column].astype(str).str.strip()
    parts = text.str.extract(_PERIOD.pattern)
    bad = parts[0].isna()
    if not bad.any() and parts[1].notna().any():
        # a financial year's second part must follow its first (2021/22)
        nxt = (parts[0].astype(float) + 1) % 100
        bad = parts[1].notna() & (parts[1].astype(float) != nxt)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise raw.fail(i, column, "not a reporting period", expected="a year like 2021/22 or 2014",
                       found=repr(raw.frame[column].iloc[i]))
    return text.astype("string"), parts[0].astype(int).astype("Int64")


def _vocabulary(raw: _Raw, column: str, aliases: dict[str, str], what: str) -> pd.Series:
    text = raw.frame[column].astype(str)
    mapped = text.map(lambda v: aliases.get(_squash(v.replace("&", "and"))))
    if mapped.isna().any():
        i = int(np.flatnonzero(mapped.isna().to_numpy())[0])
        raise raw.fail(i, column, f"unknown {what}", expected=", ".join(sorted(set(aliases.values()))),
                       found=repr(text.iloc[i]))
    return mapped.astype("string")


def _age_groups(raw: _Raw, column: str) -> pd.Series:
    text = raw.frame[column].astype(str).str.strip()
    return text.where(text.str.lower() != "total", "total").astype("string")


# -- treatment layouts ----------------------------------------------------------------------------
#
# A file of n rows and m count columns becomes n * m tidy rows, column after column (row k is
# count column k // n of file row k % n). Each count column is parsed once into float64 and a
# reason code; the long frame is built from those matrices with np.tile / np.repeat, every
# string column holding one shared object per distinct value.


def _treatment(raw: _Raw, resolve: Resolver, on_unknown: str) -> tuple[pd.DataFrame, list[dict]]:
    """The typed tidy frame (:data:`NDTMS_COLUMNS`) of a ViewIt or adult-table file; unresolved names."""
    cell, unresolved = _cells(raw, resolve, on_unknown)
    describe = _adult_column if raw.layout == "adult_table" else _la_column
    columns = raw.header[len(_KEYS[raw.layout]):]
    meanings = [describe(column) for column in columns]
    n, m = len(cell), len(columns)
    count = np.empty((m, n), dtype=np.float64)
    reason = np.empty((m, n), dtype=np.int8)
    for j, column in enumerate(columns):
        count[j], reason[j] = _counts(raw, j, column)
    raw.cells.clear()  # the text is parsed: free it before the long frame is built
    pa.default_memory_pool().release_unused()
    denominator = _denominator_matrix(cell, meanings, count)
    _check_parts(raw, columns, meanings, count, denominator)
    _check_groups(raw, cell, columns, count)
    shown = ~np.isnan(count) & ~np.isnan(denominator) & (denominator > 0)
    with np.errstate(invalid="ignore"):
        value = np.where(shown, 100 * count / np.where(shown, denominator, 1), np.nan)
    per_column = {"measure": [c.measure for c in meanings], "breakdown": [c.breakdown for c in meanings],
                  "category": [c.category for c in meanings], "source_column": columns,
                  "source": [LAYOUTS[raw.layout]] * m}
    tidy = _long_strings(cell, per_column)
    tidy |= {"count": _floats(count), "denominator": _floats(denominator), "value": _floats(value),
             "lower_ci": _missing_floats(n * m), "upper_ci": _missing_floats(n * m),
             "unit": _labels(shown, ["", "%"]), "note": _labels(reason, list(_REASONS))}
    return pd.DataFrame({name: tidy[name] for name in NDTMS_COLUMNS}, copy=False), unresolved


def _long_strings(cell: pd.DataFrame, per_column: dict[str, list[str]],
                  ) -> dict[str, pd.api.extensions.ExtensionArray]:
    """The ``cell`` columns repeated for every count column, and the per-column values for every row.

    Taken from the few values there are: no per-row objects, no validation pass.
    """
    n, m = len(cell), len(next(iter(per_column.values())))
    at = np.tile(np.arange(n, dtype=np.intp), m)
    tidy = {name: cell[name].array.take(at) for name in cell}
    at = np.repeat(np.arange(m, dtype=np.intp), n)
    return tidy | {name: _strings(values).take(at) for name, values in per_column.items()}


def _cells(raw: _Raw, resolve: Resolver, on_unknown: str) -> tuple[pd.DataFrame, list[dict]]:
    """Area, period, sex, age and substance group of each file row (typed as in the tidy frame)."""
    keys = _KEYS[raw.layout]
    period_col, area_col = keys[0], keys[1]
    sex_col, age_col, group_col = (
        (keys[2], keys[3], keys[4]) if raw.layout != "viewit_england" else (keys[3], keys[4], keys[2]))
    period, start = _periods(raw, period_col)
    codes, _, unresolved = _area_codes(raw, raw.frame[area_col], area_col, resolve, on_unknown)
    cell = pd.DataFrame({
        "area_code": codes, "area_name": raw.frame[area_col].astype(str).str.strip().astype("string"),
        "period": period, "period_start": start,
        "sex": _vocabulary(raw, sex_col, _SEX_ALIASES, "sex"),
        "age_group": _age_groups(raw, age_col),
        "substance_group": _vocabulary(raw, group_col, _SUBSTANCE_ALIASES, "substance group"),
    })
    return cell, unresolved


# reason codes of a count cell: 0 = a number, then the note of each marker
_REASONS = (pd.NA, NULL_NOTE, _NA_NOTE, _EMPTY_NOTE)
_MARKERS = {"NULL": 1, "NA": 2, "": 3}
_DIGITS = r"^[0-9]{1,15}$"  # an integer float64 holds exactly, read alike by every parser


def _counts(raw: _Raw, index: int, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A count column as float64 (NaN where missing) and its reason codes (:data:`_REASONS`).

    Cells that are all plain integers or the exact markers ``NULL``, ``NA`` and
    the empty string are parsed in bulk; a column with anything else goes
    through :func:`_counts_checked`, which reads and rejects cells one by one.
    """
    cells = raw.cells[index]
    digits = pc.match_substring_regex(cells, _DIGITS)
    reason = np.zeros(len(cells), dtype=np.int8)
    for marker, code in _MARKERS.items():
        reason[pc.equal(cells, marker).to_numpy(zero_copy_only=False)] = code
    if not (digits.to_numpy(zero_copy_only=False) | (reason > 0)).all():
        return _counts_checked(raw, cells, column)
    number = pc.cast(pc.if_else(digits, cells, pa.scalar(None, pa.string())), pa.float64())
    return number.to_numpy(zero_copy_only=False), reason


def _counts_checked(raw: _Raw, cells: pa.ChunkedArray, column: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`to_count` on one column: markers in any case, spaces, signs, decimals, errors."""
    text = pd.Series(cells.to_pylist(), dtype=object)
    try:
        values, reasons = to_count(text, path=raw.path, column=column,
                                   markers={"null": NULL_NOTE, "na": _NA_NOTE})
    except DataFormatError as exc:  # the helper counts one line per row; use the real line
        raise raw.fail((exc.line or 2) - 2, column, exc.reason, expected=exc.expected, found=exc.found) from None
    empty = text.astype(str).str.strip() == ""
    reasons = reasons.mask(empty & reasons.isna(), _EMPTY_NOTE)
    codes = reasons.map({note: code for code, note in enumerate(_REASONS) if code}).fillna(0)
    return values.to_numpy(dtype=np.float64), codes.to_numpy(dtype=np.int8)


_CELL = ["area_code", "area_name", "period", "sex", "age_group", "substance_group"]


def _denominator_matrix(cell: pd.DataFrame, meanings: list[_Column], count: np.ndarray) -> np.ndarray:
    """Each count's denominator: the headline count of its measure's base in the same cell.

    The headline of a measure is its first count column with breakdown
    ``total``; where a cell (area, period, sex, age, substance group) occurs on
    several rows, its first row's count is taken. A headline is not a share of
    itself; a measure without a base, or whose base has no headline, has none.
    """
    first_row = _first_row_of_cell(cell)
    heads: dict[str, int] = {}
    for j, meaning in enumerate(meanings):
        if meaning.breakdown == "total":
            heads.setdefault(meaning.measure, j)
    denominator = np.full(count.shape, np.nan)
    for j, meaning in enumerate(meanings):
        base = _DENOMINATORS.get(meaning.measure)
        if base in heads and not (meaning.breakdown == "total" and meaning.measure == base):
            denominator[j] = count[heads[base]][first_row]
    return denominator


#: Breakdowns whose counts are not people of the measure's base: waits count interventions,
#: so a person with two interventions is counted twice and the counts may exceed the base.
_NOT_PARTS = frozenset({"wait_first_intervention", "wait_subsequent_intervention"})


def _check_parts(raw: _Raw, columns: list[str], meanings: list[_Column], count: np.ndarray,
                 denominator: np.ndarray) -> None:
    """Refuse a count larger than its total in the same row (a part of the people it is a share of).

    A file where, say, successful completions exceed the adults in treatment would
    publish shares above 100% and, beside a suppressed total, give that total away.

    Raises
    ------
    InconsistentDataError
        Naming the file, the line, the part's column, both numbers and the total's column.
    """
    with np.errstate(invalid="ignore"):
        bad = count > denominator
    for j, meaning in enumerate(meanings):
        if meaning.breakdown in _NOT_PARTS or not bad[j].any():
            continue
        i = int(np.flatnonzero(bad[j])[0])
        base = _DENOMINATORS[meaning.measure]
        head = next(c for c, m in zip(columns, meanings, strict=True) if m.measure == base and m.breakdown == "total")
        raise InconsistentDataError(
            f"a part is larger than its total: {count[j, i]:g} here but {denominator[j, i]:g} in {head!r} "
            f"for the same area, year, sex, age group and substance group", path=raw.path, line=int(raw.lines[i]), column=columns[j],
            expected=f"at most {denominator[j, i]:g}", found=f"{count[j, i]:g}")


def _check_groups(raw: _Raw, cell: pd.DataFrame, columns: list[str], count: np.ndarray) -> None:
    """Refuse a substance group, sex or age band whose count is larger than its ``total`` row's.

    A row's counts are parts of the row that differs from it only by ``total`` in one
    of the three dimensions (opiate of all substances, women of all, 18-29 of all
    ages), column by column.

    Raises
    ------
    InconsistentDataError
        Naming the file, the line and column of the part, and the line of the total.
    """
    keys = list(zip(*(cell[c].astype(object).tolist() for c in _CELL), strict=True))
    where: dict[tuple[object, ...], int] = {}
    for i, key in enumerate(keys):
        where.setdefault(key, i)
    for d, name in ((5, "substance group"), (3, "sex"), (4, "age group")):
        parts, totals = [], []
        for i, key in enumerate(keys):
            if key[d] != "total":
                j = where.get((*key[:d], "total", *key[d + 1:]))
                if j is not None:
                    parts.append(i)
                    totals.append(j)
        if not parts:
            continue
        with np.errstate(invalid="ignore"):
            bad = count[:, parts] > count[:, totals]
        if bad.any():
            column, k = (int(x[0]) for x in np.nonzero(bad))
            i, j = parts[k], totals[k]
            raise InconsistentDataError(
                f"a part is larger than its total: {count[column, i]:g} for {name} {keys[i][d]!r} but "
                f"{count[column, j]:g} for all (line {int(raw.lines[j])})", path=raw.path, line=int(raw.lines[i]),
                column=columns[column], expected=f"at most {count[column, j]:g}", found=f"{count[column, i]:g}")


def _first_row_of_cell(cell: pd.DataFrame) -> np.ndarray:
    """For each row, the first row with the same cell key (missing codes compare equal)."""
    first: dict[tuple, int] = {}
    return np.fromiter((first.setdefault(key, i) for i, key in
                        enumerate(zip(*(cell[c].tolist() for c in _CELL), strict=True))),
                       dtype=np.intp, count=len(cell))


def _strings(values: list | np.ndarray) -> pd.arrays.StringArray:
    return pd.arrays.StringArray(np.asarray(values, dtype=object))


def _labels(codes: np.ndarray, values: list) -> pd.arrays.StringArray:
    """``values[code]`` for every code, flattened, without an index array as long as the frame."""
    flat = codes.ravel()
    out = np.empty(flat.size, dtype=object)
    for code, value in enumerate(values):
        out[flat == code] = value
    return _strings(out)


def _floats(matrix: np.ndarray) -> pd.arrays.FloatingArray:
    values = matrix.ravel()
    return pd.arrays.FloatingArray(values, np.isnan(values))


def _missing_floats(size: int) -> pd.arrays.FloatingArray:
    # np.zeros maps untouched pages: an all-missing column costs its mask only
    return pd.arrays.FloatingArray(np.zeros(size), np.ones(size, dtype=bool))


# -- alcohol dependence estimates -----------------------------------------------------------------


def _estimates(raw: _Raw, resolve: Resolver, on_unknown: str) -> tuple[pd.DataFrame, list[dict]]:
    period, start = _periods(raw, "Year")
    codes, code_notes, unresolved = _area_codes(raw, raw.frame["Local_Authority"], "Local_Authority", resolve,
                                    on_unknown, codes=raw.frame["Area_Code_GSS"])
    numbers = {}
    for column in ("Alcohol_dependent", "Alcohol_lower_CI", "Alcohol_upper_CI"):
        try:
            numbers[column] = to_number(raw.frame[column], path=raw.path, column=column,
                                        markers={"na": _NA_NOTE})
        except DataFormatError as exc:
            raise raw.fail((exc.line or 2) - 2, column, exc.reason, expected=exc.expected,
                           found=exc.found) from None
    value, reason = numbers["Alcohol_dependent"]
    lower, upper = numbers["Alcohol_lower_CI"][0], numbers["Alcohol_upper_CI"][0]
    outside = (lower > value) | (upper < value)
    if outside.any():
        i = int(np.flatnonzero(outside.to_numpy())[0])
        raise raw.fail(i, "Alcohol_lower_CI", "estimate outside its confidence interval",
                       expected="lower CI <= estimate <= upper CI",
                       found=f"{lower.iloc[i]} / {value.iloc[i]} / {upper.iloc[i]}")
    tidy = pd.DataFrame({
        "area_code": codes,
        "area_name": raw.frame["Local_Authority"].astype(str).str.strip(),
        "period": period, "period_start": start,
        "sex": "total", "age_group": "total", "substance_group": "alcohol",
        "measure": "alcohol_dependent_adults", "breakdown": "total", "category": "total",
        "count": value, "value": value, "lower_ci": lower, "upper_ci": upper,
        "unit": "people", "note": reason.fillna(code_notes),
        "source": LAYOUTS["alcohol_estimates"], "source_column": "Alcohol_dependent",
    })
    return tidy, unresolved
