"""Nyckeltal: KPI marts from CRM, billing, HR and marketing data.

The version is pyproject.toml's alone: `importlib.metadata.version("nyckeltal")` reads it.
"""
