"""Words and codes every layer shares: one home each.

Only constants live here (no imports from the package), so any module, from the readers to
the command, may use them without pulling a layer above it.
"""

from __future__ import annotations

__all__ = ["ENGLAND_CODE", "ENGLAND_NAME", "FINGERTIPS_SOURCE", "SYNTHETIC_NOTICE", "DISCLOSURE_POLICIES", "ROLE_FOCUS",
           "ROLE_MEMBER", "ROLE_COMPARATOR", "SOURCE_TITLES", "source_title"]

#: England's GSS code and name (the national comparator of every indicator).
ENGLAND_CODE = "E92000001"
ENGLAND_NAME = "England"

#: How pages and figures cite data read from OHID Fingertips.
FINGERTIPS_SOURCE = "OHID Fingertips"

#: The notice every page, figure and table built from the generated demo data carries.
SYNTHETIC_NOTICE = "Synthetic demonstration data"

#: The disclosure policies ``cdp.toml``'s ``[disclosure] policy`` may name; their rules are in
#: :data:`cdp_analysis.stats.sdc.POLICIES` (a test holds the two to the same names).
DISCLOSURE_POLICIES = ("ndtms", "nhsd")

#: The ``role`` of a row in a headline table: the area itself, one of its member authorities, or a comparator.
ROLE_FOCUS, ROLE_MEMBER, ROLE_COMPARATOR = "focus", "member", "comparator"

#: What each source of the prepared data is, in a reader's words (the store's names are for code).
SOURCE_TITLES: dict[str, str] = {
    "street_crime": "Police-recorded street crime (data.police.uk)",
    "police_uk": "Police-recorded street crime (data.police.uk)",
    "police_counts": "Police-recorded crime for comparator areas (data.police.uk, all forces)",
    "stop_search": "Stop and search (data.police.uk)",
    "outcomes": "Police outcomes (data.police.uk)",
    "indicators": "Public health indicators (OHID Fingertips)",
    "fingertips": "Public health indicators (OHID Fingertips)",
    "ndtms": "Drug and alcohol treatment (NDTMS, OHID)",
    "boundaries": "Boundaries (ONS Open Geography Portal)",
    "lookup": "Small-area lookup (ONS Open Geography Portal)",
    "lookups": "Small-area lookup (ONS Open Geography Portal)",
    "population": "Population estimates (ONS)",
    "census": "Census 2021 (ONS)",
    "imd": "Indices of Deprivation 2019",
    "csew": "Crime Survey for England and Wales (ONS)",
    "pupil_headcount": "Pupil numbers (Department for Education)",
    "children_in_need": "Children in need (Department for Education)",
    "looked_after": "Looked-after children (Department for Education)",
    "exclusions": "School exclusions (Department for Education)",
    "local": "The partnership's local returns",
}


def source_title(name: str) -> str:
    """A prepared source's name as a reader reads it (an unknown name with its underscores as spaces).

    >>> source_title("street_crime"), source_title("new_source")
    ('Police-recorded street crime (data.police.uk)', 'New source')
    """
    return SOURCE_TITLES.get(name) or str(name).replace("_", " ").capitalize()
