//! All SQL lives under this module. [`Db`] owns one writer connection and a pool of read-only
//! readers; every call runs on tokio's blocking pool so SQLite never stalls the async workers.
//!
//! Each closure gets a [`Conn`], which counts the statements it runs: the GraphQL layer reports
//! that count per request, which is how N+1 regressions become visible (and testable).

mod list;
mod migrate;
pub mod observations;
pub mod plan;
pub mod reference;
pub mod seed;

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags, Params, Row};

pub use list::Listed;

/// Why a database call failed. Its text is for logs only: the GraphQL layer shows clients a
/// generic message and a code, never SQL.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("blocking task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("a statement ran longer than its time limit")]
    Timeout,
    #[error("seed data is invalid: {0}")]
    Seed(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// File path, or `:memory:` for a throwaway database.
    pub path: PathBuf,
    /// Number of read-only connections.
    pub readers: u32,
    /// How long a request waits for a free reader before failing.
    pub reader_wait: Duration,
    /// Longest time one read closure may run before SQLite interrupts it.
    pub statement_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            path: PathBuf::from("rustbelt.db"),
            readers: 4,
            reader_wait: Duration::from_secs(2),
            statement_timeout: Duration::from_millis(500),
        }
    }
}

/// A connection handed to one closure; it counts the statements the closure runs.
pub struct Conn<'a> {
    inner: &'a Connection,
    statements: Cell<u64>,
}

impl<'a> Conn<'a> {
    fn new(inner: &'a Connection) -> Self {
        Self { inner, statements: Cell::new(0) }
    }

    /// Runs one query and maps every row.
    pub fn rows<T>(
        &self,
        sql: &str,
        params: impl Params,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, DbError> {
        self.statements.set(self.statements.get() + 1);
        let mut statement = self.inner.prepare_cached(sql)?;
        let rows = statement.query_map(params, map)?.collect::<rusqlite::Result<Vec<T>>>()?;
        Ok(rows)
    }

    /// Runs one statement that returns no rows; gives the number of rows changed.
    pub fn execute(&self, sql: &str, params: impl Params) -> Result<usize, DbError> {
        self.statements.set(self.statements.get() + 1);
        Ok(self.inner.prepare_cached(sql)?.execute(params)?)
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

    fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
}

/// The database: one writer, a pool of readers. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    /// A std Mutex is right here: it is only locked inside `spawn_blocking`, never across an
    /// `.await`, and SQLite allows one writer at a time anyway.
    writer: Arc<Mutex<Connection>>,
    readers: r2d2::Pool<SqliteConnectionManager>,
    statement_timeout: Duration,
}

impl Db {
    /// Opens (creating if needed) the database, migrates it and refreshes the reference data
    /// from the embedded seed, all before returning.
    pub fn open(options: &DbOptions) -> Result<Self, DbError> {
        let (writer_target, flags) = target(&options.path);
        let mut writer = Connection::open_with_flags(&writer_target, flags)?;
        configure(&writer)?;
        migrate::run(&mut writer)?;
        seed::apply(&mut writer)?;
        let manager = SqliteConnectionManager::file(&writer_target)
            .with_flags(reader_flags(flags))
            .with_init(|c| c.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA query_only = ON;"));
        let readers = r2d2::Pool::builder()
            .max_size(options.readers.max(1))
            .connection_timeout(options.reader_wait)
            .build(manager)?;
        Ok(Self {
            writer: Arc::new(Mutex::new(writer)),
            readers,
            statement_timeout: options.statement_timeout,
        })
    }

    /// Runs `f` on a reader, off the async workers, and adds its statements to `counter`.
    pub async fn read<T, F>(&self, counter: &StatementCounter, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Conn<'_>) -> Result<T, DbError> + Send + 'static,
    {
        let pool = self.readers.clone();
        let limit = self.statement_timeout;
        let (result, statements) = tokio::task::spawn_blocking(move || {
            let connection = pool.get()?;
            with_deadline(&connection, limit, f)
        })
        .await??;
        counter.add(statements);
        result
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction on the writer: all or nothing.
    pub async fn write<T, F>(&self, counter: &StatementCounter, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Conn<'_>) -> Result<T, DbError> + Send + 'static,
    {
        let writer = self.writer.clone();
        let (result, statements) = tokio::task::spawn_blocking(move || {
            let mut connection = writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let conn = Conn::new(&tx);
            let result = f(&conn);
            let statements = conn.statements.get();
            if result.is_ok() {
                tx.commit()?;
            }
            Ok::<_, DbError>((result, statements))
        })
        .await??;
        counter.add(statements);
        result
    }

    /// Checks that a reader can answer: used by readiness probes.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.read(&StatementCounter::default(), |c| c.rows("SELECT 1", [], |_| Ok(())).map(drop)).await
    }
}

/// Runs `f` with a progress handler that interrupts any statement once `limit` has passed.
fn with_deadline<T>(
    connection: &Connection,
    limit: Duration,
    f: impl FnOnce(&Conn<'_>) -> Result<T, DbError>,
) -> Result<(Result<T, DbError>, u64), DbError> {
    let deadline = Instant::now() + limit;
    // Checked every 1,000 virtual-machine steps: cheap, and fine-grained enough for a limit in ms.
    connection.progress_handler(1_000, Some(move || Instant::now() > deadline))?;
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
    Ok((result, conn.statements.get()))
}

/// Per-connection policy for the writer: WAL before any DDL, foreign keys, a busy timeout.
fn configure(connection: &Connection) -> Result<(), DbError> {
    connection.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;",
    )?;
    Ok(())
}

/// `:memory:` becomes a named shared-cache memory database so the readers see the writer's data.
fn target(path: &std::path::Path) -> (String, OpenFlags) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let base = OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    if path.as_os_str() == ":memory:" {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let uri = format!("file:rustbelt-{}-{n}?mode=memory&cache=shared", std::process::id());
        (uri, base | OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)
    } else {
        let flags = base | OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        (path.to_string_lossy().into_owned(), flags)
    }
}

fn reader_flags(writer: OpenFlags) -> OpenFlags {
    (writer - OpenFlags::SQLITE_OPEN_READ_WRITE - OpenFlags::SQLITE_OPEN_CREATE)
        | OpenFlags::SQLITE_OPEN_READ_ONLY
}
