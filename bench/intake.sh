#!/usr/bin/env bash
# Intake throughput and latency, server and load generator together on this machine:
# single reports (POST /api/v1/reports) and batches (POST /api/v1/reports:batch), on the
# embedded SQLite and on PostgreSQL, ROUNDS rounds each; prints each round and the medians.
# After each round the load generator counts the rows that landed (zero loss expected).
#
#   bench/intake.sh                # 3 rounds
#   ROUNDS=5 SINGLE=50000 bench/intake.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
SINGLE=${SINGLE:-30000}
BATCH_TOTAL=${BATCH_TOTAL:-300000}
CONC=${CONC:-32}
# PostgreSQL is round-trip bound (see BENCHMARKS.md): smaller runs keep the script short.
PG_SINGLE=${PG_SINGLE:-10000}
PG_BATCH_TOTAL=${PG_BATCH_TOTAL:-50000}
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}

cargo build --release -p ronda >&2
BIN=target/release/ronda
OUT=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

run_backend() {
  local name=$1 single=$2 batch_total=$3; shift 3
  local dir; dir=$(mktemp -d)
  "$BIN" serve --data-dir "$dir" --listen 127.0.0.1:0 "$@" >"$dir/serve.out" 2>"$dir/serve.err" &
  local pid=$!
  local addr=""
  for _ in $(seq 1 100); do
    addr=$(sed -n 's#^ronda listening on http://\([^ ]*\).*#\1#p' "$dir/serve.out")
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || { cat "$dir/serve.err" >&2; exit 1; }
  local token; token=$("$BIN" token create --role intake --name bench --data-dir "$dir" "$@" 2>/dev/null | tail -n1)
  for round in $(seq 1 "$ROUNDS"); do
    "$BIN" bench intake --url "http://$addr" --token "$token" --mode single --concurrency "$CONC" \
      --reports "$single" --json --data-dir "$dir" "$@" | sed "s/^/{\"backend\":\"$name\",\"round\":$round,\"r\":/; s/\$/}/" | tee -a "$OUT/results.jsonl"
    "$BIN" bench intake --url "http://$addr" --token "$token" --mode batch --batch-size 1000 --concurrency 4 \
      --reports "$batch_total" --json --data-dir "$dir" "$@" | sed "s/^/{\"backend\":\"$name\",\"round\":$round,\"r\":/; s/\$/}/" | tee -a "$OUT/results.jsonl"
  done
  kill -TERM "$pid"; wait "$pid" || true
  "$BIN" audit verify --data-dir "$dir" "$@" >&2
}

run_backend sqlite "$SINGLE" "$BATCH_TOTAL"
psql "$PG_ADMIN" -q -c "DROP DATABASE IF EXISTS ronda_bench" -c "CREATE DATABASE ronda_bench" >/dev/null 2>&1
run_backend postgres "$PG_SINGLE" "$PG_BATCH_TOTAL" --database-url "${PG_ADMIN%/*}/ronda_bench"

python3 - "$OUT/results.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("\nmedians over rounds (machine: %s cores)" % __import__("os").cpu_count())
print(f"{'backend':9} {'mode':6} {'reports/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'lost':>5}")
for backend in ["sqlite", "postgres"]:
    for mode in ["single", "batch"]:
        rs = [x["r"] for x in rows if x["backend"] == backend and x["r"]["mode"] == mode]
        if not rs: continue
        med = lambda f: statistics.median(f(r) for r in rs)
        print(f"{backend:9} {mode:6} {med(lambda r: r['reports_per_sec']):10.0f} {med(lambda r: r['latency_ms']['p50']):8.2f} "
              f"{med(lambda r: r['latency_ms']['p99']):8.2f} {sum(r['errors'] for r in rs):6d} {sum(r['lost'] or 0 for r in rs):5d}")
PY
