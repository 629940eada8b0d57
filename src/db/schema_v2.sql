-- Schema version 2: synthetic rows for benchmarks are marked, and a data version that every
-- write bumps (response caches are keyed by it).

ALTER TABLE cities ADD COLUMN synthetic INTEGER NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1));
ALTER TABLE observations ADD COLUMN synthetic INTEGER NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1));

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO meta (key, value) VALUES ('data_version', 1);
