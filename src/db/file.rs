//! The database file: where a path is opened, what start-up checks before it writes, a
//! read-only view that leaves the file byte for byte as it is, backups, and synthetic files.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Connection, OpenFlags};

use super::{Db, DbError, WRITE_LOCK_WAIT, migrate, seed, synthetic};

impl Db {
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
        check_usable(&source, &from.to_string_lossy())?;
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
}

/// What start-up checks before it writes anything, so a file it refuses is left exactly as it
/// was: that it is an SQLite database, that its schema is not newer than this binary's, and
/// that its pages pass SQLite's quick check (which reads every page once).
pub(super) fn check_usable(connection: &Connection, path: &str) -> Result<(), DbError> {
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
pub(super) fn sqlite_reason(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(failure, _) => failure.to_string(),
        other => other.to_string(),
    }
}

/// Per-connection policy for the writer: WAL before any DDL, foreign keys, a busy timeout, and
/// `rarray` (lists bind their keys as one array).
pub(super) fn configure(connection: &Connection) -> Result<(), DbError> {
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
pub(super) fn target(path: &std::path::Path) -> (String, OpenFlags, Option<Arc<Scratch>>) {
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
pub(super) struct Scratch(PathBuf);

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
pub(super) fn read_only(path: &std::path::Path) -> Result<Connection, DbError> {
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
pub(super) fn uri_path(path: &std::path::Path) -> String {
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

pub(super) fn reader_flags(writer: OpenFlags) -> OpenFlags {
    (writer - OpenFlags::SQLITE_OPEN_READ_WRITE - OpenFlags::SQLITE_OPEN_CREATE)
        | OpenFlags::SQLITE_OPEN_READ_ONLY
}
