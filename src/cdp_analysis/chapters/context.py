"""What a chapter needs to know about its area: geography, comparators, data.

:func:`load_context` is the one call a chapter notebook makes to get going: it
validates the area, finds (and for the demo, generates) the data, prepares it,
and works out which LSOAs make up the area and each comparator.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cdp_analysis.areas import Area, AreaRegistry
from cdp_analysis.config import Config, load_config
from cdp_analysis.errors import ConfigError, MissingDataError
from cdp_analysis.store import editions
from cdp_analysis.store.source import default_source
from cdp_analysis.vocabulary import SYNTHETIC_NOTICE

if TYPE_CHECKING:  # the store's heavy imports only when used (load_context)
    from cdp_analysis.store.dataset import Dataset

__all__ = ["ChapterContext", "load_context", "residents", "SYNTHETIC_NOTICE"]



@dataclass
class ChapterContext:
    """An area, its comparators, and the dataset the chapter reads."""

    area: Area
    registry: AreaRegistry
    dataset: Dataset
    config: Config
    comparators: list[Area] = field(default_factory=list)

    @property
    def synthetic(self) -> bool:
        """True when the figures come from the generated demo data."""
        return self.area.is_demo

    @cached_property
    def lookup(self) -> pd.DataFrame:
        """LSOA → ward → LAD lookup of the dataset."""
        return self.dataset.lookup()

    @cached_property
    def lsoa_population(self) -> pd.Series:
        """Residents per LSOA (all ages, both sexes)."""
        return self.dataset.residents()

    def lad_codes(self, code: str) -> list[str]:
        """The local-authority codes an area is made of."""
        return [a.code for a in self.registry.members(code)]

    def forces(self, code: str) -> list[str]:
        """The police.uk force slugs that police an area (its local authorities' forces)."""
        found: set[str] = set()
        for lad in self.lad_codes(code):
            found.update(self.registry.forces(lad))
        return sorted(found)

    def lsoas(self, code: str) -> list[str]:
        """LSOA codes lying in an area (any type), from the dataset's lookup."""
        lads = set(self.lad_codes(code))
        found = self.lookup.loc[self.lookup["lad_code"].isin(lads), "lsoa_code"]
        if found.empty:
            raise MissingDataError(
                f"The data has no LSOAs for {self.registry.get(code).label}: "
                "its lookup or boundaries do not cover this area."
            )
        return sorted(found.astype(str).unique())

    def population(self, code: str) -> float:
        """Resident population of an area, summed over its LSOAs."""
        codes = self.lsoas(code)
        covered = self.lsoa_population.reindex(codes)
        if covered.isna().all():
            raise MissingDataError(f"The data has no population for {self.registry.get(code).label}")
        return float(covered.sum())

    def area_population(self, code: str) -> float | None:
        """Residents of a whole area from area-level rows, for comparators the LSOA data does not cover.

        The area's own row of the population table (an ONS mid-year estimate's
        region or country row) if present; else the sum of its local authorities'
        rows when every one has a row; else the sum of its LSOAs when the data
        covers the area whole; else ``None`` (a partial sum would be wrong).
        England for a real area counts the real authorities only.
        """
        table = self.lsoa_population
        if code in table.index:
            return float(table[code])
        lads = [a.code for a in self.registry.members(code) if self.area.is_demo or not a.is_demo]
        if lads and all(lad in table.index for lad in lads):
            return float(table.reindex(lads).sum())
        if self.covers(code):
            try:
                return self.population(code)
            except MissingDataError:
                return None
        return None

    def covers(self, code: str) -> bool:
        """Whether the data holds LSOAs for every local authority of an area.

        A comparator is only computed from the data when it is covered whole: a
        region rate from two of its 33 boroughs would be wrong, not approximate.
        """
        present = set(self.lookup["lad_code"].dropna().astype(str))
        return all(lad in present for lad in self.lad_codes(code))

    def areas_shown(self) -> list[Area]:
        """The area followed by the comparators the data covers whole."""
        return [self.area] + [c for c in self.comparators if self.covers(c.code)]

    # editions -----------------------------------------------------------------
    @property
    def as_of(self) -> pd.Period | None:
        """The edition built (data published by the end of this month), or None for all the data held."""
        return editions.parse_month(self.config.as_of, "[build] as_of") if self.config.as_of else None

    @property
    def edition_month(self) -> pd.Period:
        """The month of this edition: ``as_of``, or the current month when all the data held is used."""
        return self.as_of if self.as_of is not None else pd.Period(pd.Timestamp.now(), freq="M")

    @property
    def earlier_month(self) -> pd.Period:
        """The month of the edition "Since the last assessment" compares with (``since``, else
        ``previous_years`` before this edition)."""
        if self.config.since:
            return editions.parse_month(self.config.since, "[assessment] since")
        return editions.earlier_edition(self.edition_month, self.config.previous_years)

    @cached_property
    def earlier(self) -> ChapterContext:
        """The same area and settings as the earlier edition: only the data published by :attr:`earlier_month`.

        Raises :class:`~cdp_analysis.errors.ConfigError` when that month is not before this edition.
        """
        month = self.earlier_month
        if month >= self.edition_month:
            raise ConfigError(f"the earlier edition ({editions.month_label(month)}) must come before the one "
                              f"built ({editions.month_label(self.edition_month)}): set an earlier --since")
        config = replace(self.config, as_of=str(month), since="")
        dataset = self.dataset.edition(month)
        return ChapterContext(area=self.area, registry=self.registry, dataset=dataset, config=config,
                              comparators=list(self.comparators))

    def edition_note(self) -> str:
        """The sentence a page opens with when it is an edition: which one, and the data it holds."""
        if self.as_of is None:
            return ""
        held = editions.latest_held(self.dataset)
        listed = "; ".join(f"{what} to {last}" for what, last in held) if held else "none of the dated sources"
        return (f"Edition as of {editions.month_label(self.as_of)}: data published up to the end of "
                f"{editions.month_label(self.as_of)} ({listed}). {editions.UNDATED_NOTE}")


def residents(population: pd.DataFrame) -> pd.Series:
    """All residents per area from a long population table.

    Uses the ``Persons`` rows where the table has them (files that give persons
    and each sex would otherwise count everyone twice), else sums the sexes.
    """
    sexes = set(population["sex"].dropna().astype(str)) if "sex" in population else set()
    rows = population[population["sex"] == "Persons"] if "Persons" in sexes else population
    return rows.groupby("area_code", observed=True)["population"].sum()


def load_context(
    area_code: str,
    *,
    data_dir: str | Path = "",
    processed_dir: str | Path = "",
    config: Config | None = None,
    as_of: str = "",
    since: str = "",
) -> ChapterContext:
    """Validate ``area_code``, make sure its data is prepared, and return the context.

    ``data_dir`` is the raw source folder; empty means the configured one (the
    generated demo folder for demo areas: ``cdp build`` and ``cdp demo`` generate it, the
    package never does, as the demo generator is no part of it).

    ``as_of`` (``YYYY-MM``) builds the edition of that month: only the data published by
    then (:mod:`cdp_analysis.store.editions`); ``since`` the month of the earlier edition
    "Since the last assessment" compares with. Empty keeps the configuration's
    (``[build] as_of``, ``[assessment] since``).
    """
    from cdp_analysis.store.dataset import open_dataset  # heavy imports only when used

    config = config or load_config()
    if as_of:
        config = replace(config, as_of=str(editions.parse_month(as_of)))
    if since:
        config = replace(config, since=str(editions.parse_month(since, "--since")))
    registry = configured_groups(AreaRegistry.load(config.raw_dir), config)
    area = registry.get(area_code)
    source = Path(data_dir).expanduser().resolve() if data_dir else default_source(area, config)
    processed_root = Path(processed_dir).expanduser().resolve() if processed_dir else config.processed_dir
    dataset = _quietly(open_dataset, source, processed_root, progress=False, as_of=config.as_of or None)
    return ChapterContext(
        area=area, registry=registry, dataset=dataset, config=config,
        comparators=registry.comparators(area.code),
    )


def configured_groups(registry: AreaRegistry, config: Config) -> AreaRegistry:
    """The registry with the comparator groups of the configuration's ``[neighbours]`` section
    (a ``file`` of ``area_code, neighbour_code`` rows, then ``comparators`` listed in the file itself,
    which win for an area in both); unchanged without one.

    Raises
    ------
    ConfigError
        The group file is missing or malformed (naming its row and column), or a code is not one
        the registry holds (naming the setting, the area and the code, with the nearest codes).
    """
    where = str(config.source_file or "the configuration")
    name = config.neighbour_group or "its comparator group"
    out = registry
    if config.neighbour_file is not None:
        out = out.with_groups(read_group_file(config.neighbour_file), name=name,
                              where=f"{config.neighbour_file} (set by {where} [neighbours] file)")
    if config.neighbour_comparators:
        out = out.with_groups(dict(config.neighbour_comparators), name=name,
                              where=f"{where} [neighbours] comparators")
    return out


def read_group_file(path: Path) -> dict[str, list[str]]:
    """Each area's comparator codes, in file order, from a CSV with the columns ``area_code`` and
    ``neighbour_code`` (one row per pair, e.g. CIPFA's nearest neighbours, nearest first)."""
    import csv

    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"Cannot read the neighbour group file {path} ([neighbours] file): "
                          f"{exc.strerror or exc}") from exc
    reader = csv.DictReader(text.splitlines())
    missing = {"area_code", "neighbour_code"} - set(reader.fieldnames or [])
    if missing:
        raise ConfigError(f"{path}: the neighbour group file needs the columns area_code and neighbour_code; "
                          f"it lacks {', '.join(sorted(missing))} (its header: {', '.join(reader.fieldnames or [])})")
    groups: dict[str, list[str]] = {}
    for line, row in enumerate(reader, start=2):
        for column in ("area_code", "neighbour_code"):
            if not (row.get(column) or "").strip():
                raise ConfigError(f"{path}, row {line}, column {column}: empty (each row pairs an area with one "
                                  "of its comparators)")
        groups.setdefault(row["area_code"].strip(), []).append(row["neighbour_code"].strip())
    if not groups:
        raise ConfigError(f"{path}: the neighbour group file holds no rows")
    return groups


def _quietly(function, *args, **kwargs):
    """Run ``function`` with the package's log warnings held back (a chapter states gaps itself)."""
    package_log = logging.getLogger("cdp_analysis")
    level = package_log.level
    package_log.setLevel(logging.ERROR)
    try:
        return function(*args, **kwargs)
    finally:
        package_log.setLevel(level)
