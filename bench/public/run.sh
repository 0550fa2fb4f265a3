#!/usr/bin/env bash
# The public report form under load on the embedded default (bench/public/bench.py): form posts
# at a steady rate from many addresses, the per-address limit under that load, and the public
# JSON API (`POST /api/v1/public/reports`) at the same rate, side by side on the same server.
#
#   bench/public/run.sh                       # 200 posts/s for 30 s, release build
#   RATE=100 DURATION=10 bench/public/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
RATE=${RATE:-200}
DURATION=${DURATION:-30}
if [ -z "${RONDA_BIN:-}" ]; then
  cargo build --release -q -p ronda
  RONDA_BIN=target/release/ronda
fi
VENV=target/venv-bench-public
if ! "$VENV/bin/python" -c 'import aiohttp' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check aiohttp==3.13.2
fi
"$VENV/bin/python" bench/public/bench.py --ronda "$RONDA_BIN" --rate "$RATE" --seconds "$DURATION" --out bench/out/public
