//! The embedded seed: the verified reference data of `seed/`, compiled into the binary through
//! one manifest, parsed from file contents (never paths) and applied in one transaction.
//!
//! Applying is an idempotent refresh: reference rows are upserted and rows that left the seed
//! are deleted; observations are touched only where `origin = 'SEED'`, so user rows survive.

use std::collections::BTreeSet;

use rusqlite::{Transaction, params};
use serde::Deserialize;

use super::{Conn, DbError, reference};
use crate::domain::{Completeness, EvidenceGrade, SourceGrade};

/// The seed files, in the order they are applied.
pub struct Seed {
    pub plan: &'static str,
    pub provinces: &'static str,
    pub cities: &'static str,
    pub city_candidates: &'static str,
    pub city_sources: &'static str,
    pub province_coverage: &'static str,
    pub indicators: &'static str,
    pub indicator_derivations: &'static str,
    pub indicator_ranges: &'static str,
    pub targets: &'static str,
    pub observations: &'static str,
}

/// The seed shipped with this binary.
pub const EMBEDDED: Seed = Seed {
    plan: include_str!("../../seed/plan.json"),
    provinces: include_str!("../../seed/provinces.csv"),
    cities: include_str!("../../seed/cities.csv"),
    city_candidates: include_str!("../../seed/cities_candidates.csv"),
    city_sources: include_str!("../../seed/city_sources.csv"),
    province_coverage: include_str!("../../seed/province_coverage.csv"),
    indicators: include_str!("../../seed/indicators.csv"),
    indicator_derivations: include_str!("../../seed/indicator_derivations.csv"),
    indicator_ranges: include_str!("../../seed/indicator_ranges.csv"),
    targets: include_str!("../../seed/plan_targets.csv"),
    observations: include_str!("../../seed/observations.csv"),
};

#[derive(Deserialize)]
struct PlanFile {
    title_en: String,
    title_zh: String,
    document_number: String,
    approval_number: String,
    issued_on: String,
    announced_on: String,
    official_start_year: i32,
    official_end_year: i32,
    reported_start_year: i32,
    reported_end_year: i32,
    declared_cities: i32,
    declared_prefecture_level: i32,
    declared_districts: i32,
    declared_provinces: i32,
    blueprint_2011_cities: i32,
    notes: String,
    source_url: String,
    sources: Vec<SourceRow>,
    milestones: Vec<MilestoneRow>,
    strategic_industries: Industries,
}

#[derive(Deserialize)]
struct SourceRow {
    url: String,
    description: String,
}

#[derive(Deserialize)]
struct MilestoneRow {
    year: i32,
    date: Option<String>,
    title: String,
    description: String,
    evidence: String,
    source_url: String,
}

#[derive(Deserialize)]
struct Industries {
    source_url: String,
    names: Vec<String>,
}

#[derive(Deserialize)]
struct ProvinceRow {
    code: String,
    name_en: String,
    name_zh: String,
    iso_3166_2: String,
    kind: String,
    region: String,
}

#[derive(Deserialize)]
struct CityRow {
    admin_code: String,
    name_en: String,
    name_zh: String,
    province_code: String,
    tier: String,
    lat: Option<f64>,
    lon: Option<f64>,
    /// Candidates only: the kind of evidence (always `indirect`) and its one source.
    evidence_kind: Option<String>,
    source: Option<String>,
}

#[derive(Deserialize)]
struct CitySourceRow {
    admin_code: String,
    evidence: String,
    source_url: String,
    note: String,
}

#[derive(Deserialize)]
struct CoverageRow {
    province_code: String,
    entries_known: i64,
    set_complete: String,
    why: String,
}

#[derive(Deserialize)]
struct DerivationRow {
    code: String,
    numerator: String,
    denominator: String,
    scale: f64,
    why: String,
}

#[derive(Deserialize)]
struct IndicatorRow {
    code: String,
    name_en: String,
    name_zh: Option<String>,
    unit: String,
    direction: String,
    aggregation: String,
    description: String,
}

#[derive(Deserialize)]
struct RangeRow {
    code: String,
    min_value: Option<f64>,
    max_value: Option<f64>,
}

