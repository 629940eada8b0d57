//! All SQL lives under this module. [`Db`] owns one writer connection and a pool of read-only
//! readers. A GraphQL request reads through one [`ReadSession`] (one reader, one snapshot) on
//! the thread it runs on: a blocking-pool thread, or its async worker within an
//! [`InlineBudget`] that keeps it short and never lets it wait. Every other call runs on
//! tokio's blocking pool, so SQLite never stalls the async workers for long.
//!
//! Each closure gets a [`Conn`], which counts the statements it runs: the GraphQL layer reports
//! that count per request, which is how N+1 regressions become visible (and testable).

pub mod entries;
pub mod facets;
mod list;
mod migrate;
pub mod observations;
pub mod plan;
pub mod reference;
mod related;
pub mod seed;
pub mod stats;
pub mod synthetic;

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use r2d2::PooledConnection;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags, Params, Row};

pub use list::Listed;
pub use stats::Stats;

/// How long reading the statistics may take (a few index scans; about 0.2 s on two million
/// observations).
const STATS_TIME_LIMIT: Duration = Duration::from_secs(30);

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
    #[error("the request outgrew its inline budget")]
    Overran,
    #[error("seed data is invalid: {0}")]
    Seed(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Unusable(String),
}

impl DbError {
    /// SQLite's "busy" or "locked": another connection held the lock, and a retry may well
    /// succeed.
    pub fn is_busy(&self) -> bool {
        use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
        matches!(self, Self::Sqlite(error) if matches!(error.sqlite_error_code(), Some(DatabaseBusy | DatabaseLocked)))
    }
}

/// The longest a write waits for SQLite's write lock when it has no deadline of its own.
const WRITE_LOCK_WAIT: Duration = Duration::from_secs(5);
/// A write with a deadline stops waiting for the lock this long before it, so its refusal
/// reaches the client in time rather than as a timeout.
const ANSWER_MARGIN: Duration = Duration::from_millis(200);

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
    /// Rows a request may read before it becomes heavy: a heavy request reads on only while
    /// it holds one of `heavy_passes`, so the memory of large answers is held a bounded number
    /// of times, not once per concurrent request.
    pub heavy_rows: u64,
    /// How many heavy read sessions may read at once (at least one).
    pub heavy_passes: usize,
    /// Serve a file another process writes, and never write it (see [`Db::open`]).
    pub replica: bool,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            path: PathBuf::from("rustbelt.db"),
            readers: 4,
            reader_wait: Duration::from_secs(2),
            statement_timeout: Duration::from_millis(500),
            heavy_rows: 2_000,
            heavy_passes: 1,
            replica: false,
        }
    }
}

/// A connection handed to one closure; it counts the statements the closure runs and the rows
/// they return.
pub struct Conn<'a> {
    inner: &'a Connection,
    statements: Cell<u64>,
    rows_read: Cell<u64>,
    budget: Option<Budget<'a>>,
}

/// Rows a closure may read before `admit` must let it go on (a read session takes the heavy
/// pass there; `false`: its time ran out waiting, or it runs inline and may not go on).
#[derive(Clone, Copy)]
struct Budget<'a> {
    rows: u64,
    admit: &'a dyn Fn() -> bool,
}

impl<'a> Conn<'a> {
    fn new(inner: &'a Connection, budget: Option<Budget<'a>>) -> Self {
        Self { inner, statements: Cell::new(0), rows_read: Cell::new(0), budget }
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
            let read = self.rows_read.get() + 1;
            self.rows_read.set(read);
            if let Some(budget) = self.budget
                && read == budget.rows
                && !(budget.admit)()
            {
                // Reported as an interruption, which the deadline handling maps to Timeout.
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_INTERRUPT),
                    None,
                ));
            }
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
/// buffer and are searched in order: rows here have a dozen columns at most, and a map (a
/// string and a hash per column) took 4 % of an uncached lookup's CPU (perf).
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
    /// The data version (`meta.data_version`) as last seen: bumped by every write of this
    /// process at once, and by [`Db::refresh_version`] for writes of other processes.
    version: Arc<AtomicU64>,
    /// Tells live subscribers the data version moved (see [`Db::changes`]).
    changes: tokio::sync::watch::Sender<u64>,
    /// What the data holds, for cost estimates: read again whenever `version` moves.
    stats: Arc<Mutex<Arc<Stats>>>,
    /// Taken by a read session once it has read more than `heavy_rows` rows.
    heavy: Arc<HeavyGate>,
    heavy_rows: u64,
    /// Opened as a read-only replica: it never writes the file.
    replica: bool,
    /// The file behind `:memory:`, removed with the last handle.
    _scratch: Option<Arc<Scratch>>,
}

