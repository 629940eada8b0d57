#!/usr/bin/env bash
# Runs the example clients against a real server, as CI does:
#
#   clients/run.sh target/debug/rustbelt
#
# node and python each get their own server on a fresh temporary database; typescript needs no
# server (it type-checks against schema/schema.graphql). Prints one line per client, ok or FAIL
# (with the end of its log), and exits non-zero if any failed. Every step has a time limit.
set -uo pipefail

die() {
  echo "$*" >&2
  exit 2
}
[ $# -eq 1 ] || die "usage: $0 BINARY   (e.g. $0 target/debug/rustbelt)"
binary=$(realpath -e "$1" 2>/dev/null) && [ -x "$binary" ] || die "$1: not an executable file"
here=$(cd "$(dirname "$0")" && pwd)

command -v node >/dev/null || die "node not found: the node and typescript clients need Node.js 20 or later"
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] ||
  die "node $(node --version) is too old: the node and typescript clients need Node.js 20 or later"
command -v npm >/dev/null || die "npm not found (it comes with Node.js)"
command -v python3 >/dev/null || die "python3 not found: the python client needs Python 3.11 or later"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  die "$(python3 --version) is too old: the python client's pinned packages need Python 3.11 or later"

tmp=$(mktemp -d)
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
server_pid=
url=

# stop_server LOG: stops the server with SIGTERM (SIGKILL after 10 s); fails, saying why in
# LOG, unless it shut down cleanly.
stop_server() {
  [ -n "$server_pid" ] || return 0
  local pid=$server_pid rc
  server_pid=
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    echo "the server did not stop within 10 s of SIGTERM" >>"$1"
  fi
  wait "$pid" 2>/dev/null
  rc=$?
  [ $rc -eq 0 ] || { echo "the server exited with status $rc" >>"$1"; return 1; }
}
trap 'stop_server /dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# step LOG SECONDS COMMAND...: runs COMMAND with a time limit, its output appended to LOG.
step() {
  local log=$1 limit=$2
  shift 2
  echo "\$ $*" >>"$log"
  timeout --kill-after=5 "$limit" "$@" >>"$log" 2>&1
  local rc=$?
  [ $rc -ne 124 ] || echo "timed out after $limit s" >>"$log"
  return $rc
}

# start_server DIR: starts the binary on DIR/db and sets url from its first stdout line. Its
# output goes to files, so it is always drained.
start_server() {
  local dir=$1 line
  RUSTBELT_WRITE_TOKEN=$token "$binary" serve --listen 127.0.0.1:0 --db "$dir/db" \
    >"$dir/server.out" 2>"$dir/server.err" &
  server_pid=$!
  for _ in $(seq 150); do # 15 s
    # read succeeds only on a whole line, so a half-written one is never taken.
    if IFS= read -r line <"$dir/server.out"; then
      if [[ $line =~ ^listening\ on\ (http://[^[:space:]]+)$ ]]; then
        url=${BASH_REMATCH[1]}/graphql
        return 0
      fi
      echo "the server's first line is not 'listening on http://HOST:PORT': $line" >>"$dir/log"
      return 1
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "the server exited before listening" >>"$dir/log"
      return 1
    fi
    sleep 0.1
  done
  echo "the server printed no 'listening on' line within 15 s" >>"$dir/log"
  return 1
}

client_node() {
  cd "$here/node" &&
    step "$1/log" 300 npm ci --no-audit --no-fund &&
    start_server "$1" &&
    step "$1/log" 60 node client.mjs "$url" "$token"
}

client_python() {
  step "$1/log" 60 python3 -m venv "$1/venv" &&
    step "$1/log" 300 "$1/venv/bin/pip" install -r "$here/python/requirements.txt" &&
    start_server "$1" &&
    step "$1/log" 60 "$1/venv/bin/python" "$here/python/client.py" "$url" "$token"
}

client_typescript() {
  cd "$here/typescript" &&
    step "$1/log" 300 npm ci --no-audit --no-fund &&
    step "$1/log" 120 npm run --silent codegen &&
    step "$1/log" 120 npm run --silent typecheck
}

failed=0
for client in node python typescript; do
  dir=$tmp/$client
  mkdir "$dir"
  start=$SECONDS
  "client_$client" "$dir"
  rc=$?
  stop_server "$dir/log" || rc=1
  if [ $rc -eq 0 ]; then
    echo "ok   $client ($((SECONDS - start)) s)"
  else
    failed=1
    echo "FAIL $client ($((SECONDS - start)) s); the end of its log:"
    tail -n 40 "$dir/log" | sed 's/^/    /'
    if [ -s "$dir/server.err" ]; then
      echo "  the end of the server's stderr:"
      tail -n 20 "$dir/server.err" | sed 's/^/    /'
    fi
  fi
done
exit $failed
