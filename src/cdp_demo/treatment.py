"""Synthetic treatment data for the demo region, in the real NDTMS and Fingertips layouts.

:func:`write_treatment` is called by :func:`cdp_demo.region.generate_demo` and writes:

- ``ndtms/ViewIt Export Data_LAs.csv``: the all-LA ViewIt export, exactly the real
  244-column snake_case layout, for every demo borough, 2017/18 to 2023/24: 60 rows
  per borough and year (5 drug groups × sex M/F/Total × age 18-29/30-49/50+/Total),
  counts rounded to 5, ``NULL`` for the latest year's ``scnr_*`` columns (as the
  real export), ``TOTAL`` instead of ``Total`` in 2021/22 (as the real export).
- ``ndtms/ViewIt Export Data_England.csv``: the England layout (numbers in
  treatment by ethnicity), same years.
- ``ndtms/Estimates_of_Alcohol_Dependent_Adults_in_England_for_R.csv``: alcohol
  dependence estimates with 95% CIs for England and the boroughs, 2015/16-2017/18.
- ``local/treatment_progress.csv``, ``local/community_sentence_treatment.csv``, ``local/budgets.csv`` and
  ``local/disruptions.csv``: synthetic local returns for the overview's framework table and the
  treatment chapter's criminal-justice pathway and service-provision sections.
- ``local/young_people_treatment.csv`` and ``local/deaths_in_treatment.csv``: the
  local-return templates (young people by main substance and referral source;
  deaths of people in treatment by substance group), 2021/22-2023/24.
- ``fingertips/demo-unmet-need.csv``: Fingertips 93517 (OCU not in treatment) and
  93532 (dependent drinkers not in treatment), 27-column header, for England, the
  region and the boroughs, 2018/19-2023/24, computed from the numbers above.

England's numbers in treatment are the published totals (NDTMS adult tables,
2017/18-2023/24); the group split, rates per adult, completions (about 5% opiate,
30% non-opiate, 35% alcohol of those in treatment), referral sources, waits and
breakdowns follow England's published pattern. Boroughs scale with their adults
and their deprivation. The output depends only on the seed.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from cdp_analysis.areas import AreaRegistry
from cdp_analysis.sources.fingertips import EXPORT_HEADER
from cdp_analysis.vocabulary import ENGLAND_CODE, ENGLAND_NAME

__all__ = ["TREATMENT_YEARS", "VIEWIT_LA_HEADER", "write_treatment"]

TREATMENT_YEARS = tuple(range(2017, 2024))  # financial years 2017/18 .. 2023/24
_ENGLAND_IN_TREATMENT = {2017: 268_390, 2018: 268_251, 2019: 270_705, 2020: 275_896,
                         2021: 289_215, 2022: 290_635, 2023: 310_863}
_ENGLAND_ADULTS = 44_600_000
_NATIONAL_IMD_MEAN = 21.7  # mean IMD 2019 score of English LSOAs
_UPPER_CASE_YEAR = 2021  # the real exports spell totals TOTAL in 2021/22
# Per drug group: opiate, non-opiate only, alcohol only, non-opiate & alcohol
_GROUPS = ("Opiate", "Non-opiate only", "Alcohol only", "Non-opiate & alcohol")
_ENGLAND_GROUPS = ("opiates", "non-opiates only", "alcohol only", "alcohol & non-opiates")
_SPLIT = np.array([0.486, 0.102, 0.293, 0.119])  # England 2021/22
_DEPRIVATION = np.array([1.0, 0.5, 0.4, 0.6])  # elasticity of the rate to the IMD score
_NEW = np.array([0.22, 0.62, 0.62, 0.55])  # new presentations / all in treatment
_COMPLETE = np.array([0.05, 0.30, 0.35, 0.28])  # successful completions / all in treatment
_MALE = np.array([0.72, 0.70, 0.60, 0.72])
_AGES = np.array([[0.04, 0.58, 0.38], [0.42, 0.48, 0.10], [0.08, 0.48, 0.44], [0.22, 0.60, 0.18]])
_SEXES, _AGE_BANDS = ("M", "F"), ("18-29", "30-49", "50+")
# ethnicity in treatment relative to residents (White, Mixed, Asian, Black, Other)
_ETHNIC_REACH = {"White": 1.1, "Mixed": 1.0, "Asian": 0.45, "Black": 0.75, "Other": 0.6}
_ENGLAND_ETHNIC = {"White": 0.879, "Mixed": 0.025, "Asian": 0.037, "Black": 0.0265, "Other": 0.008}
_ETHNIC_RECORDED = 0.975  # the rest has no recorded ethnicity

# Blocks of count columns in the order of the real export. Each: (names, base, partition, shares);
# base "all" = in treatment, "new" = new presentations, "exit" = exits; shares per drug group.
S = tuple[float, float, float, float]


def _same(value: float) -> S:
    return (value, value, value, value)


_BLOCKS: list[tuple[list[str], str, bool, list[S]]] = [
    (["referralsource_criminal_justice_newtx", "referralsource_health_services_social_care_newtx",
      "referralsource_missing_newtx", "referralsource_other_newtx", "referralsource_self_family_friends_newtx",
      "referralsource_substance_misuse_service_newtx"], "new", True,
     [(0.22, 0.14, 0.06, 0.12), (0.15, 0.18, 0.30, 0.22), _same(0.01), _same(0.06),
      (0.48, 0.55, 0.52, 0.50), (0.08, 0.06, 0.05, 0.09)]),
    (["housingsituation_urgentproblem_newtx", "housingsituation_housingproblem_newtx",
      "housingsituation_noproblem_newtx", "housingsituation_other_newtx",
      "housingsituation_notstatedormissing_newtx"], "new", True,
     [(0.15, 0.07, 0.05, 0.10), (0.16, 0.11, 0.08, 0.13), (0.62, 0.77, 0.82, 0.71), _same(0.03), _same(0.04)]),
    ([f"waits{w}_{b}_newtx" for w in ("first", "sub") for b in ("3weeksandunder", "3to6weeks", "over6weeks")],
     "new", False, [_same(0.975), _same(0.017), _same(0.008)] * 2),
    (["exits_successfulcompletion_allintx", "exits_died_allintx", "exits_droppedout_allintx",
      "exits_movedaway_allintx", "exits_noappropriatetreatment_allintx", "exits_notknown_allintx",
      "exits_other_allintx", "exits_prison_allintx", "exits_transferrednotincustody_allintx",
      "exits_transferredincustody_allintx", "exits_referredon_allintx", "exits_treatmentdeclined_allintx",
      "exits_treatmentwithdrawn_allintx", "exits_inconsistent_allintx"], "completion", False,
     [(1, 1, 1, 1), (0.020, 0.004, 0.012, 0.008), (0.09, 0.14, 0.10, 0.13), _same(0.004), _same(0.002),
      _same(0.002), _same(0.003), (0.030, 0.012, 0.005, 0.015), _same(0.02), (0.012, 0.005, 0.002, 0.006),
      _same(0.01), _same(0.012), _same(0.002), _same(0.001)]),
    ([f"safeguarding_{c}_{k}" for k in ("allintx", "newtx") for c in (
        "parentlivingwithchildren", "othercontactlivingwithchildren", "parentsnotwithchildren",
        "notparentnocontactwithchildren", "livingwithincompletedata", "num_of_children")], "cohort", False,
     [(0.14, 0.24, 0.20, 0.20), _same(0.09), (0.38, 0.18, 0.25, 0.28), (0.37, 0.47, 0.44, 0.40), _same(0.02),
      (0.26, 0.45, 0.36, 0.37)] * 2),
    ([f"employmentstatus_{c}_newtx" for c in ("regularemployment", "unemployedinactive", "longtermsickdisabled",
                                              "ineducation", "unpaidvoluntary", "other", "notstatedmissing")],
     "new", True, [(0.10, 0.35, 0.40, 0.25), (0.55, 0.40, 0.28, 0.45), (0.20, 0.08, 0.16, 0.14), _same(0.01),
                   _same(0.01), _same(0.06), _same(0.07)]),
    ([f"lengthintreatment_{c}_allintx" for c in ("under1year", "1to2years", "2to4years", "4to6years", "over6years")],
     "all", True, [(0.22, 0.75, 0.78, 0.66), (0.15, 0.18, 0.16, 0.20), (0.21, 0.05, 0.05, 0.10),
                   (0.13, 0.01, 0.01, 0.02), (0.29, 0.01, 0.0, 0.02)]),
    ([f"alc_units_{c}_allintx" for c in ("0", "1to199", "200to399", "400to599", "600to799", "800to999",
                                         "1000andover")], "all", True,
     [(0.55, 0.45, 0.05, 0.05), (0.35, 0.40, 0.18, 0.25), (0.05, 0.08, 0.20, 0.20), (0.02, 0.03, 0.17, 0.15),
      (0.01, 0.02, 0.12, 0.10), (0.01, 0.01, 0.08, 0.07), (0.01, 0.01, 0.20, 0.18)]),
]
_CITATIONS = [  # substanceanycitation_<name>: share of each group citing it
    ("opiatesandorcrack", (1.0, 0.05, 0, 0.04)), ("opiatesandcrack", (0.55, 0, 0, 0)),
    ("opiatesnotcrack", (0.45, 0, 0, 0)), ("cracknotopiates", (0, 0.05, 0, 0.04)),
    ("benzodiazepines", (0.08, 0.06, 0.01, 0.05)), ("amphetamines", (0.02, 0.06, 0, 0.04)),
    ("cocaine", (0.08, 0.45, 0, 0.62)), ("hallucinogens", (0, 0.01, 0, 0.01)),
    ("clubdrug_ecstasy", (0, 0.05, 0, 0.05)), ("cannabis", (0.15, 0.60, 0, 0.45)), ("solvents", _same(0.001)),
    ("barbiturates", _same(0.0)), ("majortranquillisers", _same(0.001)), ("antidepressants", _same(0.003)),
    ("alcohol", (0.22, 0, 1, 1)), ("khat", _same(0.001)), ("otherdrugs", _same(0.01)),
    ("prescriptiondrugsother", _same(0.01)), ("npsother_any", (0.005, 0.03, 0, 0.02)),
    ("nonopiates", (0.35, 1, 0, 1)), ("prescripopiates", (0.03, 0.02, 0, 0.01)),
    ("npsother_predomstim", _same(0.002)), ("npsother_predomhalluc", _same(0.001)),
    ("npsother_predomdissoc", _same(0.001)), ("npsother_predomsedopi", _same(0.001)),
    ("npsother_predomcann", (0.002, 0.02, 0, 0.01)), ("npsother_other", _same(0.001)),
    ("clubdrug_ketamine", (0, 0.04, 0, 0.03)), ("clubdrug_ghbgbl", (0, 0.01, 0, 0.005)),
    ("clubdrug_methamphetamine", (0, 0.01, 0, 0.005)), ("clubdrug_mephedrone", (0, 0.005, 0, 0.003)),
    ("anyclubdrug", (0, 0.09, 0, 0.07)),
]
_BLOCKS += [([f"substanceanycitation_{n}_{k}" for n, _ in _CITATIONS], "all" if k == "allintx" else "new", False,
             [s for _, s in _CITATIONS]) for k in ("allintx", "newtx")]
_BLOCKS += [
    ([f"lengthintreatment_{c}_exits_allintx" for c in ("under1year", "1to2years", "2to4years", "4to6years",
                                                      "over6years")], "completion", False,
     [(0.45, 0.85, 0.88, 0.80), (0.20, 0.12, 0.10, 0.15), (0.17, 0.03, 0.02, 0.04), (0.08, 0, 0, 0.01),
      (0.10, 0, 0, 0)]),
    ([f"injecting_{c}_newtx" for c in ("currently_injecting", "previously_injecting", "never", "declinedtoanswer",
                                       "missing")], "new", True,
     [(0.22, 0.01, 0.0, 0.01), (0.30, 0.03, 0.01, 0.04), (0.43, 0.91, 0.94, 0.90), _same(0.02), _same(0.03)]),
]
_INTERVENTIONS = [  # interventions_<name>: share of those in treatment
    ("prescribing_precdsj", (0.9, 0.03, 0.1, 0.08)), ("psycho_precdsj", (0.6, 0.9, 0.9, 0.9)),
    ("inpatient_detox_precdsj", (0.01, 0.005, 0.04, 0.02)), ("structured_day_precdsj", _same(0.01)),
    ("residential_rehab_precdsj", _same(0.01)), ("other_structured_precdsj", _same(0.02)),
    ("oldyp_precdsj", _same(0.0)), ("psycommunity", (0.75, 0.95, 0.93, 0.94)), ("psyinpatient", _same(0.01)),
    ("psyprimarycare", _same(0.04)), ("psyresidentialrehab", _same(0.015)), ("psyrecoveryhouse", _same(0.002)),
    ("psyyoungpersons", _same(0.0)), ("psymissingsetting", _same(0.001)), ("psy_total", (0.8, 0.98, 0.97, 0.97)),
    ("precommunity", (0.85, 0.03, 0.10, 0.08)), ("preinpatient", (0.01, 0.002, 0.04, 0.02)),
    ("preprimarycare", (0.10, 0, 0.01, 0.01)), ("preresidentialrehab", _same(0.005)),
    ("prerecoveryhouse", _same(0.0)), ("preyoungpersons", _same(0.0)), ("premissingsetting", _same(0.001)),
    ("pre_total", (0.92, 0.04, 0.14, 0.11)), ("recsuppcommunity", _same(0.3)), ("recsuppinpatient", _same(0.005)),
    ("recsuppprimarycare", _same(0.01)), ("recsuppresidentialrehab", _same(0.005)),
    ("recsupprecoveryhouse", _same(0.001)), ("recsuppyoungpersons", _same(0.0)),
    ("recsuppmissingsetting", _same(0.001)), ("recsupp_total", _same(0.32)), ("preallyear", (0.75, 0.01, 0.03, 0.02)),
    ("community_setting", (0.95, 0.96, 0.93, 0.95)), ("inpatient_setting", (0.01, 0.005, 0.04, 0.02)),
    ("primarycare_setting", (0.10, 0.04, 0.05, 0.05)), ("residentialrehab_setting", _same(0.015)),
    ("recoveryhouse_setting", _same(0.002)), ("yp_setting", _same(0.0)), ("missing_setting", _same(0.001)),
    ("total_individuals_any_struct_int_with_settings", _same(0.99)),
    ("total_individuals_any_struct_int_incl_precdsj", _same(0.995)),
    ("total_individuals_cdsj_struct_intervention", _same(0.98)),
    ("total_individuals_precdsj_struct_intervention", _same(0.6)),
    ("allcommunity", (0.95, 0.96, 0.93, 0.95)), ("allinpatient", (0.01, 0.005, 0.04, 0.02)),
    ("allprimarycare", (0.10, 0.04, 0.05, 0.05)), ("allresidentialrehab", _same(0.015)),
    ("allrecoveryhouse", _same(0.002)), ("allyp", _same(0.0)), ("allmissing", _same(0.001)),
]
_BLOCKS.append(([f"interventions_{n}" for n, _ in _INTERVENTIONS], "all", False, [s for _, s in _INTERVENTIONS]))
_DISABILITY = ["behaviour", "hearing", "manual", "learning", "mobility", "perception", "personal", "progressive",
               "sight", "speech", "other", "nodisability", "notstated", "allmissing", "any"]
_DISABILITY_SHARES = [0.04, 0.01, 0.005, 0.02, 0.03, 0.002, 0.005, 0.03, 0.01, 0.003, 0.02, 0.6, 0.1, 0.1, 0.2]
_SEXUALITY = [("hetero", 0.86), ("gaylesbian", 0.025), ("bi", 0.015), ("asked", 0.01), ("notstated", 0.04),
              ("other", 0.005), ("missing", 0.045)]
_RELIGION = [("bahai", 0.0), ("buddhist", 0.004), ("christian", 0.22), ("hindu", 0.005), ("jain", 0.0),
             ("jewish", 0.002), ("muslim", 0.02), ("pagan", 0.003), ("sikh", 0.004), ("zoroastrian", 0.0),
             ("other", 0.02), ("none", 0.45), ("decline", 0.05), ("unknown", 0.1), ("missing", 0.122)]
_BLOCKS += [
    ([f"disability_{c}_newtx" for c in _DISABILITY], "new", False, [_same(s) for s in _DISABILITY_SHARES]),
    ([f"sexuality_{c}_newtx" for c, _ in _SEXUALITY], "new", True, [_same(s) for _, s in _SEXUALITY]),
    ([f"religion_{c}_newtx" for c, _ in _RELIGION], "new", True, [_same(s) for _, s in _RELIGION]),
]
_ETHNIC = ("white", "mixed", "asian", "black", "other")
_SCNR = ["scnr_intreatment_allintx", "scnr_completion_allintx", "scnr_representation_allintx", "scnr_scrn_allintx"]
_KEYS = ["ReportingPeriod", "Area", "sex", "age_group", "drug_group"]
#: The 244 columns of the real all-LA ViewIt export, in order.
VIEWIT_LA_HEADER: list[str] = (
    _KEYS + ["intreatment_allintx", "newpresentation_newtx"]
    + [f"eth_{e}_{k}" for k in ("allintx", "newtx") for e in _ETHNIC]
    + [c for names, *_ in _BLOCKS for c in names] + _SCNR
)
_ENGLAND_HEADER = ["ReportingPeriod_Data", "Area_Data", "DrugGroup_Data", "Gender_Data", "AgeGroup_Data",
                   "Num_InTreatment_AllInTx"] + [f"Eth_{e.title()}_AllInTx" for e in _ETHNIC]


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(101, *key)))


def _period(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


# -- the borough model ----------------------------------------------------------------------------


def _borough_inputs(geo, population: np.ndarray, imd: pd.DataFrame, census: pd.DataFrame
                    ) -> dict[str, dict]:
    """Adults, adults 15-64, mean IMD score and ethnic mix of each borough."""
    persons = population[:, :91] + population[:, 91:]
    lad = geo.lsoas["LAD22CD"].to_numpy()
    out = {}
    for borough in sorted(geo.boroughs, key=lambda b: b.code):
        mask = lad == borough.code
        weights = persons[mask].sum(axis=1)
        rows = census[census["area_code"] == borough.code]
        mix = rows.groupby(rows["ethnic_group"].str.split().str[0].str.rstrip(","))["population"].sum()
        reach = {g: float(mix.get(g, 0)) * _ETHNIC_REACH[g] for g in _ETHNIC_REACH}
        total = sum(reach.values()) or 1.0
        out[borough.code] = {
            "name": borough.name,
            "adults": float(persons[mask][:, 18:].sum()),
            "adults_15_64": float(persons[mask][:, 15:65].sum()),
            "relative": float(np.average(imd["score"].to_numpy()[mask], weights=weights)) / _NATIONAL_IMD_MEAN,
            "ethnic": np.array([reach[g] / total * _ETHNIC_RECORDED for g in _ENGLAND_ETHNIC]),
        }
    return out


def _cell_counts(rng: np.random.Generator, in_treatment: np.ndarray, relative: float,
                 ethnic: np.ndarray) -> np.ndarray:
    """Unrounded counts ``[group, sex, age, column]`` for the count columns of the LA export."""
    columns = VIEWIT_LA_HEADER[len(_KEYS):]
    out = np.zeros((4, 2, 3, len(columns)), dtype=np.int64)
    for g in range(4):
        shares = np.outer([_MALE[g], 1 - _MALE[g]], _AGES[g]).ravel()
        alln = rng.multinomial(in_treatment[g], shares).reshape(2, 3)
        new = rng.binomial(alln, _NEW[g])
        complete = rng.binomial(alln, np.clip(_COMPLETE[g] * relative ** -0.3 * rng.lognormal(0, 0.08), 0, 0.9))
        base = {"all": alln, "new": new, "completion": alln}
        values: list[np.ndarray] = [alln, new, *_split(rng, alln, ethnic), *_split(rng, new, ethnic)]
        for names, kind, partition, shares_by_group in _BLOCKS:
            probs = np.array([s[g] for s in shares_by_group], dtype=float)
            if kind == "cohort":  # safeguarding: 5 statuses and the children, for each cohort
                for cohort, p in ((alln, probs[:6]), (new, probs[6:])):
                    statuses = _split(rng, cohort, p[:5])
                    values += statuses + [rng.poisson(p[5] / p[0] * statuses[0])]
            elif kind == "completion" and names[0].startswith("exits_"):
                values += [complete] + [rng.binomial(alln, min(p, 1.0)) for p in probs[1:]]
            elif kind == "completion":  # length in treatment at exit: of completions and other exits
                exits = complete + rng.binomial(alln, 0.15)
                values += [rng.binomial(exits, min(p, 1.0)) for p in probs]
            elif partition:
                values += _split(rng, base[kind], probs)
            else:
                values += [rng.binomial(base[kind], min(p, 1.0)) for p in probs]
        scnr_in = rng.binomial(alln, 0.97)
        scnr_done = rng.binomial(scnr_in, np.clip(_COMPLETE[g] * 0.95, 0, 1))
        again = rng.binomial(scnr_done, (0.20, 0.08, 0.10, 0.12)[g])
        values += [scnr_in, scnr_done, again, scnr_done - again]
        out[g] = np.stack(values, axis=-1)
    return out


def _split(rng: np.random.Generator, counts: np.ndarray, probs: np.ndarray) -> list[np.ndarray]:
    """Each cell's count split over mutually exclusive categories (the rest unrecorded)."""
    probs = np.asarray(probs, dtype=float)
    rest = max(0.0, 1.0 - probs.sum())
    full = np.append(probs / max(1.0, probs.sum()), rest)
    parts = np.stack([rng.multinomial(n, full) for n in counts.ravel()]).reshape(*counts.shape, len(full))
    return [parts[..., k] for k in range(len(probs))]


