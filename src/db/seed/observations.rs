//! The seeded observations: refreshed where the seed owns them, and put back when a user's
//! re-record of one is deleted.

use std::collections::BTreeSet;

use rusqlite::{Transaction, params};
use serde::Deserialize;

use super::super::{Conn, DbError};
use super::{EMBEDDED, csv_rows, source_id};
use crate::domain::SourceGrade;

#[derive(Deserialize)]
pub(super) struct ObservationRow {
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

pub(super) fn apply_observations(tx: &Transaction<'_>, rows: &[ObservationRow]) -> Result<(), DbError> {
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
