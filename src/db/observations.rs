//! Observations: reading them by subject or indicator, in pages, and what each write recorded;
//! recording and deleting them ([`record`](mod@record)); the series evaluations use
//! ([`series`](mod@series)).

mod record;
mod series;

pub use record::*;
pub use series::*;

use std::collections::HashMap;

use super::list::{self, Listed, Table, optional_stored, stored};
use super::{Conn, DbError, Record};
use crate::domain::query::ListQuery;
use crate::domain::{Observation, Origin, Recorder, SourceGrade, SubjectKind};

/// Observations with their source address (a view, see schema.sql).
pub const OBSERVATIONS: Table = Table {
    name: "observation_rows",
    base: "observations",
    key: "id",
    columns: &[
        "id",
        "subject_kind",
        "city_code",
        "province_code",
        "indicator_code",
        "year",
        "value",
        "unit",
        "definition",
        "source_note",
        "origin",
        "synthetic",
        "recorded_version",
        "recorded_by",
        "source_grade",
        "source_url",
    ],
    texts: &["unit", "definition", "source_note", "source_url", "indicator_code"],
    joined: &["source_url"],
};

/// Which observations a list belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObservationParent {
    /// Every observation.
    All,
    /// Observations of cities, keyed by admin code.
    City,
    /// Observations of provinces as a whole, keyed by province code.
    Province,
    /// Observations of an indicator, keyed by indicator code.
    Indicator,
}

impl ObservationParent {
    fn column(self) -> Option<&'static str> {
        match self {
            Self::All => None,
            Self::City => Some("city_code"),
            Self::Province => Some("province_code"),
            Self::Indicator => Some("indicator_code"),
        }
    }
}

pub(super) fn observation(row: &Record<'_, '_>) -> rusqlite::Result<Observation> {
    Ok(Observation {
        id: row.get("id")?,
        subject_kind: stored(row, "subject_kind", SubjectKind::parse)?,
        city_code: row.get("city_code")?,
        province_code: row.get("province_code")?,
        indicator_code: row.text_or_empty("indicator_code")?,
        year: row.get("year")?,
        value: row.get("value")?,
        unit: row.text_or_empty("unit")?,
        definition: row.text_or_empty("definition")?,
        source_url: row.text_or_empty("source_url")?,
        source_note: row.text_or_empty("source_note")?,
        origin: stored(row, "origin", Origin::parse)?,
        synthetic: row.get("synthetic")?,
        recorded_version: row.get("recorded_version")?,
        recorded_by: optional_stored(row, "recorded_by", Recorder::parse)?,
        source_grade: stored(row, "source_grade", SourceGrade::parse)?,
    })
}

/// A page of observations for each key of `parent` in `keys`.
pub fn list_observations(
    conn: &Conn<'_>,
    parent: ObservationParent,
    keys: &[String],
    query: &ListQuery,
) -> Result<HashMap<String, Listed<Observation>>, DbError> {
    let parents = parent.column().map(|column| (column, keys));
    list::list(conn, &OBSERVATIONS, parents, query, observation)
}

/// Observations by id (ids are integers, passed as text like every loader key).
pub fn observations_by_id(conn: &Conn<'_>, ids: &[String]) -> Result<Vec<(String, Observation)>, DbError> {
    // Bound as integers, so the lookup uses the primary key (comparing `CAST(id AS TEXT)`
    // scanned the whole table); a key that is not a number matches nothing.
    let ids: Vec<rusqlite::types::Value> =
        ids.iter().filter_map(|id| id.parse().ok()).map(rusqlite::types::Value::Integer).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = list::keyed_rows(OBSERVATIONS.name, "id");
    conn.rows(&sql, [list::array(ids)], |row| Ok((row.get::<_, i64>("id")?.to_string(), observation(row)?)))
}

/// The writes after data version `after`, up to `upto`, that recorded observations: each
/// write's data version and writer, oldest first.
pub fn writes_since(conn: &Conn<'_>, after: u64, upto: u64) -> Result<Vec<(u64, Recorder)>, DbError> {
    let version = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let rows = conn.rows(
        "SELECT recorded_version, recorded_by FROM observations
         WHERE recorded_version > ?1 AND recorded_version <= ?2 AND recorded_by IS NOT NULL
         GROUP BY recorded_version, recorded_by ORDER BY recorded_version",
        [version(after), version(upto)],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
    )?;
    rows.into_iter()
        .map(|(v, by)| {
            let by =
                Recorder::parse(&by).ok_or_else(|| DbError::Corrupt(format!("unknown writer {by:?}")))?;
            Ok((u64::try_from(v).unwrap_or(0), by))
        })
        .collect()
}
