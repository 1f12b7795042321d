"""The Dagster code location of Nyckeltal: the daily refresh as assets, checks and a schedule.

A thin shell over the library nyckeltal/: `defs/` holds the assets, checks and sensors by
concern; `resources` (configuration, the warehouse and dbt resources, the dbt manifest),
`jobs` (the one daily job), `schedules`, `refresh` (running the job in process: what
`nyckeltal run` launches), `run_failures` (why a run failed, in words) and `definitions`
(what `dagster dev` loads).
"""
