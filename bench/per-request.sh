#!/usr/bin/env bash
# What one request costs `tandem serve`: CPU time (utime+stime of the process per request, from /proc) and bytes
# allocated (dotnet-counters, System.Runtime dotnet.gc.heap.total_allocated), under a closed loop of wrk -t1 -cC
# against `tandem simulate` (non-streamed ~1 KB answer), after a warm-up. Allocations per request are nearly
# independent of the machine's load; CPU time per request is not (caches and the scheduler are shared), so builds
# are measured in turn, several rounds, and only differences larger than the spread between rounds mean anything.
#   bench/per-request.sh [--baseline REV] [--seconds N] [--connections C] [--rounds R]
# With --baseline, REV is built in a temporary worktree and the two builds are measured in turn, R rounds (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
baseline=""; seconds=10; connections=4; rounds=2
while [ $# -gt 0 ]; do
  case "$1" in
    --baseline) baseline="$2"; shift ;;
    --seconds) seconds="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    *) echo "usage: bench/per-request.sh [--baseline REV] [--seconds N] [--connections C] [--rounds R]" >&2; exit 2 ;;
  esac
  shift
done
command -v wrk >/dev/null || { echo "bench: wrk is needed (apt-get install wrk)" >&2; exit 2; }
for port in 19100 19200; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then echo "bench: port $port is in use" >&2; exit 2; fi
done

work=$(mktemp -d /tmp/tandem-per-request.XXXXXX)
base_dir=""
cleanup() {
  jobs -p | xargs -r kill 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "$base_dir" ] && { git worktree remove --force "$base_dir" >/dev/null 2>&1 || rm -rf "$base_dir"; }
  rm -rf "$work"
}
trap cleanup EXIT

echo "bench: building (Release)..."
dotnet tool restore >/dev/null
dotnet build src/Tandem.Cli -c Release -nologo -v:q >"$work/build.log" 2>&1 || { grep -E "error" "$work/build.log" >&2; exit 1; }
builds=("this tree=$PWD")
if [ -n "$baseline" ]; then
  rev=$(git rev-parse --verify "$baseline^{commit}") || { echo "bench: --baseline $baseline is not a git revision" >&2; exit 2; }
  base_dir=$(mktemp -d /tmp/tandem-baseline.XXXXXX)
  git worktree add --detach -q "$base_dir" "$rev"
  echo "bench: building the baseline ${rev:0:12} (Release)..."
  dotnet build "$base_dir/src/Tandem.Cli" -c Release -nologo -v:q >"$work/build.log" 2>&1 || { grep -E "error" "$work/build.log" >&2; exit 1; }
  builds+=("${rev:0:7}=$base_dir")
fi

key=sk-bench-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"model":"bench-0ms","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Hello there, how are you doing today? Tell me a story."}],"max_tokens":110}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
LUA

src/Tandem.Cli/bin/Release/net10.0/tandem simulate --urls http://127.0.0.1:19100 --output-tokens 110 --chunk-tokens 5 \
  --seed 7 --label bench-0ms >"$work/sim.log" 2>&1 &

measure() {
  local name=$1 repo=$2 dir
  dir=$(mktemp -d "$work/run.XXXX")
  cat >"$dir/tandem.yaml" <<YAML
server: { urls: "http://127.0.0.1:19200" }
auth: { keys: [ { name: bench, key: $key } ] }
providers: [ { name: sim, type: openai, base_url: "http://127.0.0.1:19100/v1" } ]
deployments: [ { name: fast, provider: sim, model: gpt-bench } ]
routes: [ { name: bench-0ms, deployment: fast } ]
YAML
  (cd "$dir" && exec "$repo/src/Tandem.Cli/bin/Release/net10.0/tandem" serve --config tandem.yaml >serve.log 2>&1) &
  local pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:19200/healthz && break; sleep 0.2; done
  wrk -t1 -c"$connections" -d10s -s "$work/post.lua" http://127.0.0.1:19200/v1/chat/completions >/dev/null
  local tick cpu0 cpu1
  tick=$(getconf CLK_TCK)
  dotnet dotnet-counters collect -p "$pid" --counters System.Runtime --format csv -o "$dir/counters.csv" \
    --refresh-interval 1 --duration "00:00:$(printf %02d $((seconds + 2)))" >/dev/null 2>&1 &
  local counters=$!
  sleep 1
  cpu0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  wrk -t1 -c"$connections" -d"${seconds}s" -s "$work/post.lua" http://127.0.0.1:19200/v1/chat/completions >"$dir/wrk.txt"
  cpu1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  wait "$counters" || true
  local requests bytes rss
  requests=$(awk '/requests in/ {print $1}' "$dir/wrk.txt")
  bytes=$(awk -F, '/total_allocated/ {s += $NF} END {printf "%d", s}' "$dir/counters.csv")
  rss=$(awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$pid/status")
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  printf '%-10s %8d req/s  %6d µs CPU/request  %7d B allocated/request  peak RSS %d MB  %s\n' "$name" \
    $((requests / seconds)) $(((cpu1 - cpu0) * 1000000 / tick / requests)) $((bytes / requests)) "$rss" \
    "$(grep -E 'Non-2xx|Socket errors' "$dir/wrk.txt" | tr -s ' ' | tr '\n' ' ')"
}

for _ in $(seq "$rounds"); do
  for b in "${builds[@]}"; do
    measure "${b%%=*}" "${b#*=}"
  done
  [ -z "$baseline" ] && break
done
echo "bench: load average now $(cut -d' ' -f1-3 /proc/loadavg); wrk -t1 -c$connections, ${seconds}s per measurement after a 10 s warm-up"
