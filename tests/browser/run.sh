#!/usr/bin/env bash
# Runs the dashboard's real-browser test against a rustbelt binary:
#   tests/browser/run.sh target/release/rustbelt
# Needs Node 20 or later with npm, and Debian's chromium at /usr/bin/chromium (or $CHROMIUM).
set -euo pipefail
if [[ $# -ne 1 ]]; then echo "usage: $0 BINARY" >&2; exit 2; fi
[[ -x "$1" ]] || { echo "run.sh: $1 is not an executable file" >&2; exit 2; }
BINARY="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

major="$(node -p 'process.versions.node.split(".")[0]')"
if (( major < 20 )); then echo "run.sh: needs Node 20 or later, found $(node --version)" >&2; exit 2; fi

cd "$HERE"
# puppeteer-core never downloads a browser; --ignore-scripts makes sure no dependency does.
npm ci --silent --no-audit --no-fund --ignore-scripts
exec node dashboard.test.mjs "$BINARY"
