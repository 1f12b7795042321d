"""Ingest: pull a vendor's public API into the landing schema with dlt (`nyckeltal ingest`).

One module per vendor (`stripe`); each takes its settings as an `IngestConfig` built at the
edge (the CLI, the Dagster resource) and writes dlt's layout, which the vendor's `:dlt`
mapping (models/sources/<vendor>/dlt) reads. docs/sources.md "Ingest with dlt".
"""
