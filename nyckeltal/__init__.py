"""Nyckeltal: KPI marts from CRM, billing, HR and marketing data."""

__version__ = "0.1.0"
