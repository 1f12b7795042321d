"""Independent reference implementations of kpis.md (plain Python + pandas)."""
