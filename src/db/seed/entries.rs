//! Provinces, the plan's entries (confirmed and candidates) with their graded sources, and
//! province coverage: checked against each other before anything is written.

use std::collections::BTreeSet;

use rusqlite::{Transaction, params};
use serde::Deserialize;

use super::super::{DbError, reference};
use super::{Seed, csv_rows, delete_missing, source_id};
use crate::domain::{Completeness, EvidenceGrade};

#[derive(Deserialize)]
pub(super) struct ProvinceRow {
    code: String,
    name_en: String,
    name_zh: String,
    iso_3166_2: String,
    kind: String,
    region: String,
}

#[derive(Deserialize)]
pub(super) struct CityRow {
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
pub(super) struct CitySourceRow {
    admin_code: String,
    evidence: String,
    source_url: String,
    note: String,
}

#[derive(Deserialize)]
pub(super) struct CoverageRow {
    province_code: String,
    entries_known: i64,
    set_complete: String,
    why: String,
}

pub(super) fn apply_provinces(tx: &Transaction<'_>, rows: &[ProvinceRow]) -> Result<(), DbError> {
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
pub(super) const CANDIDATE_NOTE: &str =
    "Indirect evidence only (SOURCES.md §2b, §2c): a lead, not a verified entry";

/// The seed's entries and their graded sources, candidates' sources included.
pub(super) struct Entries {
    pub(super) confirmed: Vec<CityRow>,
    candidates: Vec<CityRow>,
    sources: Vec<CitySourceRow>,
}

impl Entries {
    pub(super) fn parse(seed: &Seed) -> Result<Self, DbError> {
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

pub(super) fn apply_cities(tx: &Transaction<'_>, entries: &Entries) -> Result<(), DbError> {
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
pub(super) fn check_membership(
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
pub(super) fn drop_left_entries(tx: &Transaction<'_>, keep: &BTreeSet<&str>) -> Result<(), DbError> {
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
pub(super) fn apply_coverage(
    tx: &Transaction<'_>,
    rows: &[CoverageRow],
    confirmed: &[CityRow],
) -> Result<(), DbError> {
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
