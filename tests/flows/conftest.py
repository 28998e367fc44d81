import pytest
from prefect.testing.utilities import prefect_test_harness


@pytest.fixture(autouse=True, scope="session")
def prefect_harness():
    # One temporary Prefect API and database for all flow tests (~7 s to start).
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(params=["duckdb", "ducklake"])
def backend(request):
    """The warehouse backend a flow test runs on: the DuckDB file, then a DuckLake (SQLite
    catalog); pass it to ``write_config(..., backend=backend)``."""
    return request.param