#[derive(Deserialize)]
struct TargetRow {
    code: String,
    indicator: String,
    name_en: String,
    unit: String,
    kind: String,
    baseline_year: i32,
    baseline_value: Option<f64>,
    target_year: i32,
    target_value: f64,
    direction: String,
    scope: String,
    caveats: String,
    source: String,
}

#[derive(Deserialize)]
struct ObservationRow {
    admin_code: String,
    indicator: String,
    year: i32,
    value: f64,
    unit: String,
    definition: String,
    source_url: String,
    source_note: String,
    source_grade: String,
}

/// Every indicator of the embedded seed (users cannot add any): its unit and its names, for an
/// import that converts units before anything is written.
pub fn indicators() -> Result<Vec<crate::domain::Indicator>, DbError> {
    let rows: Vec<IndicatorRow> = csv_rows("indicators.csv", EMBEDDED.indicators)?;
    rows.into_iter()
        .map(|i| {
            let direction = crate::domain::parse_direction(&i.direction).ok_or_else(|| {
                DbError::Seed(format!("indicators.csv: {} has direction {:?}", i.code, i.direction))
            })?;
            Ok(crate::domain::Indicator {
                code: i.code,
                name_en: i.name_en,
                name_zh: i.name_zh.filter(|n| !n.is_empty()),
                unit: i.unit,
                direction,
                aggregation: i.aggregation,
                derivation: None,
                description: i.description,
                min_value: None,
                max_value: None,
            })
        })
        .collect()
}

/// Parses one CSV file into rows, naming the file in any error.
fn csv_rows<T: for<'de> Deserialize<'de>>(name: &str, text: &str) -> Result<Vec<T>, DbError> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| DbError::Seed(format!("{name}: {e}")))
}

/// Refreshes the reference data from the embedded seed in one transaction.
pub fn apply(connection: &mut rusqlite::Connection) -> Result<(), DbError> {
    apply_seed(connection, &EMBEDDED)
}

/// Refreshes the reference data from `seed` in one transaction: all of it, or none.
pub fn apply_seed(connection: &mut rusqlite::Connection, seed: &Seed) -> Result<(), DbError> {
    let plan: PlanFile =
        serde_json::from_str(seed.plan).map_err(|e| DbError::Seed(format!("plan.json: {e}")))?;
    let tx = connection.transaction()?;
    // The version moves first, so observations the seed changes are marked with it.
    super::version::bump(&tx)?;
    apply_plan(&tx, &plan)?;
    apply_provinces(&tx, &csv_rows("provinces.csv", seed.provinces)?)?;
    let entries = Entries::parse(seed)?;
    apply_cities(&tx, &entries)?;
    apply_coverage(&tx, &csv_rows("province_coverage.csv", seed.province_coverage)?, &entries.confirmed)?;
    apply_indicators(&tx, seed)?;
    apply_derivations(&tx, &csv_rows("indicator_derivations.csv", seed.indicator_derivations)?)?;
    apply_targets(&tx, &csv_rows("plan_targets.csv", seed.targets)?)?;
    apply_observations(&tx, &csv_rows("observations.csv", seed.observations)?)?;
    tx.commit()?;
    tracing::info!("reference data refreshed from the embedded seed");
    Ok(())
}

/// Returns the id of the source with this address, adding it if new.
fn source_id(tx: &Transaction<'_>, url: &str, description: Option<&str>) -> Result<i64, DbError> {
    tx.execute(
        "INSERT INTO sources (url, description) VALUES (?1, ?2)
         ON CONFLICT (url) DO UPDATE SET description = coalesce(excluded.description, description)",
        params![url, description],
    )?;
    Ok(tx.query_row("SELECT id FROM sources WHERE url = ?1", [url], |r| r.get(0))?)
}

