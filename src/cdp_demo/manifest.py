"""Whether the demo folder is up to date, without the generator's heavy imports.

``cdp build``/``data`` for a demo area check this first (json and the file sizes
only), and import :mod:`cdp_demo.region` (numpy, pandas, scipy: seconds) only to
generate. :mod:`cdp_demo.region` re-exports every name here.
"""

from __future__ import annotations

import json
import numbers
import re
from pathlib import Path

from cdp_analysis.errors import ConfigError

__all__ = ["GENERATOR_VERSION", "DEFAULT_AREAS", "MAX_AREAS", "demo_is_current"]

#: Bump whenever the output changes for the same arguments (invalidates old folders).
GENERATOR_VERSION = "1.6.0"
DEFAULT_AREAS = 4  # the demo region's boroughs in resources/areas.csv
MAX_AREAS = 999


def demo_is_current(
    out_dir: Path | str, *, seed: int = 2021, months: int = 60, end_month: str = "2025-12",
    areas: int = DEFAULT_AREAS,
) -> bool:
    """Whether ``out_dir`` already holds the demo for these arguments."""
    params = _check_params(seed, months, end_month, areas)
    return _current_manifest(Path(out_dir).expanduser().resolve(), params) is not None


def _check_params(seed: int, months: int, end_month: str, areas: int = 4) -> dict:
    if not isinstance(months, numbers.Integral) or not 1 <= int(months) <= 600:
        raise ConfigError(f"demo months must be a whole number from 1 to 600, not {months!r}")
    if not isinstance(end_month, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", end_month):
        raise ConfigError(f"demo end_month must look like 2025-12, not {end_month!r}")
    if not isinstance(seed, numbers.Integral) or int(seed) < 0:
        raise ConfigError(f"demo seed must be a whole number of 0 or more, not {seed!r}")
    if not isinstance(areas, numbers.Integral) or not DEFAULT_AREAS <= int(areas) <= MAX_AREAS:
        raise ConfigError(f"demo areas must be a whole number from {DEFAULT_AREAS} to {MAX_AREAS}, not {areas!r}")
    params = {"seed": int(seed), "months": int(months), "end_month": end_month}
    if int(areas) != DEFAULT_AREAS:  # the default demo's manifest stays as it was
        params["areas"] = int(areas)
    return params


def _current_manifest(out_dir: Path, params: dict) -> dict | None:
    """The manifest if the folder matches ``params`` and still holds its files."""
    try:
        manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    wanted = {"areas": None, **params, "generator_version": GENERATOR_VERSION}
    if any(manifest.get(k) != v for k, v in wanted.items()):
        return None
    for entry in manifest.get("files", []):
        path = out_dir / entry["path"]
        try:
            if path.stat().st_size != entry["bytes"]:
                return None
        except OSError:
            return None
    return manifest
