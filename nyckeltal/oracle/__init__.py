"""Independent reference implementations of docs/kpis.md (plain Python + pandas)."""
