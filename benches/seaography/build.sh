#!/usr/bin/env bash
# The seaography peer of benches/bench.py, generated and built: SeaORM's entity generator
# (sea-orm-cli) and seaography's project generator (seaography-cli) run over a rustbelt SQLite
# file, as a Rust user would run them, and the generated server is built in release mode.
# Nothing generated is committed: it all goes under target/bench-seaography/.
#
# Usage: benches/seaography/build.sh DB_FILE   (bench.py passes the file it measures)
# Prints the path of the built server on its last line.
#
# Versions, pinned: seaography-cli 1.1.4 is what `cargo install seaography-cli` installs (the
# newest release that is not a release candidate; 2.0 is at rc.9). It generates a server on
# seaography ~1.1.4 and SeaORM ~1.1.5, so the entities come from sea-orm-cli 1.1.20, the newest
# 1.x (sea-orm-cli 2.x writes SeaORM 2 entities, which seaography 1.1 does not compile with).
# The generated server's dependencies are pinned by benches/seaography/Cargo.lock (the build
# runs with --locked), as benches/postgraphile/package-lock.json pins PostGraphile's.
set -euo pipefail
cd "$(dirname "$0")/../.."

SEAOGRAPHY_CLI=1.1.4
SEA_ORM_CLI=1.1.20
db=$(realpath "${1:?usage: benches/seaography/build.sh DB_FILE}")
home=target/bench-seaography
tools=$home/tools
server=$home/server

install() {
  local crate=$1 version=$2 bin=$3
  if [ "$("$tools/bin/$bin" --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
    echo "== installing $crate $version (crates.io) into $tools" >&2
    cargo install --quiet --locked --root "$tools" --version "=$version" "$crate" >&2
  fi
}
install seaography-cli "$SEAOGRAPHY_CLI" seaography-cli
install sea-orm-cli "$SEA_ORM_CLI" sea-orm-cli

# Generate into a fresh directory, then copy over the built project only what changed, so that
# an unchanged schema rebuilds nothing.
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
url="sqlite://$db?mode=ro"
echo "== generating entities (sea-orm-cli generate entity --seaography) and the server (seaography-cli -f axum) from $db" >&2
"$tools/bin/sea-orm-cli" generate entity --database-url "$url" --output-dir "$fresh/src/entities" --seaography >/dev/null
"$tools/bin/seaography-cli" --framework axum "$fresh" "$fresh/src/entities" "$url" rustbelt-seaography >&2

# Two changes to the generated code, each checked: the script stops if either no longer holds.
# 1. sea-orm-cli types a SQLite primary key that lacks NOT NULL (`code TEXT PRIMARY KEY`, and
#    even `id INTEGER PRIMARY KEY`, which is the rowid) as Option<T>, which SeaORM's
#    PrimaryKeyTrait rejects, so the generated crate does not compile (SeaQL/sea-orm#2051, open).
#    What a user does by hand: the key fields become T (rustbelt's keys hold no NULL).
perl -0pi -e 's/(#\[sea_orm\(primary_key[^\]\n]*?)(?:, nullable)?(\)\]\n\s*pub \w+: )Option<(\w+)>,/$1$2$3,/g' "$fresh"/src/entities/*.rs
if grep -A1 'sea_orm(primary_key' "$fresh"/src/entities/*.rs | grep -q 'Option<'; then
  echo "seaography: a primary key is still Option<T> after the rewrite; review benches/seaography/build.sh" >&2; exit 1
fi
# 2. Its main logs at INFO, and SeaORM's sqlx logs every SQL statement at INFO, so each request
#    would print a line per statement to stdout. rustbelt runs at RUST_LOG=warn in the
#    benchmark; the peer logs at WARN too.
main=$fresh/src/main.rs
grep -q 'with_max_level(tracing::Level::INFO)' "$main" || { echo "seaography: the generated main.rs no longer sets INFO; review benches/seaography/build.sh" >&2; exit 1; }
sed -i 's/with_max_level(tracing::Level::INFO)/with_max_level(tracing::Level::WARN)/' "$main"
cp benches/seaography/Cargo.lock "$fresh/Cargo.lock"

mkdir -p "$server"
(cd "$fresh" && find . -type f) | while read -r file; do
  if ! cmp -s "$fresh/$file" "$server/$file"; then
    mkdir -p "$(dirname "$server/$file")"
    cp "$fresh/$file" "$server/$file"
  fi
done
(cd "$server" && find . -path ./target -prune -o -type f -print) | while read -r file; do
  [ -e "$fresh/$file" ] || rm "$server/$file"
done

echo "== building the seaography server (cargo build --release --locked) in $server" >&2
(cd "$server" && cargo build --quiet --release --locked >&2)
realpath "$server/target/release/rustbelt-seaography"