impl Db {
    /// Opens (creating if needed) the database, migrates it and refreshes the reference data
    /// from the embedded seed, all before returning. A replica (`options.replica`) opens an
    /// existing file read-only, at exactly this binary's schema version, and writes nothing.
    pub fn open(options: &DbOptions) -> Result<Self, DbError> {
        let (writer_target, mut flags, scratch) = target(&options.path);
        if options.replica {
            if scratch.is_some() || !options.path.exists() {
                let path = options.path.display();
                return Err(DbError::Unusable(format!(
                    "a read-only replica serves an existing file, and {path} is none"
                )));
            }
            flags = reader_flags(flags);
        }
        let writer = Connection::open_with_flags(&writer_target, flags)?;
        Self::from_writer(writer, &writer_target, flags, options, scratch)
    }

    /// A throwaway copy of the database at `options.path` (or of a new one, if there is no
    /// file), in memory, migrated and seeded there: what a dry run writes into. The file is
    /// only read, through a read-only connection, so it stays byte for byte as it was.
    pub fn open_copy(options: &DbOptions) -> Result<Self, DbError> {
        let (writer_target, flags, scratch) = target(std::path::Path::new(":memory:"));
        let mut writer = Connection::open_with_flags(&writer_target, flags)?;
        if options.path.exists() {
            let source = read_only(&options.path)?;
            rusqlite::backup::Backup::new(&source, &mut writer)?.run_to_completion(
                1_000,
                Duration::ZERO,
                None,
            )?;
        }
        Self::from_writer(writer, &writer_target, flags, options, scratch)
    }

