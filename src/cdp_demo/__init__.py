"""The synthetic demo region, written in the real sources' published formats.

Its own package, outside the core: nothing in ``cdp_analysis`` imports it except the
``cdp demo`` command (cdp_analysis/cli.py). ``cdp_demo.region.generate_demo`` writes it."""
