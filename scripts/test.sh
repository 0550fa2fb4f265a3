#!/usr/bin/env bash
# Runs every check and test of the workspace: formatting, clippy, and the whole test suite
# (unit, property, integration tests against the real PostgreSQL, and the real `ronda` binary),
# then schemathesis against a live server from its OpenAPI document (scripts/api_fuzz.sh), then
# the console's flows in a real browser (scripts/console_e2e.sh).
# Starts the local services the tests need when they are down. Usable on a fresh machine with
# a Rust toolchain; CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }

start_postgres() {
  if command -v pg_isready >/dev/null && pg_isready -h 127.0.0.1 -p 5432 -q; then return; fi
  if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null; then
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do
    if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then return; fi
    sleep 1
  done
  echo "PostgreSQL is not reachable on 127.0.0.1:5432; the store tests need it (set RONDA_TEST_PG_URL to use another)" >&2
  exit 1
}

start_nats() {
  if (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then return; fi
  if [ ! -x /usr/sbin/nats-server ] && command -v apt-get >/dev/null; then
    log "installing nats-server (Debian)"
    apt-get install -y nats-server >/dev/null || true
  fi
  if [ -x /usr/sbin/nats-server ]; then
    log "starting NATS (JetStream)"
    mkdir -p /var/lib/nats-server
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
      -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server || true
  fi
  for _ in $(seq 1 30); do
    if (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then return; fi
    sleep 1
  done
  echo "NATS is not reachable on 127.0.0.1:4222; the JetStream patrol test needs it" >&2
  exit 1
}

if [ -z "${RONDA_TEST_PG_URL:-}" ]; then start_postgres; fi
start_nats

if ! cargo nextest --version >/dev/null 2>&1; then
  log "installing cargo-nextest"
  cargo install cargo-nextest --locked
fi

log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
log "module import cycles"
# No import cycle between the modules of any crate.
python3 scripts/module_cycles.py --check
log "tests"
cargo nextest run --workspace --all-targets --no-fail-fast "$@"
log "API fuzzing (schemathesis, from the OpenAPI document, against a live server)"
scripts/api_fuzz.sh
log "console in a real browser (Playwright + Debian chromium, axe-core on every page)"
scripts/console_e2e.sh