fn apply_plan(tx: &Transaction<'_>, plan: &PlanFile) -> Result<(), DbError> {
    for source in &plan.sources {
        source_id(tx, &source.url, Some(&source.description))?;
    }
    let source = source_id(tx, &plan.source_url, None)?;
    tx.execute(
        "INSERT OR REPLACE INTO plan VALUES
         (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        params![
            plan.title_en,
            plan.title_zh,
            plan.document_number,
            plan.approval_number,
            plan.issued_on,
            plan.announced_on,
            plan.official_start_year,
            plan.official_end_year,
            plan.reported_start_year,
            plan.reported_end_year,
            plan.declared_cities,
            plan.declared_prefecture_level,
            plan.declared_districts,
            plan.declared_provinces,
            plan.blueprint_2011_cities,
            plan.notes,
            source
        ],
    )?;
    tx.execute("DELETE FROM milestones", [])?;
    for (position, m) in plan.milestones.iter().enumerate() {
        let source = source_id(tx, &m.source_url, None)?;
        tx.execute(
            "INSERT INTO milestones VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![position as i64, m.year, m.date, m.title, m.description, m.evidence, source],
        )?;
    }
    tx.execute("DELETE FROM strategic_industries", [])?;
    let source = source_id(tx, &plan.strategic_industries.source_url, None)?;
    for (position, name) in plan.strategic_industries.names.iter().enumerate() {
        tx.execute(
            "INSERT INTO strategic_industries VALUES (?1, ?2, ?3)",
            params![position as i64, name, source],
        )?;
    }
    Ok(())
}

fn apply_provinces(tx: &Transaction<'_>, rows: &[ProvinceRow]) -> Result<(), DbError> {
    for p in rows {
        tx.execute(
            "INSERT INTO provinces VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (code) DO UPDATE SET name_en = excluded.name_en, name_zh = excluded.name_zh,
               iso_code = excluded.iso_code, kind = excluded.kind, region = excluded.region",
            params![p.code, p.name_en, p.name_zh, p.iso_3166_2, p.kind, p.region],
        )?;
    }
    let keep: BTreeSet<&str> = rows.iter().map(|p| p.code.as_str()).collect();
    delete_missing(tx, "provinces", "code", &keep)
}

/// The note every candidate's source carries: the candidate files give one source per row.
const CANDIDATE_NOTE: &str = "Indirect evidence only (SOURCES.md §2b, §2c): a lead, not a verified entry";

/// The seed's entries and their graded sources, candidates' sources included.
struct Entries {
    confirmed: Vec<CityRow>,
    candidates: Vec<CityRow>,
    sources: Vec<CitySourceRow>,
}

impl Entries {
    fn parse(seed: &Seed) -> Result<Self, DbError> {
        let confirmed: Vec<CityRow> = csv_rows("cities.csv", seed.cities)?;
        let candidates: Vec<CityRow> = csv_rows("cities_candidates.csv", seed.city_candidates)?;
        let mut sources: Vec<CitySourceRow> = csv_rows("city_sources.csv", seed.city_sources)?;
        for c in &candidates {
            let url = c.source.clone().filter(|_| c.evidence_kind.as_deref() == Some("indirect"));
            let url = url.ok_or_else(|| {
                DbError::Seed(format!(
                    "candidate {} needs evidence_kind `indirect` and a source",
                    c.admin_code
                ))
            })?;
            let evidence = EvidenceGrade::Indirect.as_str().to_string();
            let note = CANDIDATE_NOTE.to_string();
            sources.push(CitySourceRow { admin_code: c.admin_code.clone(), evidence, source_url: url, note });
        }
        check_membership(&confirmed, &candidates, &sources)?;
        Ok(Self { confirmed, candidates, sources })
    }
}

fn apply_cities(tx: &Transaction<'_>, entries: &Entries) -> Result<(), DbError> {
    let Entries { confirmed, candidates, sources } = entries;
    tx.execute("DELETE FROM city_sources WHERE origin = 'SEED'", [])?;
    let mut keep = BTreeSet::new();
    for c in confirmed.iter().chain(candidates) {
        if !keep.insert(c.admin_code.as_str()) {
            return Err(DbError::Seed(format!("city {} is listed twice", c.admin_code)));
        }
        // The seed's description of an entry wins over an import's; the membership is graded
        // below from every source, the user's included.
        tx.execute(
            "INSERT INTO cities (admin_code, name_en, name_zh, province_code, tier, latitude, longitude,
                                 membership, origin)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'CANDIDATE', 'SEED')
             ON CONFLICT (admin_code) DO UPDATE SET name_en = excluded.name_en,
               name_zh = excluded.name_zh, province_code = excluded.province_code,
               tier = excluded.tier, latitude = excluded.latitude,
               longitude = excluded.longitude, origin = 'SEED'",
            params![c.admin_code, c.name_en, c.name_zh, c.province_code, c.tier, c.lat, c.lon],
        )?;
    }
    for s in sources {
        let source = source_id(tx, &s.source_url, None)?;
        // A user's row for the same entry and source wins, as for observations.
        tx.execute(
            "INSERT INTO city_sources (city_code, source_id, note, evidence, origin)
             VALUES (?1, ?2, ?3, ?4, 'SEED') ON CONFLICT (city_code, source_id) DO NOTHING",
            params![s.admin_code, source, s.note, s.evidence],
        )?;
    }
    drop_left_entries(tx, &keep)?;
    tx.execute(reference::GRADE_ENTRIES, [])?;
    Ok(())
}

