"""Words and codes every layer shares: one home each.

Only constants live here (no imports from the package), so any module, from the readers to
the command, may use them without pulling a layer above it.
"""

from __future__ import annotations

__all__ = ["ENGLAND_CODE", "ENGLAND_NAME", "FINGERTIPS_SOURCE", "SYNTHETIC_NOTICE", "DISCLOSURE_POLICIES", "ROLE_FOCUS", "ROLE_MEMBER",
           "ROLE_COMPARATOR"]

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
