//! Facets of a list: how many of its matching rows have each value of a column, for every
//! parent at once, under the same filter as the list, in one statement per facet.

use std::collections::HashMap;

use rusqlite::ToSql;
use rusqlite::types::Value;

use super::list::{Table, array, filter_sql};
use super::related::Row;
use super::{Conn, DbError};
use crate::domain::query::ListQuery;

/// Each parent's values of one facet (`None` for NULL) with their counts.
pub type FacetCounts = HashMap<String, Vec<(Option<String>, u32)>>;

/// Values of one facet with their counts, most frequent first (ties by value), for each parent
/// in `parents` (or for the whole list, keyed `""`). `value` is an SQL expression over the
/// table's columns; a row where it is NULL counts under `None`.
pub fn counts(
    conn: &Conn<'_>,
    table: &Table,
    parents: Option<(&'static str, &[String])>,
    query: &ListQuery,
    value: &str,
) -> Result<FacetCounts, DbError> {
    let mut params: Vec<Box<dyn ToSql>> = Vec::new();
    let mut conditions = Vec::new();
    let parent = match parents {
        Some((column, keys)) => {
            conditions.push(format!("{column} IN rarray(?)"));
            params.push(Box::new(array(keys.iter().map(|k| Value::Text(k.clone())))));
            column
        }
        None => "''",
    };
    if let Some(filter) = &query.filter {
        let mut values = Vec::new();
        conditions.push(filter_sql(filter, Row::of(table.base), &mut values));
        params.extend(values.into_iter().map(|v| Box::new(v) as Box<dyn ToSql>));
    }
    let conditions = if conditions.is_empty() { "1".to_string() } else { conditions.join(" AND ") };
    let sql = format!(
        "SELECT {parent} AS _parent, CAST({value} AS TEXT) AS value, count(*) AS n FROM {base}
         WHERE {conditions} GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2",
        base = table.base,
    );
    let mut out = FacetCounts::new();
    conn.rows(&sql, rusqlite::params_from_iter(params), |row| {
        let entry = out.entry(row.text(0)?.to_string()).or_default();
        entry.push((row.get("value")?, row.get("n")?));
        Ok(())
    })?;
    Ok(out)
}
