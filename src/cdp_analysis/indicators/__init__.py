"""Indicators: pure functions from tables to indicator frames (no HTML, no words)."""
