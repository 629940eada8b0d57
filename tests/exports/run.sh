#!/usr/bin/env bash
# Reads the saved views' XLSX and GeoJSON back with independent libraries, as CI does:
#
#   tests/exports/run.sh target/debug/rustbelt
#
# Makes a venv with requirements.txt (openpyxl, geojson, shapely), starts the binary on a fresh
# temporary database with a write token, runs check.py against it and stops it. Exits non-zero
# if a check fails, the server does not start or stop cleanly, or Python is missing.
set -uo pipefail

die() {
  echo "run.sh: $*" >&2
  exit 2
}
[ $# -eq 1 ] || die "usage: $0 BINARY   (e.g. $0 target/debug/rustbelt)"
binary=$(realpath -e "$1" 2>/dev/null) && [ -x "$binary" ] || die "$1: not an executable file"
here=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null || die "python3 not found: these checks need Python 3.11 or later"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  die "$(python3 --version) is too old: the pinned packages need Python 3.11 or later"
python3 -c 'import ensurepip, venv' 2>/dev/null || die "python3 cannot make a venv (Debian: apt-get install python3-venv)"

tmp=$(mktemp -d)
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
server_pid=
stop_server() {
  [ -n "$server_pid" ] || return 0
  local pid=$server_pid
  server_pid=
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    echo "run.sh: the server did not stop within 10 s of SIGTERM" >&2
  fi
  wait "$pid" 2>/dev/null || { echo "run.sh: the server exited with status $?" >&2; return 1; }
}
trap 'stop_server; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

echo "run.sh: making a venv with $(python3 --version) and installing requirements.txt"
timeout 120 python3 -m venv "$tmp/venv" || die "python3 -m venv failed"
timeout 300 "$tmp/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" ||
  die "pip install -r requirements.txt failed"

RUSTBELT_WRITE_TOKEN=$token "$binary" serve --listen 127.0.0.1:0 --db "$tmp/db" >"$tmp/server.out" 2>"$tmp/server.err" &
server_pid=$!
base=
for _ in $(seq 150); do # 15 s
  if { IFS= read -r line <"$tmp/server.out"; } 2>/dev/null; then
    [[ $line =~ ^listening\ on\ (http://[^[:space:]]+)$ ]] || die "unexpected first line from the server: $line"
    base=${BASH_REMATCH[1]}
    break
  fi
  kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.err" >&2; die "the server exited before listening"; }
  sleep 0.1
done
[ -n "$base" ] || die "the server printed no 'listening on' line within 15 s"

timeout 120 "$tmp/venv/bin/python" "$here/check.py" "$base" "$token"
rc=$?
stop_server || rc=1
if [ $rc -ne 0 ] && [ -s "$tmp/server.err" ]; then
  echo "the end of the server's stderr:"
  tail -n 20 "$tmp/server.err" | sed 's/^/    /'
fi
exit $rc