/// Checks that the seed's files agree with the rule the database applies: an entry is
/// confirmed exactly when a source of a confirming grade names it.
fn check_membership(
    confirmed: &[CityRow],
    candidates: &[CityRow],
    sources: &[CitySourceRow],
) -> Result<(), DbError> {
    let mut confirming = BTreeSet::new();
    for s in sources {
        let grade = EvidenceGrade::parse(&s.evidence)
            .ok_or_else(|| DbError::Seed(format!("city_sources.csv: unknown evidence {:?}", s.evidence)))?;
        if grade.confirms() {
            confirming.insert(s.admin_code.as_str());
        }
    }
    let listed: BTreeSet<&str> = confirmed.iter().chain(candidates).map(|c| c.admin_code.as_str()).collect();
    if let Some(s) = sources.iter().find(|s| !listed.contains(s.admin_code.as_str())) {
        return Err(DbError::Seed(format!(
            "city_sources.csv cites {}, which no city file lists",
            s.admin_code
        )));
    }
    if let Some(c) = confirmed.iter().find(|c| !confirming.contains(c.admin_code.as_str())) {
        return Err(DbError::Seed(format!("confirmed entry {} has no confirming source", c.admin_code)));
    }
    if let Some(c) = candidates.iter().find(|c| confirming.contains(c.admin_code.as_str())) {
        return Err(DbError::Seed(format!("candidate {} has a confirming source", c.admin_code)));
    }
    Ok(())
}

/// Deletes the seed's entries that left it, unless an observation or a user's source still
/// refers to one: that entry is kept, as the user's, and graded from what is left.
fn drop_left_entries(tx: &Transaction<'_>, keep: &BTreeSet<&str>) -> Result<(), DbError> {
    let left: Vec<String> = {
        let mut statement =
            tx.prepare("SELECT admin_code FROM cities WHERE origin = 'SEED' AND synthetic = 0")?;
        let rows = statement.query_map([], |r| r.get::<_, String>(0))?;
        rows.filter(|code| code.as_ref().map_or(true, |c| !keep.contains(c.as_str())))
            .collect::<rusqlite::Result<_>>()?
    };
    for code in left {
        let deleted = tx.execute(
            "DELETE FROM cities WHERE admin_code = ?1
               AND NOT EXISTS (SELECT 1 FROM observations WHERE city_code = ?1)
               AND NOT EXISTS (SELECT 1 FROM city_sources WHERE city_code = ?1)",
            [&code],
        )?;
        if deleted == 0 {
            tx.execute("UPDATE cities SET origin = 'USER' WHERE admin_code = ?1", [&code])?;
            tracing::warn!(city = %code, "an entry left the seed but user data refers to it: kept");
        }
    }
    Ok(())
}

/// Province coverage, checked against the entries: a province's known count is the number of
/// its confirmed entries in the seed, and every province with one has a row.
fn apply_coverage(tx: &Transaction<'_>, rows: &[CoverageRow], confirmed: &[CityRow]) -> Result<(), DbError> {
    let mut seeded: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for c in confirmed {
        *seeded.entry(c.province_code.as_str()).or_default() += 1;
    }
    let covered: BTreeSet<&str> = rows.iter().map(|r| r.province_code.as_str()).collect();
    if let Some(missing) = seeded.keys().find(|code| !covered.contains(*code)) {
        return Err(DbError::Seed(format!("province_coverage.csv has no row for {missing}")));
    }
    tx.execute("DELETE FROM province_coverage", [])?;
    for r in rows {
        if Completeness::parse(&r.set_complete).is_none() {
            let message =
                format!("province_coverage.csv: {} has set_complete {:?}", r.province_code, r.set_complete);
            return Err(DbError::Seed(message));
        }
        let known = seeded.get(r.province_code.as_str()).copied().unwrap_or(0);
        if known != r.entries_known {
            return Err(DbError::Seed(format!(
                "province_coverage.csv: {} knows {} entries, cities.csv has {known}",
                r.province_code, r.entries_known
            )));
        }
        tx.execute(
            "INSERT INTO province_coverage VALUES (?1, ?2, ?3, ?4)",
            params![r.province_code, r.entries_known, r.set_complete, r.why],
        )?;
    }
    Ok(())
}

