//! Observations: reading them by subject or indicator, in pages.

use std::collections::HashMap;

use rusqlite::Row;

use super::list::{self, Listed, Table, by_keys, stored};
use super::{Conn, DbError};
use crate::domain::query::ListQuery;
use crate::domain::{Observation, Origin, SubjectKind};

/// Observations with their source address (a view, see schema.sql).
pub const OBSERVATIONS: Table = Table { name: "observation_rows", key: "id" };

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

fn observation(row: &Row<'_>) -> rusqlite::Result<Observation> {
    Ok(Observation {
        id: row.get("id")?,
        subject_kind: stored(row, "subject_kind", SubjectKind::parse)?,
        city_code: row.get("city_code")?,
        province_code: row.get("province_code")?,
        indicator_code: row.get("indicator_code")?,
        year: row.get("year")?,
        value: row.get("value")?,
        unit: row.get("unit")?,
        definition: row.get("definition")?,
        source_url: row.get("source_url")?,
        source_note: row.get("source_note")?,
        origin: stored(row, "origin", Origin::parse)?,
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
    let rows = by_keys(conn, OBSERVATIONS.name, "CAST(id AS TEXT)", ids, observation)?;
    Ok(rows)
}
