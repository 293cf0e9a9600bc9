"""Demo files for the demand chapter, in the real DfE, ONS and local-return formats.

Called by :func:`cdp_demo.region.generate_demo` through :func:`write_demand_files`.
For England (``E92000001``, invented national figures of a realistic size), the demo
region and each demo borough it writes:

- ``dfe_children/c3_factors_identified_at_end_of_assessment_2018_to_2025.csv``: DfE
  children in need table C3 (EES CSV, 51 columns), reporting years 2018–2025, with the
  markers the real file has (``c`` small numbers, ``x`` a return not received and a
  factor not collected before 2022, ``u`` one authority's low-reliability year);
- ``dfe_children/la_conviction_health_outcome_cla.csv``: children looked after,
  substance misuse rows (``c`` and ``z`` as published), 2021–2025;
- ``dfe_exclusions/SFR35_2017_reason_for_exclusion.csv`` (2008/09–2015/16, ``level``
  ``National``, ``Special school``, fractional LA counts before 2010/11) and
  ``dfe_exclusions/reasons.csv`` (2012/13–2023/24, ``NATIONAL``, ``Special``): the two
  layouts of exclusions by reason, identical where they overlap, ``x`` for 1–2;
- ``dfe_exclusions/SFR35_2017_national_region_la_school_data.csv``: the main
  exclusions table with the pupil ``headcount`` (denominators);
- ``other/drugsmisusetables-demo.xlsx``: CSEW tables 1.02, 1.08, 3.03 and 3.04;
- ``local/homelessness_support_needs.csv``, ``local/out_of_court_disposals.csv``,
  ``local/drug_testing_on_arrest.csv``, ``local/county_lines.csv``: local returns.

Deterministic: the files are a pure function of the seed and the population
(the workbook is written with fixed timestamps).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from cdp_analysis.vocabulary import ENGLAND_CODE, ENGLAND_NAME

__all__ = ["write_demand_files", "C3_HEADER", "CLA_HEADER", "REASON_HEADER", "HEADCOUNT_HEADER"]

ENGLAND = (ENGLAND_CODE, ENGLAND_NAME)
_GEO = ["country_code", "country_name", "region_code", "region_name", "old_la_code", "new_la_code", "la_name"]
# England 2024/25 share of episodes with each factor (DfE C3), and the episodes' share of children
_C3_SHARES = {
    "Alcohol_Misuse_child": 0.0207, "Alcohol_Misuse_parent": 0.1427, "Alcohol_Misuse_person": 0.0226,
    "Drug_Misuse_child": 0.0478, "Drug_Misuse_parent": 0.1415, "Drug_Misuse_person": 0.0310,
    "Domestic_Abuse_child": 0.1129, "Domestic_Abuse_parent": 0.3174, "Domestic_Abuse_person": 0.0498,
    "Mental_Health_child": 0.1761, "Mental_Health_parent": 0.3347, "Mental_Health_person": 0.0460,
    "Learning_Disability_child": 0.1232, "Learning_Disability_parent": 0.0296,
    "Learning_Disability_person": 0.0146, "Physical_Disability_child": 0.0472,
    "Physical_Disability_parent": 0.0538, "Physical_Disability_person": 0.0103, "Young_Carer": 0.0369,
    "Privately_fostered": 0.0038, "Unaccompanied_asylum_seeker": 0.0124, "Going_missing": 0.0330,
    "Child_sexual_exploitation": 0.0242, "Trafficking": 0.0044, "Gangs": 0.0173,
    "Socially_unacceptable_behaviour": 0.0701, "Self_harm": 0.0496, "Neglect": 0.1761,
    "Emotional_Abuse": 0.1904, "Physical_Abuse_unknown": 0.0, "Physical_Abuse_child_on_child": 0.0298,
    "Physical_Abuse_adult_on_child": 0.1196, "Sexual_Abuse_unknown": 0.0,
    "Sexual_Abuse_child_on_child": 0.0245, "Sexual_Abuse_adult_on_child": 0.0368,
    "Female_Genital_Mutilation": 0.0015, "Faith_linked_abuse": 0.0044, "Child_criminal_exploitation": 0.0317,
    "Other": 0.1632,
}
C3_HEADER = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
             "region_name", "old_la_code", "new_la_code", "la_name", "category",
             "Episodes_with_assessment_factor", *_C3_SHARES]
CLA_HEADER = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
              "region_name", "old_la_code", "la_name", "new_la_code", "characteristic", "breakdown",
              "children_count", "children_percent"]
_REASONS = ["physical_pupils", "physical_adult", "verbal_pupil", "verbal_adult", "bullying", "racist_abuse",
            "sexual_misconduct", "drug_alcohol", "damage", "theft", "persistent_disruptive", "other"]
# share of each reason among permanent exclusions and suspensions (England, mid-2010s)
_PERM_SHARE = np.array([0.13, 0.10, 0.04, 0.09, 0.004, 0.004, 0.014, 0.08, 0.013, 0.006, 0.35, 0.16])
_FIXED_SHARE = np.array([0.19, 0.08, 0.045, 0.18, 0.013, 0.014, 0.007, 0.027, 0.023, 0.013, 0.28, 0.18])
REASON_HEADER = ["year", "level", *_GEO[:4], "old_la_code", "new_la_code", "la_name", "school_type",
                 *[f"perm_{r}" for r in _REASONS], *[f"fixed_{r}" for r in _REASONS]]
HEADCOUNT_HEADER = ["year", "level", *_GEO[:4], "old_la_code", "new_la_code", "la_name", "school_type",
                    "num_schools", "headcount", "perm_excl", "perm_excl_rate", "fixed_excl", "fixed_excl_rate",
                    "one_plus_fixed", "one_or_more_fixed_excl_rate"]
_ENGLAND_CHILDREN = 12_200_000


def _rng(seed: int, part: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(100, part, *key)))


def write_demand_files(root: Path, seed: int, geo, population: np.ndarray) -> dict[str, int]:
    """Write the demand chapter's demo files under ``root``; returns row counts by file group.

    ``geo`` is the demo :class:`~cdp_demo.geography.Geography`; ``population`` the
    LSOA × (F0…F90, M0…M90) array written to the population file.
    """
    lsoas = geo.lsoas
    persons = population[:, :91] + population[:, 91:]
    boroughs = [(b.code, b.name, f"{901 + i}", persons[(lsoas["LAD22CD"] == b.code).to_numpy()].sum(axis=0),
                 population[(lsoas["LAD22CD"] == b.code).to_numpy()].sum(axis=0))
                for i, b in enumerate(geo.boroughs)]
    region = (geo.region_code, geo.region_name)
    counts = {
        "children_in_need_rows": _write_c3(root, seed, region, boroughs),
        "looked_after_rows": _write_cla(root, seed, region, boroughs),
        "exclusions_rows": _write_exclusions(root, seed, region, boroughs),
    }
    _write_csew(root / "other" / "drugsmisusetables-demo.xlsx", seed)
    _write_local(root / "local", seed, boroughs)
    _write_county_lines(root / "local", seed, boroughs)
    return counts


def _write(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))


# Drug-related demand of each demo borough against England: Castlewick (Z09000002), the
# deprived urban centre, highest; Dunmere (Z09000003), the affluent one, lowest.
_DEMAND = {"Z09000001": 1.1, "Z09000002": 1.45, "Z09000003": 0.7, "Z09000004": 0.95}


def _relative(code: str) -> float:
    """How much drug-related demand a borough has against England (1 = as England)."""
    return _DEMAND.get(code, 1.0)


def _area_row(level: str, area: tuple[str, str] | None, region: tuple[str, str], la: tuple | None) -> dict:
    row = dict.fromkeys(_GEO, "")
    row.update(country_code=ENGLAND[0], country_name=ENGLAND[1])
    if level != "National":
        row.update(region_code=region[0], region_name=region[1])
    if la is not None:
        row.update(new_la_code=la[0], la_name=la[1], old_la_code=la[2])
    return row


def _round10(x: float) -> int:
    return int(round(x / 10.0) * 10)


# -- children in need and looked after --------------------------------------------------------------


def _write_c3(root: Path, seed: int, region: tuple[str, str], boroughs: list) -> int:
    rows = []
    for year in range(2018, 2026):
        rng = _rng(seed, 1, year)
        trend = 1 + 0.012 * (year - 2018)
        regional = dict.fromkeys(["Episodes_with_assessment_factor", *_C3_SHARES], 0)
        la_rows = []
        for code, name, old, people, _ in boroughs:
            children = people[:18].sum()
            episodes = int(rng.poisson(children * 0.043 * trend * _relative(code) ** 0.5))
            cells: dict[str, object] = {"Episodes_with_assessment_factor": episodes}
            for factor, share in _C3_SHARES.items():
                boost = _relative(code) if "Misuse" in factor else 1.0
                cells[factor] = int(rng.binomial(episodes, min(share * boost * float(rng.lognormal(0, 0.1)), 0.9)))
            for factor in cells:
                regional[factor] += cells[factor]  # type: ignore[operator]
            shown = {k: ("c" if 0 < v < 5 else str(v)) for k, v in cells.items()}  # type: ignore[operator]
            if year < 2022:
                shown["Child_criminal_exploitation"] = "x"  # not collected before 2021/22
            if code == boroughs[-1][0] and year == 2020:
                shown = dict.fromkeys(shown, "x")  # a return not received that year
            if code == boroughs[0][0] and year == 2024:
                shown = dict.fromkeys(shown, "u")  # low reliability: DfE withheld the year
            la_rows.append({**_area_row("Local authority", None, region, (code, name, old)), **shown,
                            "geographic_level": "Local authority"})
        national = {"Episodes_with_assessment_factor": _ENGLAND_CHILDREN * 0.043 * trend}
        national.update({k: national["Episodes_with_assessment_factor"] * s for k, s in _C3_SHARES.items()})
        for level, values in (("National", national), ("Regional", regional)):
            cells = {k: str(_round10(float(v))) for k, v in values.items()}
            if year < 2022:
                cells["Child_criminal_exploitation"] = "x"
            rows.append({**_area_row(level, None, region, None), **cells, "geographic_level": level})
        rows.extend(la_rows)
        for row in rows[-(len(la_rows) + 2):]:
            row.update(time_period=str(year), time_identifier="Reporting year",
                       category="Factors identified at the end of assessment")
    frame = pd.DataFrame(rows, columns=C3_HEADER)
    _write(root / "dfe_children" / "c3_factors_identified_at_end_of_assessment_2018_to_2025.csv", frame)
    return len(frame)


def _write_cla(root: Path, seed: int, region: tuple[str, str], boroughs: list) -> int:
    characteristic = "Substance misuse: Children looked after all ages"
    rows = []
    for year in range(2021, 2026):
        rng = _rng(seed, 2, year)
        areas = []
        total = {"looked": 0, "identified": 0, "received": 0, "refused": 0}
        for code, name, old, people, _ in boroughs:
            looked = int(rng.poisson(people[:18].sum() * 0.0048 * _relative(code) ** 0.5))
            identified = int(rng.binomial(looked, min(0.03 * _relative(code), 0.5)))
            received = int(rng.binomial(identified, 0.45))
            refused = int(rng.binomial(identified - received, 0.8))
            numbers = {"looked": looked, "identified": identified, "received": received, "refused": refused}
            for key in total:
                total[key] += numbers[key]
            areas.append((_area_row("Local authority", None, region, (code, name, old)), "Local authority", numbers))
        national = {"looked": 58_530 + 400 * (year - 2021), "identified": 1_780, "received": 740, "refused": 790}
        for geo_row, level, numbers in [(_area_row("National", None, region, None), "National", national),
                                        (_area_row("Regional", None, region, None), "Regional", total), *areas]:
            rounded = level != "Local authority"
            for breakdown, key, base in (("Identified as having a substance misuse problem", "identified", "looked"),
                                         ("Offered intervention but refused it", "refused", "identified"),
                                         ("Received an intervention for their substance misuse problem", "received",
                                          "identified"),
                                         ("Total all ages", "looked", "looked")):
                count, denominator = numbers[key], numbers[base]
                if rounded:
                    count = _round10(count)
                if key in ("refused", "received") and numbers["identified"] == 0:
                    shown = ("z", "z")
                elif not rounded and 0 < count < 6 and key != "looked":
                    shown = ("c", "c")
                else:
                    shown = (str(count), str(round(count / denominator * 100)) if denominator else "z")
                rows.append({**geo_row, "time_period": str(year), "time_identifier": "Reporting year",
                             "geographic_level": level, "characteristic": characteristic, "breakdown": breakdown,
                             "children_count": shown[0], "children_percent": shown[1]})
    frame = pd.DataFrame(rows, columns=CLA_HEADER)
    _write(root / "dfe_children" / "la_conviction_health_outcome_cla.csv", frame)
    return len(frame)


# -- exclusions ---------------------------------------------------------------------------------------


def _pupils(people: np.ndarray) -> dict[str, float]:
    primary, secondary = people[5:11].sum() * 0.95, people[11:16].sum() * 0.92
    special = (primary + secondary) * 0.014
    return {"State-funded primary": primary, "State-funded secondary": secondary, "Special": special}


def _exclusion_counts(seed: int, boroughs: list) -> pd.DataFrame:
    """One row per year, area and school type: pupils and counts by reason (England and region too)."""
    records = []
    for start in range(2008, 2024):
        rng = _rng(seed, 3, start)
        year = f"{start}{(start + 1) % 100:02d}"
        perm_rate = 0.9 + 0.02 * (start - 2008)  # permanent exclusions per 1,000 pupils, all reasons
        fixed_rate = 38.0 + 2.6 * (start - 2008) + (12.0 if start >= 2021 else 0.0)
        drug_trend = 1.0 + 0.05 * max(start - 2015, 0)  # drug and alcohol reasons grew after 2015/16
        for area, people in [("England", None), *[(b[0], b[3]) for b in boroughs]]:
            if people is None:
                pupils = {"State-funded primary": 4.6e6, "State-funded secondary": 3.35e6, "Special": 1.1e5}
                relative = 1.0
            else:
                pupils, relative = _pupils(people), _relative(area)
            for school, n in pupils.items():
                phase = {"State-funded primary": 0.2, "State-funded secondary": 1.9, "Special": 1.2}[school]
                shares_p, shares_f = _PERM_SHARE.copy(), _FIXED_SHARE.copy()
                drug = _REASONS.index("drug_alcohol")
                if school == "State-funded primary":
                    shares_p[drug] = shares_f[drug] = 0.001
                shares_p[drug] *= drug_trend * relative
                shares_f[drug] *= drug_trend * relative
                mean_p = n / 1000 * perm_rate * phase * shares_p
                mean_f = n / 1000 * fixed_rate * phase * shares_f
                perm = mean_p if people is None else rng.poisson(mean_p).astype(float)
                fixed = mean_f if people is None else rng.poisson(mean_f).astype(float)
                records.append({"year": year, "start": start, "area": area, "school_type": school, "headcount": n,
                                **{f"perm_{r}": v for r, v in zip(_REASONS, perm, strict=True)},
                                **{f"fixed_{r}": v for r, v in zip(_REASONS, fixed, strict=True)}})
    frame = pd.DataFrame(records)
    numbers = [c for c in frame.columns if c.startswith(("perm_", "fixed_"))] + ["headcount"]
    total = frame.groupby(["year", "start", "area"], as_index=False)[numbers].sum().assign(school_type="Total")
    frame = pd.concat([frame, total], ignore_index=True)
    region = frame[frame["area"] != "England"].groupby(["year", "start", "school_type"], as_index=False)[numbers].sum()
    return pd.concat([frame, region.assign(area="__region__")], ignore_index=True)


def _shown(value: float, level: str, start: int, fractional: bool) -> str:
    if level != "Local authority":
        return str(int(round(value / 5.0) * 5))
    if fractional and value >= 3:
        return f"{value / 1.1:.6g}"  # apportioned early LA figures: fractions, as published
    return "x" if 0 < value < 3 else str(int(value))


def _write_exclusions(root: Path, seed: int, region: tuple[str, str], boroughs: list) -> int:
    data = _exclusion_counts(seed, boroughs)
    names = {b[0]: (b[0], b[1], b[2]) for b in boroughs}
    reason_cols = [c for c in REASON_HEADER if c.startswith(("perm_", "fixed_"))]
    order = {"Total": 0, "State-funded primary": 1, "State-funded secondary": 2, "Special": 3}
    rank = data["area"].map(lambda a: 0 if a == "England" else 1 if a == "__region__" else 2)
    data = data.assign(_rank=rank, _school=data["school_type"].map(order)).sort_values(
        ["start", "_rank", "area", "_school"], ascending=[False, True, True, True])
    rows, heads = [], []
    for record in data.to_dict("records"):
        level = "National" if record["area"] == "England" else "Regional" if record["area"] == "__region__" \
            else "Local authority"
        geo = _area_row(level, None, region, names.get(record["area"]))
        cells = {c: _shown(record[c], level, record["start"],
                           c == "perm_drug_alcohol" and record["start"] < 2010) for c in reason_cols}
        rows.append({"year": record["year"], "start": record["start"], "level": level, **geo,
                     "school_type": record["school_type"], **cells})
        perm = sum(record[c] for c in reason_cols if c.startswith("perm_"))
        fixed = sum(record[c] for c in reason_cols if c.startswith("fixed_"))
        pupils = int(round(record["headcount"]))
        heads.append({"year": record["year"], "level": level, **geo, "school_type": record["school_type"],
                      "num_schools": max(1, int(pupils / {"Total": 370, "State-funded primary": 280,
                                                          "State-funded secondary": 950, "Special": 110}
                                                [record["school_type"]])),
                      "headcount": str(pupils), "perm_excl": str(int(round(perm))),
                      "perm_excl_rate": f"{perm / pupils * 100:.2f}", "fixed_excl": str(int(round(fixed))),
                      "fixed_excl_rate": f"{fixed / pupils * 100:.2f}", "one_plus_fixed": str(int(fixed * 0.5)),
                      "one_or_more_fixed_excl_rate": f"{fixed * 0.5 / pupils * 100:.2f}"})
    frame = pd.DataFrame(rows)
    old = frame[frame["start"].between(2008, 2015)].copy()
    old["school_type"] = old["school_type"].replace({"Special": "Special school"})
    _write(root / "dfe_exclusions" / "SFR35_2017_reason_for_exclusion.csv", old[REASON_HEADER])
    new = frame[frame["start"] >= 2012].copy()
    new["level"] = new["level"].str.upper()
    _write(root / "dfe_exclusions" / "reasons.csv", new[REASON_HEADER])
    _write(root / "dfe_exclusions" / "SFR35_2017_national_region_la_school_data.csv",
           pd.DataFrame(heads, columns=HEADCOUNT_HEADER))
    return len(old) + len(new)


# -- CSEW workbook ---------------------------------------------------------------------------------------

_CSEW_PERIODS = ["Apr 2015 to Mar 2016", "Apr 2016 to Mar 2017", "Apr 2017 to Mar 2018", "Apr 2018 to Mar 2019",
                 "Apr 2019 to Mar 2020", "Oct 2021 to Jun 2022"]
# last-year use, % of 16-59s in the latest year, and the 16-24 / 16-59 ratio
_CSEW_DRUGS = {"Any cocaine": (2.1, 2.0), "Powder cocaine": (2.0, 2.0), "Crack cocaine": (0.05, 0.6),
               "Ecstasy": (0.7, 3.2), "Cannabis": (7.4, 2.2), "Nitrous oxide": (1.3, 3.0),
               "Any Class A drug [note 2]": (2.6, 1.8), "Any drug [note 3]": (9.2, 2.0)}
_TITLE_ROWS = ["This worksheet contains one table. Some cells refer to notes which can be found on the notes "
               "worksheet.", "Link to Notes page",
               "Some shorthand is used in this table. [x] indicates that data are not available, [c] that data "
               "have been suppressed", "Link to table of contents",
               "Source: Office for National Statistics - Crime Survey for England and Wales"]


def _write_csew(path: Path, seed: int) -> None:
    import openpyxl

    rng = _rng(seed, 4)
    drift = np.linspace(0.93, 1.0, len(_CSEW_PERIODS))
    book = openpyxl.Workbook()
    book.active.title = "Cover sheet"
    book.active.append(["Drugs misuse in England and Wales - Appendix tables (SYNTHETIC DEMO DATA)"])
    bases = {("Persons", "16-59"): 7200, ("Persons", "16-24"): 714, ("Male", "16-24"): 363,
             ("Male", "25-59"): 2985, ("Female", "16-24"): 351, ("Female", "25-59"): 3498}

    def series(level: float) -> list[object]:
        return [float(level * d * rng.lognormal(0, 0.04)) for d in drift]

    for sheet, title, age in (("1.02", "Table 1.02: Proportion of 16 to 59 year olds reporting use of drugs in "
                                       "the last year", 1.0),
                              ("1.08", "Table 1.08: Proportion of 16 to 24 year olds reporting use of drugs in "
                                       "the last year", None)):
        rows = []
        for drug, (level, ratio) in _CSEW_DRUGS.items():
            values = series(level * (age or ratio))
            if drug == "Nitrous oxide":
                values[:2] = ["[x]", "[x]"]  # not asked in the first years shown
            rows.append([drug, *values])
        base = bases[("Persons", "16-59" if age else "16-24")]
        rows.append(["Unweighted base - number of adults [note 4]", *[base] * len(_CSEW_PERIODS)])
        _sheet(book, sheet, title, "Drug type", rows, blank=False)
    by_sex = {"Male": 1.25, "Female": 0.75}
    by_age = {"16-24": 2.0, "25-59": 0.75}
    rows, rows_age = [], []
    bands = {"16–19": 1.4, "20–24": 2.5, "25–29": 1.6, "30–34": 1.0, "35–44": 0.72, "45–54": 0.55, "55–59": 0.25}
    for drug in ("Cannabis", "Any Class A drug [note 3]", "Any drug [note 4]"):
        level = _CSEW_DRUGS["Any Class A drug [note 2]" if "Class A" in drug else
                            "Any drug [note 3]" if "Any drug" in drug else drug][0]
        rows.append([drug, *series(level)])
        rows_age.append([drug, *series(level)])
        for sex, factor in by_sex.items():
            rows.append(["Men" if sex == "Male" else "Women", *series(level * factor)])
            rows.extend([label.replace("-", "–"), *series(level * factor * f)] for label, f in by_age.items())
        rows_age.extend([label, *series(level * f)] for label, f in bands.items())
    rows.append(["Unweighted base - number of adults [note 5]"])
    for sex in by_sex:
        rows.append(["Male" if sex == "Male" else "Women", *[bases[(sex, "16-24")] + bases[(sex, "25-59")]] * 6])
        rows.extend([label.replace("-", "–"), *[bases[(sex, label)]] * 6] for label in by_age)
    rows_age.append(["Unweighted base - number of adults [note 5]"])
    rows_age.extend([label, *[int(7200 * w)] * 6] for label, w in zip(bands, (0.033, 0.066, 0.105, 0.136, 0.26,
                                                                               0.255, 0.145), strict=True))
    _sheet(book, "3.03", "Table 3.03  Proportion of 16 to 59 year olds reporting use of illicit drugs in the last "
           "year by age group", "Age breakdown", rows_age, blank=False)
    _sheet(book, "3.04", "Table 3.04  Proportion of 16 to 59 year olds reporting use of illicit drugs in the last "
           "year by sex and age", "Age breakdown", rows, blank=True)
    buffer = io.BytesIO()
    book.save(buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_fixed_zip(buffer.getvalue()))


def _sheet(book, name: str, title: str, first: str, rows: list[list[object]], *, blank: bool) -> None:
    sheet = book.create_sheet(name)
    sheet.append([title])
    sheet.append(["England and Wales, SYNTHETIC DEMO DATA"])
    for text in _TITLE_ROWS:
        sheet.append([text])
    if blank:
        sheet.append([None])
    sheet.append([first, *_CSEW_PERIODS])
    for row in rows:
        sheet.append(row)


def _fixed_zip(data: bytes) -> bytes:
    """The workbook with fixed timestamps (in docProps/core.xml and on every member)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in sorted(source.infolist(), key=lambda i: i.filename):
            body = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>2022-07-21T00:00:00Z", body)
            member = zipfile.ZipInfo(info.filename, date_time=(2022, 7, 21, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(member, body)
    return out.getvalue()


# -- local returns --------------------------------------------------------------------------------------


def _write_local(folder: Path, seed: int, boroughs: list) -> None:
    rng = _rng(seed, 5)
    homeless, disposals, testing = [], [], []
    kinds = (("community resolution", "drug possession"), ("cannabis or khat warning", "drug possession"),
             ("penalty notice", "drug possession"), ("simple caution", "drug possession"),
             ("conditional caution", "drug possession"), ("diversion scheme", "drug possession"),
             ("simple caution", "drug supply"), ("conditional caution", "drug supply"))
    for code, _, _, people, _ in boroughs:
        adults, rel = people[18:].sum(), _relative(code)
        for start in (2021, 2022, 2023):
            period = f"{start}/{(start + 1) % 100:02d}"
            assessed = int(rng.poisson(adults * 0.0062))
            needs = int(rng.binomial(assessed, 0.52))
            homeless.append([code, period, assessed, needs, int(rng.binomial(needs, min(0.13 * rel, 0.9))),
                             int(rng.binomial(needs, min(0.11 * rel, 0.9)))])
            for disposal, offence in kinds:
                mean = adults * 0.0004 * rel * (0.4 if offence == "drug supply" else 1.0)
                n = int(rng.poisson(mean * (1.6 if disposal == "community resolution" else 0.5)))
                referred = "" if disposal == "penalty notice" else int(rng.binomial(n, 0.3))
                disposals.append([code, period, disposal, offence, n, referred])
            tests = int(rng.poisson(adults * 0.009 * rel))
            positive = int(rng.binomial(tests, 0.4))
            required = int(rng.binomial(positive, 0.7))
            testing.append([code, period, tests, positive, required, int(rng.binomial(required, 0.75))])
    _write(folder / "homelessness_support_needs.csv", pd.DataFrame(homeless, columns=[
        "area_code", "period", "households_assessed", "with_support_needs", "drug_dependency", "alcohol_dependency"]))
    _write(folder / "out_of_court_disposals.csv", pd.DataFrame(disposals, columns=[
        "area_code", "period", "disposal", "offence", "count", "referred_to_treatment"]))
    _write(folder / "drug_testing_on_arrest.csv", pd.DataFrame(testing, columns=[
        "area_code", "period", "tests", "positive", "required_assessments", "assessments_attended"]))


def _write_county_lines(folder: Path, seed: int, boroughs: list) -> None:
    """County lines referrals and closures by financial year (its own random stream: the other returns
    are unchanged). Closures are few, so some fall in the range disclosure control hides."""
    rng = _rng(seed, 6)
    rows = []
    for code, _, _, people, _ in boroughs:
        adults, rel = people[18:].sum(), _relative(code)
        for start in (2021, 2022, 2023):
            period = f"{start}/{(start + 1) % 100:02d}"
            rows.append([code, period, int(rng.poisson(adults * 0.00015 * rel * (1 + 0.2 * (start - 2021)))),
                         int(rng.poisson(2.5 * rel)), int(rng.poisson(4.0 * rel))])
    _write(folder / "county_lines.csv", pd.DataFrame(rows, columns=[
        "area_code", "period", "referrals", "closures_type_1", "closures_type_2"]))
