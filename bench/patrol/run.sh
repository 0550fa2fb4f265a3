#!/usr/bin/env bash
# The patrol's crawl throughput beside Scrapy's, on one local site (bench_site: PORTS hosts on
# loopback, PAGES pages each), politeness off on both sides and the same concurrency: fetch,
# HTML to text, links followed. Ronda's figure includes detection of every page and the
# `patrol` reports of the offers (one page in fifty) through the intake, on the embedded store
# (and with NATS=1 also on the JetStream frontier). Rounds alternate Ronda and Scrapy; medians
# and the ratio are printed.
#
#   bench/patrol/run.sh                        # 8 hosts x 2000 pages, concurrency 8, 3 rounds
#   PORTS=8 PAGES=5000 CONC=8 ROUNDS=5 NATS=1 bench/patrol/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PORTS=${PORTS:-8} PAGES=${PAGES:-2000} CONC=${CONC:-8} ROUNDS=${ROUNDS:-3} NATS=${NATS:-0}
VENV=${VENV:-target/bench-venv}
if [ ! -x "$VENV/bin/scrapy" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q scrapy
fi
cargo build --release -q -p ronda --bin ronda
cargo build --release -q -p ronda-patrol --example bench_site
WORK=$(mktemp -d)
SITE_PID=
trap '[ -n "$SITE_PID" ] && kill "$SITE_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
target/release/examples/bench_site "$PORTS" "$PAGES" > "$WORK/ports" &
SITE_PID=$!
for _ in $(seq 1 50); do [ "$(wc -l < "$WORK/ports")" -ge "$PORTS" ] && break; sleep 0.1; done
mapfile -t P < "$WORK/ports"
allow=$(printf '"127.0.0.1:%s",' "${P[@]}"); allow=${allow%,}
seeds=(); for p in "${P[@]}"; do seeds+=(--seed "http://127.0.0.1:$p/"); done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); ronda $(git rev-parse --short HEAD); $("$VENV/bin/scrapy" version)"
echo "site: $PORTS hosts x $((PAGES + 1)) pages (~4.3 KiB each), concurrency $CONC"
now() { date +%s.%N; }
ronda_round() { # mode (store|nats)
  local d="$WORK/ronda-$1-$RANDOM" extra=()
  mkdir -p "$d"
  printf 'outbound_allow = [%s]\noutbound_public = false\n[patrol]\nmin_delay_ms = 0\nmax_delay_ms = 0\nconcurrency = %s\nnats_prefix = "BENCH%s"\n' \
    "$allow" "$CONC" "$RANDOM" > "$d/ronda.toml"
  target/release/ronda watchlist add --name bench --depth 10 "${seeds[@]}" --data-dir "$d" --config "$d/ronda.toml" >/dev/null 2>&1
  [ "$1" = nats ] && extra=(--nats nats://127.0.0.1:4222)
  local t0 t1 out
  t0=$(now)
  out=$(RUST_LOG=warn target/release/ronda patrol run --once "${extra[@]}" --data-dir "$d" --config "$d/ronda.toml" 2>/dev/null | tail -1)
  t1=$(now)
  local pages; pages=$(sed -E 's/^fetched ([0-9]+).*/\1/' <<<"$out")
  local reported; reported=$(sed -E 's/.*reported ([0-9]+).*/\1/' <<<"$out")
  python3 -c "print(f'ronda-$1 pages $pages reported $reported secs {$t1-$t0:.2f} pages/s {$pages/($t1-$t0):.0f}')"
}
scrapy_round() {
  local t0 t1 out
  t0=$(now)
  out=$("$VENV/bin/scrapy" runspider bench/patrol/scrapy_spider.py -a "ports=$(IFS=,; echo "${P[*]}")" \
    -s CONCURRENT_REQUESTS="$CONC" 2>/dev/null | grep '^scrapy pages')
  t1=$(now)
  local pages; pages=$(awk '{print $3}' <<<"$out")
  python3 -c "print(f'scrapy pages $pages secs {$t1-$t0:.2f} pages/s {$pages/($t1-$t0):.0f}')"
}
for r in $(seq 1 "$ROUNDS"); do
  ronda_round store | tee -a "$WORK/log"
  [ "$NATS" = 1 ] && ronda_round nats | tee -a "$WORK/log"
  scrapy_round | tee -a "$WORK/log"
done
python3 - "$WORK/log" <<'PY'
import statistics, sys
rates = {}
for line in open(sys.argv[1]):
    w = line.split()
    rates.setdefault(w[0], []).append(float(w[-1]))
med = {k: statistics.median(v) for k, v in rates.items()}
for k, v in med.items():
    print(f"median {k}: {v:.0f} pages/s over {len(rates[k])} rounds")
for k in med:
    if k != "scrapy":
        print(f"ratio {k} / scrapy: {med[k] / med['scrapy']:.2f}x")
PY
