"""Every PHEindicatormethods reference file and sheet is used by a conformance test.

If the reference folder gains a file or a sheet, this fails until a test covers it
(or the reason it cannot be covered is recorded here).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: file -> {sheet: test module that checks it}; CSVs have one "sheet" (None)
COVERAGE: dict[str, dict[str | None, str]] = {
    "testdata_Byars_Wilson.xlsx": {"testdata_B_W": "test_limits"},
    "testdata_Proportion.xlsx": {"testdata_Prop": "test_proportion", "testdata_Prop_g": "test_proportion"},
    "testdata_Rate.xlsx": {"testdata_Rate": "test_rate", "testdata_Rate_g": "test_rate"},
    "testdata_DSR_ISR.xlsx": {
        "testdata_multiarea_isr": "test_isr",
        "testdata_multiarea_lookup": "test_isr",
        "testdata_multiarea": "test_dsr, test_isr",
        "testdata_nonindepe": "test_dsr",
        "testdata_1976": "test_dsr",
        "refdata": "test_isr",
        "testresults_ISR": "test_isr",
        "testresults_DSR": "test_dsr",
        "testdata_err1": "test_dsr, test_isr (errors)",
        "testdata_err2": "test_dsr (errors), test_isr (zero population)",
        "testdata_err3": "test_dsr, test_isr (errors)",
        "testdata_err4": "test_dsr (errors)",
    },
    "testdata_SII.xlsx": {"testdata_SII": "test_sii"},
    # no expected outputs to recompute: used as SII input with an independent check
    "DSR_testdata.csv": {None: "test_sii"},
    "testdata_funnel_prop_inputs.csv": {None: "test_funnel"},
    "testdata_funnel_prop_outputs.csv": {None: "test_funnel"},
    "testdata_funnel_rate_dsr_inputs.csv": {None: "test_funnel"},
    "testdata_funnel_rate_input_funnels.csv": {None: "test_funnel"},
    "testdata_funnel_rate_outputs.csv": {None: "test_funnel"},
}


def test_every_reference_file_and_sheet_is_covered(reference_dir: Path):
    folder = reference_dir / "PHEindicatormethods"
    files = {p.name for p in folder.iterdir() if p.suffix in {".xlsx", ".csv"}}
    assert files == set(COVERAGE)
    for name in files:
        if name.endswith(".xlsx"):
            sheets = set(pd.ExcelFile(folder / name, engine="openpyxl").sheet_names)
            assert sheets == set(COVERAGE[name]), name
    assert (reference_dir / "PROVENANCE.md").is_file()