def _round5(values: np.ndarray) -> np.ndarray:
    return (np.floor(values / 5 + 0.5) * 5).astype(np.int64)


def _la_rows(year: int, name: str, counts: np.ndarray) -> list[list[str]]:
    """The 60 rows of one borough and year (groups × sex × age, with totals), rounded to 5."""
    upper = year == _UPPER_CASE_YEAR
    total = "TOTAL" if upper else "Total"
    groups = [("Total", counts.sum(axis=0))] + [(g, counts[i]) for i, g in enumerate(_GROUPS)]
    rows = []
    latest = year == TREATMENT_YEARS[-1]
    for group, by_cell in groups:
        cells = [(s, a, by_cell[i, j]) for i, s in enumerate(_SEXES) for j, a in enumerate(_AGE_BANDS)]
        cells += [(s, total, by_cell[i].sum(axis=0)) for i, s in enumerate(_SEXES)]
        cells += [(total, a, by_cell[:, j].sum(axis=0)) for j, a in enumerate(_AGE_BANDS)]
        cells += [(total, total, by_cell.sum(axis=(0, 1)))]
        for sex, age, values in cells:
            text = [str(v) for v in _round5(values)]
            if latest:  # the latest year's completion cohort is not yet published
                text[-len(_SCNR):] = ["NULL"] * len(_SCNR)
            rows.append([_period(year), name, sex, age, group, *text])
    return rows


