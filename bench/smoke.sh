#!/usr/bin/env bash
# CI smoke test of the benchmarks (about a minute, no timing assertions):
#  1. bench/run.sh --smoke: every phase of the end-to-end benchmark for ~1 s per phase; checks that it wrote its
#     table and chart, and that Tandem answered every request (errors 0). Targets whose tools are missing (nginx,
#     wrk, Portkey) are skipped unless BENCH_SMOKE_INSTALL=1 lets run.sh install them.
#  2. BenchmarkDotNet: every micro-benchmark once (Dry job, in-process), checking that each printed a result.
# Exit status is non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
start=$(date +%s)
fail() { echo "bench smoke: FAILED: $*" >&2; exit 1; }

out=bench/results/tmp/smoke
rm -rf "$out"
install=(--no-install); [ "${BENCH_SMOKE_INSTALL:-0}" = 1 ] && install=()
bench/run.sh --smoke "${install[@]}" --out "$out" || fail "bench/run.sh --smoke exited non-zero"
[ -s "$out/results.md" ] || fail "no $out/results.md"
[ -s "$out/results.json" ] || fail "no $out/results.json"
[ -s "$out/chart.svg" ] || fail "no $out/chart.svg"
grep -q '^## Fixed rate: json-0ms' "$out/results.md" || fail "results.md has no json-0ms table"
grep -q '^## Closed loop' "$out/results.md" || fail "results.md has no closed-loop table"
# Tandem rows: | **tandem** | rate | achieved | errors | ... — every one must have 0 errors.
tandem_rows=$(grep -c '^| \*\*tandem\*\*' "$out/results.md")
[ "$tandem_rows" -ge 4 ] || fail "expected ≥ 4 tandem rows, found $tandem_rows"
bad=$(awk -F'|' '/^\| \*\*tandem\*\* *\| [0-9]+ \|/ { gsub(/ /, "", $5); if ($5 != "0") print }' "$out/results.md")
[ -z "$bad" ] || fail "tandem had errors: $bad"

log=$(mktemp)
# bench/run.sh built bench/Bench.slnx, Tandem.Benchmarks included.
dotnet bench/Tandem.Benchmarks/bin/Release/net10.0/Tandem.Benchmarks.dll --filter '*' --job Dry --inProcess \
  --artifacts bench/results/tmp/bdn-smoke >"$log" 2>&1 || { tail -40 "$log"; fail "BenchmarkDotNet dry run failed"; }
for m in Parse ParseAndRewrite FrameAndInspect AuthenticateAndResolve EnqueueAndDrain ServeJson TandemSplit; do
  grep -qE "^\| $m +\|" "$log" || { tail -40 "$log"; fail "BenchmarkDotNet printed no result for $m"; }
done
rm -f "$log"
echo "bench smoke: OK in $(( $(date +%s) - start )) s ($out/results.md)"
