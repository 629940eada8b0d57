//! All SQL lives under this module. [`Db`] owns one writer connection and a pool of read-only
//! readers. A GraphQL request reads through one [`ReadSession`] (one reader, one snapshot) on
//! the thread it runs on: a blocking-pool thread, or its async worker when it is light enough
//! and was given a free reader beforehand. Every other call runs on tokio's blocking pool, so
//! SQLite never stalls the async workers for long.
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
mod session;
pub mod stats;
pub mod synthetic;
mod version;
mod wal;

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use r2d2::PooledConnection;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags, Params, Row};

pub use list::Listed;
pub use session::ReadSession;
pub use stats::Stats;
pub use version::DataVersion;

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
    #[error("another write of this server held the writer for the whole wait")]
    WriterBusy,
    #[error("the request's deadline passed before its write could begin")]
    TooLateToWrite,
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
        match self {
            Self::WriterBusy => true,
            Self::Sqlite(error) => matches!(error.sqlite_error_code(), Some(DatabaseBusy | DatabaseLocked)),
            _ => false,
        }
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
    /// Serve a file another process writes, and never write it (see [`Db::open`]).
    pub replica: bool,
    /// Another process (Litestream) checkpoints the write-ahead log: this one never does.
    pub external_checkpoints: bool,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            path: PathBuf::from("rustbelt.db"),
            readers: 4,
            reader_wait: Duration::from_secs(2),
            statement_timeout: Duration::from_millis(500),
            replica: false,
            external_checkpoints: false,
        }
    }
}

/// A connection handed to one closure; it counts the statements the closure runs and the rows
/// they return.
pub struct Conn<'a> {
    inner: &'a Connection,
    statements: Cell<u64>,
    rows_read: Cell<u64>,
}

