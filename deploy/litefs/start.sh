#!/bin/sh
# Started by LiteFS once the node has joined the cluster. The primary serves (and writes)
# /litefs/rustbelt.db; a replica serves the same file read-only and names the primary in its
# refusals of writes. The write token comes from a mounted secret file, never the environment.
set -eu
if [ "${IS_PRIMARY:-false}" = "true" ]; then
  exec rustbelt serve --listen 127.0.0.1:8000 --db /litefs/rustbelt.db \
    --write-token-file "${WRITE_TOKEN_FILE:-/run/secrets/rustbelt-write-token}"
fi
exec rustbelt serve --listen 127.0.0.1:8000 --db /litefs/rustbelt.db \
  --read-only --primary "${PRIMARY_URL:-http://${PRIMARY_HOST}:8080}"
