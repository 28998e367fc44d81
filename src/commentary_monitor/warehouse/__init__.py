"""The warehouse: DuckDB (or DuckLake) storage, migrations, staging and full-text search."""
