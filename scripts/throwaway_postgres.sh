#!/usr/bin/env bash
# A throw-away PostgreSQL for the tests: `source scripts/throwaway_postgres.sh` initialises a
# cluster in a temporary folder (trust auth, as the postgres user when run as root: initdb
# refuses root), starts it on a free 127.0.0.1 port, exports COMMENTARY_MONITOR_TEST_PG, and
# registers a trap that stops it and removes the folder however the caller exits.
# Without PostgreSQL binaries it exports nothing: the PostgreSQL tests then skip, saying why.
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
    echo "no PostgreSQL binaries found: the PostgreSQL tests will skip" >&2
    return 0 2>/dev/null || exit 0
fi
PG_DIR="$(mktemp -d /tmp/cm-pg.XXXXXX)"
PG_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U monitor >"$PG_DIR/initdb.log" 2>&1
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/data/server.log" -o "-p $PG_PORT -k $PG_DIR/data -h 127.0.0.1" -w start >/dev/null
stop_postgres() {
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
}
trap stop_postgres EXIT
export COMMENTARY_MONITOR_TEST_PG="host=127.0.0.1 port=$PG_PORT user=monitor dbname=postgres"
