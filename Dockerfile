# Nyckeltal on a schedule, in one container: the Dagster daemon runs the daily refresh
# (`daily_refresh_schedule`) and the failure-alert sensor; the Dagster UI listens on port
# 3000. The warehouse, the published marts, the alerts and Dagster's run history live in the
# volume mounted at /app/warehouse. See docs/deployment.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The core dependencies, pinned (the extras are not needed to run the schedule).
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .
RUN pip install --no-deps -e . && mkdir -p /app/warehouse/dagster

ENV DAGSTER_HOME=/app/warehouse/dagster \
    NYCKELTAL_WAREHOUSE=/app/warehouse/nyckeltal.duckdb
VOLUME ["/app/warehouse"]
EXPOSE 3000

# The daemon (schedules, sensors, run queue) in the background, the UI in the foreground; both
# load the code location named in pyproject.toml ([tool.dagster]).
CMD ["sh", "-c", "mkdir -p \"$DAGSTER_HOME\" && dagster-daemon run & exec dagster-webserver --host 0.0.0.0 --port 3000"]