    fn from_writer(
        mut writer: Connection,
        writer_target: &str,
        flags: OpenFlags,
        options: &DbOptions,
        scratch: Option<Arc<Scratch>>,
    ) -> Result<Self, DbError> {
        usable(&writer, writer_target)?;
        if options.replica {
            rusqlite::vtab::array::load_module(&writer)?;
            writer.busy_timeout(WRITE_LOCK_WAIT)?;
            let version: i64 = writer.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            migrate::check_current(version).map_err(|why| {
                DbError::Unusable(format!("{writer_target} {why}; the file was left as it is"))
            })?;
        } else {
            configure(&writer)?;
            migrate::run(&mut writer)?;
            seed::apply(&mut writer)?;
        }
        let version = read_version(&writer)?;
        let stats = stats::read(&Conn::new(&writer, None), version)?;
        let manager =
            SqliteConnectionManager::file(writer_target).with_flags(reader_flags(flags)).with_init(|c| {
                // Room for every statement shape a request can make (rusqlite keeps 16), so
                // none is prepared twice.
                c.set_prepared_statement_cache_capacity(256);
                rusqlite::vtab::array::load_module(c)?;
                c.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA query_only = ON;")
            });
        let readers = r2d2::Pool::builder()
            .max_size(options.readers.max(1))
            // A local file's connection does not go stale as a network one can; r2d2's check
            // ran `SELECT 1` on every checkout, 4 % of an uncached lookup (perf).
            .test_on_check_out(false)
            .connection_timeout(options.reader_wait)
            .build(manager)?;
        Ok(Self {
            writer: Arc::new(Mutex::new(writer)),
            readers,
            statement_timeout: options.statement_timeout,
            version: Arc::new(AtomicU64::new(version)),
            changes: tokio::sync::watch::Sender::new(version),
            stats: Arc::new(Mutex::new(Arc::new(stats))),
            heavy: Arc::new(HeavyGate::new(options.heavy_passes)),
            heavy_rows: options.heavy_rows,
            replica: options.replica,
            _scratch: scratch,
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
        let (result, counts) = tokio::task::spawn_blocking(move || {
            let connection = pool.get()?;
            with_deadline(&connection, StatementDeadline::new(Instant::now() + limit), None, f)
        })
        .await??;
        counter.add(counts.statements);
        result
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction on the writer: all or nothing. A
    /// transaction that commits also bumps the data version, before this returns, so the very
    /// next read is answered afresh.
    pub async fn write<T, F>(&self, counter: &StatementCounter, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Conn<'_>) -> Result<T, DbError> + Send + 'static,
    {
        let db = self.clone();
        let (result, statements) = tokio::task::spawn_blocking(move || {
            let counted = StatementCounter::default();
            let result = db.write_here(&counted, None, f);
            (result, counted.get())
        })
        .await?;
        counter.add(statements);
        result
    }

    /// [`Db::write`] on the calling thread, which it blocks: for work already on a blocking
    /// thread (a GraphQL request), so it never waits for another one.
    ///
    /// The wait for SQLite's write lock (another process may hold it) ends before `deadline`, so a
    /// write either starts in time or fails with SQLite's "busy" having written nothing;
    /// one that started is answered as what it did, committed or not.
    pub fn write_here<T>(
        &self,
        counter: &StatementCounter,
        deadline: Option<Instant>,
        f: impl FnOnce(&Conn<'_>) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let mut connection = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let left = |d: Instant| d.saturating_duration_since(Instant::now()).saturating_sub(ANSWER_MARGIN);
        let wait = deadline.map_or(WRITE_LOCK_WAIT, left).min(WRITE_LOCK_WAIT);
        connection.busy_timeout(wait)?;
        let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // The version moves first, so what `f` writes can be marked with the version it makes.
        tx.execute("UPDATE meta SET value = value + 1 WHERE key = 'data_version'", [])?;
        let changes_before = tx.total_changes();
        let conn = Conn::new(&tx, None);
        let result = f(&conn);
        counter.add(conn.statements.get());
        // A write that changed no row (an empty delete, say) is rolled back with its version
        // bump, so caches, ETags and subscribers are left alone.
        if result.is_ok() && tx.total_changes() > changes_before {
            let version = read_version(&tx)?;
            let stats = stats::read(&Conn::new(&tx, None), version)?;
            tx.commit()?;
            self.set_stats(stats);
            self.saw_version(version);
        }
        result
    }

    /// What the data holds, as of the latest data version this process has seen.
    pub fn stats(&self) -> Arc<Stats> {
        self.stats.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn set_stats(&self, stats: Stats) {
        let mut current = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        if stats.version >= current.version {
            *current = Arc::new(stats);
        }
    }

    /// Rows a read session may read before it needs a heavy pass.
    pub fn heavy_rows(&self) -> u64 {
        self.heavy_rows
    }

    /// How many heavy read sessions may read at once.
    pub fn heavy_passes(&self) -> usize {
        self.heavy.passes
    }

    /// The data version: it changes whenever the data does.
    pub fn data_version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Re-reads the data version from the file, to notice writes by other processes (such as
    /// `rustbelt import`); the server calls it every second.
    pub async fn refresh_version(&self) -> Result<u64, DbError> {
        let counter = StatementCounter::default();
        let stored = self
            .read(&counter, |c| {
                let rows =
                    c.rows("SELECT value FROM meta WHERE key = 'data_version'", [], |r| r.get::<_, i64>(0))?;
                Ok(rows.first().map_or(0, |v| u64::try_from(*v).unwrap_or(0)))
            })
            .await?;
        if stored > self.stats().version {
            // Another process wrote: what the data holds may have changed too. Reading it may
            // take longer than a request's statement on large data, so it has its own limit.
            let (pool, limit) = (self.readers.clone(), STATS_TIME_LIMIT);
            let (stats, _) = tokio::task::spawn_blocking(move || {
                let connection = pool.get()?;
                with_deadline(&connection, StatementDeadline::new(Instant::now() + limit), None, |c| {
                    stats::read(c, stored)
                })
            })
            .await??;
            self.set_stats(stats?);
        }
        self.saw_version(stored);
        Ok(self.data_version())
    }

    /// Takes in a data version read from the file; subscribers hear of it if it is new.
    fn saw_version(&self, version: u64) {
        if self.version.fetch_max(version, Ordering::AcqRel) < version {
            self.changes.send_if_modified(|seen| {
                let moved = *seen < version;
                *seen = (*seen).max(version);
                moved
            });
        }
    }

    /// The data version as it moves: a receiver sees the latest version each time it looks,
    /// never a queue of them, so a subscriber that falls behind costs no memory (it reads what
    /// the versions it skipped wrote, see `observations::recorded_since`).
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Opens (creating, migrating and seeding) a new database file and adds synthetic data to
    /// it; refuses a file that exists, so real data is never mixed with generated rows.
    pub fn create_synthetic(path: &std::path::Path, size: synthetic::Size) -> Result<(u64, u64), DbError> {
        if path.exists() {
            return Err(DbError::Seed(format!(
                "{} exists: synthetic data goes into a new file only",
                path.display()
            )));
        }
        let (target, flags, _scratch) = target(path);
        let mut connection = Connection::open_with_flags(target, flags)?;
        configure(&connection)?;
        migrate::run(&mut connection)?;
        seed::apply(&mut connection)?;
        synthetic::generate(&mut connection, size)
    }

    /// Copies the database at `from` to the new file `to` with SQLite's online backup: one
    /// consistent moment, also while a server writes to it, through a read-only connection. The
    /// copy is written beside `to` and renamed into place when whole, so `to` is never half a
    /// database; an existing `to` is refused. Returns the number of pages copied.
    pub fn backup(from: &std::path::Path, to: &std::path::Path) -> Result<i64, DbError> {
        if !from.exists() {
            return Err(DbError::Unusable(format!("{} does not exist", from.display())));
        }
        if to.exists() {
            return Err(DbError::Unusable(format!(
                "{} exists: a backup goes into a new file only",
                to.display()
            )));
        }
        let source = read_only(from)?;
        usable(&source, &from.to_string_lossy())?;
        let mut partial = to.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let _ = std::fs::remove_file(&partial);
        let copied = (|| {
            let mut copy = Connection::open(&partial)?;
            rusqlite::backup::Backup::new(&source, &mut copy)?.run_to_completion(
                1_000,
                Duration::ZERO,
                None,
            )?;
            let pages: i64 = copy.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            // The copy stands alone: no write-ahead log beside it.
            copy.execute_batch("PRAGMA journal_mode = DELETE;")?;
            Ok::<_, DbError>(pages)
        })();
        match copied {
            Ok(pages) => {
                std::fs::rename(&partial, to)
                    .map_err(|e| DbError::Unusable(format!("{}: {e}", to.display())))?;
                Ok(pages)
            }
            Err(error) => {
                let _ = std::fs::remove_file(&partial);
                Err(error)
            }
        }
    }

    /// Folds the write-ahead log into the database file, so the file alone holds every write
    /// (for copies, backups, and tools that open it read-only). Called at shutdown.
    pub async fn checkpoint(&self) -> Result<(), DbError> {
        if self.replica {
            return Ok(()); // the file is another process's to fold
        }
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let connection = writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            connection.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
            Ok::<_, DbError>(())
        })
        .await?
    }

    /// Folds the write-ahead log into the database file and truncates it, unless a reader is
    /// using it right now: it does not wait for readers, and holds up writes only while it
    /// copies. Returns whether the log was folded whole. A replica leaves the file alone.
    pub async fn fold_wal(&self) -> Result<bool, DbError> {
        if self.replica {
            return Ok(false);
        }
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let connection = writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            connection.busy_timeout(Duration::ZERO)?;
            let busy = connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get::<_, i64>(0));
            connection.busy_timeout(WRITE_LOCK_WAIT)?;
            Ok::<_, DbError>(busy? == 0)
        })
        .await?
    }

    /// Checks that a reader can answer: used by readiness probes.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.read(&StatementCounter::default(), |c| c.rows("SELECT 1", [], |_| Ok(())).map(drop)).await
    }
}

/// One request's reads: one reader connection and one read transaction for the whole request,
/// so every level of a nested query sees the same snapshot of the data, and no statement pays
/// for a hand-off to another thread.
///
/// Its calls block: it is meant for a request that runs on a blocking-pool thread, or inline
/// on an async worker within an [`InlineBudget`] (see `graphql::respond`). The reader is taken
/// at the first read and given back, its transaction ended, when the session is dropped. A
/// session that has read more than [`DbOptions::heavy_rows`] rows reads on only while it
/// holds a heavy pass.
pub struct ReadSession {
    db: Db,
    counter: Arc<StatementCounter>,
    /// The request's own deadline: no statement runs past it.
    deadline: Instant,
    inline: Option<InlineBudget>,
    state: Mutex<SessionState>,
}

/// What a session on an async worker may do: it must never wait (for a reader, the heavy pass
/// or anything else) nor hold the worker long, so it stops with [`DbError::Overran`] once past
/// `until` (mid-statement too), at its row past `rows` (or past its heavy share, where it
/// would wait), or when no reader is free, and the request is run again off the workers.
#[derive(Debug, Clone, Copy)]
pub struct InlineBudget {
    pub until: Instant,
    pub rows: u64,
}

#[derive(Default)]
struct SessionState {
    connection: Option<PooledConnection<SqliteConnectionManager>>,
    rows: u64,
    heavy: Option<HeavyPass>,
    overran: bool,
}

impl ReadSession {
    /// A session whose statements are added to `counter` and stop at `deadline`.
    pub fn new(db: Db, counter: Arc<StatementCounter>, deadline: Instant) -> Self {
        Self { db, counter, deadline, inline: None, state: Mutex::default() }
    }

