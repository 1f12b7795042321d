"""The code location's definitions by concern, each asset a few lines calling nyckeltal/:
`sources` (the raw tables, their freshness), `dbt` (every model and seed), `quality` (the
Great Expectations checks), `insights` (churn risk), `publish` (the published marts),
`report` (the static KPI report) and `alerts` (the KPI digest, the run-failure sensor)."""
