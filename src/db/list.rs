//! One SQL statement for a page of a list, for any number of parents at once.
//!
//! A window function numbers the matching rows within each parent and counts them, so the
//! page of every parent (say, the first 10 cities of each of 31 provinces) and each parent's
//! total come back from a single statement. Row 0 of every parent is always returned, even when
//! it falls outside the page, because it carries that parent's total.

use std::collections::HashMap;

use rusqlite::types::Value;

use super::{Conn, DbError, Record};
use crate::domain::query::{Filter, ListQuery, Op, Scalar};

/// A table that lists can be read from.
pub struct Table {
    /// The table, view or subquery rows are read from.
    pub name: &'static str,
    /// The plain table the same rows live in, with every column filters and sort keys name:
    /// rows are numbered there, narrow, and only the page's rows are read from `name`.
    pub base: &'static str,
    /// Its primary key: the last sort key, so every order is total and pages never overlap.
    pub key: &'static str,
}

/// One parent's page: the total number of matching rows and the rows in the page, each with
/// its offset in the whole list (offsets become cursors).
#[derive(Debug, Clone)]
pub struct Listed<T> {
    pub total: u32,
    pub rows: Vec<(u32, T)>,
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Self { total: 0, rows: Vec::new() }
    }
}

/// Lists rows of `table` matching `query`, one page per parent.
///
/// With `parents = Some((column, keys))` the rows are grouped by `column` and the result has an
/// entry for each key that has matching rows; with `None` everything is one group keyed `""`.
pub fn list<T>(
    conn: &Conn<'_>,
    table: &Table,
    parents: Option<(&'static str, &[String])>,
    query: &ListQuery,
    map: impl Fn(&Record<'_, '_>) -> rusqlite::Result<T>,
) -> Result<HashMap<String, Listed<T>>, DbError> {
    let mut params = Vec::new();
    let mut conditions = Vec::new();
    let (parent, partition) = match parents {
        Some((column, keys)) => {
            let marks = vec!["?"; keys.len()].join(", ");
            conditions.push(format!("{column} IN ({marks})"));
            params.extend(keys.iter().map(|k| Value::Text(k.clone())));
            (column.to_string(), format!("PARTITION BY {column} "))
        }
        None => ("''".to_string(), String::new()),
    };
    if let Some(filter) = &query.filter {
        conditions.push(filter_sql(filter, &mut params));
    }
    let conditions = if conditions.is_empty() { "1".to_string() } else { conditions.join(" AND ") };
    let mut order: Vec<String> = query
        .order
        .iter()
        .map(|k| format!("{} {}", k.column, if k.descending { "DESC" } else { "ASC" }))
        .collect();
    order.push(format!("{} ASC", table.key));
    let (start, end) = window_sql(query);
    // Numbering narrow rows (key and parent) and then reading only the page's rows in full is
    // about three times faster on wide rows than numbering the rows themselves.
    let sql = format!(
        "WITH ranked AS (
           SELECT {key} AS _key, {parent} AS _parent,
                  ROW_NUMBER() OVER ({partition}ORDER BY {order}) - 1 AS _rn,
                  COUNT(*) OVER ({partition}) AS _total
           FROM {base} WHERE {conditions}
         ), windowed AS (SELECT *, {start} AS _start, {end} AS _end FROM ranked)
         SELECT t.*, w._parent, w._rn, w._total, w._start, w._end
         FROM windowed w JOIN {name} t ON t.{key} = w._key
         WHERE w._rn = 0 OR (w._rn >= w._start AND w._rn < w._end)",
        key = table.key,
        order = order.join(", "),
        base = table.base,
        name = table.name,
    );
    // The window bounds come back as columns, so the page is computed once, in SQL.
    let rows = conn.rows(&sql, rusqlite::params_from_iter(params), |row| {
        let parent: String = row.get("_parent")?;
        let rn: u32 = row.get("_rn")?;
        let total: u32 = row.get("_total")?;
        let start: u32 = row.get("_start")?;
        let end: u32 = row.get("_end")?;
        let item = if rn >= start && rn < end { Some(map(row)?) } else { None };
        Ok((parent, rn, total, item))
    })?;
    let mut out: HashMap<String, Listed<T>> = HashMap::new();
    for (parent, rn, total, item) in rows {
        let entry = out.entry(parent).or_default();
        entry.total = total;
        if let Some(item) = item {
            entry.rows.push((rn, item));
        }
    }
    // The join gives no order; a page is short, so sorting it here is cheaper than in SQL.
    for listed in out.values_mut() {
        listed.rows.sort_unstable_by_key(|(rn, _)| *rn);
    }
    Ok(out)
}

