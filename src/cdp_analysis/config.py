"""Project configuration: where data and reports live, and the knobs of a build.

Locations never come from the current directory. The config file is found, in
order, at ``$CDP_CONFIG``, or as ``cdp.toml`` in the repository that holds this
package (an editable install). Paths in it are relative to the file itself.
Environment variables ``CDP_RAW_DIR``, ``CDP_PROCESSED_DIR`` and
``CDP_REPORTS_DIR`` override the file; explicit arguments override both. A
relative path given in the environment or as an argument is relative to the
current directory (as a shell user expects); one in the file, to the file.

Every section and key of the file is checked: an unknown one (a typo such as
``polcy``) is refused with the closest known name, never silently ignored.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdp_analysis.errors import ConfigError, suggest
from cdp_analysis.vocabulary import DISCLOSURE_POLICIES

__all__ = ["Config", "load_config", "find_config_file", "usable_cores", "max_workers", "check_folder",
           "check_output_folders", "valid_chapters"]

_ENV_PATHS = {
    "raw_dir": "CDP_RAW_DIR",
    "processed_dir": "CDP_PROCESSED_DIR",
    "reports_dir": "CDP_REPORTS_DIR",
    "notebooks_dir": "CDP_NOTEBOOKS_DIR",
}
_CONTACT_PLACEHOLDER = ("the team that publishes these reports (whose contact address is not yet given: the "
                        "publisher adds it to the configuration file cdp.toml)")
#: Every section of ``cdp.toml`` and the keys it may hold.
KNOWN_SETTINGS: dict[str, tuple[str, ...]] = {
    "paths": ("raw_dir", "processed_dir", "reports_dir", "notebooks_dir"),
    "demo": ("seed", "months", "end_month", "areas"),
    "disclosure": ("policy",),
    "build": ("chapters", "workers", "timeout_seconds", "as_of"),
    "assessment": ("previous_years", "since"),
    "publish": ("accessibility_contact", "pdf"),
    "neighbours": ("group", "file", "comparators"),
}


@dataclass(frozen=True)
class Config:
    """Resolved configuration: absolute paths plus the other settings."""

    root: Path
    raw_dir: Path
    processed_dir: Path
    reports_dir: Path
    notebooks_dir: Path
    demo_seed: int = 2021
    demo_months: int = 72
    demo_end_month: str = "2025-12"
    demo_areas: int = 4
    disclosure_policy: str = "ndtms"
    chapters: tuple[str, ...] = ("00_outcomes_overview", "01_supply")
    workers: int = 2
    timeout_seconds: int = 600
    publish_pdf: bool = False
    #: The edition built: only data published by the end of this month (``YYYY-MM``); empty = all data held.
    as_of: str = ""
    #: "Since the last assessment" compares with the edition this many years before the one built ...
    previous_years: int = 3
    #: ... or with the edition of this month (``YYYY-MM``) when set.
    since: str = ""
    accessibility_contact: str = _CONTACT_PLACEHOLDER
    #: ``[neighbours]``: how the user's comparator group reads in a sentence ("its CIPFA nearest neighbours") ...
    neighbour_group: str = ""
    #: ... each area's group from a file (``area_code, neighbour_code`` rows) ...
    neighbour_file: Path | None = None
    #: ... or listed in the file itself: (area code, its comparator codes) pairs.
    neighbour_comparators: tuple[tuple[str, tuple[str, ...]], ...] = ()
    source_file: Path | None = field(default=None, compare=False)

    @property
    def demo_dir(self) -> Path:
        """Where ``cdp demo`` writes the synthetic raw data."""
        return self.raw_dir / "demo"

    def summary(self) -> dict[str, Any]:
        """Settings worth logging at the start of a batch (no absolute paths)."""
        return {
            "disclosure_policy": self.disclosure_policy,
            "chapters": list(self.chapters),
            "workers": self.workers,
            "demo_seed": self.demo_seed,
            "as_of": self.as_of,
            "previous_years": self.previous_years,
            "since": self.since,
        }


def usable_cores() -> int:
    """CPU cores this process may use (its affinity where the system says)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def max_workers() -> int:
    """The most pages computed at once: four per core (each page holds a kernel)."""
    return usable_cores() * 4


