//! A page of a list for any number of parents at once, in two statements whatever the number
//! of parents or rows.
//!
//! The first numbers the matching rows narrow (parent and key only, in the list's order, so an
//! index usually answers it without touching the rows) and counts them per parent; the page of
//! each parent is picked from that stream as it goes by, keeping at most a page of keys. The
//! second reads exactly the picked rows, in full, by key. A window function over all matching
//! rows would do the same in one statement, but materialises and sorts every row first, which
//! on large data costs more than the second statement (`benches/run.sh`, the dashboard on the
//! x1,000 synthetic database).

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use rusqlite::ToSql;
use rusqlite::types::{Value, ValueRef};

use super::related::Row;
use super::{Conn, DbError, Record};
use crate::domain::query::{Filter, ListQuery, Op, Page, Scalar, Texts};

/// A table that lists can be read from.
pub struct Table {
    /// The table, view or subquery rows are read from.
    pub name: &'static str,
    /// The plain table the same rows live in, with every column filters and sort keys name:
    /// rows are numbered there, narrow, and only the page's rows are read from `name`.
    pub base: &'static str,
    /// Its primary key: the last sort key, so every order is total and pages never overlap.
    pub key: &'static str,
    /// The columns of `name` its row mapper reads, for a list that reads only some of its text.
    pub columns: &'static [&'static str],
    /// The text columns a list reads only when its query asks for them ([`Texts`]); a row
    /// mapper reads one it was not given as empty ([`Record::text_or_empty`]).
    pub texts: &'static [&'static str],
    /// The columns only `name` has (joined in): a list that reads none of them reads `base`.
    pub joined: &'static [&'static str],
}

impl Table {
    /// The statement reading the page's rows by key (see [`keyed_rows`]): every column, or
    /// every column but the text ones `texts` leaves out, from `base` when they include none
    /// of the joined columns.
    fn page_rows(&self, texts: &Texts) -> String {
        let Texts::Only(_) = texts else { return keyed_rows(self.name, self.key) };
        if self.texts.is_empty() {
            return keyed_rows(self.name, self.key);
        }
        let read: Vec<&str> =
            self.columns.iter().copied().filter(|c| !self.texts.contains(c) || texts.reads(c)).collect();
        let source = if read.iter().any(|c| self.joined.contains(c)) { self.name } else { self.base };
        let columns: Vec<String> = read.iter().map(|c| format!("t.{c}")).collect();
        format!(
            "SELECT t.{key} AS _key, {columns} FROM rarray(?) r CROSS JOIN {source} t ON t.{key} = r.value",
            key = self.key,
            columns = columns.join(", "),
        )
    }
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

/// A primary key value (tables here have integer or text keys).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Int(i64),
    Text(String),
}

impl Key {
    fn read(row: &Record<'_, '_>, column: usize) -> rusqlite::Result<Self> {
        match row.value(column)? {
            ValueRef::Integer(i) => Ok(Key::Int(i)),
            ValueRef::Text(t) => Ok(Key::Text(String::from_utf8_lossy(t).into_owned())),
            other => Err(rusqlite::Error::InvalidColumnType(column, "key".into(), other.data_type())),
        }
    }

    fn value(&self) -> Value {
        match self {
            Key::Int(i) => Value::Integer(*i),
            Key::Text(t) => Value::Text(t.clone()),
        }
    }
}

/// One parent's numbered rows while they stream by: its count so far and the keys that can
/// still be on its page (never more than a page: memory does not grow with the list).
struct Numbering {
    parent: String,
    total: u32,
    kept: VecDeque<(u32, Key)>,
}

impl Numbering {
    fn new(parent: &str) -> Self {
        Self { parent: parent.to_string(), total: 0, kept: VecDeque::new() }
    }

    /// Numbers the next row. `after`, `before` and `first` bound the page from the start, so a
    /// row outside them is only counted; `last` counts back from the page's end, which is the
    /// newest row kept, so only the newest `last` are kept (as `Page::window` computes it).
    fn push(&mut self, page: &Page, key: Key) {
        let rn = self.total;
        self.total += 1;
        let start = page.after.map_or(0, |a| a.saturating_add(1));
        let end =
            page.first.map_or(u32::MAX, |f| start.saturating_add(f)).min(page.before.unwrap_or(u32::MAX));
        if rn < start || rn >= end {
            return;
        }
        self.kept.push_back((rn, key));
        if page.last.is_some_and(|last| self.kept.len() > last as usize) {
            self.kept.pop_front();
        }
    }

