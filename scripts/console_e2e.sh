#!/usr/bin/env bash
# End-to-end tests of the console in a real browser (scripts/console_e2e.py): Playwright for
# Python, in its own virtualenv, driving Debian's `chromium` package; axe-core from npm,
# injected into every page; aiosmtpd (same virtualenv) as the mail relay. Installs what is missing (chromium with apt), builds `ronda`,
# writes screenshots to target/console-shots/.
#
# Usage: scripts/console_e2e.sh [path/to/ronda]   (default: builds and uses target/debug/ronda)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }

RONDA=${1:-}
if [ -z "$RONDA" ]; then
  cargo build -q -p ronda
  RONDA=target/debug/ronda
fi
# The versions the figures in the issue notes were taken with.
PLAYWRIGHT=playwright==1.65.3
# The SMTP sink the mail flows hand their messages to (a real SMTP server, on 127.0.0.1).
AIOSMTPD=aiosmtpd==1.4.6
AXE=axe-core@4.14.1
VENV=target/venv-console-e2e
NPM=target/console-e2e-npm

if [ ! -x /usr/bin/chromium ]; then
  log "installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q chromium >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
fi
if ! "$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("playwright") != "1.65.3" or m.version("aiosmtpd") != "1.4.6")' 2>/dev/null; then
  log "installing $PLAYWRIGHT and $AIOSMTPD into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "$PLAYWRIGHT" "$AIOSMTPD"
fi
if ! grep -q '"version": "4.14.1"' "$NPM/node_modules/axe-core/package.json" 2>/dev/null; then
  log "installing $AXE into $NPM"
  mkdir -p "$NPM"
  npm install --silent --no-audit --no-fund --prefix "$NPM" "$AXE"
fi

mkdir -p target/console-shots
"$VENV/bin/python" scripts/console_e2e.py --ronda "$RONDA" \
  --axe "$NPM/node_modules/axe-core/axe.min.js" --shots target/console-shots
