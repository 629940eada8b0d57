//! What a database call's closure gets: a [`Conn`] that counts the statements it runs and the
//! rows they return (how N+1 regressions become visible), rows read by column name, and the
//! deadline every statement stops at.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rusqlite::{Connection, Params, Row};

use super::DbError;

/// A connection handed to one closure; it counts the statements the closure runs and the rows
/// they return.
pub struct Conn<'a> {
    inner: &'a Connection,
    pub(super) statements: Cell<u64>,
    pub(super) rows_read: Cell<u64>,
}

impl<'a> Conn<'a> {
    pub(super) fn new(inner: &'a Connection) -> Self {
        Self { inner, statements: Cell::new(0), rows_read: Cell::new(0) }
    }

    /// Runs one query and maps every row.
    pub fn rows<T>(
        &self,
        sql: &str,
        params: impl Params,
        mut map: impl FnMut(&Record<'_, '_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, DbError> {
        self.statements.set(self.statements.get() + 1);
        let mut statement = self.inner.prepare_cached(sql)?;
        let columns = Columns::of(&statement)?;
        let rows = statement.query_map(params, |row| {
            self.rows_read.set(self.rows_read.get() + 1);
            map(&Record { row, columns: &columns })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
    }

    /// Runs one statement that returns no rows; gives the number of rows changed.
    pub fn execute(&self, sql: &str, params: impl Params) -> Result<usize, DbError> {
        self.statements.set(self.statements.get() + 1);
        Ok(self.inner.prepare_cached(sql)?.execute(params)?)
    }
}

/// A statement's column names, read once per statement: rusqlite's by-name `get` asks SQLite
/// for every column name on every call, which dominated wide result sets. The names share one
/// buffer and are searched in order: rows here have a dozen columns at most, where a map (a
/// string and a hash per column, built for every statement) costs more than the search
/// (`benches/execute.rs`, lookup).
pub struct Columns {
    names: String,
    ends: Vec<usize>,
}

impl Columns {
    fn of(statement: &rusqlite::Statement<'_>) -> rusqlite::Result<Self> {
        let count = statement.column_count();
        let (mut names, mut ends) = (String::new(), Vec::with_capacity(count));
        for index in 0..count {
            names.push_str(statement.column_name(index)?);
            ends.push(names.len());
        }
        Ok(Self { names, ends })
    }

    /// The position of the first column called `name`, as in SQLite's own lookup.
    fn position(&self, name: &str) -> Option<usize> {
        let (names, name) = (self.names.as_bytes(), name.as_bytes());
        let mut start = 0;
        for (index, &end) in self.ends.iter().enumerate() {
            // Lengths first: most names differ in length, and bytes need no boundary checks.
            if end - start == name.len() && &names[start..end] == name {
                return Some(index);
            }
            start = end;
        }
        None
    }
}

/// One result row, read by column name or position.
pub struct Record<'a, 'r> {
    row: &'a Row<'r>,
    columns: &'a Columns,
}

impl Record<'_, '_> {
    /// The value of a column, by name (`"name_en"`) or position (`0`).
    pub fn get<C: Column, T: rusqlite::types::FromSql>(&self, column: C) -> rusqlite::Result<T> {
        self.row.get(column.position(self.columns)?)
    }

    /// A column's raw value, borrowed from the row.
    pub fn value<C: Column>(&self, column: C) -> rusqlite::Result<rusqlite::types::ValueRef<'_>> {
        self.row.get_ref(column.position(self.columns)?)
    }

    /// A text column a list may leave out ([`super::list::Table::texts`]): empty when the
    /// statement does not read it.
    pub fn text_or_empty(&self, column: &str) -> rusqlite::Result<String> {
        match self.columns.position(column) {
            Some(index) => self.row.get(index),
            None => Ok(String::new()),
        }
    }

    /// A text column, borrowed from the row (no allocation).
    pub fn text<C: Column>(&self, column: C) -> rusqlite::Result<&str> {
        Ok(self.value(column)?.as_str()?)
    }
}

/// A way to name a column: its name or its position.
pub trait Column {
    /// The column's position in the row.
    fn position(self, columns: &Columns) -> rusqlite::Result<usize>;
}

impl Column for &str {
    fn position(self, columns: &Columns) -> rusqlite::Result<usize> {
        columns.position(self).ok_or_else(|| rusqlite::Error::InvalidColumnName(self.to_string()))
    }
}

impl Column for usize {
    fn position(self, _: &Columns) -> rusqlite::Result<usize> {
        Ok(self)
    }
}

/// Counts SQL statements across the calls of one request.
#[derive(Debug, Default)]
pub struct StatementCounter(AtomicU64);

impl StatementCounter {
    /// Statements counted so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    pub(super) fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
}

/// Runs `f` with a progress handler that interrupts any statement once `deadline` has passed.
pub(super) fn with_deadline<'a, T>(
    connection: &'a Connection,
    deadline: Instant,
    f: impl FnOnce(&Conn<'a>) -> Result<T, DbError>,
) -> Result<(Result<T, DbError>, Counts), DbError> {
    // Nothing starts with no time left; a statement that runs is checked every 1,000
    // virtual-machine steps: cheap, and fine-grained enough for a limit in ms.
    if Instant::now() >= deadline {
        return Ok((Err(DbError::Timeout), Counts { statements: 0, rows: 0 }));
    }
    connection.progress_handler(1_000, Some(move || Instant::now() >= deadline))?;
    let conn = Conn::new(connection);
    let result = f(&conn).map_err(|e| match e {
        DbError::Sqlite(rusqlite::Error::SqliteFailure(code, _))
            if code.code == rusqlite::ErrorCode::OperationInterrupted =>
        {
            DbError::Timeout
        }
        other => other,
    });
    connection.progress_handler(0, None::<fn() -> bool>)?;
    Ok((result, Counts { statements: conn.statements.get(), rows: conn.rows_read.get() }))
}

/// What one closure ran: statements, and the rows they returned.
pub(super) struct Counts {
    pub(super) statements: u64,
    pub(super) rows: u64,
}