    /// The same session, for a request run inline on an async worker within `budget`.
    pub fn inline(mut self, budget: InlineBudget) -> Self {
        self.inline = Some(budget);
        self
    }

    /// When the session's request must end.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Rows the session's statements have returned so far.
    pub fn rows(&self) -> u64 {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).rows
    }

    /// Whether the session stopped at the end of its inline budget (its request's answer is
    /// incomplete and must not be used).
    pub fn overran(&self) -> bool {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).overran
    }

    /// Runs `f` on the session's reader, inside its snapshot, within the statement time limit.
    pub fn read<T>(&self, f: impl FnOnce(&Conn<'_>) -> Result<T, DbError>) -> Result<T, DbError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(inline) = self.inline
            && (state.overran || Instant::now() >= inline.until)
        {
            state.overran = true;
            return Err(DbError::Overran);
        }
        let connection = match state.connection.take() {
            Some(connection) => connection,
            None => {
                // Inline, a session takes a free reader or none: it may not wait for one.
                let connection = match self.inline {
                    None => self.db.readers.get()?,
                    Some(_) => match self.db.readers.try_get() {
                        Some(connection) => connection,
                        None => {
                            state.overran = true;
                            return Err(DbError::Overran);
                        }
                    },
                };
                // A reader given back mid-transaction (an ending that failed) starts clean.
                if !connection.is_autocommit() {
                    connection.execute_batch("ROLLBACK")?;
                }
                // Prepared once per connection: parsing BEGIN and COMMIT afresh was 7 % of a
                // lookup's time (perf, criterion `execute/lookup`).
                connection.prepare_cached("BEGIN")?.execute([])?;
                connection
            }
        };
        let mut ends = (Instant::now() + self.db.statement_timeout).min(self.deadline);
        if let Some(inline) = self.inline {
            ends = ends.min(inline.until);
        }
        let deadline = StatementDeadline::new(ends);
        // The row past the session's share waits, mid-statement, for the heavy pass; the wait
        // counts against the request's deadline, not the statement's. Inline, it stops there.
        let pass = std::cell::RefCell::new(state.heavy.take());
        let stopped = Cell::new(false);
        let admit = || {
            if self.inline.is_some() {
                stopped.set(true);
                return false;
            }
            let mut pass = pass.borrow_mut();
            if pass.is_none() {
                let waiting = Instant::now();
                *pass = self.db.heavy.enter(self.deadline).ok();
                deadline.set((deadline.get() + waiting.elapsed()).min(self.deadline));
            }
            pass.is_some()
        };
        let share = self.inline.map_or(self.db.heavy_rows, |inline| inline.rows.min(self.db.heavy_rows));
        let budget = match &*pass.borrow() {
            Some(_) => None,
            None => Some(Budget {
                rows: share.saturating_add(1).saturating_sub(state.rows).max(1),
                admit: &admit,
            }),
        };
        let outcome = with_deadline(&connection, deadline.clone(), budget, f);
        state.heavy = pass.take();
        state.connection = Some(connection);
        let (result, counts) = outcome?;
        self.counter.add(counts.statements);
        state.rows += counts.rows;
        // Interrupted at the inline budget's end (not the request's): overran, not timed out.
        let out_of_time = |inline: InlineBudget| {
            let now = Instant::now();
            matches!(&result, Err(DbError::Timeout)) && now >= inline.until && now < self.deadline
        };
        if self.inline.is_some_and(|inline| stopped.get() || out_of_time(inline)) {
            state.overran = true;
            return Err(DbError::Overran);
        }
        result
    }

    /// Ends the snapshot and gives the reader back: the next read sees every write committed
    /// before it (a mutation's answer is read after its write).
    pub fn end_snapshot(&self) {
        let taken = self.state.lock().unwrap_or_else(PoisonError::into_inner).connection.take();
        if let Some(connection) = taken
            && !connection.is_autocommit()
            && connection.prepare_cached("COMMIT").and_then(|mut commit| commit.execute([])).is_err()
        {
            let _ = connection.execute_batch("ROLLBACK");
        }
    }
}

