#!/bin/sh
# The primary: Litestream runs rustbelt as its child (`replicate -exec`), ships every write to
# the replica storage, and stops with it. SIGTERM or SIGINT to this process goes to rustbelt
# first (it finishes its requests and closes the database), then Litestream ships what is left
# and exits. Litestream owns the checkpoints, so the server runs none of its own.
#
#   RUSTBELT_DB=/data/rustbelt.db LITESTREAM_REPLICA_URL=s3://bucket/rustbelt \
#   RUSTBELT_WRITE_TOKEN_FILE=/run/secrets/token deploy/litestream/primary.sh
#
# Every other rustbelt flag comes from its RUSTBELT_* variable (docs/configuration.md);
# litestream.yml lists Litestream's. LITESTREAM and RUSTBELT name the binaries if they are not
# on PATH.
set -eu
: "${RUSTBELT_DB:?set RUSTBELT_DB to the database file}"
: "${LITESTREAM_REPLICA_URL:?set LITESTREAM_REPLICA_URL (s3://bucket/path, or file:///path)}"
export RUSTBELT_DB LITESTREAM_REPLICA_URL
export RUSTBELT_CHECKPOINT_MODE=external
here=$(cd "$(dirname "$0")" && pwd)
exec "${LITESTREAM:-litestream}" replicate -config "$here/litestream.yml" \
  -exec "${RUSTBELT:-rustbelt} serve"
