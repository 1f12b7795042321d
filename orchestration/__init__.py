"""The Dagster code location of Nyckeltal: the daily refresh as assets, checks and a schedule.

Modules: `resources` (configuration from the environment, the warehouse and dbt resources,
the dbt manifest), `assets` (raw tables, dbt models, the published marts, KPI alerts),
`checks` (Great Expectations and freshness checks), `alerts` (pure alert rules and their
sinks), `jobs` (the daily job and `run_daily_refresh`, the in-process entry point of
`nyckeltal run`), `schedules` and `definitions` (what `dagster dev` loads).
"""
