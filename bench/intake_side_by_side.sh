#!/usr/bin/env bash
# Intake of two commits side by side on this machine: builds BASE in a temporary worktree and
# HEAD (default: the working tree) in release, then runs bench/intake.sh alternately in each,
# PAIRS times (base, head, base, head, …), one round each, and prints every run's medians.
#
#   bench/intake_side_by_side.sh 868634d            # base vs the working tree, 2 pairs
#   PAIRS=3 bench/intake_side_by_side.sh 868634d 5f1c2e3
#
# Sizes follow bench/intake.sh's knobs (defaults here: SINGLE=20000 BATCH_TOTAL=100000
# PG_SINGLE=5000 PG_BATCH_TOTAL=10000).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:?usage: bench/intake_side_by_side.sh BASE_REV [HEAD_REV]}
HEAD_REV=${2:-}
PAIRS=${PAIRS:-2}
export SINGLE=${SINGLE:-20000} BATCH_TOTAL=${BATCH_TOTAL:-100000}
export PG_SINGLE=${PG_SINGLE:-5000} PG_BATCH_TOTAL=${PG_BATCH_TOTAL:-10000} ROUNDS=1
WORK=$(mktemp -d)
trap 'git worktree remove --force "$WORK/base" >/dev/null 2>&1 || true; git worktree remove --force "$WORK/head" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
git worktree add -q --detach "$WORK/base" "$BASE"
if [ -n "$HEAD_REV" ]; then
  git worktree add -q --detach "$WORK/head" "$HEAD_REV"
  HEAD_DIR="$WORK/head"
else
  HEAD_DIR=$(pwd)
fi
for tree in "$WORK/base" "$HEAD_DIR"; do (cd "$tree" && cargo build --release -p ronda >&2); done
for pair in $(seq 1 "$PAIRS"); do
  for side in base head; do
    tree="$WORK/base"; [ "$side" = head ] && tree="$HEAD_DIR"
    echo "=== pair $pair $side ($(cd "$tree" && git rev-parse --short HEAD)) $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)"
    (cd "$tree" && bash bench/intake.sh 2>/dev/null | tail -5)
  done
done
