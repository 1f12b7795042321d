"""The risk band each customer had at the start of each recent month (docs/insights.md).

One row per month M (the latest `risk_band_months` months of int_customer_churn_features) and
customer active at the start of M, scored by the churn-risk model trained on the months before
M only: nyckeltal.churn_model, the implementation the customer_churn_risk asset uses. Months
without enough history have no rows. A dbt Python model: DuckDB only (dbt-duckdb runs it in
the dbt process); disabled on the other engines.
"""

from nyckeltal.churn_model import RISK_BAND_MONTHS, risk_bands_by_month


def model(dbt, session):
    dbt.config(materialized="table")
    months = int(dbt.config.get("risk_band_months") or RISK_BAND_MONTHS)
    features = dbt.ref("int_customer_churn_features").df()
    bands = risk_bands_by_month(features, months=months)
    return session.from_df(bands).project(
        "cast(month_start as date) as month_start, "
        "cast(customer_id as varchar) as customer_id, "
        "cast(churn_probability as double) as churn_probability, "
        "cast(risk_band as varchar) as risk_band"
    )
