"""Prefect's temporary API server for one command (see :class:`.prefect_server.TemporaryAPI`):
what Prefect itself runs (uvicorn serving ``prefect.server.api.server:create_app``), with the
server's modules imported with the garbage collector off and then frozen out of its reach, as
the command does with Prefect's client (``cli._import_for_flows``): FastAPI, SQLAlchemy and
Prefect leave a few hundred thousand long-lived objects that every full collection during the
import would walk again. It lives as long as the command.

    python -m commentary_monitor.runs.temporary_api PORT
"""

import gc
import logging
import sys


def main(port: int) -> None:
    gc.disable()
    try:
        import uvicorn
        from prefect.server.api.server import create_app
    finally:
        gc.freeze()
        gc.enable()
    # Stopped while a request is in flight (the command is stopping on a signal), the server's
    # database pool logs the cancelled rollback with a traceback on the user's terminal: noise
    # about a server that is going away, never about the run.
    logging.getLogger("sqlalchemy.pool").setLevel(logging.CRITICAL)
    # exits with code 3 when the port is taken, as Prefect's own command does
    uvicorn.run(create_app, factory=True, host="127.0.0.1", port=port, log_level="error", lifespan="on")


if __name__ == "__main__":
    main(int(sys.argv[1]))