impl Drop for ReadSession {
    fn drop(&mut self) {
        self.end_snapshot();
        // For tuning --heavy-rows: how many rows requests read.
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        tracing::debug!(rows = state.rows, heavy = state.heavy.is_some(), "read session ended");
    }
}

/// A bounded number of passes for heavy read sessions. A holder never waits for another
/// session, so waiting for a pass cannot deadlock; a waiter gives up at its deadline.
struct HeavyGate {
    /// Passes taken.
    taken: Mutex<usize>,
    passes: usize,
    freed: Condvar,
}

/// A heavy pass, given back when dropped (with its session, at the request's end).
struct HeavyPass(Arc<HeavyGate>);

impl HeavyGate {
    fn new(passes: usize) -> Self {
        Self { taken: Mutex::new(0), passes: passes.max(1), freed: Condvar::new() }
    }

    fn enter(self: &Arc<Self>, deadline: Instant) -> Result<HeavyPass, DbError> {
        let mut taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        while *taken >= self.passes {
            let left = deadline.checked_duration_since(Instant::now()).ok_or(DbError::Timeout)?;
            taken = self.freed.wait_timeout(taken, left).unwrap_or_else(PoisonError::into_inner).0;
        }
        *taken += 1;
        Ok(HeavyPass(self.clone()))
    }
}

impl Drop for HeavyPass {
    fn drop(&mut self) {
        let mut taken = self.0.taken.lock().unwrap_or_else(PoisonError::into_inner);
        *taken = taken.saturating_sub(1);
        self.0.freed.notify_one();
    }
}