    /// The parent's page: its window over the total, and the keys inside it.
    fn finish(self, page: &Page) -> (String, u32, Vec<(u32, Key)>) {
        let window = page.window(self.total);
        let picked =
            self.kept.into_iter().filter(|(rn, _)| *rn >= window.start && *rn < window.end).collect();
        (self.parent, self.total, picked)
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
    let (numbering, params) = numbering(table, parents, query);
    let page = &query.page;
    let mut pages = Vec::new();
    let mut current: Option<Numbering> = None;
    conn.rows(&numbering, rusqlite::params_from_iter(params), |row| {
        let parent = row.text(0)?;
        if current.as_ref().is_none_or(|c| c.parent != parent) {
            pages.extend(current.replace(Numbering::new(parent)).map(|done| done.finish(page)));
        }
        if let Some(numbering) = current.as_mut() {
            numbering.push(page, Key::read(row, 1)?);
        }
        Ok(())
    })?;
    pages.extend(current.map(|done| done.finish(page)));

    // Where each picked key goes: its parent's page, at its offset.
    let picked_keys = pages.iter().map(|(_, _, picked)| picked.len()).sum();
    let (mut places, mut keys) = (HashMap::with_capacity(picked_keys), Vec::with_capacity(picked_keys));
    for (index, (_, _, picked)) in pages.iter_mut().enumerate() {
        for (rn, key) in picked.drain(..) {
            keys.push(key.value());
            places.insert(key, (index, rn));
        }
    }
    let mut out: Vec<Listed<T>> =
        pages.iter().map(|(_, total, _)| Listed { total: *total, rows: Vec::new() }).collect();
    if !keys.is_empty() {
        let rows = table.page_rows(&query.texts);
        let read = conn.rows(&rows, [array(keys)], |row| Ok((Key::read(row, 0)?, map(row)?)))?;
        for (key, item) in read {
            if let Some(&(index, rn)) = places.get(&key) {
                out[index].rows.push((rn, item));
            }
        }
    }
    // Rows come back in key order; a page is short, so sorting it here is cheaper than in SQL.
    for listed in &mut out {
        listed.rows.sort_unstable_by_key(|(rn, _)| *rn);
    }
    Ok(pages.into_iter().map(|(parent, _, _)| parent).zip(out).collect())
}

/// The statement that numbers the matching rows narrow, in the list's order, grouped by parent,
/// and its parameters.
fn numbering(
    table: &Table,
    parents: Option<(&'static str, &[String])>,
    query: &ListQuery,
) -> (String, Vec<Box<dyn ToSql>>) {
    let mut params: Vec<Box<dyn ToSql>> = Vec::new();
    let mut conditions = Vec::new();
    let (parent, parent_order) = match parents {
        Some((column, keys)) => {
            conditions.push(format!("{column} IN rarray(?)"));
            params.push(Box::new(array(keys.iter().map(|k| Value::Text(k.clone())))));
            (column, format!("{column}, "))
        }
        None => ("''", String::new()),
    };
    if let Some(filter) = &query.filter {
        let mut values = Vec::new();
        conditions.push(filter_sql(filter, Row::of(table.base), &mut values));
        params.extend(values.into_iter().map(|v| Box::new(v) as Box<dyn ToSql>));
    }
    let conditions = if conditions.is_empty() { "1".to_string() } else { conditions.join(" AND ") };
    let mut order: Vec<String> = query
        .order
        .iter()
        .map(|k| format!("{} {}", k.column, if k.descending { "DESC" } else { "ASC" }))
        .collect();
    order.push(format!("{} ASC", table.key));
    let sql = format!(
        "SELECT {parent} AS _parent, {key} AS _key FROM {base} WHERE {conditions}
         ORDER BY {parent_order}{order}",
        key = table.key,
        base = table.base,
        order = order.join(", "),
    );
    (sql, params)
}

/// The rows of `table` whose `column` is one of the values bound as one `rarray` parameter,
/// with that column again as `_key`. The array is joined as the outer loop (CROSS JOIN fixes
/// the order) and each value looked up by index: `{column} IN rarray(?)` would first copy the
/// values into a temporary index on every call. The values must be distinct.
pub(super) fn keyed_rows(table: &str, column: &str) -> String {
    format!("SELECT t.{column} AS _key, t.* FROM rarray(?) r CROSS JOIN {table} t ON t.{column} = r.value")
}

/// Values bound as one parameter and read as a table (`rarray(?)`): one statement text
/// whatever the number of values, and no limit on their number.
pub(super) fn array(values: impl IntoIterator<Item = Value>) -> Rc<Vec<Value>> {
    Rc::new(values.into_iter().collect())
}

/// Renders a filter tree as a SQL condition on `row`, pushing its values onto `params`.
/// Columns are named with their table's name there, so a relation's subquery (see
/// [`super::related`]) can tell its rows from the row it filters.
pub(super) fn filter_sql(filter: &Filter, row: Row<'_>, params: &mut Vec<Value>) -> String {
    let join = |children: &[Filter], op: &str, empty: &str, params: &mut Vec<Value>| {
        if children.is_empty() {
            return empty.to_string();
        }
        let parts: Vec<String> = children.iter().map(|c| filter_sql(c, row, params)).collect();
        format!("({})", parts.join(op))
    };
    match filter {
        Filter::All(children) => join(children, " AND ", "1", params),
        Filter::Any(children) => join(children, " OR ", "0", params),
        // coalesce: NOT of an unknown (a comparison with NULL) should hold, as a user expects.
        Filter::Not(child) => format!("NOT coalesce({}, 0)", filter_sql(child, row, params)),
        Filter::Column { column, op } => op_sql(&format!("{}.{column}", row.name), op, params),
        Filter::Related(related) => super::related::exists(related, row, params),
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
    let sql = keyed_rows(table, column);
    let keys = array(keys.iter().map(|k| Value::Text(k.clone())));
    conn.rows(&sql, [keys], |row| Ok((row.get("_key")?, map(row)?)))
}

/// Reads a stored enum column, failing loudly on a spelling this binary does not know. The
/// text is borrowed from the row: these columns are read for every row of every list.
pub fn stored<T>(row: &Record<'_, '_>, column: &str, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let text = row.text(column)?;
    parse(text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown value {text:?} in column {column}").into(),
        )
    })
}

/// Reads a nullable stored enum column: `None` for NULL, an error for an unknown spelling.
pub fn optional_stored<T>(
    row: &Record<'_, '_>,
    column: &str,
    parse: fn(&str) -> Option<T>,
) -> rusqlite::Result<Option<T>> {
    match row.value(column)? {
        ValueRef::Null => Ok(None),
        _ => stored(row, column, parse).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::db::{Db, DbOptions, ReadSession, observations, reference};

    /// A read session on a fresh database made from the seed (kept while the folder lives).
    fn seeded_session() -> (tempfile::TempDir, ReadSession) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let options = DbOptions { path: dir.path().join("plans.db"), ..Default::default() };
        let db = Db::open(&options).expect("database");
        (dir, ReadSession::new(db, Default::default(), Instant::now() + Duration::from_secs(10)))
    }

    /// Keyed reads look each value up by index: no table or view is scanned, whatever its size
    /// (a plan that scanned `observation_rows` would read every observation for one id).
    #[test]
    fn keyed_reads_search_by_index() {
        let (_dir, session) = seeded_session();
        let reads = [
            (reference::PROVINCES.name, "code"),
            (reference::CITIES.name, "admin_code"),
            (reference::INDICATORS.name, "code"),
            (reference::TARGETS.name, "code"),
            (observations::OBSERVATIONS.name, "id"),
            (reference::CITY_SOURCES, "city_code"),
        ];
        for (table, column) in reads {
            let sql = format!("EXPLAIN QUERY PLAN {}", keyed_rows(table, column));
            let plan = session
                .read(|c| c.rows(&sql, [array([Value::Text("1".into())])], |row| row.get::<_, String>(3)))
                .expect("plan");
            assert!(plan.iter().any(|step| step.contains("VIRTUAL TABLE")), "{table}: {plan:?}");
            let scans: Vec<&String> = plan
                .iter()
                .filter(|step| step.starts_with("SCAN") && !step.contains("VIRTUAL TABLE"))
                .collect();
            assert!(scans.is_empty(), "{table} is scanned: {plan:?}");
        }
    }

    /// The lists a dashboard asks of every parent at once, in their default order, are numbered
    /// from an index in that order: no row is sorted (a temporary b-tree sorted every city of
    /// the listed provinces first).
    #[test]
    fn default_orders_are_numbered_without_sorting() {
        let (_dir, session) = seeded_session();
        let membership = Op::In(vec![Scalar::Text("CONFIRMED".into()), Scalar::Text("CANDIDATE".into())]);
        let cities = ListQuery {
            filter: Some(Filter::All(vec![Filter::Column { column: "membership", op: membership }])),
            order: Vec::new(),
            page: Page { first: Some(20), ..Page::default() },
            texts: Texts::All,
        };
        let observations =
            ListQuery { filter: None, order: Vec::new(), page: cities.page, texts: Texts::All };
        let keys = ["340000".to_string()];
        let lists = [
            (&reference::CITIES, "province_code", &cities),
            (&observations::OBSERVATIONS, "city_code", &observations),
        ];
        for (table, parent, query) in lists {
            let (sql, params) = numbering(table, Some((parent, &keys)), query);
            let plan = session
                .read(|c| {
                    let sql = format!("EXPLAIN QUERY PLAN {sql}");
                    c.rows(&sql, rusqlite::params_from_iter(params), |row| row.get::<_, String>(3))
                })
                .expect("plan");
            assert!(!plan.iter().any(|step| step.contains("TEMP B-TREE")), "{}: {plan:?}", table.base);
        }
    }

    /// Streaming numbering picks exactly the rows `Page::window` puts on the page, for every
    /// combination of small `first`, `after`, `last`, `before` and list lengths.
    #[test]
    fn streamed_pages_match_the_relay_window() {
        let options = [None, Some(0), Some(1), Some(2), Some(4), Some(7)];
        for total in 0..9u32 {
            for first in options {
                for after in options {
                    for last in options {
                        for before in options {
                            let page = Page { first, after, last, before };
                            let mut numbering = Numbering::new("p");
                            for rn in 0..total {
                                numbering.push(&page, Key::Int(i64::from(rn)));
                            }
                            let (_, counted, picked) = numbering.finish(&page);
                            let window = page.window(total);
                            let expected: Vec<u32> = (window.start..window.end).collect();
                            let got: Vec<u32> = picked.iter().map(|(rn, _)| *rn).collect();
                            assert_eq!(counted, total);
                            assert_eq!(got, expected, "{page:?} over {total}");
                        }
                    }
                }
            }
        }
    }
}