/// How indicators follow from others where they are not published.
fn apply_derivations(tx: &Transaction<'_>, rows: &[DerivationRow]) -> Result<(), DbError> {
    tx.execute("DELETE FROM indicator_derivations", [])?;
    for r in rows {
        tx.execute(
            "INSERT INTO indicator_derivations VALUES (?1, ?2, ?3, ?4, ?5)",
            params![r.code, r.numerator, r.denominator, r.scale, r.why],
        )?;
    }
    Ok(())
}

fn apply_indicators(tx: &Transaction<'_>, seed: &Seed) -> Result<(), DbError> {
    let rows: Vec<IndicatorRow> = csv_rows("indicators.csv", seed.indicators)?;
    let ranges: Vec<RangeRow> = csv_rows("indicator_ranges.csv", seed.indicator_ranges)?;
    for i in &rows {
        let range = ranges.iter().find(|r| r.code == i.code);
        tx.execute(
            "INSERT INTO indicators VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (code) DO UPDATE SET name_en = excluded.name_en, name_zh = excluded.name_zh,
               unit = excluded.unit, direction = excluded.direction,
               aggregation = excluded.aggregation, description = excluded.description,
               min_value = excluded.min_value, max_value = excluded.max_value",
            params![
                i.code,
                i.name_en,
                i.name_zh.as_deref().filter(|s| !s.is_empty()),
                i.unit,
                i.direction,
                i.aggregation,
                i.description,
                range.and_then(|r| r.min_value),
                range.and_then(|r| r.max_value)
            ],
        )?;
    }
    let keep: BTreeSet<&str> = rows.iter().map(|i| i.code.as_str()).collect();
    delete_missing(tx, "indicators", "code", &keep)
}

fn apply_targets(tx: &Transaction<'_>, rows: &[TargetRow]) -> Result<(), DbError> {
    for t in rows {
        // The CSV states a change target in percent (−32); the evaluator works in fractions.
        let (value, change) = match t.kind.as_str() {
            "change_from_baseline" => (None, Some(t.target_value / 100.0)),
            _ => (Some(t.target_value), None),
        };
        let source = source_id(tx, &t.source, None)?;
        tx.execute(
            "INSERT OR REPLACE INTO targets VALUES
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                t.code,
                t.indicator,
                t.name_en,
                t.unit,
                t.kind,
                t.direction,
                t.baseline_year,
                t.baseline_value,
                t.target_year,
                value,
                change,
                t.scope,
                t.caveats,
                source
            ],
        )?;
    }
    let keep: BTreeSet<&str> = rows.iter().map(|t| t.code.as_str()).collect();
    delete_missing(tx, "targets", "code", &keep)
}

