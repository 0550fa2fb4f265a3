#!/usr/bin/env bash
# Side-by-side speed of ronda-media against the peers a user would otherwise pick, in one run:
#   (a) PDQ images/s vs Meta's reference C++ (PyPI `pdqhash`) on the same Pillow-decoded pixels,
#       with a check that every hash and quality is equal;
#   (b) radius-31 queries/s on banks of 1M and 10M hashes (random plus planted near neighbours)
#       vs FAISS IndexBinaryFlat and IndexBinaryMultiHash (16 x 16 bits), recall vs flat, build
#       time and memory; plus the time to load 10M hashes from a text bank.
# Everything runs on one thread per implementation. Results go to bench/out/media/ (git-ignored).
#
# Environment: SIZES (default "1000000 10000000"), QUERIES (1000), FLAT_QUERIES (200),
# PDQ_ROUNDS (5), PDQ_DATA (default tests/data/pdq).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV=$ROOT/bench/.venv-media
OUT=$ROOT/bench/out/media
SIZES=${SIZES:-"1000000 10000000"}
QUERIES=${QUERIES:-1000}
FLAT_QUERIES=${FLAT_QUERIES:-200}
PDQ_ROUNDS=${PDQ_ROUNDS:-5}
PDQ_DATA=${PDQ_DATA:-$ROOT/tests/data/pdq}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
mkdir -p "$OUT"

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q pdqhash faiss-cpu numpy Pillow
PY=$VENV/bin/python

cargo build --release -q -p ronda-media --example pdq_bench --example index_bench
BIN=$CARGO_TARGET_DIR/release/examples

echo "== machine"
echo "$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" -c 'import faiss, pdqhash, PIL, numpy; print("faiss", faiss.__version__, "| Pillow", PIL.__version__, "| numpy", numpy.__version__)'
"$PY" -m pip show pdqhash 2>/dev/null | sed -n 's/^Version: /pdqhash /p'

echo "== (a) PDQ on $(ls "$PDQ_DATA/images" | wc -l) reference images, decoded once by Pillow"
"$PY" "$ROOT/bench/media/pdq_peer.py" "$PDQ_DATA/images" "$OUT/pixels.bin" "$OUT/pdqhash.csv" "$PDQ_ROUNDS" | tee "$OUT/pdq.txt"
"$BIN/pdq_bench" "$OUT/pixels.bin" "$PDQ_ROUNDS" "$OUT/ronda-pdq.csv" | tee -a "$OUT/pdq.txt"
if cmp -s "$OUT/pdqhash.csv" "$OUT/ronda-pdq.csv"; then
  echo "hashes and qualities: all $(wc -l < "$OUT/pdqhash.csv") equal" | tee -a "$OUT/pdq.txt"
else
  echo "hashes differ:" | tee -a "$OUT/pdq.txt"
  diff "$OUT/pdqhash.csv" "$OUT/ronda-pdq.csv" | tee -a "$OUT/pdq.txt" || true
fi

echo "== (b) radius 31, $QUERIES queries (half with 8 planted neighbours at distance <= 31)"
: > "$OUT/index.jsonl"
for n in $SIZES; do
  dir=$OUT/bank-$n
  "$BIN/index_bench" gen "$n" "$QUERIES" 7 "$dir"
  "$BIN/index_bench" query "$dir" 31 "$dir/ronda.txt" | tee -a "$OUT/index.jsonl"
  "$PY" "$ROOT/bench/media/faiss_peer.py" "$dir" 31 "$FLAT_QUERIES" "$QUERIES" "$dir/ronda.txt" | tee -a "$OUT/index.jsonl"
  rm -f "$dir/bank.bin"
done

echo "== load 10M hashes from a text bank (parse + build)"
"$BIN/index_bench" load-text 10000000 | tee "$OUT/load.json"
