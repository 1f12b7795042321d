"""The insights computed in Python outside dbt.

- Churn risk: the `customer_churn_risk` asset, trained and scored on every refresh after the
  marts from `intermediate.int_customer_churn_features` (nyckeltal.insights.churn_risk; the
  model itself is nyckeltal.churn_model, shared with the dbt Python model
  `int_customer_risk_bands_monthly`).
- The forecast tables on engines without dbt Python models: the `foresight_tables` asset,
  between the dbt build of the scorecard and the one of the forecast marts
  (nyckeltal.insights.foresight; orchestration.defs.dbt.dbt_steps).
"""

from typing import Any

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from nyckeltal.insights.churn_risk import FEATURES_RELATION, refresh_churn_risk
from nyckeltal.insights.foresight import INPUTS, refresh_foresight_tables
from nyckeltal.progress import stage
from orchestration.resources import NyckeltalResource, retry_only_transient, stop_when_interrupted

CHURN_RISK_KEY = AssetKey(["marts", "customer_churn_risk"])
FORESIGHT_KEY = AssetKey(["intermediate", "foresight_tables"])


def build_churn_risk_asset(features_key: AssetKey | None = None) -> Any:
    """The `customer_churn_risk` asset: after the dbt build (it depends on
    int_customer_churn_features), before the publication (add its key to published_marts'
    deps so that the scores are published with the marts)."""
    key = features_key or AssetKey(["intermediate", "int_customer_churn_features"])

    @asset(
        key=CHURN_RISK_KEY,
        deps=[key],
        group_name="insights",
        kinds={"python", "scikit-learn", "duckdb"},
        description="For each active customer, the probability of churning within the month "
        "(nyckeltal/churn_model.py): a logistic regression trained on the months before, "
        "with its risk band and top factors in words; not_enough_history until the warehouse "
        "has enough churn history. Also writes marts.customer_churn_backtest.",
    )
    def customer_churn_risk(
        context: AssetExecutionContext, nyckeltal: NyckeltalResource
    ) -> MaterializeResult:
        with (
            stop_when_interrupted(),
            retry_only_transient(nyckeltal.warehouse_path()),
            stage("churn risk") as progress,
        ):
            scores = refresh_churn_risk(nyckeltal.warehouse_path())
            if scores is None:
                progress.detail = "no features model: skipped"
                context.log.warning(f"no {FEATURES_RELATION}: churn risk not scored")
                return MaterializeResult(metadata={"scored_customers": 0})
            progress.detail = f"{len(scores.frame)} customers as of {scores.as_of_month}" + (
                "" if scores.enough_history else f" (not enough history: {scores.reason})"
            )
        metrics = {
            name: value
            for name, value in scores.backtest.items()
            if isinstance(value, int | float) and not isinstance(value, bool)
        }
        return MaterializeResult(
            metadata={
                "as_of_month": scores.as_of_month.isoformat(),
                "scored_customers": len(scores.frame),
                "enough_history": scores.enough_history,
                "reason": scores.reason or "",
                "trained_on_months": scores.trained_on_months,
                "training_rows": scores.training_rows,
                "backtest": MetadataValue.json(scores.backtest),
                **{f"backtest_{name}": float(value) for name, value in metrics.items()},
            }
        )

    return customer_churn_risk


def build_foresight_asset() -> Any:
    """The `foresight_tables` asset: the forecast selection, paths and target outlook written
    into the engine (schema intermediate) from its scorecard; dbt's forecast marts read them
    (they depend on this asset: orchestration.defs.dbt.NyckeltalDbtTranslator)."""

    @asset(
        key=FORESIGHT_KEY,
        deps=[AssetKey([schema, table]) for schema, table in INPUTS],
        group_name="insights",
        kinds={"python", "statsforecast"},
        description="The KPI forecasts and target outlook computed from marts.kpi_scorecard "
        "with the code of the dbt Python models of DuckDB (nyckeltal/insights), written as "
        "intermediate.int_kpi_forecast_selection, int_kpi_forecast_paths and "
        "int_kpi_target_outlook_computed for marts.kpi_forecasts and kpi_target_outlook.",
    )
    def foresight_tables(
        context: AssetExecutionContext, nyckeltal: NyckeltalResource
    ) -> MaterializeResult:
        run = nyckeltal.run_context()
        with (
            stop_when_interrupted(),
            retry_only_transient(nyckeltal.warehouse_path()),
            stage("forecasts") as progress,
        ):
            tables = refresh_foresight_tables(run.engine, run.warehouse, context.log.info)
            progress.detail = ", ".join(f"{name} {rows}" for name, rows in tables.rows.items())
        return MaterializeResult(
            metadata={
                **{f"{name}_rows": rows for name, rows in tables.rows.items()},
                "compute_seconds": round(tables.seconds, 1),
            }
        )

    return foresight_tables