# -- writers --------------------------------------------------------------------------------------


def _write(path: Path, header: list[str], rows: list[list[str]], *, crlf: bool = False) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    pd.DataFrame(rows, columns=header).to_csv(buffer, index=False, lineterminator="\r\n" if crlf else "\n")
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return len(rows)


def _england_rows(rng: np.random.Generator) -> tuple[list[list[str]], dict[int, np.ndarray]]:
    rows, by_year = [], {}
    ethnic = np.array(list(_ENGLAND_ETHNIC.values()))
    for year in TREATMENT_YEARS:
        groups = rng.multinomial(_ENGLAND_IN_TREATMENT[year], _SPLIT)
        by_year[year] = groups
        upper = year == _UPPER_CASE_YEAR
        total = "TOTAL" if upper else "Total"
        for g, label in [(None, "Total"), *enumerate(_ENGLAND_GROUPS)]:
            n = int(groups.sum() if g is None else groups[g])
            male = float(np.dot(_MALE, groups) / groups.sum()) if g is None else _MALE[g]
            ages = (_AGES * groups[:, None]).sum(axis=0) / groups.sum() if g is None else _AGES[g]
            for sex, s_share in ((total, 1.0), ("M", male), ("F", 1 - male)):
                for age, a_share in ((total, 1.0), *zip(_AGE_BANDS, ages, strict=True)):
                    cell = int(round(n * s_share * a_share))
                    eth = [int(round(cell * e)) for e in ethnic]
                    rows.append([_period(year), ENGLAND_NAME, label.upper() if upper else label, sex, age,
                                 str(cell), *map(str, eth)])
    return rows, by_year


