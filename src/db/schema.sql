-- Schema version 1. Every relation is a real foreign key so generic tools (sqlite3, Datasette)
-- can browse the file. Reference tables are rewritten from the embedded seed at every start;
-- `observations` keeps user rows (origin 'USER') across restarts and re-seeds.

CREATE TABLE sources (
    id          INTEGER PRIMARY KEY,
    url         TEXT NOT NULL UNIQUE,
    description TEXT
);

CREATE TABLE plan (
    id                         INTEGER PRIMARY KEY CHECK (id = 1),
    title_en                   TEXT NOT NULL,
    title_zh                   TEXT NOT NULL,
    document_number            TEXT NOT NULL,
    approval_number            TEXT NOT NULL,
    issued_on                  TEXT NOT NULL,
    announced_on               TEXT NOT NULL,
    official_start_year        INTEGER NOT NULL,
    official_end_year          INTEGER NOT NULL,
    reported_start_year        INTEGER NOT NULL,
    reported_end_year          INTEGER NOT NULL,
    declared_cities            INTEGER NOT NULL,
    declared_prefecture_level  INTEGER NOT NULL,
    declared_districts         INTEGER NOT NULL,
    declared_provinces         INTEGER NOT NULL,
    blueprint_2011_cities      INTEGER NOT NULL,
    notes                      TEXT NOT NULL,
    source_id                  INTEGER NOT NULL REFERENCES sources (id)
);

CREATE TABLE milestones (
    position    INTEGER PRIMARY KEY,
    year        INTEGER NOT NULL,
    date        TEXT,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    evidence    TEXT NOT NULL CHECK (evidence IN ('VERIFIED', 'REPORTED')),
    source_id   INTEGER NOT NULL REFERENCES sources (id)
);

CREATE TABLE strategic_industries (
    position  INTEGER PRIMARY KEY,
    name_en   TEXT NOT NULL,
    source_id INTEGER NOT NULL REFERENCES sources (id)
);

CREATE TABLE provinces (
    code     TEXT PRIMARY KEY,
    name_en  TEXT NOT NULL,
    name_zh  TEXT NOT NULL,
    iso_code TEXT NOT NULL UNIQUE,
    kind     TEXT NOT NULL,
    region   TEXT NOT NULL
);

CREATE TABLE cities (
    admin_code    TEXT PRIMARY KEY,
    name_en       TEXT NOT NULL,
    name_zh       TEXT NOT NULL,
    province_code TEXT NOT NULL REFERENCES provinces (code),
    tier          TEXT NOT NULL,
    latitude      REAL,
    longitude     REAL,
    membership    TEXT NOT NULL CHECK (membership IN ('CONFIRMED', 'CANDIDATE'))
);
CREATE INDEX cities_by_province ON cities (province_code);

CREATE TABLE city_sources (
    city_code TEXT NOT NULL REFERENCES cities (admin_code),
    source_id INTEGER NOT NULL REFERENCES sources (id),
    note      TEXT NOT NULL,
    PRIMARY KEY (city_code, source_id)
);

CREATE TABLE indicators (
    code        TEXT PRIMARY KEY,
    name_en     TEXT NOT NULL,
    name_zh     TEXT,
    unit        TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('higher_is_better', 'lower_is_better')),
    aggregation TEXT NOT NULL,
    description TEXT NOT NULL,
    min_value   REAL,
    max_value   REAL
);

CREATE TABLE targets (
    code           TEXT PRIMARY KEY,
    indicator_code TEXT NOT NULL REFERENCES indicators (code),
    name_en        TEXT NOT NULL,
    unit           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('level', 'change_from_baseline', 'cumulative')),
    direction      TEXT NOT NULL CHECK (direction IN ('higher_is_better', 'lower_is_better')),
    baseline_year  INTEGER NOT NULL,
    baseline_value REAL,
    target_year    INTEGER NOT NULL,
    target_value   REAL,
    target_change  REAL,
    scope          TEXT NOT NULL,
    caveats        TEXT NOT NULL,
    source_id      INTEGER NOT NULL REFERENCES sources (id)
);
CREATE INDEX targets_by_indicator ON targets (indicator_code);

CREATE TABLE observations (
    id             INTEGER PRIMARY KEY,
    subject_kind   TEXT NOT NULL CHECK (subject_kind IN ('CITY', 'PROVINCE', 'PLAN')),
    city_code      TEXT REFERENCES cities (admin_code),
    province_code  TEXT REFERENCES provinces (code),
    -- One key for "which subject", so (subject, indicator, year) can be unique. A plain column
    -- held to its definition by a CHECK (not a generated column: generic tools such as
    -- datasette-graphql fail on those).
    subject_key    TEXT NOT NULL,
    indicator_code TEXT NOT NULL REFERENCES indicators (code),
    year           INTEGER NOT NULL,
    value          REAL NOT NULL,
    unit           TEXT NOT NULL,
    definition     TEXT NOT NULL,
    source_id      INTEGER NOT NULL REFERENCES sources (id),
    source_note    TEXT NOT NULL,
    origin         TEXT NOT NULL CHECK (origin IN ('SEED', 'USER')),
    CHECK ((subject_kind = 'CITY') = (city_code IS NOT NULL)),
    CHECK ((subject_kind = 'PROVINCE') = (province_code IS NOT NULL)),
    CHECK (subject_key = subject_kind || ':' || coalesce(city_code, province_code, '')),
    UNIQUE (subject_key, indicator_code, year)
);
CREATE INDEX observations_by_city ON observations (city_code);
CREATE INDEX observations_by_province ON observations (province_code);
CREATE INDEX observations_by_indicator ON observations (indicator_code, year);

-- Observations with their source address, the shape the API lists.
CREATE VIEW observation_rows AS
    SELECT o.*, s.url AS source_url FROM observations o JOIN sources s ON s.id = o.source_id;
