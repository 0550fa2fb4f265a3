#!/usr/bin/env bash
# Speed of `ronda link` on generated accounts, and the MinHash + LSH stage side by side with
# Python datasketch's MinHashLSH on the same texts.
#
#   bench/link/run.sh                       # N=1000000 accounts end to end; DS_N=100000 for the stage
#   N=100000 DS_N=20000 RUNS=1 bench/link/run.sh
#   RONDA_BIN=path/to/ronda bench/link/run.sh   # skip the build
#
# End to end: `ronda link accounts.jsonl` (read, features in parallel, batch link on all cores, write), wall
# time and max RSS from /usr/bin/time -v. Stage: shingling (lower-case, word 2-grams) + MinHash
# (128 permutations) + LSH insert of every account + one LSH query per account, threshold 0.3,
# one thread on both sides: `ronda link bench-minhash` vs `datasketch` (installed into its own
# virtualenv, bench/.venv-link, git-ignored). Medians of RUNS.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
N=${N:-1000000}
DS_N=${DS_N:-100000}
RUNS=${RUNS:-3}
SEED=${SEED:-7}
THRESHOLD=${THRESHOLD:-0.3} # the linker's default Jaccard threshold
OUT=$ROOT/bench/out/link
mkdir -p "$OUT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

if [ -n "${RONDA_BIN:-}" ]; then
  BIN=$RONDA_BIN
else
  echo "== building ronda (release)" >&2
  cargo build --release -p ronda >&2
  BIN=$CARGO_TARGET_DIR/release/ronda
fi

echo "== generating $N accounts" >&2
"$BIN" link generate --accounts "$N" --seed "$SEED" --out "$OUT/accounts.jsonl" --truth "$OUT/truth.jsonl"
head -n "$DS_N" "$OUT/accounts.jsonl" > "$OUT/stage.jsonl"

VENV=$ROOT/bench/.venv-link
if [ ! -x "$VENV/bin/python" ]; then
  echo "== installing datasketch into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet datasketch
fi

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "== ronda link, $N accounts, end to end" >&2
WALLS=""; RSSS=""
for _ in $(seq "$RUNS"); do
  /usr/bin/time -v "$BIN" link "$OUT/accounts.jsonl" --out "$OUT/linked.jsonl" 2> "$OUT/time.txt"
  grep -E "^linked" "$OUT/time.txt" >&2 || true
  W=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$OUT/time.txt")
  R=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/time.txt")
  WALLS="$WALLS$W"$'\n'; RSSS="$RSSS$R"$'\n'
done
WALL=$(printf "%s" "$WALLS" | median)
RSS=$(printf "%s" "$RSSS" | median)
"$BIN" link eval --truth "$OUT/truth.jsonl" --output "$OUT/linked.jsonl" >&2 || true

echo "== MinHash + LSH stage, $DS_N accounts: ronda" >&2
RS=$("$BIN" link bench-minhash "$OUT/stage.jsonl" --runs "$RUNS" --threshold "$THRESHOLD")
RSF=$("$BIN" link bench-minhash "$OUT/stage.jsonl" --runs "$RUNS" --threshold "$THRESHOLD" --tokens full)
echo "== MinHash + LSH stage, $DS_N accounts: datasketch" >&2
DS=$("$VENV/bin/python" bench/link/datasketch_bench.py "$OUT/stage.jsonl" --runs "$RUNS" --threshold "$THRESHOLD")
DSV=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("datasketch"))')

python3 - "$N" "$WALL" "$RSS" "$RS" "$RSF" "$DS" "$DSV" "$(nproc)" "$(uptime)" <<'PY'
import json, sys
n, wall, rss = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
rs, rsf, ds = (json.loads(x) for x in sys.argv[4:7])
dsv, cores, up = sys.argv[7], sys.argv[8], sys.argv[9]
print(f"machine: {cores} cores; load: {up.split('load average:')[-1].strip()}")
print(f"ronda link, {n} accounts end to end: wall {wall:.1f} s, max RSS {rss / 1024 / 1024:.2f} GiB")
print(f"stage, {rs['n']} accounts, num_perm {rs['num_perm']}, threshold {rs['threshold']}:")
print(f"  ronda (simple tokens, b={rs['bands']} r={rs['rows']}): {rs['median_s']:.3f} s, candidates {rs['candidates']}")
print(f"  ronda (fold+normalise tokens): {rsf['median_s']:.3f} s, candidates {rsf['candidates']}")
print(f"  datasketch {dsv} (b={ds['bands']} r={ds['rows']}): {ds['median_s']:.3f} s, candidates {ds['candidates']}")
print(f"  ratio datasketch / ronda: {ds['median_s'] / rs['median_s']:.1f}x (simple), {ds['median_s'] / rsf['median_s']:.1f}x (full)")
PY