/// The page's `[start, end)` as SQL expressions over `_total`, mirroring `Page::window`.
fn window_sql(query: &ListQuery) -> (String, String) {
    let page = query.page;
    let start = page.after.map_or(0, |a| i64::from(a) + 1);
    let start = format!("MIN({start}, _total)");
    let end = match page.before {
        Some(b) => format!("MAX(MIN({b}, _total), {start})"),
        None => "_total".to_string(),
    };
    let end = match page.first {
        Some(f) => format!("MIN({end}, {start} + {f})"),
        None => end,
    };
    let start = match page.last {
        Some(l) => format!("MAX({start}, ({end}) - {l})"),
        None => start,
    };
    (start, end)
}

/// Renders a filter tree as a SQL condition, pushing its values onto `params`.
fn filter_sql(filter: &Filter, params: &mut Vec<Value>) -> String {
    let join = |children: &[Filter], op: &str, empty: &str, params: &mut Vec<Value>| {
        if children.is_empty() {
            return empty.to_string();
        }
        let parts: Vec<String> = children.iter().map(|c| filter_sql(c, params)).collect();
        format!("({})", parts.join(op))
    };
    match filter {
        Filter::All(children) => join(children, " AND ", "1", params),
        Filter::Any(children) => join(children, " OR ", "0", params),
        // coalesce: NOT of an unknown (a comparison with NULL) should hold, as a user expects.
        Filter::Not(child) => format!("NOT coalesce({}, 0)", filter_sql(child, params)),
        Filter::Column { column, op } => op_sql(column, op, params),
    }
}

fn op_sql(column: &str, op: &Op, params: &mut Vec<Value>) -> String {
    let mut bind = |s: &Scalar| {
        params.push(value(s));
        "?"
    };
    match op {
        Op::Eq(v) => format!("{column} = {}", bind(v)),
        Op::Ne(v) => format!("{column} IS NOT {}", bind(v)),
        Op::Lt(v) => format!("{column} < {}", bind(v)),
        Op::Lte(v) => format!("{column} <= {}", bind(v)),
        Op::Gt(v) => format!("{column} > {}", bind(v)),
        Op::Gte(v) => format!("{column} >= {}", bind(v)),
        Op::In(vs) | Op::NotIn(vs) if vs.is_empty() => {
            (if matches!(op, Op::In(_)) { "0" } else { "1" }).to_string()
        }
        Op::In(vs) => format!("{column} IN ({})", vs.iter().map(bind).collect::<Vec<_>>().join(", ")),
        Op::NotIn(vs) => format!(
            "({column} IS NULL OR {column} NOT IN ({}))",
            vs.iter().map(bind).collect::<Vec<_>>().join(", ")
        ),
        Op::Contains(s) => text(params, s, format!("instr({column}, ?) > 0")),
        Op::StartsWith(s) => text(params, s, format!("instr({column}, ?) = 1")),
        Op::EqIgnoreCase(s) => text(params, s, format!("lower({column}) = lower(?)")),
        Op::ContainsIgnoreCase(s) => text(params, s, format!("instr(lower({column}), lower(?)) > 0")),
        Op::IsNull(true) => format!("{column} IS NULL"),
        Op::IsNull(false) => format!("{column} IS NOT NULL"),
    }
}

fn text(params: &mut Vec<Value>, s: &str, sql: String) -> String {
    params.push(Value::Text(s.to_string()));
    sql
}

fn value(s: &Scalar) -> Value {
    match s {
        Scalar::Text(t) => Value::Text(t.clone()),
        Scalar::Int(i) => Value::Integer(*i),
        Scalar::Real(r) => Value::Real(*r),
    }
}

/// Reads the rows of `table` whose `column` is one of `keys`, keyed by that column.
pub fn by_keys<T>(
    conn: &Conn<'_>,
    table: &str,
    column: &str,
    keys: &[String],
    map: impl Fn(&Record<'_, '_>) -> rusqlite::Result<T>,
) -> Result<Vec<(String, T)>, DbError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; keys.len()].join(", ");
    let sql = format!("SELECT {column} AS _key, * FROM {table} WHERE {column} IN ({marks})");
    conn.rows(&sql, rusqlite::params_from_iter(keys), |row| Ok((row.get("_key")?, map(row)?)))
}

/// Reads a stored enum column, failing loudly on a spelling this binary does not know.
pub fn stored<T>(row: &Record<'_, '_>, column: &str, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let text: String = row.get(column)?;
    parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown value {text:?} in column {column}").into(),
        )
    })
}