impl<'a> Conn<'a> {
    fn new(inner: &'a Connection) -> Self {
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

/// A reader connection taken from the pool, given back when dropped.
pub struct Reader(PooledConnection<SqliteConnectionManager>);

impl std::ops::Deref for Reader {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.0
    }
}

/// The database: one writer, a pool of readers. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    /// Locked only on blocking threads, never across an `.await`, and SQLite allows one
    /// writer at a time anyway. parking_lot's lock can be waited for until a deadline.
    writer: Arc<parking_lot::Mutex<Connection>>,
    readers: r2d2::Pool<SqliteConnectionManager>,
    reader_wait: Duration,
    statement_timeout: Duration,
    /// The data version as last seen, and its tag and counter for lock-free reads: moved by
    /// every write of this process at once, and by [`Db::refresh_version`] for other processes'.
    version: Arc<Mutex<DataVersion>>,
    tag: Arc<AtomicU64>,
    counter: Arc<AtomicU64>,
    /// Tells live subscribers the data version moved (see [`Db::changes`]).
    changes: tokio::sync::watch::Sender<u64>,
    /// What the data holds, for cost estimates: read again whenever the version moves.
    stats: Arc<Mutex<Arc<Stats>>>,
    /// A connection of its own that asks SQLite whether the file changed (see
    /// [`Db::refresh_version`]), with the answer it gave last.
    watcher: Arc<Mutex<(Connection, i64)>>,
    /// The file may change without SQLite's change counters moving (a replica that
    /// `litestream restore -f` rewrites in place): the watcher reads the version every time.
    watch_by_reading: bool,
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
            rusqlite::backup::Backup::new(&source, &mut writer)?.step(-1)?;
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
        let setup = wal::Setup::of(&writer, options)?;
        setup.apply(&writer)?;
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
        let version = version::read(&writer)?;
        let stats = stats::read(&Conn::new(&writer), version.counter)?;
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
            // A local file's connection does not go stale as a network one can, so r2d2's
            // `SELECT 1` on every checkout would buy nothing on the hot path.
            .test_on_check_out(false)
            .connection_customizer(Box::new(setup))
            .connection_timeout(options.reader_wait)
            .build(manager)?;
        let watcher = Connection::open_with_flags(writer_target, reader_flags(flags))?;
        setup.apply(&watcher)?;
        let seen = version::file_changes(&watcher)?;
        Ok(Self {
            writer: Arc::new(parking_lot::Mutex::new(writer)),
            readers,
            reader_wait: options.reader_wait,
            statement_timeout: options.statement_timeout,
            version: Arc::new(Mutex::new(version)),
            tag: Arc::new(AtomicU64::new(version.tag())),
            counter: Arc::new(AtomicU64::new(version.counter)),
            changes: tokio::sync::watch::Sender::new(version.counter),
            stats: Arc::new(Mutex::new(Arc::new(stats))),
            watcher: Arc::new(Mutex::new((watcher, seen))),
            watch_by_reading: setup.rereads(),
            replica: options.replica,
            _scratch: scratch,
        })
    }

    /// A reader, waiting for one at most until `deadline` (and the pool's own wait).
    pub fn reader(&self, deadline: Instant) -> Result<Reader, DbError> {
        let left = deadline.saturating_duration_since(Instant::now()).min(self.reader_wait);
        if left.is_zero() {
            return Err(DbError::Timeout);
        }
        match self.readers.get_timeout(left) {
            Ok(reader) => Ok(Reader(reader)),
            // The wait ran into the request's deadline: it ran out of time, not of readers.
            Err(_) if Instant::now() >= deadline => Err(DbError::Timeout),
            Err(error) => Err(DbError::Pool(error)),
        }
    }

    /// A free reader, or none: never waits.
    pub fn try_reader(&self) -> Option<Reader> {
        self.readers.try_get().map(Reader)
    }

    /// Runs `f` on a reader, off the async workers, and adds its statements to `counter`. A
    /// reader is given back clean: a transaction `f` left open is rolled back.
    pub async fn read<T, F>(&self, counter: &StatementCounter, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Conn<'_>) -> Result<T, DbError> + Send + 'static,
    {
        let db = self.clone();
        let (result, counts) = tokio::task::spawn_blocking(move || {
            let deadline = Instant::now() + db.statement_timeout;
            let reader = db.reader(deadline)?;
            let outcome = with_deadline(&reader, deadline, f);
            if !reader.is_autocommit() {
                reader.execute_batch("ROLLBACK")?;
            }
            outcome
        })
        .await??;
        counter.add(counts.statements);
        result
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction on the writer: all or nothing. A
    /// transaction that commits also moves the data version, before this returns, so the very
    /// next read is answered afresh.
    pub async fn write<T, F>(&self, counter: &StatementCounter, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Conn<'_>) -> Result<T, DbError> + Send + 'static,
    {
        let db = self.clone();
        let (result, statements) = tokio::task::spawn_blocking(move || {
            let counted = StatementCounter::default();
            let result = db.write_here(&counted, None, f).map(|(value, _)| value);
            (result, counted.get())
        })
        .await?;
        counter.add(statements);
        result
    }

    /// [`Db::write`] on the calling thread, which it blocks: for work already on a blocking
    /// thread (a GraphQL request), so it never waits for another one. Gives `f`'s value and
    /// whether the transaction committed (a write that changed no row is rolled back).
    ///
    /// By `deadline`, a write either begins or is refused having written nothing: the waits
    /// for this process's writer and for SQLite's write lock (another process may hold it) end
    /// before it, and nothing begins once it has passed. A write that began runs to its end,
    /// and is answered as what it did, committed or not.
    pub fn write_here<T>(
        &self,
        counter: &StatementCounter,
        deadline: Option<Instant>,
        f: impl FnOnce(&Conn<'_>) -> Result<T, DbError>,
    ) -> Result<(T, bool), DbError> {
        let now = Instant::now();
        let wait_until =
            deadline.map_or(now + WRITE_LOCK_WAIT, |d| d.checked_sub(ANSWER_MARGIN).unwrap_or(now));
        let wait_until = wait_until.min(now + WRITE_LOCK_WAIT);
        let mut connection = self.writer.try_lock_until(wait_until).ok_or(DbError::WriterBusy)?;
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(DbError::TooLateToWrite);
        }
        connection.busy_timeout(wait_until.saturating_duration_since(Instant::now()))?;
        let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // The version moves first, so what `f` writes can be marked with the version it makes.
        version::bump(&tx)?;
        let changes_before = tx.total_changes();
        let conn = Conn::new(&tx);
        let result = f(&conn);
        counter.add(conn.statements.get());
        // A write that changed no row (an empty delete, say) is rolled back with its version
        // bump, so caches, ETags and subscribers are left alone.
        let value = result?;
        if tx.total_changes() == changes_before {
            return Ok((value, false));
        }
        let version = version::read(&tx)?;
        tx.commit()?;
        // Committed: whatever follows cannot undo it. The statistics are read outside the
        // transaction, so other processes' writes do not wait for them.
        match stats::read(&Conn::new(&connection), version.counter) {
            Ok(stats) => self.set_stats(stats),
            Err(error) => tracing::warn!(%error, "could not re-read the statistics after a write"),
        }
        self.saw_version(version);
        Ok((value, true))
    }

    /// What the data holds, as of the latest data version this process has seen.
    pub fn stats(&self) -> Arc<Stats> {
        self.stats.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn set_stats(&self, stats: Stats) {
        *self.stats.lock().unwrap_or_else(PoisonError::into_inner) = Arc::new(stats);
    }

    /// The data version's counter: it moves whenever the data changes.
    pub fn data_version(&self) -> u64 {
        self.counter.load(Ordering::Acquire)
    }

    /// The whole data version as one number, for caches and `ETag`s (see [`DataVersion`]).
    pub fn data_tag(&self) -> u64 {
        self.tag.load(Ordering::Acquire)
    }

    /// Notices writes of other processes (`rustbelt import` on the same file, a primary that
    /// a replica follows, a restored file): asks SQLite whether the file changed since it last
    /// asked, which reads no table, and only then reads the stored version and, if that is
    /// another one, what the data holds (a file rewritten in place is read every time). The
    /// server calls it every quarter second.
    pub async fn refresh_version(&self) -> Result<u64, DbError> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut watcher = db.watcher.lock().unwrap_or_else(PoisonError::into_inner);
            let (connection, seen) = &mut *watcher;
            let changes = version::file_changes(connection)?;
            if changes == *seen && !db.watch_by_reading {
                return Ok(());
            }
            // One snapshot for the version and the statistics read at it.
            connection.execute_batch("BEGIN")?;
            let result = db.take_in(connection);
            let _ = connection.execute_batch("COMMIT");
            result?;
            *seen = changes;
            Ok::<_, DbError>(())
        })
        .await??;
        Ok(self.data_version())
    }

    /// Reads the stored version in the watcher's snapshot and, if it is another one, what the
    /// data holds; then makes it this process's version.
    fn take_in(&self, connection: &Connection) -> Result<(), DbError> {
        let stored = version::read(connection)?;
        if stored == *self.version.lock().unwrap_or_else(PoisonError::into_inner) {
            return Ok(());
        }
        // Reading the statistics may take longer than a request's statement on large data, so
        // it has its own limit.
        let (stats, _) =
            with_deadline(connection, Instant::now() + STATS_TIME_LIMIT, |c| stats::read(c, stored.counter))?;
        self.set_stats(stats?);
        self.saw_version(stored);
        Ok(())
    }

    /// Takes in a data version read from the file (higher, lower or the same counter: any
    /// other version is news); subscribers hear of it.
    fn saw_version(&self, version: DataVersion) {
        let mut current = self.version.lock().unwrap_or_else(PoisonError::into_inner);
        if *current == version {
            return;
        }
        *current = version;
        self.tag.store(version.tag(), Ordering::Release);
        self.counter.store(version.counter, Ordering::Release);
        self.changes.send_replace(version.counter);
    }

    /// The data version as it moves: a receiver sees the latest version each time it looks,
    /// never a queue of them, so a subscriber that falls behind costs no memory (it reads what
    /// the versions it skipped wrote, see [`observations::writes_since`]).
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Opens (creating, migrating and seeding) a new database file and adds synthetic data to
    /// it; refuses a file that exists, so real data is never mixed with generated rows.
    pub fn create_synthetic(
        path: &std::path::Path,
        size: synthetic::Size,
        city_done: &dyn Fn(u64),
    ) -> Result<(u64, u64), DbError> {
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
        synthetic::generate(&mut connection, size, city_done)
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
            // All pages in one step, under one read transaction of the source: a copy made a
            // few pages at a time starts over whenever another connection writes, so under a
            // steady stream of writes it would never end.
            rusqlite::backup::Backup::new(&source, &mut copy)?.step(-1)?;
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
            let connection = writer.lock();
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
            let connection = writer.lock();
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

/// Runs `f` with a progress handler that interrupts any statement once `deadline` has passed.
fn with_deadline<'a, T>(
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
mod tests;
