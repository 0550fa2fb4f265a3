#!/usr/bin/env bash
# Side-by-side speed of `ronda scan` and scikit-learn on the same generated posts.
#
#   bench/detect/run.sh            # N=100000 posts, 3 runs each, medians
#   N=20000 RUNS=1 bench/detect/run.sh
#   RONDA_BIN=path/to/ronda bench/detect/run.sh   # skip the build
#   LONG=1 bench/detect/run.sh                    # long public posts (~190 bytes, links, emoji)
#
# ronda is timed end to end (process start, model load, JSON in and out, normalise, extract,
# rules, classify, policy) with one thread and with all cores; scikit-learn
# (HashingVectorizer(analyzer="char_wb", ngram_range=(2,5)) + SGDClassifier) is timed on JSON
# decoding + transform + predict_proba of the same posts. scikit-learn is installed into its own
# virtualenv, bench/.venv-detect (git-ignored).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
N=${N:-100000}
RUNS=${RUNS:-3}
OUT=$ROOT/bench/out/detect
mkdir -p "$OUT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

if [ -n "${RONDA_BIN:-}" ]; then
  BIN=$RONDA_BIN # an already built binary
else
  echo "== building ronda (release)" >&2
  cargo build --release -p ronda >&2
  BIN=$CARGO_TARGET_DIR/release/ronda
fi

echo "== generating $N posts and the training corpus" >&2
python3 data/gen_corpus.py --bench "$N" --out "$OUT/posts.jsonl"
if [ -n "${LONG:-}" ]; then # long public posts (~190 bytes, links and emoji)
  python3 bench/detect/long_posts.py "$OUT/posts.jsonl" "$OUT/posts-long.jsonl"
  mv "$OUT/posts-long.jsonl" "$OUT/posts.jsonl"
fi
python3 data/gen_corpus.py --out "$OUT/train.jsonl"

VENV=$ROOT/bench/.venv-detect
if [ ! -x "$VENV/bin/python" ]; then
  echo "== installing scikit-learn into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet scikit-learn
fi

time_ronda() { # args: extra flags; prints "wall cpu" seconds of each run, one a line
  for _ in $(seq "$RUNS"); do
    python3 bench/detect/cputime.py "$OUT/scan.jsonl" "$BIN" scan "$OUT/posts.jsonl" "$@"
  done
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
col() { awk -v c="$1" '{print $c}'; }

echo "== ronda scan, 1 thread" >&2
T1=$(time_ronda --threads 1)
echo "== ronda scan, all cores ($(nproc))" >&2
TA=$(time_ronda)
echo "== scikit-learn" >&2
SK=$("$VENV/bin/python" bench/detect/sklearn_bench.py --train "$OUT/train.jsonl" --posts "$OUT/posts.jsonl" --runs "$RUNS")
SKW=$(echo "$SK" | python3 -c 'import json,sys; print(json.load(sys.stdin)["median_wall_s"])')
SKC=$(echo "$SK" | python3 -c 'import json,sys; print(json.load(sys.stdin)["median_cpu_s"])')
SKV=$("$VENV/bin/python" -c 'import sklearn; print(sklearn.__version__)')

python3 - "$N" "$(echo "$T1" | col 1 | median)" "$(echo "$T1" | col 2 | median)" \
  "$(echo "$TA" | col 1 | median)" "$(echo "$TA" | col 2 | median)" "$SKW" "$SKC" "$(nproc)" "$SKV" "$(uptime)" <<'PY'
import sys
n = int(sys.argv[1])
r1w, r1c, raw, rac, skw, skc = map(float, sys.argv[2:8])
cores, skv, up = sys.argv[8], sys.argv[9], sys.argv[10]
print(f"posts: {n}; medians of runs; machine: {cores} cores; load: {up.split('load average:')[-1].strip()}")
print(f"{'tool':<62}{'wall s':>9}{'cpu s':>9}{'posts/s wall':>14}{'posts/s/core':>14}")
rows = [("ronda scan --threads 1 (end to end)", r1w, r1c),
        ("ronda scan, all cores (end to end)", raw, rac),
        (f"scikit-learn {skv} char_wb(2,5)+SGD (decode+transform+predict)", skw, skc)]
for name, w, c in rows:
    print(f"{name:<62}{w:>9.3f}{c:>9.3f}{n / w:>14.0f}{n / c:>14.0f}")
print(f"ratio, CPU time (per core): ronda {skc / r1c:.1f}x scikit-learn; wall, 1 thread: {skw / r1w:.1f}x; wall, all cores: {skw / raw:.1f}x")
PY
