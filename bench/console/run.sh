#!/usr/bin/env bash
# Console latency on the embedded default with a large store (bench/console/bench.py): the
# "Confirm & next" round trip and the queue page, beside the API calls doing the same work.
#
#   bench/console/run.sh                    # 100,000 cases, 200 rounds, release build
#   CASES=10000 ROUNDS=50 bench/console/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
CASES=${CASES:-100000}
ROUNDS=${ROUNDS:-200}
if [ -z "${RONDA_BIN:-}" ]; then
  cargo build --release -q -p ronda
  RONDA_BIN=target/release/ronda
fi
python3 bench/console/bench.py --ronda "$RONDA_BIN" --cases "$CASES" --rounds "$ROUNDS" --out bench/out/console
