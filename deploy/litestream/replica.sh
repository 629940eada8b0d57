#!/bin/sh
# A read replica that needs no copy of the primary's file: it restores the database from the
# replica storage, keeps applying what the primary ships (`litestream restore -f`), and serves
# it with `rustbelt serve --read-only`. SIGTERM or SIGINT stops both.
#
#   RUSTBELT_DB=/data/replica.db LITESTREAM_REPLICA_URL=s3://bucket/rustbelt \
#   RUSTBELT_PRIMARY=https://primary.example deploy/litestream/replica.sh
#
# LITESTREAM_FOLLOW_INTERVAL (default 1s) is how often the storage is polled. Every other
# rustbelt flag comes from its RUSTBELT_* variable; LITESTREAM and RUSTBELT name the binaries
# if they are not on PATH.
set -eu
: "${RUSTBELT_DB:?set RUSTBELT_DB to the replica's database file}"
: "${LITESTREAM_REPLICA_URL:?set LITESTREAM_REPLICA_URL (s3://bucket/path, or file:///path)}"
db=$RUSTBELT_DB
# The file is only a copy: start from the storage each time, never from a leftover.
rm -f "$db" "$db-txid" "$db-wal" "$db-shm" "$db-journal"
"${LITESTREAM:-litestream}" restore -f -follow-interval "${LITESTREAM_FOLLOW_INTERVAL:-1s}" \
  -o "$db" "$LITESTREAM_REPLICA_URL" &
follow=$!
# Follow mode writes $db-txid once the restore is whole.
while [ ! -e "$db-txid" ]; do
  if ! kill -0 "$follow" 2>/dev/null; then
    wait "$follow" || true
    echo "replica.sh: litestream restore stopped before the database was restored" >&2
    exit 1
  fi
  sleep 0.1
done
# Rollback-journal mode, as Litestream writes page 1 whenever it applies it (bytes 18 and 19
# of the header set to 1): the restored snapshot still says WAL, and a WAL-mode reader holds a
# shared lock for as long as it is open, which would stop every later apply.
printf '\001\001' | dd of="$db" bs=1 seek=18 count=2 conv=notrunc 2>/dev/null
# Read-only (the primary's address, RUSTBELT_PRIMARY, is read from the environment too).
RUSTBELT_READ_ONLY=true "${RUSTBELT:-rustbelt}" serve &
server=$!
trap 'kill -TERM "$server" "$follow" 2>/dev/null' TERM INT
# Whichever ends first ends the node: a replica that no longer follows must not serve.
while kill -0 "$server" 2>/dev/null && kill -0 "$follow" 2>/dev/null; do
  sleep 1
done
kill -TERM "$server" "$follow" 2>/dev/null || true
status=0
wait "$server" || status=$?
wait "$follow" || true
exit "$status"
