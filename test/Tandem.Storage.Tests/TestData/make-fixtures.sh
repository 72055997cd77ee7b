#!/usr/bin/env bash
# See README.md beside this file. Usage: make-fixtures.sh sqlite|postgres DIR (postgres: GEN_PG holds the connection string).
# Produces a tandem.db (SQLite) or a PostgreSQL schema with the code of ad2f52a (before storage moved into one place).
set -euo pipefail
ENGINE=$1; W=$2; mkdir -p $W; cd $W
OLD=/tmp/tandem-old/src/Tandem.Cli/bin/Release/net10.0/tandem.dll
export GEN_ADMIN=admin-gen-123456
dotnet $OLD simulate --urls http://127.0.0.1:39101 >sim1.log 2>&1 & S1=$!
dotnet $OLD simulate --urls http://127.0.0.1:39102 >sim2.log 2>&1 & S2=$!
if [ "$ENGINE" = sqlite ]; then STORAGE='storage: { provider: sqlite, path: tandem.db }'; else STORAGE='storage: { provider: postgres, connection_string_env: GEN_PG, schema: old_tandem }'; fi
cat > tandem.yaml <<YAML
auth: { admin_key_env: GEN_ADMIN, keys: [ { name: t, key: sk-gen-0001 } ] }
providers:
  - { name: a, base_url: "http://127.0.0.1:39101/v1" }
  - { name: b, base_url: "http://127.0.0.1:39102/v1" }
deployments:
  - { name: gpt-4o-mini, provider: a, model: gpt-4o-mini }
  - { name: llama-8b, provider: b, model: llama }
routes:
  - name: intent
    deployment: gpt-4o-mini
    migration: { to: llama-8b, stage: shadow, evaluate_every: 1s }
$STORAGE
YAML
sleep 3
dotnet $OLD serve --config tandem.yaml --urls http://127.0.0.1:39103 >gw.log 2>&1 & G=$!
for i in $(seq 50); do curl -s http://127.0.0.1:39103/healthz >/dev/null && break; sleep 0.2; done
for i in $(seq -w 1 12); do
  curl -s -o /dev/null -w '%{http_code} ' http://127.0.0.1:39103/v1/chat/completions -H 'Authorization: Bearer sk-gen-0001' -H "x-request-id: gen-0$i" \
    -H 'content-type: application/json' -d '{"model":"intent","user":"u'$i'","messages":[{"role":"user","content":"I lost my card"}]}'
done; echo
ev() { curl -s -H "Authorization: Bearer $GEN_ADMIN" http://127.0.0.1:39103/admin/migrations/intent | python3 -c 'import json,sys; h=json.load(sys.stdin)["migrations"][0]["history"]; print(sum(1 for e in h if e["kind"]=="evaluate"))'; }
until [ "$(ev)" -ge 3 ]; do sleep 0.5; done
curl -s -o /dev/null -w 'advance %{http_code}\n' -X POST -H "Authorization: Bearer $GEN_ADMIN" http://127.0.0.1:39103/admin/migrations/intent/advance
until [ "$(ev)" -ge 5 ]; do sleep 0.5; done
curl -s -H "Authorization: Bearer $GEN_ADMIN" http://127.0.0.1:39103/admin/migrations/intent > status.json
kill -TERM $G; wait $G || echo "gateway rc=$?"
kill $S1 $S2; wait $S1 $S2 2>/dev/null || true
# make-fixtures.sh: after the sqlite run, `sqlite3 DIR/tandem.db .dump > sqlite-ad2f52a.sql`