def _estimate_rows(rng: np.random.Generator, boroughs: dict[str, dict]) -> tuple[list[list[str]], dict]:
    """Alcohol-dependent adults (1.35% of adults in England, more where deprived), 2015/16-2017/18."""
    rows, latest = [], {}
    for year in (2017, 2016, 2015):
        england = _ENGLAND_ADULTS * 0.0135 * (1 - 0.01 * (2017 - year))
        rows.append(["England", ENGLAND_NAME, ENGLAND_CODE, *_with_ci(england, 0.83, 1.26), _period(year)])
        for code, b in boroughs.items():
            estimate = b["adults"] * 0.0135 * b["relative"] ** 0.4 * rng.lognormal(0, 0.04)
            latest.setdefault(code, estimate)
            rows.append(["Wyvern Vale", b["name"], code, *_with_ci(estimate, 0.74, 1.40), _period(year)])
    return rows, latest


def _with_ci(estimate: float, low: float, high: float) -> list[str]:
    return [str(int(round(estimate))), str(int(round(estimate * low))), str(int(round(estimate * high)))]


def _unmet_rows(in_treatment: dict[str, dict[int, np.ndarray]], need: dict[str, float], names: dict[str, str],
                region: tuple[str, str], indicator: tuple[int, str, str], groups: list[int],
                ci: tuple[float, float]) -> list[list[str]]:
    """Fingertips rows: % of the estimated need not in treatment, with the estimate's interval."""
    ident, title, age = indicator
    rows = []
    for year in TREATMENT_YEARS[1:]:
        for code in [ENGLAND_CODE, region[0], *sorted(c for c in names if c not in (ENGLAND_CODE, region[0]))]:
            treated = float(sum(in_treatment[code][year][g] for g in groups))
            estimate = need[code]
            value = 100 * (1 - treated / estimate)
            lower = 100 * (1 - treated / (estimate * ci[0]))
            upper = 100 * (1 - treated / (estimate * ci[1]))
            parent = ("", "", "England") if code == ENGLAND_CODE else (
                (ENGLAND_CODE, ENGLAND_NAME, "Region") if code == region[0] else (region[0], region[1], "UA"))
            rows.append([str(ident), title, parent[0], parent[1], code, names[code], parent[2], "Persons", age,
                         "", "", _period(year), f"{value:.8g}", f"{max(lower, 0.0):.8g}", f"{upper:.8g}", "", "",
                         f"{estimate - treated:.6f}", f"{estimate:.6f}", "", "", "Not compared", "Not compared",
                         f"{year}0000", "", "", "1y"])
    return rows