/// The stored data version.
fn read_version(connection: &Connection) -> Result<u64, DbError> {
    let version: i64 =
        connection.query_row("SELECT value FROM meta WHERE key = 'data_version'", [], |r| r.get(0))?;
    Ok(u64::try_from(version).unwrap_or(0))
}

/// When a read's statements must stop. Shared with SQLite's progress handler, so that time
/// spent waiting for the heavy pass can move it later: waiting is not running, and only the
/// request's own deadline bounds the wait.
#[derive(Clone)]
struct StatementDeadline {
    base: Instant,
    after_base: Arc<AtomicU64>,
}

impl StatementDeadline {
    fn new(at: Instant) -> Self {
        let base = Instant::now();
        let this = Self { base, after_base: Arc::default() };
        this.set(at);
        this
    }

    fn get(&self) -> Instant {
        self.base + Duration::from_nanos(self.after_base.load(Ordering::Relaxed))
    }

    fn set(&self, at: Instant) {
        let nanos = u64::try_from(at.saturating_duration_since(self.base).as_nanos()).unwrap_or(u64::MAX);
        self.after_base.store(nanos, Ordering::Relaxed);
    }

    fn passed(&self) -> bool {
        Instant::now() >= self.get()
    }
}

/// Runs `f` with a progress handler that interrupts any statement once `deadline` has passed.
fn with_deadline<'a, T>(
    connection: &'a Connection,
    deadline: StatementDeadline,
    budget: Option<Budget<'a>>,
    f: impl FnOnce(&Conn<'a>) -> Result<T, DbError>,
) -> Result<(Result<T, DbError>, Counts), DbError> {
    // Nothing starts with no time left; a statement that runs is checked every 1,000
    // virtual-machine steps: cheap, and fine-grained enough for a limit in ms.
    if deadline.passed() {
        return Ok((Err(DbError::Timeout), Counts { statements: 0, rows: 0 }));
    }
    connection.progress_handler(1_000, Some(move || deadline.passed()))?;
    let conn = Conn::new(connection, budget);
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
struct Counts {
    statements: u64,
    rows: u64,
}

/// Per-connection policy for the writer: WAL before any DDL, foreign keys, a busy timeout, and
/// `rarray` (lists bind their keys as one array).
/// What start-up checks before it writes anything, so a file it refuses is left exactly as it
/// was: that it is an SQLite database, that its schema is not newer than this binary's, and
/// that its pages pass SQLite's quick check (which reads every page once).
fn usable(connection: &Connection, path: &str) -> Result<(), DbError> {
    let unusable = |why: String| DbError::Unusable(format!("{path} {why}; the file was left as it is"));
    let version: i64 = connection.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|error| {
        unusable(format!("is not an SQLite database, or its header is damaged ({})", sqlite_reason(&error)))
    })?;
    migrate::check_version(version).map_err(unusable)?;
    let verdict: String = connection
        .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
        .map_err(|error| unusable(format!("is damaged ({})", sqlite_reason(&error))))?;
    if verdict != "ok" {
        let verdict = verdict.split_whitespace().collect::<Vec<_>>().join(" ");
        return Err(unusable(format!(
            "is damaged (SQLite's quick_check: {verdict}): restore it from a backup"
        )));
    }
    Ok(())
}

/// SQLite's own words for an error, without rusqlite's repetitions.
fn sqlite_reason(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(failure, _) => failure.to_string(),
        other => other.to_string(),
    }
}

fn configure(connection: &Connection) -> Result<(), DbError> {
    rusqlite::vtab::array::load_module(connection)?;
    connection.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;",
    )?;
    Ok(())
}

/// Where to open `path`. `:memory:` becomes a fresh file in the temporary directory, removed
/// when the database is dropped: the readers must see the writer's data, and a shared-cache
/// memory database would make them lock each other out per table (and `busy_timeout` does not
/// apply to those locks), while a file has WAL, where readers never wait for the writer.
fn target(path: &std::path::Path) -> (String, OpenFlags, Option<Arc<Scratch>>) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let flags = OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE;
    if path.as_os_str() == ":memory:" {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let file = std::env::temp_dir().join(format!("rustbelt-memory-{}-{n}.db", std::process::id()));
        let scratch = Scratch(file);
        scratch.remove(); // a leftover of an earlier process with the same id
        (scratch.0.to_string_lossy().into_owned(), flags, Some(Arc::new(scratch)))
    } else {
        (path.to_string_lossy().into_owned(), flags, None)
    }
}

/// A database file of our own making, removed (with its WAL and shared-memory files) on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn remove(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut file = self.0.clone().into_os_string();
            file.push(suffix);
            let _ = std::fs::remove_file(file);
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        self.remove();
    }
}