def check_folder(folder: Path, what: str, *, option: str = "") -> None:
    """Make ``folder`` if needed and prove it writable (a file created and removed);
    :class:`~cdp_analysis.errors.ConfigError` naming the folder otherwise."""
    hint = f" (choose another with {option} or fix its permissions)" if option else ""
    blocker = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise ConfigError(f"Cannot use {folder} as {what}: {blocker} is a file, not a folder{hint}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".cdp-write-check-"):
            pass
    except OSError as exc:
        raise ConfigError(f"Cannot write {what} {folder}: {exc.strerror or exc}{hint}") from exc


def check_output_folders(config: Config) -> None:
    """The reports and processed folders can be made and written, or a ConfigError
    naming the folder and what to change (before any page is computed)."""
    for name, folder in (("reports", config.reports_dir), ("processed", config.processed_dir)):
        check_folder(folder, f"the {name} folder", option=f"--{name}-dir")


def valid_chapters(config: Config) -> list[str]:
    """Chapter ids that can be built: the configured ones and any notebook ``NN_name.ipynb``."""
    found = sorted(p.stem for p in config.notebooks_dir.glob("[0-9][0-9]_*.ipynb")) if config.notebooks_dir.is_dir() else []
    return list(dict.fromkeys([*config.chapters, *found]))


def find_config_file() -> Path | None:
    """The config file in force: ``$CDP_CONFIG`` or the repository's ``cdp.toml``."""
    env = os.environ.get("CDP_CONFIG")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise ConfigError(f"CDP_CONFIG points to {path}, which is not a file")
        return path.resolve()
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "cdp.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(path: str | Path | None = None, **overrides: str | Path | None) -> Config:
    """Read the configuration; ``overrides`` (e.g. ``raw_dir=...``) win over everything."""
    file = Path(path).resolve() if path else find_config_file()
    data = _read_toml(file) if file else {}
    root = file.parent if file else Path.home() / "cdp-needs-assessment"
    where = str(file) if file else "the configuration"
    _check_known(data, where)
    paths = _section(data, "paths", where)

    def resolve(key: str, default: str) -> Path:
        given = overrides.get(key) or os.environ.get(_ENV_PATHS[key])
        if given:  # a command-line or environment path: relative to the current directory
            return Path(given).expanduser().resolve()
        p = Path(_text(paths, "paths", key, default, where)).expanduser()
        return (p if p.is_absolute() else root / p).resolve()

    demo, disclosure, build, publish, assessment, neighbours = (
        _section(data, name, where)
        for name in ("demo", "disclosure", "build", "publish", "assessment", "neighbours"))
    group_file = None
    if "file" in neighbours:
        given = Path(_text(neighbours, "neighbours", "file", "data/raw/cipfa_neighbours.csv", where)).expanduser()
        group_file = (given if given.is_absolute() else root / given).resolve()
    return Config(
        root=root,
        raw_dir=resolve("raw_dir", "data/raw"),
        processed_dir=resolve("processed_dir", "data/processed"),
        reports_dir=resolve("reports_dir", "reports"),
        notebooks_dir=resolve("notebooks_dir", "notebooks"),
        demo_seed=_integer(demo, "demo", "seed", 2021, where, minimum=0),
        demo_months=_integer(demo, "demo", "months", 72, where, minimum=1, maximum=600),
        demo_end_month=_month(demo, "demo", "end_month", "2025-12", where),
        demo_areas=_integer(demo, "demo", "areas", 4, where, minimum=4, maximum=999),
        disclosure_policy=_policy(disclosure, "disclosure", "policy", "ndtms", where),
        chapters=_chapters(build, "build", "chapters", Config.chapters, where),
        workers=_integer(build, "build", "workers", 2, where, minimum=1, maximum=max_workers()),
        timeout_seconds=_integer(build, "build", "timeout_seconds", 600, where, minimum=1),
        publish_pdf=_boolean(publish, "publish", "pdf", False, where),
        as_of=_month(build, "build", "as_of", "2023-03", where) if "as_of" in build else "",
        previous_years=_integer(assessment, "assessment", "previous_years", 3, where, minimum=1, maximum=20),
        since=_month(assessment, "assessment", "since", "2020-03", where) if "since" in assessment else "",
        accessibility_contact=_contact(publish, where),
        neighbour_group=(_text(neighbours, "neighbours", "group", "its CIPFA nearest neighbours", where)
                         if "group" in neighbours else ""),
        neighbour_file=group_file,
        neighbour_comparators=_comparators(neighbours, where),
        source_file=file,
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc}") from exc


def _check_known(data: dict[str, Any], where: str) -> None:
    """Refuse a section or key the configuration does not have, naming the closest one."""
    for name, table in data.items():
        if name not in KNOWN_SETTINGS:
            raise ConfigError(f"{where}: unknown section [{name}]{_did_you_mean(name, KNOWN_SETTINGS)}; "
                              f"the sections are {', '.join(f'[{n}]' for n in KNOWN_SETTINGS)}")
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: [{name}] must be a table of settings (a [{name}] line, then "
                              f"key = value lines), found {name} = {table!r}")
        known = KNOWN_SETTINGS[name]
        for key in table:
            if key not in known:
                raise ConfigError(f"{where}: unknown setting {key!r} in [{name}]{_did_you_mean(key, known)}; "
                                  f"[{name}] holds {', '.join(known)}")


def _did_you_mean(name: str, known: Any) -> str:
    close = suggest(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _bad(where: str, section: str, key: str, value: object, expected: str) -> ConfigError:
    return ConfigError(f"{where}: setting [{section}] {key} = {value!r} is not valid; expected {expected}")


def _section(data: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{name}] must be a table of settings, found {value!r}")
    return value


def _integer(table: dict[str, Any], section: str, key: str, default: int, where: str, *,
             minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole-number setting within bounds (TOML ``true`` is not a number)."""
    value = table.get(key, default)
    low = "" if minimum is None else f" from {minimum}"
    high = "" if maximum is None else f" to {maximum}"
    expected = f"a whole number{low}{high} (no quotes), e.g. {key} = {default}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(where, section, key, value, expected)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise _bad(where, section, key, value, expected)
    return value


def _boolean(table: dict[str, Any], section: str, key: str, default: bool, where: str) -> bool:
    """A true/false setting (TOML ``true`` or ``false``, no quotes)."""
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise _bad(where, section, key, value, f"true or false (no quotes), e.g. {key} = {str(default).lower()}")
    return value


def _text(table: dict[str, Any], section: str, key: str, default: str, where: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise _bad(where, section, key, value, f'a non-empty quoted text, e.g. {key} = "{default}"')
    return value


def _contact(table: dict[str, Any], where: str) -> str:
    value = table.get("accessibility_contact", "")
    if not isinstance(value, str):
        raise _bad(where, "publish", "accessibility_contact", value,
                   'a quoted text, e.g. accessibility_contact = "drugs.team@example.gov.uk"')
    return value.strip() or _CONTACT_PLACEHOLDER


def _month(table: dict[str, Any], section: str, key: str, default: str, where: str) -> str:
    value = _text(table, section, key, default, where)
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise _bad(where, section, key, value, f'a month as "YYYY-MM", e.g. {key} = "{default}"')
    return value


def _policy(table: dict[str, Any], section: str, key: str, default: str, where: str) -> str:
    value = _text(table, section, key, default, where)
    if value.lower() not in DISCLOSURE_POLICIES:
        raise _bad(where, section, key, value, "one of " + ", ".join(f'"{p}"' for p in sorted(DISCLOSURE_POLICIES)))
    return value.lower()


def _chapters(table: dict[str, Any], section: str, key: str, default: tuple[str, ...], where: str
              ) -> tuple[str, ...]:
    value = table.get(key, list(default))
    if (not isinstance(value, list) or not value
            or not all(isinstance(c, str) and re.fullmatch(r"\d\d_[a-z0-9_]+", c) for c in value)):
        raise _bad(where, section, key, value,
                   'a list of chapter notebook names, e.g. chapters = ["00_outcomes_overview", "01_supply"]')
    return tuple(value)


def _comparators(table: dict[str, Any], where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``[neighbours.comparators]``: area code = [its comparator codes] (codes checked against the registry
    when a build reads them)."""
    value = table.get("comparators", {})
    expected = ('a table of area code = list of comparator codes, e.g. [neighbours.comparators] then '
                'E06000001 = ["E06000002", "E06000003"]')
    if not isinstance(value, dict):
        raise _bad(where, "neighbours", "comparators", value, expected)
    out = []
    for area, codes in value.items():
        if not isinstance(codes, list) or not codes or not all(isinstance(c, str) and c.strip() for c in codes):
            raise _bad(where, "neighbours", f"comparators.{area}", codes, expected)
        out.append((str(area), tuple(c.strip() for c in codes)))
    return tuple(out)
