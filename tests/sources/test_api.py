"""sources/api.py lists every reader: each public ``read_*`` of each source module, the same object."""

from __future__ import annotations

import importlib
from pathlib import Path

import cdp_analysis.sources as sources_package
from cdp_analysis.sources import api

SOURCES = sorted(p.stem for p in Path(sources_package.__file__).parent.glob("*.py")
                 if not p.stem.startswith("_") and p.stem not in ("api", "schema"))


def test_every_public_reader_is_listed_once():
    expected = {}
    for name in SOURCES:
        module = importlib.import_module(f"cdp_analysis.sources.{name}")
        for attr in getattr(module, "__all__", ()):
            if attr.startswith("read_"):
                expected[attr] = getattr(module, attr)
    assert len(api.__all__) == len(set(api.__all__))
    assert sorted(api.__all__) == sorted(expected)
    for attr, reader in expected.items():
        assert getattr(api, attr) is reader, attr
    assert len(SOURCES) >= 12  # the test sees the source modules (police_uk, ndtms, ...)
