#!/usr/bin/env bash
# End-to-end overhead benchmark: direct vs Tandem vs an nginx hop vs a bare YARP hop vs Portkey, all over loopback
# on this machine, with `tandem simulate` behind every target.
#   bench/run.sh            full run (~10–15 min; takes both cores: do not run it while others measure)
#   bench/run.sh --smoke    seconds-long run of every phase, no timing assertions (CI)
#   bench/run.sh --soak     Tandem at 1,000 req/s for 10 minutes (BENCH_SOAK_MINUTES), RSS every 30 s
# Options: --targets direct,tandem,yarp,nginx,portkey,baseline   --out DIR   --no-install
#          --router         also runs target "tandem-router": the gateway with every route on a linear router model
#                           (tiers.scorer: model, trained on test/TestData/routellm-mmlu), to measure the router's added p50
#          --baseline REV   also runs `tandem serve` built from git revision REV (target "baseline", in a temporary
#                           worktree), interleaved with this tree's: a regression check in one run.
#          --variant-env K=V,K2=V2  also runs this tree's `tandem serve` with these environment variables (target
#                           "variant", interleaved): an A/B of runtime settings in one run.
#          --only PHASES    only these phases, e.g. json-0ms:1000,stream:200,json-0ms:closed (a quick look; no cold phase)
# Results: bench/results/e2e/{results.md,results.json,chart.svg} (smoke: bench/results/tmp/smoke/, soak: bench/results/soak/).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

mode=full; out=""; install=1; pass=(); baseline=""; router=0
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) mode=smoke; pass+=(--smoke) ;;
    --soak) mode=soak; pass+=(--soak --soak-minutes "${BENCH_SOAK_MINUTES:-10}") ;;
    --targets) pass+=(--targets "$2"); shift ;;
    --out) out="$2"; shift ;;
    --no-install) install=0 ;;
    --baseline) baseline="$2"; shift ;;
    --variant-env) pass+=(--variant-env "$2"); shift ;;
    --only) pass+=(--only "$2"); shift ;;
    --router) pass+=(--router); router=1 ;;
    *) echo "usage: bench/run.sh [--smoke|--soak] [--targets LIST] [--out DIR] [--no-install] [--baseline REV] [--variant-env K=V,...] [--only PHASES] [--router]" >&2; exit 2 ;;
  esac
  shift
done
case "$mode" in
  smoke) out=${out:-bench/results/tmp/smoke} ;;
  soak) out=${out:-bench/results/soak} ;;
  *) out=${out:-bench/results/e2e} ;;
esac

if [ "$install" = 1 ]; then
  need=()
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
  command -v wrk >/dev/null || need+=(wrk)
  if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "bench: installing ${need[*]} from apt..."
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}") >/dev/null 2>&1 \
        || echo "bench: warning: apt-get install ${need[*]} failed; those targets/generators are skipped"
    else
      echo "bench: ${need[*]} missing and not root; those targets/generators are skipped"
    fi
  fi
  if command -v npm >/dev/null && [ ! -f bench/peer/node_modules/@portkey-ai/gateway/build/start-server.js ]; then
    echo "bench: npm install (bench/peer: Portkey gateway)..."
    (cd bench/peer && npm install --no-audit --no-fund --loglevel=error >/dev/null 2>&1) \
      || echo "bench: warning: npm install in bench/peer failed; Portkey is skipped"
  fi
fi

echo "bench: building (Release)..."
log=$(mktemp)
# One build of bench/Bench.slnx: tandem (src/Tandem.Cli), bench/YarpHop, bench/LoadRunner, bench/Tandem.Benchmarks.
dotnet build bench/Bench.slnx -c Release -warnaserror -nologo -v:q >"$log" 2>&1 \
  || { grep -E "error|warn" "$log" >&2; rm -f "$log"; echo "bench: build of bench/Bench.slnx failed" >&2; exit 1; }
rm -f "$log"

if [ -n "$baseline" ]; then
  rev=$(git rev-parse --verify "$baseline^{commit}") || { echo "bench: --baseline $baseline is not a git revision" >&2; exit 2; }
  base_dir=$(mktemp -d /tmp/tandem-baseline.XXXXXX)
  trap 'git worktree remove --force "$base_dir" >/dev/null 2>&1 || rm -rf "$base_dir"' EXIT
  git worktree add --detach -q "$base_dir" "$rev"
  echo "bench: building the baseline ${rev:0:12} (Release)..."
  dotnet build "$base_dir/src/Tandem.Cli" -c Release -nologo -v:q >"$log" 2>&1 \
    || { grep -E "error" "$log" >&2; echo "bench: build of the baseline failed" >&2; exit 1; }
  pass+=(--baseline "$base_dir" --baseline-name "${rev:0:7}")
fi

cmd="bench/run.sh"; [ "$mode" != full ] && cmd="bench/run.sh --$mode"
[ -n "$baseline" ] && cmd="$cmd --baseline $baseline"
[ "$router" = 1 ] && cmd="$cmd --router"
dotnet bench/LoadRunner/bin/Release/net10.0/LoadRunner.dll --repo . --out "$out" --command "$cmd" "${pass[@]}"