fn apply_observations(tx: &Transaction<'_>, rows: &[ObservationRow]) -> Result<(), DbError> {
    let mut keep = Vec::with_capacity(rows.len());
    for o in rows {
        // The seed declares a grade for every value, as any writer must.
        let grade = SourceGrade::declared(&o.source_grade).map_err(|e| {
            DbError::Seed(format!("observations.csv: {} {} {}: {e}", o.admin_code, o.indicator, o.year))
        })?;
        let source = source_id(tx, &o.source_url, None)?;
        // A user's row for the same (subject, indicator, year) wins: the seed never overwrites it.
        // A row the seed leaves as it was keeps the version that recorded it: a restart is not
        // news to a subscriber.
        tx.execute(
            "INSERT INTO observations (subject_kind, city_code, subject_key, indicator_code, year, value,
                                       unit, definition, source_id, source_note, origin,
                                       recorded_version, recorded_by, source_grade)
             SELECT 'CITY', ?1, 'CITY:' || ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'SEED', value, 'SEED', ?9
             FROM meta WHERE key = 'data_version'
             ON CONFLICT (subject_key, indicator_code, year) DO UPDATE SET value = excluded.value,
               unit = excluded.unit, definition = excluded.definition,
               source_id = excluded.source_id, source_note = excluded.source_note,
               recorded_version = excluded.recorded_version, recorded_by = 'SEED',
               source_grade = excluded.source_grade
             WHERE origin = 'SEED'
               AND (value, unit, definition, source_id, source_note, source_grade)
                   IS NOT (excluded.value, excluded.unit, excluded.definition, excluded.source_id,
                           excluded.source_note, excluded.source_grade)",
            params![
                o.admin_code,
                o.indicator,
                o.year,
                o.value,
                o.unit,
                o.definition,
                source,
                o.source_note,
                grade.as_str()
            ],
        )?;
        keep.push(format!("CITY:{}|{}|{}", o.admin_code, o.indicator, o.year));
    }
    let keep: BTreeSet<&str> = keep.iter().map(String::as_str).collect();
    let stale: Vec<i64> = {
        let mut statement = tx.prepare(
            "SELECT id, subject_key || '|' || indicator_code || '|' || year FROM observations
             WHERE origin = 'SEED'",
        )?;
        let rows = statement.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().filter(|(_, key)| !keep.contains(key.as_str())).map(|(id, _)| id).collect()
    };
    for id in stale {
        tx.execute("DELETE FROM observations WHERE id = ?1", [id])?;
    }
    Ok(())
}

/// Puts back the embedded seed's value for each (city, indicator, year) that has no row any
/// more: once a user's re-record of a seeded value is deleted, the seed's value stands again at
/// once, as it would after the next start's refresh. Gives how many came back.
pub fn restore_observations(conn: &Conn<'_>, removed: &[(String, String, i32)]) -> Result<usize, DbError> {
    if removed.is_empty() {
        return Ok(0);
    }
    let rows: Vec<ObservationRow> = csv_rows("observations.csv", EMBEDDED.observations)?;
    let seeded = rows.iter().filter(|o| {
        removed.iter().any(|(city, indicator, year)| {
            *city == o.admin_code && *indicator == o.indicator && *year == o.year
        })
    });
    let mut restored = 0;
    for o in seeded {
        let grade = SourceGrade::declared(&o.source_grade).map_err(|e| {
            DbError::Seed(format!("observations.csv: {} {} {}: {e}", o.admin_code, o.indicator, o.year))
        })?;
        conn.execute("INSERT INTO sources (url) VALUES (?1) ON CONFLICT (url) DO NOTHING", [&o.source_url])?;
        restored += conn.execute(
            "INSERT INTO observations (subject_kind, city_code, subject_key, indicator_code, year, value,
                                       unit, definition, source_id, source_note, origin,
                                       recorded_version, recorded_by, source_grade)
             SELECT 'CITY', ?1, 'CITY:' || ?1, ?2, ?3, ?4, ?5, ?6, s.id, ?8, 'SEED', m.value, 'SEED', ?9
             FROM meta m, sources s WHERE m.key = 'data_version' AND s.url = ?7
             ON CONFLICT (subject_key, indicator_code, year) DO NOTHING",
            params![
                o.admin_code,
                o.indicator,
                o.year,
                o.value,
                o.unit,
                o.definition,
                o.source_url,
                o.source_note,
                grade.as_str()
            ],
        )?;
    }
    Ok(restored)
}

/// Deletes the rows of `table` whose key is not in `keep` (rows that left the seed). `table` may
/// end in a `WHERE` condition that limits which rows are considered (synthetic rows are not
/// the seed's).
fn delete_missing(
    tx: &Transaction<'_>,
    table: &str,
    key: &str,
    keep: &BTreeSet<&str>,
) -> Result<(), DbError> {
    let existing: Vec<String> = {
        let mut statement = tx.prepare(&format!("SELECT {key} FROM {table}"))?;
        let rows = statement.query_map([], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for code in existing.iter().filter(|c| !keep.contains(c.as_str())) {
        let table_name = table.split_whitespace().next().unwrap_or(table);
        tx.execute(&format!("DELETE FROM {table_name} WHERE {key} = ?1"), [code])?;
    }
    Ok(())
}
