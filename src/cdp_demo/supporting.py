"""Demo files for the outcomes framework's supporting metrics, in the publishers' layouts.

Called by :func:`cdp_demo.region.generate_demo` through :func:`write_supporting_files`. For
England (``E92000001``, invented national figures of a realistic size), the demo region and
each demo borough:

- ``homelessness/Detailed_LA_<yyyy-yy>.xlsx`` (2021-22 to 2023-24): the MHCLG statutory
  homelessness detailed local authority tables, sheet ``A3`` (households owed a duty by support
  needs of household) as :mod:`cdp_analysis.sources.homelessness` reads the published sheet: a
  title naming the period, a merged group header over the support-needs total, the ONS code in
  the first column, footnote digits on labels, ``..`` for a suppressed cell and a "Rest of
  England" row without a code;
- ``reoffending/proven_reoffending_la_demo.csv``: the MoJ proven reoffending figures by
  local authority (adult and juvenile offenders, cohorts April 2020 to March 2023), ``*``
  where the publisher suppresses a small cohort.

The boroughs' figures follow their drug-related demand (:data:`cdp_demo.demand._DEMAND`).
Deterministic: a pure function of the seed and the population (workbooks with fixed timestamps).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from cdp_analysis.vocabulary import ENGLAND_CODE, ENGLAND_NAME
from cdp_demo.demand import _DEMAND, _fixed_zip

__all__ = ["write_supporting_files", "A3_NEEDS", "REOFFENDING_HEADER"]

#: The support needs of the demo's A3 (a selection of the published columns, in published order).
A3_NEEDS = ("History of mental health problems", "Physical ill health and disability",
            "At risk of / has experienced domestic abuse", "Offending history", "History of repeat homelessness",
            "History of rough sleeping", "Drug dependency needs", "Alcohol dependency needs", "Learning disability")
# share of households owed a duty (with any need) having each need, England (the published order of magnitude)
_NEED_SHARE = (0.51, 0.31, 0.21, 0.14, 0.12, 0.09, 0.13, 0.11, 0.06)
REOFFENDING_HEADER = ["Cohort", "Offender type", "Local authority code", "Local authority name", "Number of offenders",
                      "Number of reoffenders", "Number of reoffences", "Proportion of offenders who reoffend (%)",
                      "Average number of reoffences per reoffender"]
_YEARS = (2021, 2022, 2023)


def _rng(seed: int, part: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(110, part, *key)))


def write_supporting_files(root: Path, seed: int, geo, population: np.ndarray) -> dict[str, int]:
    """Write the H-CLIC A3 workbooks and the proven reoffending table under ``root``; returns row counts."""
    lsoas = geo.lsoas
    persons = population[:, :91] + population[:, 91:]
    boroughs = [(b.code, b.name, persons[(lsoas["LAD22CD"] == b.code).to_numpy()].sum(axis=0))
                for b in geo.boroughs]
    region = (geo.region_code, geo.region_name)
    rows = 0
    for start in _YEARS:
        rows += _write_a3(root / "homelessness" / f"Detailed_LA_{start}-{(start + 1) % 100:02d}.xlsx",
                          _rng(seed, 1, start), start, region, boroughs)
    frame = _reoffending(_rng(seed, 2), region, boroughs)
    path = root / "reoffending" / "proven_reoffending_la_demo.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return {"homelessness_rows": rows, "reoffending_rows": len(frame)}


def _a3_counts(rng: np.random.Generator, adults: float, rel: float) -> list[int]:
    owed = int(rng.poisson(adults * 0.0075 * (0.8 + 0.2 * rel)))
    with_needs = int(rng.binomial(owed, 0.55))
    needs = [int(rng.binomial(with_needs, min(share * (rel if i in (3, 6, 7) else 1.0), 0.95)))
             for i, share in enumerate(_NEED_SHARE)]
    one = int(rng.binomial(with_needs, 0.45))
    two = int(rng.binomial(with_needs - one, 0.45))
    return [owed, owed - with_needs, with_needs, one, two, with_needs - one - two, *needs]


def _write_a3(path: Path, rng: np.random.Generator, start: int, region: tuple[str, str], boroughs: list) -> int:
    import openpyxl

    body = []
    totals = np.zeros(6 + len(A3_NEEDS), dtype=np.int64)
    for code, name, people in boroughs:
        counts = _a3_counts(rng, float(people[18:].sum()), _DEMAND.get(code, 1.0))
        totals += np.array(counts)
        body.append([code, name, region[1], region[0], *counts])
    england = _a3_counts(rng, 44_000_000.0, 1.0)
    cells = [[ENGLAND_CODE, ENGLAND_NAME.upper(), None, None, *england],
             [region[0], region[1], None, None, *totals.tolist()], *body]
    for row in cells[2:]:  # the publisher's '..' for a need of 1 to 4 households in an authority
        for j in range(10, len(row)):
            if 0 < row[j] < 5:
                row[j] = ".."
    book = openpyxl.Workbook()
    book.active.title = "Cover"
    book.active.append(["Statutory homelessness: detailed local authority-level tables (SYNTHETIC DEMO DATA)"])
    sheet = book.create_sheet("A3")
    sheet.append([f"Table A3: Number of households owed a homelessness duty by support needs of household, "
                  f"England, April {start} to March {start + 1} (SYNTHETIC DEMO DATA)"])
    sheet.append(["Source: H-CLIC. Every figure in this workbook is invented."])
    sheet.append([None] * 6 + ["Households with one or more support needs owed a duty2"])
    sheet.merge_cells(start_row=3, start_column=7, end_row=3, end_column=10)
    sheet.append(["ONS code", "Local authority", "Higher level Local Authority", "Higher level Local Authority code",
                  "Total number of households owed a prevention or relief duty1",
                  "Households with no support needs owed duty1,2", "Total", 1, 2, "3+",
                  *(f"{n}[note 3]" if n.startswith("Drug") else n for n in A3_NEEDS)])
    for row in cells:
        sheet.append(row)
    sheet.append([None, "Rest of England", None, None, None])
    sheet.append(["Notes: 1. Households owed a prevention or relief duty. 2. A household can have more than one "
                  "support need. 3. Drug dependency needs recorded at assessment. '..' a figure of 1 to 4 "
                  "households, suppressed."])
    buffer = io.BytesIO()
    book.save(buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_fixed_zip(buffer.getvalue()))
    return len(cells)


def _reoffending(rng: np.random.Generator, region: tuple[str, str], boroughs: list) -> pd.DataFrame:
    rows = []
    for start in (2020, 2021, 2022):
        cohort = f"Apr {start} to Mar {start + 1}"
        for kind, base, per_person, offenders_rate in (("Adult", 0.255, 3.5, 0.0078), ("Juvenile", 0.31, 3.6, 0.0025)):
            areas = [(code, name, float(people[18:].sum() if kind == "Adult" else people[10:18].sum()),
                      _DEMAND.get(code, 1.0)) for code, name, people in boroughs]
            counts = []
            for code, name, n, rel in areas:
                offenders = int(rng.poisson(n * offenders_rate * (0.7 + 0.3 * rel) * (1 if kind == "Adult" else 4)))
                reoffenders = int(rng.binomial(offenders, min(base * (0.85 + 0.15 * rel), 0.9)))
                counts.append((code, name, offenders, reoffenders, int(rng.poisson(reoffenders * per_person))))
            region_row = (region[0], region[1], *(sum(c[i] for c in counts) for i in (2, 3, 4)))
            national = 370_000 if kind == "Adult" else 12_400
            e_off = int(national * (1 - 0.02 * (start - 2020)))
            e_re = int(rng.binomial(e_off, base))
            for code, name, offenders, reoffenders, reoffences in [(ENGLAND_CODE, ENGLAND_NAME, e_off, e_re,
                                                                    int(e_re * per_person)), region_row, *counts]:
                if kind == "Juvenile" and offenders < 10:  # the publisher suppresses a small cohort
                    rows.append([cohort, kind, code, name, "*", "*", "*", "*", "*"])
                    continue
                rows.append([cohort, kind, code, name, f"{offenders:,}", f"{reoffenders:,}", f"{reoffences:,}",
                             f"{100 * reoffenders / offenders:.1f}" if offenders else "-",
                             f"{reoffences / reoffenders:.2f}" if reoffenders else "-"])
    return pd.DataFrame(rows, columns=REOFFENDING_HEADER)
