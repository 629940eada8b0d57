//! All SQL lives under this module. [`Db`] owns one writer connection and a pool of read-only
//! readers. A GraphQL request reads through one [`ReadSession`] (one reader, one snapshot) on
//! the thread it runs on: a blocking-pool thread, or its async worker when it is light enough
//! and was given a free reader beforehand. Every other call runs on tokio's blocking pool, so
//! SQLite never stalls the async workers for long.
//!
//! Each closure gets a [`Conn`], which counts the statements it runs: the GraphQL layer reports
//! that count per request, which is how N+1 regressions become visible (and testable).

mod conn;
pub mod entries;
pub mod facets;
mod file;
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

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use r2d2::PooledConnection;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};

use conn::with_deadline;
pub use conn::{Conn, Record, StatementCounter};
use file::{Scratch, check_usable, configure, read_only, reader_flags, target};
pub use list::Listed;
pub use session::ReadSession;
pub use stats::Stats;
pub use version::DataVersion;

/// How long reading the statistics may take: a few index scans, longer than a request's
/// statement may take on large data.
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
        check_usable(&writer, writer_target)?;
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

#[cfg(test)]
mod tests;
