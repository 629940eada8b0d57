-- Schema version 6: each observation remembers which write recorded it, so live subscribers
-- (and clients catching up) can ask what a write recorded, whoever made it: this server, an
-- import by another process on the same file, or a seed refresh.

-- The data version (meta.data_version) of the transaction that last wrote the row's value.
-- Rows written before this version of the schema keep 0.
ALTER TABLE observations ADD COLUMN recorded_version INTEGER NOT NULL DEFAULT 0;
-- Who wrote it: the seed, `rustbelt import`, or the GraphQL API. Unknown (null) for user rows
-- written before this version of the schema.
ALTER TABLE observations ADD COLUMN recorded_by TEXT CHECK (recorded_by IN ('SEED', 'IMPORT', 'API'));
UPDATE observations SET recorded_by = 'SEED' WHERE origin = 'SEED';
CREATE INDEX observations_by_recorded_version ON observations (recorded_version);

