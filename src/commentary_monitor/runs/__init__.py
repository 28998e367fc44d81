"""Running: the ingest pipeline, extraction worker processes, Prefect's API server and run status."""
