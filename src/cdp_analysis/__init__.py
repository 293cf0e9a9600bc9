"""cdp_analysis: reproducible joint needs assessments for Combating Drugs Partnerships."""

from cdp_analysis.errors import CdpError, DataFormatError, UnknownAreaError

__version__ = "0.1.0"

__all__ = ["CdpError", "DataFormatError", "UnknownAreaError", "__version__"]
