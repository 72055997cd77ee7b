#!/usr/bin/env bash
# Mutation testing of one area with Stryker.NET (the local tool in dotnet-tools.json).
#
#   stryker/run.sh AREA [stryker options]     e.g. stryker/run.sh migration
#                                                  stryker/run.sh costs --since:main    (only files changed since main)
#
# AREA is one of the config files beside this script (routing, migration, costs, wire, upstream, providers, records, eval,
# server; core runs routing to upstream at once). The report goes to StrykerOutput/AREA/reports (json, html, markdown)
# and the per-file scores are printed at the end. Stryker builds and mutates in place, so do not build the tree while
# it runs; with STRYKER_COPY=1 it runs on a copy of the tree in a temporary directory instead. The records area
# needs PostgreSQL like the storage tests (TANDEM_TEST_POSTGRES, see docs/TESTING.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
area=${1:?usage: stryker/run.sh AREA [stryker options]}
shift
[ -f "$here/$area.json" ] || { echo "no stryker/$area.json" >&2; exit 2; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
out="$root/StrykerOutput/$area"
src="$root"
if [ "${STRYKER_COPY:-0}" = 1 ]; then
  src=$(mktemp -d /tmp/tandem-stryker.XXXXXX)
  trap 'rm -rf "$src"' EXIT
  (cd "$root" && tar --exclude=./StrykerOutput --exclude='*/bin' --exclude='*/obj' -cf - .) | (cd "$src" && tar xf -)
fi
cd "$root" && dotnet tool restore >/dev/null
# Stryker refuses test projects named in a config file when it runs in a folder holding a solution: run beside the configs.
cd "$src/stryker"
rm -rf "$out"
dotnet stryker -f "$area.json" -O "$out" "$@"
python3 "$here/summary.py" "$out/reports/mutation-report.json"
