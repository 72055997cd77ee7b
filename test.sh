#!/usr/bin/env bash
# Runs every Tandem test: builds with warnings as errors, starts a throw-away PostgreSQL 15 for the storage
# suite and a throw-away Redis for the limit-store tests (installing both from apt when missing and running as
# root; Redis on TANDEM_TEST_REDISPORT, default 56379, exported as TANDEM_TEST_REDIS), packs the Tandem.Extensions.AI packages into a
# folder feed for the example tests, runs the xunit suites and prints "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

PGBIN=/usr/lib/postgresql/15/bin
if { [ ! -x "$PGBIN/initdb" ] || ! command -v redis-server >/dev/null; } && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing PostgreSQL 15 and Redis from apt..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql redis-server) >/dev/null 2>&1 \
    || echo "warning: could not install postgresql/redis-server; PostgreSQL and Redis tests will fail"
fi

# kubectl renders the Kubernetes manifests (deploy/k8s) in a test; Debian 12 has no helm package, so the Helm chart's
# values are checked without a `helm template` run (test/Tandem.FunctionalTests/Deployment).
if ! command -v kubectl >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubectl) >/dev/null 2>&1 \
    || echo "note: kubectl is not installable here; the kustomize rendering test is skipped"
fi

PGDATA=""
REDISDIR=""
stop_pg() {
  if [ -n "$REDISDIR" ] && [ -f "$REDISDIR/redis.pid" ]; then
    kill "$(cat "$REDISDIR/redis.pid")" 2>/dev/null || true
  fi
  [ -n "$REDISDIR" ] && rm -rf "$REDISDIR"
  if [ -n "$PGDATA" ] && [ -f "$PGDATA/postmaster.pid" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
  [ -n "$PGDATA" ] && rm -rf "$PGDATA"
  [ -n "${PACKAGES:-}" ] && rm -rf "$PACKAGES"
}
trap stop_pg EXIT

if [ -x "$PGBIN/initdb" ] && [ -z "${TANDEM_TEST_POSTGRES:-}" ]; then
  PGPORT=${TANDEM_TEST_PGPORT:-55432}
  PGDATA=$(mktemp -d /tmp/tandem-pg.XXXXXX)
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$PGDATA"
    RUN="runuser -u postgres --"
  else
    RUN=""
  fi
  $RUN "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  # A busy machine can make a start time out, and a port can be taken: try a few times, then say so plainly.
  started=""
  for attempt in 1 2 3; do
    if $RUN "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 \
      -o "-p $PGPORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null; then
      started=yes
      break
    fi
    echo "PostgreSQL did not start on port $PGPORT (attempt $attempt); server log:"
    tail -5 "$PGDATA/server.log" 2>/dev/null
    $RUN "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
    PGPORT=$((PGPORT + 7))
  done
  if [ -n "$started" ]; then
    export TANDEM_TEST_POSTGRES="Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=postgres"
    export TANDEM_TEST_PGBIN="$PGBIN" TANDEM_TEST_PGDATA="$PGDATA"
    echo "PostgreSQL started on 127.0.0.1:$PGPORT"
  else
    echo "warning: PostgreSQL could not be started; the PostgreSQL tests will fail"
  fi
fi

# Redis for the limit-store tests (limits.store: redis), on its own port; the tests that stop Redis start their own.
if command -v redis-server >/dev/null && [ -z "${TANDEM_TEST_REDIS:-}" ]; then
  REDISPORT=${TANDEM_TEST_REDISPORT:-56379}
  REDISDIR=$(mktemp -d /tmp/tandem-redis.XXXXXX)
  if redis-server --port "$REDISPORT" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no --dir "$REDISDIR" \
    --pidfile "$REDISDIR/redis.pid" --logfile "$REDISDIR/redis.log" >/dev/null; then
    export TANDEM_TEST_REDIS="127.0.0.1:$REDISPORT"
    echo "Redis started on 127.0.0.1:$REDISPORT"
  else
    echo "warning: Redis could not be started; the Redis tests will fail"
  fi
fi

dotnet build Tandem.slnx -c Release -warnaserror -p:TreatWarningsAsErrors=true -nologo -v:q 2>&1 | tail -20
build=${PIPESTATUS[0]}
if [ "$build" != 0 ]; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# The in-process client's packages, made by `dotnet pack` as a release would be, into a folder feed that the example
# tests build the sample apps from (test/Tandem.Extensions.AI.Tests/ExampleAppTests.cs). The version is this run's
# own, so that no package cache can hand the samples an older build.
PACKAGES=$(mktemp -d /tmp/tandem-packages.XXXXXX)
PACKAGE_VERSION="0.1.0-ci.$(date -u +%Y%m%d%H%M%S)"
dotnet pack Tandem.slnx -c Release --no-build -o "$PACKAGES" -p:Version="$PACKAGE_VERSION" -nologo -v:q 2>&1 | tail -20
pack=${PIPESTATUS[0]}
if [ "$pack" != 0 ]; then
  echo "pack failed"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "packed $(ls "$PACKAGES" | tr '\n' ' ')"
export TANDEM_TEST_PACKAGES="$PACKAGES" TANDEM_TEST_PACKAGE_VERSION="$PACKAGE_VERSION"

log=$(mktemp)
dotnet test --solution Tandem.slnx -c Release --no-build 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
if [ -d artifacts/screenshots ]; then
  echo "dashboard screenshots: $PWD/artifacts/screenshots"
fi
if [ ! -x "${TANDEM_CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "note: chromium is not installed, so the dashboard's browser tests were skipped (apt-get install chromium)"
fi
awk '/^  failed:/{f+=$2} /^  succeeded:/{p+=$2} /^  skipped:/{s+=$2} END{printf "%d passed, %d failed, %d skipped\n",p,f,s}' "$log"
rm -f "$log"
exit "$rc"