# young people (under 18) in specialist treatment: England about 1 in 1,000 under-18s; NDTMS wording
_YP_SUBSTANCES = (("Cannabis", 0.72), ("Alcohol", 0.18), ("Cocaine", 0.05), ("Ecstasy", 0.02),
                  ("Other", 0.03))
_YP_REFERRALS = (("Education", 0.26), ("Youth justice", 0.19), ("Children's social care", 0.17),
                 ("Self, family and friends", 0.10), ("Health", 0.12), ("Other", 0.16))
# deaths in treatment, per person in treatment in a year (opiate highest)
_DEATHS = (0.011, 0.003, 0.006, 0.004)


def _write_local_returns(folder: Path, rng: np.random.Generator, boroughs: dict[str, dict],
                         in_treatment: dict[str, dict[int, np.ndarray]]) -> dict[str, int]:
    """Local returns ``young_people_treatment.csv`` and ``deaths_in_treatment.csv`` for every borough."""
    young, deaths = [], []
    for code, b in boroughs.items():
        for year in TREATMENT_YEARS[-3:]:
            people = int(rng.poisson(b["adults"] * 0.27 * 0.001 * b["relative"] ** 0.5))
            for breakdown, shares in (("main substance", _YP_SUBSTANCES), ("referral source", _YP_REFERRALS)):
                counts = rng.multinomial(people, [s for _, s in shares])
                young += [[code, _period(year), breakdown, c, int(n)] for (c, _), n in zip(shares, counts, strict=True)]
            for g, group in enumerate(("opiate", "non-opiate only", "alcohol only", "non-opiate and alcohol")):
                n = int(in_treatment[code][year][g])
                deaths.append([code, _period(year), group, n, int(rng.binomial(n, _DEATHS[g]))])
    return {
        "young_people_rows": _write(folder / "young_people_treatment.csv",
                                    ["area_code", "period", "breakdown", "category", "count"], young),
        "deaths_in_treatment_rows": _write(folder / "deaths_in_treatment.csv",
                                           ["area_code", "period", "substance_group", "in_treatment", "deaths"],
                                           deaths),
    }


