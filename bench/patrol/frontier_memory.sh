#!/usr/bin/env bash
# What a frontier of URLS URLs (default 10 million, over 10,000 hosts, one watch list) costs:
# in the embedded store (SQLite, a temporary data directory) and, with NATS=1, on JetStream
# (the NATS server on 127.0.0.1:4222; stream and buckets of prefix RONDA_MEMBENCH, removed
# afterwards). Prints the time to queue them, the disk they take, the crawler's peak memory,
# the NATS server's memory, and the cost of a claim and of a count on the full frontier.
#
#   bench/patrol/frontier_memory.sh                 # embedded, 10M URLs (about 4 min, 2.2 GB)
#   URLS=1000000 NATS=1 bench/patrol/frontier_memory.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
URLS=${URLS:-10000000} NATS=${NATS:-0}
cargo build --release -q -p ronda-patrol --example frontier_memory
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB; ronda $(git rev-parse --short HEAD)"
target/release/examples/frontier_memory "$URLS"
if [ "$NATS" = 1 ]; then
  echo "nats-server: $(/usr/sbin/nats-server --version 2>/dev/null || echo unknown)"
  target/release/examples/frontier_memory "$URLS" --nats nats://127.0.0.1:4222
fi
