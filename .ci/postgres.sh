#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 cluster for the outcome-store tests (run as root, idempotent).
#
#   export RISK_TEST_POSTGRES_URL="$(bash .ci/postgres.sh)"
#
# Installs Debian's postgresql-15 without starting the default "main" cluster, creates a
# cluster "ci" on 127.0.0.1:5433 with trust authentication, starts it, creates the database
# risk_test and prints its SQLAlchemy URL on stdout (progress goes to stderr).
set -euo pipefail

VERSION=15
CLUSTER=ci
PORT=5433
DATABASE=risk_test
URL="postgresql+psycopg://postgres@127.0.0.1:${PORT}/${DATABASE}"

log() { echo "postgres.sh: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
    log "run me as root (I install packages and create a cluster)"
    exit 1
fi

# 1. Install the server without letting the package start the default cluster.
installed=0
if [ ! -x "/usr/lib/postgresql/${VERSION}/bin/postgres" ]; then
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\n# installed by .ci/postgres.sh: do not start services during apt-get\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        trap 'rm -f "$policy"' EXIT
    fi
    log "installing postgresql-${VERSION}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "postgresql-${VERSION}" >&2
    installed=1
fi

# 2. The "ci" cluster: trust auth, loopback only (the value must be quoted, see STACK-NOTES).
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "${VERSION} ${CLUSTER}"; then
    log "creating cluster ${VERSION}/${CLUSTER} on port ${PORT}"
    pg_createcluster "$VERSION" "$CLUSTER" -p "$PORT" -- --auth-local=trust --auth-host=trust >&2
fi
conf_d="/etc/postgresql/${VERSION}/${CLUSTER}/conf.d"
mkdir -p "$conf_d"
cat >"${conf_d}/listen.conf" <<CONF
# written by .ci/postgres.sh
listen_addresses = '127.0.0.1'
port = ${PORT}
CONF

# 3. Start it (a no-op when it already runs) and wait until it accepts connections. A server
#    left running from before a reinstall is restarted: its old binary cannot load new modules.
if [ "$installed" = 1 ] && pg_lsclusters -h | awk -v c="$CLUSTER" '$2 == c {print $4}' | grep -q '^online'; then
    log "restarting cluster ${VERSION}/${CLUSTER} on the newly installed binaries"
    pg_ctlcluster "$VERSION" "$CLUSTER" restart >&2
fi
if ! pg_lsclusters -h | awk -v c="$CLUSTER" '$2 == c {print $4}' | grep -q '^online'; then
    log "starting cluster ${VERSION}/${CLUSTER}"
    pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi
for _ in $(seq 1 50); do
    pg_isready -q -h 127.0.0.1 -p "$PORT" && break
    sleep 0.2
done
pg_isready -h 127.0.0.1 -p "$PORT" >&2

# 4. The test database.
psql_ci() { psql -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql_ci -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '${DATABASE}'")" != "1" ]; then
    log "creating database ${DATABASE}"
    psql_ci -d postgres -c "CREATE DATABASE ${DATABASE}"
fi

log "ready; export RISK_TEST_POSTGRES_URL=${URL}"
echo "$URL"
