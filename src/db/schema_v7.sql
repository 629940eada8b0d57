-- Schema version 7: every observation says how far to trust it (SOURCES.md §2d): its source's
-- grade. The seed's rows get their grade from the seed at the refresh that follows this
-- migration. A user's row written before it never declared one, and none is invented for it:
-- it stays UNGRADED (shown as such, weakest of all), until the user records it again with one.
ALTER TABLE observations ADD COLUMN source_grade TEXT NOT NULL DEFAULT 'UNGRADED'
    CHECK (source_grade IN ('BULLETIN', 'OFFICIAL', 'SECONDARY', 'UNGRADED'));
CREATE INDEX observations_by_grade ON observations (source_grade);
