"""Foresight insights (docs/insights.md): KPI forecasts and the target outlook.

Plain functions on pandas frames, no warehouse and no Dagster: the dbt Python models
`kpi_forecasts` and `kpi_target_outlook` (models/insights) call them.
"""
