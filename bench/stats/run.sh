#!/usr/bin/env bash
# Times `ronda stats` on a synthetic database: generates CASES cases (default 10,000,000, over
# two years from 2023-01-01) with `ronda bench stats-db`, then runs `ronda stats --format json`
# for no grouping and each grouping, over the whole two years and over one month, RUNS times
# each, and prints the median wall time. SQLite by default; PG_CASES=N also times PostgreSQL
# (127.0.0.1:5432, database `ronda_bench_stats`, dropped and re-created) at N cases.
#
#   bench/stats/run.sh                         # 10M cases on SQLite
#   CASES=1000000 RUNS=1 bench/stats/run.sh     # quicker
#   PG_CASES=1000000 bench/stats/run.sh         # and PostgreSQL at 1M
#   KEEP=1 ...                                  # reuse an existing database of the same size
set -euo pipefail
cd "$(dirname "$0")/../.."

CASES=${CASES:-10000000}
RUNS=${RUNS:-3}
PG_CASES=${PG_CASES:-0}
OUT=${OUT:-bench/out/stats}
PROFILE=${PROFILE:-release}
mkdir -p "$OUT"

if [ -z "${RONDA_BIN:-}" ]; then
  if [ "$PROFILE" = release ]; then cargo build --release -p ronda; else cargo build -p ronda; fi
  RONDA_BIN="${CARGO_TARGET_DIR:-target}/$([ "$PROFILE" = release ] && echo release || echo debug)/ronda"
fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

time_stats() { # label, store args...
  local label=$1; shift
  for window in "2023-01-01 2024-12-31 two-years" "2024-06-01 2024-06-30 one-month"; do
    read -r from to wname <<<"$window"
    for g in none month category platform source priority; do
      local gargs=()
      [ "$g" != none ] && gargs=(--group-by "$g")
      local times=()
      for _ in $(seq 1 "$RUNS"); do
        local t0 t1
        t0=$(date +%s.%N)
        "$RONDA_BIN" stats --from "$from" --to "$to" "${gargs[@]}" --format json "$@" >"$OUT/last.json"
        t1=$(date +%s.%N)
        times+=("$(echo "$t1 - $t0" | bc)")
      done
      printf '| %s | %s | %s | %s |\n' "$label" "$wname" "$g" \
        "$(printf '%s\n' "${times[@]}" | median)"
    done
  done
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| backend | window | group_by | median s |"
echo "|---|---|---|---:|"

DIR="$OUT/sqlite-$CASES"
if [ -z "${KEEP:-}" ] || [ ! -f "$DIR/ronda.db" ]; then
  rm -rf "$DIR"
  mkdir -p "$DIR"
  "$RONDA_BIN" bench stats-db --cases "$CASES" --data-dir "$DIR" >"$OUT/gen-sqlite.json" 2>"$OUT/gen-sqlite.log"
  echo "generated: $(cat "$OUT/gen-sqlite.json"); file $(du -h "$DIR/ronda.db" | cut -f1)" >&2
fi
time_stats "SQLite $CASES" --data-dir "$DIR"

if [ "$PG_CASES" != 0 ]; then
  PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
  if [ -z "${KEEP:-}" ]; then
    psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS ronda_bench_stats" -c "CREATE DATABASE ronda_bench_stats"
    "$RONDA_BIN" bench stats-db --cases "$PG_CASES" --data-dir "$OUT/pg" \
      --database-url "$PGURL/ronda_bench_stats" >"$OUT/gen-pg.json" 2>"$OUT/gen-pg.log"
    psql "$PGURL/ronda_bench_stats" -qc "VACUUM ANALYZE"
    echo "generated: $(cat "$OUT/gen-pg.json")" >&2
  fi
  time_stats "PostgreSQL $PG_CASES" --data-dir "$OUT/pg" --database-url "$PGURL/ronda_bench_stats"
fi