#: Demo shares of people in treatment showing substantial progress and completing, by substance group (NDTMS order).
_PROGRESS = (0.36, 0.56, 0.58, 0.50)
_COMPLETING = (0.05, 0.32, 0.35, 0.28)
#: Demo requirements made per adult resident in a year, and the share of those ended that were completed.
_REQUIREMENTS = (("drug rehabilitation requirement", 0.00042, 0.52), ("alcohol treatment requirement", 0.00034, 0.63),
                 ("mental health treatment requirement", 0.00012, 0.71))
#: Demo funding streams: pounds allocated per person in treatment.
_FUNDING = (("public health grant", 1_850.0), ("drug and alcohol treatment and recovery improvement grant", 640.0),
            ("other", 120.0))


def _write_pathway_returns(folder: Path, rng: np.random.Generator, boroughs: dict[str, dict],
                           in_treatment: dict[str, dict[int, np.ndarray]]) -> dict[str, int]:
    """Local returns treatment_progress, community_sentence_treatment, budgets and disruptions (synthetic)."""
    progress, requirements, budgets, disruptions = [], [], [], []
    for code, b in boroughs.items():
        for year in TREATMENT_YEARS[-3:]:
            groups = in_treatment[code][year]
            for g, group in enumerate(("opiate", "non-opiate only", "alcohol only", "non-opiate and alcohol")):
                n = int(groups[g])
                progress.append([code, _period(year), group, n, int(rng.binomial(n, _PROGRESS[g])),
                                 int(rng.binomial(n, _COMPLETING[g]))])
            for requirement, rate, completing in _REQUIREMENTS:
                made = int(rng.poisson(b["adults"] * rate * b["relative"] ** 0.5))
                ended = int(rng.poisson(made * 0.95))
                requirements.append([code, _period(year), requirement, made, ended,
                                     int(rng.binomial(ended, completing))])
            total = int(groups.sum())
            for stream, per_person in _FUNDING:
                allocated = round(total * per_person * rng.lognormal(0, 0.05), -2)
                budgets.append([code, _period(year), stream, f"{allocated:.0f}",
                                f"{round(allocated * rng.beta(30, 2), -2):.0f}"])
            disruptions.append([code, _period(year), int(rng.poisson(1.6 * b["relative"])),
                                int(rng.poisson(5.5 * b["relative"]))])
    return {
        "treatment_progress_rows": _write(folder / "treatment_progress.csv", [
            "area_code", "period", "substance_group", "in_treatment", "substantial_progress", "successful_completions"],
            progress),
        "community_sentence_treatment_rows": _write(folder / "community_sentence_treatment.csv", [
            "area_code", "period", "requirement", "made", "ended", "completed"], requirements),
        "budgets_rows": _write(folder / "budgets.csv", [
            "area_code", "period", "funding_stream", "allocated_gbp", "spent_gbp"], budgets),
        "disruptions_rows": _write(folder / "disruptions.csv", ["area_code", "period", "major", "moderate"],
                                   disruptions),
    }


