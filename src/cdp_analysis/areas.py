"""The area registry: which areas exist, what they are, and whom they compare with.

Areas are identified by GSS codes (``E09000003`` for Barnet). The built-in table
(``resources/areas.csv``) knows England, the nine English regions, the 33 London
boroughs and the fictional demo region. Demo codes start with ``Z``, a letter ONS
never issues, so they cannot clash with a real code.

Users add or override areas with ``areas.csv`` or ``areas.yaml`` in ``data/raw/``
(same columns as the built-in table; ``members`` and ``comparators`` are
``;``-separated codes).

Examples
--------
>>> reg = AreaRegistry.builtin()
>>> reg.get("E09000003").name
'Barnet'
>>> [a.code for a in reg.comparators("E09000003")]
['E12000007', 'E92000001']
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import yaml

from cdp_analysis.errors import ConfigError, DataFormatError, UnknownAreaError

__all__ = ["Area", "AreaRegistry", "AREA_TYPES", "DEMO_PREFIX", "is_demo_code"]

AREA_TYPES = ("country", "region", "utla", "lad", "cdp")
DEMO_PREFIX = "Z"
_COLUMNS = ("code", "name", "type", "parent", "members", "comparators")


def is_demo_code(code: str) -> bool:
    """True for codes of the synthetic demo region (ONS never issues a ``Z`` prefix)."""
    return code.startswith(DEMO_PREFIX)


@dataclass(frozen=True)
class Area:
    """One area: a GSS code, a name, a type, a parent and optional members.

    ``members`` lists the local authorities a CDP is made of (empty for a single
    LA). ``comparators`` overrides the default comparators (parent chain).
    """

    code: str
    name: str
    type: str
    parent: str | None = None
    members: tuple[str, ...] = ()
    comparators: tuple[str, ...] = field(default=())

    @property
    def is_demo(self) -> bool:
        """Whether the area belongs to the synthetic demo region."""
        return is_demo_code(self.code)

    @property
    def label(self) -> str:
        """Name and code, as shown in reports: ``Barnet (E09000003)``."""
        return f"{self.name} ({self.code})"


class AreaRegistry:
    """A lookup of :class:`Area` by code, with parents, members and comparators."""

    def __init__(self, areas: Iterable[Area]) -> None:
        self._areas: dict[str, Area] = {}
        for area in areas:
            self._areas[area.code] = area
        self._check_references()

    # construction ---------------------------------------------------------
    @classmethod
    def builtin(cls) -> AreaRegistry:
        """The registry shipped with the package."""
        text = resources.files("cdp_analysis.resources").joinpath("areas.csv").read_text("utf-8")
        return cls(_parse_rows(csv.DictReader(text.splitlines()), "areas.csv (built in)"))

    @classmethod
    def load(cls, raw_dir: str | Path | None = None) -> AreaRegistry:
        """The built-in registry plus ``areas.csv``/``areas.yaml`` found in ``raw_dir``."""
        areas = {a.code: a for a in cls.builtin()}
        if raw_dir is not None:
            for extra in _user_area_files(Path(raw_dir)):
                for area in _read_user_file(extra):
                    areas[area.code] = area
        return cls(areas.values())

    # queries ----------------------------------------------------------------
    def __iter__(self) -> Iterator[Area]:
        return iter(self._areas.values())

    def __len__(self) -> int:
        return len(self._areas)

    def __contains__(self, code: object) -> bool:
        return code in self._areas

    def get(self, code_or_name: str) -> Area:
        """The area with this code (or exact name); :class:`UnknownAreaError` otherwise."""
        key = code_or_name.strip()
        if key in self._areas:
            return self._areas[key]
        by_name = {a.name.casefold(): a for a in self._areas.values()}
        if key.casefold() in by_name:
            return by_name[key.casefold()]
        known = list(self._areas) + [a.name for a in self._areas.values()]
        raise UnknownAreaError(key, known, hint="Run `cdp areas` to list the known areas.")

    def parent(self, code: str) -> Area | None:
        """The parent area, or None for England."""
        parent = self.get(code).parent
        return self._areas[parent] if parent else None

    def members(self, code: str) -> list[Area]:
        """The local authorities an area is made of (itself for a single LA)."""
        area = self.get(code)
        if area.members:
            return [self._areas[m] for m in area.members]
        if area.type in ("region", "country"):
            return self.children(code, types=("utla", "lad"), recursive=True)
        return [area]

    def children(
        self, code: str, types: tuple[str, ...] | None = None, recursive: bool = False
    ) -> list[Area]:
        """Areas whose parent is ``code`` (all descendants when ``recursive``)."""
        found = []
        for area in self._areas.values():
            if area.parent == code:
                if types is None or area.type in types:
                    found.append(area)
                if recursive:
                    found.extend(self.children(area.code, types, recursive=True))
        return found

    def comparators(self, code: str) -> list[Area]:
        """Areas to compare with: explicit comparators, else the parent chain up to England."""
        area = self.get(code)
        if area.comparators:
            return [self._areas[c] for c in area.comparators]
        chain, parent = [], self.parent(code)
        while parent is not None:
            chain.append(parent)
            parent = self.parent(parent.code)
        return chain

    def region_of(self, code: str) -> Area | None:
        """The region an area lies in (itself for a region), or None."""
        area: Area | None = self.get(code)
        while area is not None and area.type != "region":
            area = self.parent(area.code)
        return area

    def of_type(self, *types: str, demo: bool | None = None) -> list[Area]:
        """All areas of the given types (optionally only demo or only real ones)."""
        return [
            a
            for a in self._areas.values()
            if a.type in types and (demo is None or a.is_demo == demo)
        ]

    def _check_references(self) -> None:
        for area in self._areas.values():
            for ref in (area.parent, *area.members, *area.comparators):
                if ref and ref not in self._areas:
                    raise ConfigError(f"Area {area.code} refers to unknown area {ref!r}")


# parsing ----------------------------------------------------------------------
def _split(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(p.strip() for p in str(value).split(";") if p.strip())


def _parse_rows(rows: Iterable[dict], source: str) -> list[Area]:
    areas = []
    for line, row in enumerate(rows, start=2):
        missing = [c for c in ("code", "name", "type") if not str(row.get(c) or "").strip()]
        if missing:
            raise DataFormatError(
                "area definition incomplete", path=source, line=line, column=missing[0],
                expected="a value", found="nothing",
            )
        kind = str(row["type"]).strip()
        if kind not in AREA_TYPES:
            raise DataFormatError(
                "unknown area type", path=source, line=line, column="type",
                expected=" or ".join(AREA_TYPES), found=repr(kind),
            )
        areas.append(
            Area(
                code=str(row["code"]).strip(),
                name=str(row["name"]).strip(),
                type=kind,
                parent=(str(row.get("parent") or "").strip() or None),
                members=_split(row.get("members")),
                comparators=_split(row.get("comparators")),
            )
        )
    return areas


def _user_area_files(raw_dir: Path) -> list[Path]:
    names = ("areas.csv", "areas.yaml", "areas.yml")
    return [raw_dir / n for n in names if (raw_dir / n).is_file()]


def _read_user_file(path: Path) -> list[Area]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            unknown = set(reader.fieldnames or ()) - set(_COLUMNS)
            if unknown:
                raise DataFormatError(
                    "unexpected column", path=path, line=1, column=sorted(unknown)[0],
                    expected=", ".join(_COLUMNS),
                )
            return _parse_rows(list(reader), str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DataFormatError(f"not valid YAML: {exc}", path=path) from exc
    rows = data.get("areas", data) if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise DataFormatError("expected a list of areas under 'areas:'", path=path)
    return _parse_rows(rows, str(path))


def with_members(area: Area, members: Iterable[str]) -> Area:
    """A copy of ``area`` made of the given member codes."""
    return replace(area, members=tuple(members))
