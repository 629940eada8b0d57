#!/usr/bin/env bash
# One command for every benchmark figure in the README: installs wrk (Debian) and Datasette
# with datasette-graphql (a venv under target/), builds the release binary, the floor and the
# ceiling, runs the load benchmark (benches/bench.py), then the criterion benchmarks.
# Environment: DURATION (seconds per wrk run, default 8), CRITERION=0 to skip criterion.
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

echo "== building the release binary, the floor and the ceiling"
cargo build --release --locked --bin rustbelt --example floor --example ceiling

echo "== load benchmark"
python3 benches/bench.py

echo "== light requests beside heavy ones"
(cd benches && python3 isolation.py ../target/release/rustbelt)

if [ "${CRITERION:-1}" != 0 ]; then
  echo "== criterion: the evaluator alone and the in-process execution of each query"
  cargo bench --locked --bench evaluator --bench execute -- --noplot
fi