/// A read-only connection to the database file at `path` that leaves it byte for byte as it
/// is. A WAL database no process has open (no `-shm` file) is read as immutable: otherwise
/// SQLite would create its `-wal` and `-shm` files beside it.
fn read_only(path: &std::path::Path) -> Result<Connection, DbError> {
    let mut shm = path.to_path_buf().into_os_string();
    shm.push("-shm");
    let in_use = std::path::Path::new(&shm).exists();
    let uri = format!("file:{}?mode=ro{}", uri_path(path), if in_use { "" } else { "&immutable=1" });
    let flags =
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let source = Connection::open_with_flags(uri, flags)?;
    source.busy_timeout(WRITE_LOCK_WAIT)?;
    Ok(source)
}

/// A path as the path part of an SQLite `file:` URI: `?`, `#` and `%` escaped.
fn uri_path(path: &std::path::Path) -> String {
    let text = path.to_string_lossy();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '?' | '#' | '%' => out.push_str(&format!("%{:02X}", c as u32)),
            _ => out.push(c),
        }
    }
    out
}

fn reader_flags(writer: OpenFlags) -> OpenFlags {
    (writer - OpenFlags::SQLITE_OPEN_READ_WRITE - OpenFlags::SQLITE_OPEN_CREATE)
        | OpenFlags::SQLITE_OPEN_READ_ONLY
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(heavy_rows: u64) -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let options = DbOptions { path: dir.path().join("heavy.db"), heavy_rows, ..DbOptions::default() };
        (dir, Db::open(&options).expect("database"))
    }

    fn session(db: &Db, deadline: Duration) -> ReadSession {
        ReadSession::new(db.clone(), Arc::default(), Instant::now() + deadline)
    }

    /// Reads the 31 provinces: 31 rows.
    fn provinces(session: &ReadSession) -> Result<usize, DbError> {
        session.read(|c| c.rows("SELECT code FROM provinces", [], |_| Ok(()))).map(|rows| rows.len())
    }

    /// Reads the 31 provinces twice over in one statement: 62 rows.
    fn provinces_twice(session: &ReadSession) -> Result<usize, DbError> {
        let sql = "SELECT code FROM provinces UNION ALL SELECT code FROM provinces";
        session.read(|c| c.rows(sql, [], |_| Ok(()))).map(|rows| rows.len())
    }

    #[test]
    fn a_heavy_session_reads_on_only_while_no_other_does() {
        // Each session may read 31 rows without the heavy pass.
        let (_dir, db) = db(31);
        let (first, second) =
            (session(&db, Duration::from_secs(10)), session(&db, Duration::from_millis(200)));
        assert_eq!(provinces(&first).unwrap(), 31);
        assert_eq!(provinces(&second).unwrap(), 31);
        // Past its share, the first takes the pass.
        assert_eq!(provinces(&first).unwrap(), 31);
        // The second must wait for it, and gives up at its deadline.
        assert!(matches!(provinces(&second), Err(DbError::Timeout)));
        // A statement that crosses a session's share waits at that row, mid-statement.
        let third = session(&db, Duration::from_millis(200));
        assert!(matches!(provinces_twice(&third), Err(DbError::Timeout)));
        // Once the first has ended, the pass is free again.
        drop(first);
        let fourth = session(&db, Duration::from_secs(10));
        assert_eq!(provinces_twice(&fourth).unwrap(), 62, "the pass was given back");
    }

    #[test]
    fn as_many_heavy_sessions_read_at_once_as_there_are_passes() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let options = DbOptions {
            path: dir.path().join("passes.db"),
            heavy_rows: 31,
            heavy_passes: 2,
            ..DbOptions::default()
        };
        let db = Db::open(&options).expect("database");
        assert_eq!(db.heavy_passes(), 2);
        let sessions: Vec<ReadSession> = (0..3).map(|_| session(&db, Duration::from_millis(200))).collect();
        // Two sessions pass their share at once; the third waits for a pass, until its deadline.
        assert_eq!(provinces_twice(&sessions[0]).unwrap(), 62);
        assert_eq!(provinces_twice(&sessions[1]).unwrap(), 62);
        assert!(matches!(provinces_twice(&sessions[2]), Err(DbError::Timeout)));
        let mut sessions = sessions.into_iter();
        drop(sessions.next());
        let fourth = session(&db, Duration::from_secs(10));
        assert_eq!(provinces_twice(&fourth).unwrap(), 62, "a pass was given back");
    }

    #[test]
    fn waiting_for_the_pass_does_not_use_up_a_statements_time() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let options = DbOptions {
            path: dir.path().join("wait.db"),
            heavy_rows: 31,
            statement_timeout: Duration::from_millis(100),
            ..DbOptions::default()
        };
        let db = Db::open(&options).expect("database");
        let holder = session(&db, Duration::from_secs(10));
        provinces(&holder).unwrap();
        provinces(&holder).unwrap();
        let waiter = session(&db, Duration::from_secs(10));
        // 20,000 rows: the waiter stops at row 32 for the pass, for longer than the statement
        // limit, then runs on far enough for SQLite's progress check to look again.
        let numbers =
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i FROM n";
        let read = std::thread::scope(|scope| {
            let waiting =
                scope.spawn(|| waiter.read(|c| c.rows(numbers, [], |_| Ok(()))).map(|rows| rows.len()));
            std::thread::sleep(Duration::from_millis(300));
            drop(holder);
            waiting.join().expect("the waiting thread")
        });
        assert_eq!(read.unwrap(), 20_000);
    }

    #[test]
    fn a_long_statement_is_interrupted_at_the_deadline() {
        let (_dir, db) = db(1_000);
        let session = session(&db, Duration::from_millis(100));
        let started = Instant::now();
        let endless =
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n";
        let result = session.read(|c| c.rows(endless, [], |_| Ok(())));
        assert!(matches!(result, Err(DbError::Timeout)), "{result:?}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "stopped near its deadline: {:?}",
            started.elapsed()
        );
        let late = session.read(|c| c.rows("SELECT 1", [], |_| Ok(())));
        assert!(matches!(late, Err(DbError::Timeout)), "nothing starts after the deadline: {late:?}");
    }

    fn inline(db: &Db, rows: u64, time: Duration) -> ReadSession {
        session(db, Duration::from_secs(10)).inline(InlineBudget { until: Instant::now() + time, rows })
    }

    #[test]
    fn an_inline_session_stops_past_its_rows() {
        let (_dir, db) = db(1_000);
        let session = inline(&db, 31, Duration::from_secs(10));
        assert_eq!(provinces(&session).unwrap(), 31, "within its rows");
        assert!(!session.overran());
        assert!(matches!(provinces(&session), Err(DbError::Overran)), "the 32nd row stops it");
        assert!(session.overran());
        assert!(matches!(session.read(|c| c.rows("SELECT 1", [], |_| Ok(()))), Err(DbError::Overran)));
    }

    #[test]
    fn an_inline_session_stops_at_the_end_of_its_time() {
        let (_dir, db) = db(1_000);
        let short = inline(&db, u64::MAX, Duration::from_millis(20));
        let endless =
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n";
        let started = Instant::now();
        let result = short.read(|c| c.rows(endless, [], |_| Ok(())));
        assert!(matches!(result, Err(DbError::Overran)), "overran, not timed out: {result:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "stopped near its end: {:?}", started.elapsed());
        // The request's own deadline, when it comes first, is a timeout as ever.
        let budget = InlineBudget { until: Instant::now() + Duration::from_secs(10), rows: u64::MAX };
        let late = session(&db, Duration::from_millis(20)).inline(budget);
        assert!(matches!(late.read(|c| c.rows(endless, [], |_| Ok(()))), Err(DbError::Timeout)));
    }

    #[test]
    fn an_inline_session_never_waits_for_the_heavy_pass() {
        let (_dir, db) = db(31);
        let holder = session(&db, Duration::from_secs(10));
        provinces(&holder).unwrap();
        provinces(&holder).unwrap(); // past its share: it holds the pass
        let session = inline(&db, 1_000, Duration::from_secs(10));
        let started = Instant::now();
        assert!(matches!(provinces_twice(&session), Err(DbError::Overran)), "stops at its heavy share");
        assert!(started.elapsed() < Duration::from_secs(1), "without waiting: {:?}", started.elapsed());
    }

    #[test]
    fn an_inline_session_never_waits_for_a_reader() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let options = DbOptions { path: dir.path().join("one.db"), readers: 1, ..DbOptions::default() };
        let db = Db::open(&options).expect("database");
        let holder = session(&db, Duration::from_secs(10));
        provinces(&holder).unwrap(); // holds the only reader until it ends
        let session = inline(&db, 1_000, Duration::from_secs(10));
        let started = Instant::now();
        assert!(matches!(provinces(&session), Err(DbError::Overran)));
        assert!(started.elapsed() < Duration::from_secs(1), "without waiting: {:?}", started.elapsed());
        drop(holder);
        let next = inline(&db, 1_000, Duration::from_secs(10));
        assert_eq!(provinces(&next).unwrap(), 31, "a free reader is taken");
    }

    #[test]
    fn light_sessions_never_wait() {
        let (_dir, db) = db(1_000);
        let sessions: Vec<ReadSession> = (0..3).map(|_| session(&db, Duration::from_millis(200))).collect();
        for _ in 0..3 {
            for session in &sessions {
                assert_eq!(provinces(session).unwrap(), 31);
            }
        }
    }
}
