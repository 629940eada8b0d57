-- Schema version 5: graded evidence, entries users add, province coverage, derivation rules.

-- Every source cited for an entry carries its grade; the seed's rows are refreshed at every
-- start, rows a user imported (`rustbelt import cities`) are kept. An entry's membership and
-- best grade follow from its sources (seed.rs, `grade_entries`), so a user's evidence is not
-- undone by the next start.
ALTER TABLE city_sources ADD COLUMN evidence TEXT NOT NULL DEFAULT 'INDIRECT'
    CHECK (evidence IN ('NAMES_PLAN', 'NATIONAL_DESIGNATION', 'INDIRECT'));
ALTER TABLE city_sources ADD COLUMN origin TEXT NOT NULL DEFAULT 'SEED' CHECK (origin IN ('SEED', 'USER'));

ALTER TABLE cities ADD COLUMN origin TEXT NOT NULL DEFAULT 'SEED' CHECK (origin IN ('SEED', 'USER'));
-- The strongest grade among the entry's sources (null only for synthetic entries), kept beside
-- the entry so lists filter and sort on it like on any other column.
ALTER TABLE cities ADD COLUMN evidence TEXT
    CHECK (evidence IN ('NAMES_PLAN', 'NATIONAL_DESIGNATION', 'INDIRECT'));

-- For each province with a confirmed entry: how many entries are known and whether its whole
-- set is (province_coverage.csv).
CREATE TABLE province_coverage (
    province_code TEXT PRIMARY KEY REFERENCES provinces (code),
    entries_known INTEGER NOT NULL,
    set_complete  TEXT NOT NULL CHECK (set_complete IN ('yes', 'probably', 'no')),
    why           TEXT NOT NULL
);

-- How an indicator's value follows from two others where it is not published (a services
-- share from tertiary value added and GDP): value = numerator / denominator * scale.
CREATE TABLE indicator_derivations (
    indicator_code TEXT PRIMARY KEY REFERENCES indicators (code),
    numerator      TEXT NOT NULL REFERENCES indicators (code),
    denominator    TEXT NOT NULL REFERENCES indicators (code),
    scale          REAL NOT NULL,
    note           TEXT NOT NULL
);
