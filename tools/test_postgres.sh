#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tallycheck's database tests, used by .ci/run and by developers:
#
#   tools/test_postgres.sh start   # make (once) and start the cluster; prints the test URL on its last line
#   tools/test_postgres.sh url     # the URL to export as TALLYCHECK_TEST_POSTGRES (fails if not running)
#   tools/test_postgres.sh stop    # stop it and delete its folder
#
#   export TALLYCHECK_TEST_POSTGRES=$(tools/test_postgres.sh start | tail -1)
#
# The cluster lives in its own folder (TALLYCHECK_PG_DIR, default /tmp/tallycheck-pg-PORT) and listens on
# 127.0.0.1:PORT only (TALLYCHECK_PG_PORT, default 55432), so it never touches a system cluster already running on
# 5432. Authentication is `trust` on loopback: a test cluster holding test data, never a deployment. It runs
# without fsync (nothing in it must survive a power cut). As root (CI) the server runs as the `postgres` user that
# Debian's package creates, since PostgreSQL refuses to run as root. Binaries: TALLYCHECK_PG_BIN, else the newest
# /usr/lib/postgresql/*/bin (Debian), else initdb on PATH.
set -euo pipefail

PORT=${TALLYCHECK_PG_PORT:-55432}
DIR=${TALLYCHECK_PG_DIR:-${TMPDIR:-/tmp}/tallycheck-pg-$PORT}
DATA=$DIR/data
ROLE=tallycheck
DATABASE=tallycheck_test
URL="postgresql://$ROLE@127.0.0.1:$PORT/$DATABASE"

die() { echo "test_postgres.sh: $*" >&2; exit 1; }

bindir() {
    if [ -n "${TALLYCHECK_PG_BIN:-}" ]; then echo "$TALLYCHECK_PG_BIN"; return; fi
    local newest
    newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [ -n "$newest" ] && [ -x "$newest/initdb" ]; then echo "$newest"; return; fi
    if command -v initdb >/dev/null; then dirname "$(command -v initdb)"; return; fi
    die "no PostgreSQL server binaries (install Debian's postgresql package, or set TALLYCHECK_PG_BIN)"
}

BIN=$(bindir)

# Run a command as the cluster's owner: `postgres` when we are root, ourselves otherwise.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || die "running as root needs the postgres user (Debian's postgresql package)"
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

running() { [ -f "$DATA/PG_VERSION" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

psql_admin() { as_owner "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres -d postgres "$@"; }

start() {
    if ! [ -f "$DATA/PG_VERSION" ]; then
        mkdir -p "$DIR"
        chmod 700 "$DIR"
        [ "$(id -u)" -eq 0 ] && chown postgres: "$DIR"
        as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C >"$DIR/initdb.log" 2>&1 \
            || { cat "$DIR/initdb.log" >&2; die "initdb failed in $DATA"; }
    fi
    if ! running; then
        # The socket goes in the cluster's own folder: several clusters (other ports, other users) never meet.
        as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 60 \
            -o "-k $DIR -p $PORT -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
-c full_page_writes=off -c max_connections=200" start >/dev/null \
            || { tail -20 "$DIR/server.log" >&2; die "the server did not start on 127.0.0.1:$PORT (port in use?)"; }
    fi
    # CREATEDB: a test may make databases of its own. Both steps are idempotent, for a restarted cluster.
    psql_admin -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
                   CREATE ROLE $ROLE LOGIN CREATEDB; END IF; END \$\$;"
    if [ -z "$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" ]; then
        psql_admin -c "CREATE DATABASE $DATABASE OWNER $ROLE"
    fi
    echo "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') running in $DATA on 127.0.0.1:$PORT" >&2
    echo "$URL"
}

stop() {
    if running; then
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    fi
    rm -rf "$DIR"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) running || die "no test cluster running in $DATA (tools/test_postgres.sh start)"; echo "$URL" ;;
    *) die "usage: tools/test_postgres.sh start|stop|url" ;;
esac