#: Quarters of the demo's quarterly continuity-of-care return (2021/22 Q1 to 2025/26 Q2: 18 points, enough for SPC).
_CARE_QUARTERS = [f"{y}/{(y + 1) % 100:02d} Q{q}" for y in range(2021, 2026) for q in range(1, 5)][:18]
#: Synthetic ambitions of the demo partnership's local outcomes framework: metric, ambition, date, owner.
_AMBITIONS = (("92432", 4.5, "2026-03-31", "Director of Public Health"),
              ("92544", 55.0, "2025-03-31", "Head of Criminal Justice Pathways"),
              ("90244", 8.0, "2025-03", "Treatment Services Commissioner"),
              ("continuity_of_care", 50.0, "2026-03-31", "Head of Criminal Justice Pathways"))


def _write_framework(folder: Path, rng: np.random.Generator, boroughs: dict[str, dict],
                     partnerships: dict[str, list[str]]) -> dict[str, int]:
    """The quarterly continuity-of-care return and the ambitions of the local outcomes framework (synthetic).

    Released prisoners with a treatment need scale with adults; the share engaging within three weeks drifts
    by borough (one improving, one flat, one slipping). Every borough and demo partnership gets the same
    four ambitions with the file's baseline left empty (2021/22 from the data).
    """
    care = []
    for k, (code, b) in enumerate(boroughs.items()):
        start, drift = 0.36 + 0.03 * k, (0.012, 0.0, -0.004, 0.006)[k % 4]
        for i, quarter in enumerate(_CARE_QUARTERS):
            released = int(rng.poisson(b["adults"] * 0.0006)) + 20
            share = float(np.clip(start + drift * i + rng.normal(0, 0.02), 0.05, 0.95))
            care.append([code, quarter, released, int(rng.binomial(released, share))])
    # each area's ambition is the region's round figure moved a little (synthetic, so it follows the seed)
    ambitions = [[code, metric, "", "", round(value * float(rng.uniform(0.95, 1.05)), 1), date, owner]
                 for code in [*boroughs, *partnerships] for metric, value, date, owner in _AMBITIONS]
    return {
        "continuity_of_care_rows": _write(folder / "continuity_of_care.csv",
                                          ["area_code", "period", "released_with_need", "engaged_within_3_weeks"],
                                          care),
        "ambitions_rows": _write(folder / "ambitions.csv", ["area_code", "metric", "baseline_period", "baseline_value",
                                                            "ambition_value", "ambition_date", "owner"], ambitions),
    }


