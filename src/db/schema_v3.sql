-- Schema version 3: indexes for the lookups people make and for evaluation inputs.

-- `city(code:)` accepts an English name in any case or a Chinese name: both indexed, so a
-- lookup is a search, not a scan, whatever the number of cities.
CREATE INDEX cities_by_name_en ON cities (name_en COLLATE NOCASE);
CREATE INDEX cities_by_name_zh ON cities (name_zh);

-- Evaluations read a subject's series (year, value) per indicator: this index alone answers
-- them, without visiting the wide observation rows.
CREATE INDEX observations_series ON observations (subject_key, indicator_code, year, value);
