"""Every reader of a public source, in one list (as pandas' ``io/api.py`` lists its readers).

Each reader reads one published format as it is published, validates it and names the file, row
and column of what it cannot read (:class:`~cdp_analysis.errors.DataFormatError`); each returns a
tidy frame whose columns are its module's contract (docs/data_contract.md).

    from cdp_analysis.sources.api import read_street_crime, read_ndtms
"""

from __future__ import annotations

from cdp_analysis.sources.boundaries import read_boundaries
from cdp_analysis.sources.census import read_census_ethnicity
from cdp_analysis.sources.csew import read_csew
from cdp_analysis.sources.dfe import read_children_in_need, read_exclusions, read_looked_after, read_pupil_headcount
from cdp_analysis.sources.fingertips import read_export, read_metadata, read_release_dates
from cdp_analysis.sources.homelessness import read_hclic_support_needs
from cdp_analysis.sources.imd import read_imd, read_imd_upper_tier
from cdp_analysis.sources.local import read_local_return
from cdp_analysis.sources.lookups import read_lad_region_lookup, read_lsoa_lookup
from cdp_analysis.sources.ndtms import read_ndtms
from cdp_analysis.sources.ons import read_drug_deaths_by_la, read_drug_poisoning_csv, read_ons_table
from cdp_analysis.sources.police_uk import read_outcomes, read_police_month, read_stop_and_search, read_street_crime
from cdp_analysis.sources.population import read_population
from cdp_analysis.sources.reoffending import read_proven_reoffending

__all__ = [
    # police.uk
    "read_street_crime",
    "read_stop_and_search",
    "read_outcomes",
    "read_police_month",
    # OHID: NDTMS and Fingertips
    "read_ndtms",
    "read_export",
    "read_metadata",
    "read_release_dates",
    # ONS: population, deaths, Census, lookups, boundaries
    "read_population",
    "read_ons_table",
    "read_drug_deaths_by_la",
    "read_drug_poisoning_csv",
    "read_census_ethnicity",
    "read_lsoa_lookup",
    "read_lad_region_lookup",
    "read_boundaries",
    # MHCLG: deprivation
    "read_imd",
    "read_imd_upper_tier",
    # DfE: children
    "read_children_in_need",
    "read_looked_after",
    "read_exclusions",
    "read_pupil_headcount",
    # Crime Survey for England and Wales
    "read_csew",
    # MHCLG: statutory homelessness (H-CLIC table A3, support needs)
    "read_hclic_support_needs",
    # Ministry of Justice: proven reoffending by local authority
    "read_proven_reoffending",
    # the partnership's own returns
    "read_local_return",
]
