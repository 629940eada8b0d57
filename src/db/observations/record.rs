//! Recording user observations (every row checked first, then all written or none) and
//! deleting them.

use std::collections::{HashMap, HashSet};

use super::super::{Conn, DbError, reference};
use super::observations_by_id;
use crate::domain::recording::{self, Known, NewObservation, Problem, Subject};
use crate::domain::{Indicator, Observation, Origin, Recorder};

/// The outcome of recording a batch of observations.
#[derive(Debug, Clone)]
pub enum Recorded {
    /// Every row was written; the stored rows, in input order.
    Written(Vec<Observation>),
    /// Nothing was written: every problem found, row by row.
    Refused(Vec<Problem>),
}

/// Checks every row, then, only if all pass, upserts them by (subject, indicator, year) as
/// user observations. Run it inside [`crate::db::Db::write`] so the rows are written together or
/// not at all.
pub fn record(
    conn: &Conn<'_>,
    rows: &[NewObservation],
    last_year: i32,
    by: Recorder,
) -> Result<Recorded, DbError> {
    record_with(conn, rows, last_year, by, &|_| {})
}

/// [`record`], calling `written` after each row is written (an import shows its progress).
pub fn record_with(
    conn: &Conn<'_>,
    rows: &[NewObservation],
    last_year: i32,
    by: Recorder,
    written: &(dyn Fn(u64) + Sync),
) -> Result<Recorded, DbError> {
    let problems = check_rows(conn, rows, last_year)?;
    if !problems.is_empty() {
        return Ok(Recorded::Refused(problems));
    }
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        ids.push(upsert(conn, row, by)?);
        written(1);
    }
    let keys: Vec<String> = ids.iter().map(i64::to_string).collect();
    let mut stored: HashMap<String, Observation> = observations_by_id(conn, &keys)?.into_iter().collect();
    Ok(Recorded::Written(keys.iter().filter_map(|k| stored.remove(k)).collect()))
}

/// Every problem of every row, including rows that repeat an earlier row's key.
fn check_rows(conn: &Conn<'_>, rows: &[NewObservation], last_year: i32) -> Result<Vec<Problem>, DbError> {
    let indicator_codes: Vec<String> = rows.iter().map(|r| r.indicator_code.clone()).collect();
    let indicators: HashMap<String, Indicator> =
        reference::indicators_by_code(conn, &indicator_codes)?.into_iter().collect();
    let existing = existing_subjects(conn, rows)?;
    let mut seen: HashMap<(String, &str, i32), usize> = HashMap::new();
    let mut problems = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let known = Known {
            indicator: indicators.get(&row.indicator_code),
            subject_exists: row.subject == Subject::Plan || existing.contains(&row.subject.key()),
            last_year,
        };
        problems.extend(recording::check(index, row, &known));
        let key = (row.subject.key(), row.indicator_code.as_str(), row.year);
        if let Some(first) = seen.insert(key, index) {
            let message = format!("repeats row {first}: one value per subject, indicator and year");
            problems.push(Problem { row: index, field: "year", message });
        }
    }
    Ok(problems)
}

/// The subject keys among `rows` that exist.
fn existing_subjects(conn: &Conn<'_>, rows: &[NewObservation]) -> Result<HashSet<String>, DbError> {
    let (mut cities, mut provinces) = (Vec::new(), Vec::new());
    for row in rows {
        match &row.subject {
            Subject::City(code) => cities.push(code.clone()),
            Subject::Province(code) => provinces.push(code.clone()),
            Subject::Plan => {}
        }
    }
    let mut existing = HashSet::new();
    existing.extend(
        reference::cities_by_code(conn, &cities)?.into_iter().map(|(code, _)| format!("CITY:{code}")),
    );
    existing.extend(
        reference::provinces_by_code(conn, &provinces)?
            .into_iter()
            .map(|(code, _)| format!("PROVINCE:{code}")),
    );
    Ok(existing)
}

/// Inserts or replaces one user observation, marking it with the write's data version and its
/// writer; gives its id.
fn upsert(conn: &Conn<'_>, row: &NewObservation, by: Recorder) -> Result<i64, DbError> {
    conn.execute("INSERT INTO sources (url) VALUES (?1) ON CONFLICT (url) DO NOTHING", [row.source.trim()])?;
    let (city, province) = match &row.subject {
        Subject::City(code) => (Some(code.as_str()), None),
        Subject::Province(code) => (None, Some(code.as_str())),
        Subject::Plan => (None, None),
    };
    let ids = conn.rows(
        "INSERT INTO observations (subject_kind, city_code, province_code, subject_key, indicator_code, year,
                                   value, unit, definition, source_id, source_note, origin,
                                   recorded_version, recorded_by, source_grade)
         SELECT ?1, ?2, ?3, ?1 || ':' || coalesce(?2, ?3, ''), ?4, ?5, ?6, coalesce(?7, i.unit), coalesce(?8, ''),
                s.id, coalesce(?9, ''), 'USER', m.value, ?11, ?12
         FROM indicators i, sources s, meta m WHERE i.code = ?4 AND s.url = ?10 AND m.key = 'data_version'
         ON CONFLICT (subject_key, indicator_code, year) DO UPDATE SET value = excluded.value,
           unit = excluded.unit, definition = excluded.definition, source_id = excluded.source_id,
           source_note = excluded.source_note, origin = 'USER',
           recorded_version = excluded.recorded_version, recorded_by = excluded.recorded_by,
           source_grade = excluded.source_grade
         RETURNING id",
        rusqlite::params![
            row.subject.kind().as_str(),
            city,
            province,
            row.indicator_code,
            row.year,
            row.value,
            row.unit,
            row.definition,
            row.source_note,
            row.source.trim(),
            by.as_str(),
            row.source_grade.as_str()
        ],
        |r| r.get(0),
    )?;
    ids.into_iter().next().ok_or_else(|| DbError::Corrupt("an upsert returned no id".into()))
}

/// The outcome of deleting observations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deleted {
    /// These ids were deleted (ids that did not exist are left out).
    Done(Vec<i64>),
    /// Nothing was deleted: these ids are seeded reference observations, which only change
    /// with the seed.
    SeedRows(Vec<i64>),
}

/// Deletes user observations by id, all or none.
pub fn delete(conn: &Conn<'_>, ids: &[i64]) -> Result<Deleted, DbError> {
    let keys: Vec<String> = ids.iter().map(i64::to_string).collect();
    let found = observations_by_id(conn, &keys)?;
    let seeded: Vec<i64> =
        found.iter().filter(|(_, o)| o.origin == Origin::Seed).map(|(_, o)| o.id).collect();
    if !seeded.is_empty() {
        return Ok(Deleted::SeedRows(seeded));
    }
    let (mut deleted, mut removed) = (Vec::new(), Vec::new());
    for (_, observation) in found {
        conn.execute("DELETE FROM observations WHERE id = ?1", [observation.id])?;
        deleted.push(observation.id);
        if let Some(city) = observation.city_code {
            removed.push((city, observation.indicator_code, observation.year));
        }
    }
    // A user's value that had replaced a seeded one leaves the seeded one behind.
    super::super::seed::restore_observations(conn, &removed)?;
    Ok(Deleted::Done(deleted))
}