def write_treatment(root: Path, seed: int, geo, population: np.ndarray, imd: pd.DataFrame) -> dict[str, int]:
    """Write the demo NDTMS exports and the unmet-need Fingertips export under ``root``.

    Parameters
    ----------
    root
        The demo folder being built (``ndtms/`` and ``fingertips/`` are written in it).
    seed
        The demo seed (a stream of its own, so other demo files do not change).
    geo, population, imd
        The demo geography (:class:`cdp_demo.geography.Geography`), the LSOA
        population by sex and single year of age, and the LSOA IMD scores, as
        :mod:`cdp_demo.region` makes them. The Census ethnic mix is read back
        from ``census/`` in ``root``.

    Returns
    -------
    dict
        Rows written: ``ndtms_rows`` (all-LA export), ``ndtms_england_rows``, ``unmet_need_rows``,
        ``young_people_rows`` and ``deaths_in_treatment_rows`` (local returns in ``local/``),
        ``continuity_of_care_rows`` and ``ambitions_rows`` (the local outcomes framework, ``local/``).
    """
    from cdp_analysis.sources.census import read_census_ethnicity

    census = pd.concat([read_census_ethnicity(p) for p in sorted((root / "census").glob("*.csv"))])
    boroughs = _borough_inputs(geo, population, imd, census)
    england_rows, england = _england_rows(_rng(seed, 0))
    la_rows: list[list[str]] = []
    in_treatment: dict[str, dict[int, np.ndarray]] = {ENGLAND_CODE: england}
    region = (geo.region_code, geo.region_name)
    in_treatment[region[0]] = {y: np.zeros(4, dtype=np.int64) for y in TREATMENT_YEARS}
    for k, (code, b) in enumerate(boroughs.items(), start=1):
        rng = _rng(seed, k)
        level = rng.lognormal(0, 0.05, 4)
        in_treatment[code] = {}
        for year in TREATMENT_YEARS:
            rate = _ENGLAND_IN_TREATMENT[year] * _SPLIT / _ENGLAND_ADULTS
            lam = rate * b["adults"] * b["relative"] ** _DEPRIVATION * level * rng.lognormal(0, 0.04, 4)
            groups = rng.poisson(lam)
            counts = _cell_counts(rng, groups, b["relative"], b["ethnic"])
            in_treatment[code][year] = groups
            in_treatment[region[0]][year] += groups
            la_rows += _la_rows(year, b["name"], counts)
    folder = root / "ndtms"
    written = {
        "ndtms_rows": _write(folder / "ViewIt Export Data_LAs.csv", VIEWIT_LA_HEADER, la_rows),
        "ndtms_england_rows": _write(folder / "ViewIt Export Data_England.csv", _ENGLAND_HEADER, england_rows),
    }
    estimates, dependent = _estimate_rows(_rng(seed, 99), boroughs)
    _write(folder / "Estimates_of_Alcohol_Dependent_Adults_in_England_for_R.csv",
           ["PHE_Centre", "Local_Authority", "Area_Code_GSS", "Alcohol_dependent", "Alcohol_lower_CI",
            "Alcohol_upper_CI", "Year"], estimates)
    names = {ENGLAND_CODE: ENGLAND_NAME, region[0]: region[1], **{c: b["name"] for c, b in boroughs.items()}}
    ocu = {c: b["adults_15_64"] * 0.0089 * b["relative"] ** 1.0 * _rng(seed, 98, i).lognormal(0, 0.05)
           for i, (c, b) in enumerate(boroughs.items())}
    ocu[ENGLAND_CODE] = 313_971.0
    ocu[region[0]] = sum(ocu[c] for c in boroughs)
    dependent[ENGLAND_CODE] = _ENGLAND_ADULTS * 0.0135
    dependent[region[0]] = sum(dependent[c] for c in boroughs)
    rows = _unmet_rows(in_treatment, ocu, names, region,
                       (93517, "Proportion of opiates and/or crack cocaine users (i.e. OCU) not in treatment (%)",
                        "15-64 yrs"), [0], (0.80, 1.30))
    rows += _unmet_rows(in_treatment, dependent, names, region,
                        (93532, "Proportion of dependent drinkers not in treatment (%) (Current method)",
                         "18+ yrs"), [2, 3], (0.74, 1.40))
    written.update(_write_local_returns(root / "local", _rng(seed, 97), boroughs, in_treatment))
    written.update(_write_pathway_returns(root / "local", _rng(seed, 96), boroughs, in_treatment))
    partnerships = {a.code: list(a.members) for a in AreaRegistry.builtin().of_type("cdp", demo=True)}
    written.update(_write_framework(root / "local", _rng(seed, 95), boroughs, partnerships))
    written["unmet_need_rows"] = _write(root / "fingertips" / "demo-unmet-need.csv", list(EXPORT_HEADER), rows,
                                        crlf=True)
    return written
