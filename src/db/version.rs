//! The data version: which state of the data an answer was made from. Every write moves a
//! counter and draws a new random nonce in the same transaction, so two states never share a
//! version — not after a backup is restored and written again, where the counter alone would
//! repeat numbers that once named other data. Caches and `ETag`s key on the whole version;
//! subscribers use the counter to find what was written since they last looked.

use std::hash::{DefaultHasher, Hash, Hasher};

use rusqlite::Connection;

use super::DbError;

/// One state of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DataVersion {
    /// Moves by one on every write: ordered, for "what was written since".
    pub counter: u64,
    /// Drawn anew by every write: tells apart two states with the same counter.
    pub nonce: i64,
}

impl DataVersion {
    /// One number for both parts, for cache keys and `ETag`s (stable across restarts:
    /// `DefaultHasher::new()` has fixed keys).
    pub fn tag(self) -> u64 {
        let mut hasher = DefaultHasher::new();
        self.hash(&mut hasher);
        hasher.finish()
    }
}

/// Moves the data version inside the caller's write transaction: the counter up by one and a
/// new nonce (SQLite's `random()`). Every writer calls this, so every commit is a new version.
pub fn bump(connection: &Connection) -> Result<(), DbError> {
    connection.execute_batch(
        "UPDATE meta SET value = value + 1 WHERE key = 'data_version';
         INSERT INTO meta (key, value) VALUES ('data_nonce', random())
             ON CONFLICT (key) DO UPDATE SET value = excluded.value;",
    )?;
    Ok(())
}

/// The stored data version (a file no writer of this version has touched has no nonce: 0).
pub fn read(connection: &Connection) -> Result<DataVersion, DbError> {
    let (counter, nonce): (i64, Option<i64>) = connection
        .prepare_cached(
            "SELECT (SELECT value FROM meta WHERE key = 'data_version'),
                (SELECT value FROM meta WHERE key = 'data_nonce')",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(DataVersion { counter: u64::try_from(counter).unwrap_or(0), nonce: nonce.unwrap_or(0) })
}

/// SQLite's own change counter for `connection`: it moves whenever another connection (of this
/// process or another) commits to the file, and reading it reads no table.
pub fn file_changes(connection: &Connection) -> Result<i64, DbError> {
    Ok(connection.query_row("PRAGMA data_version", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Connection {
        let connection = Connection::open_in_memory().unwrap();
        connection
            .execute_batch(
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                 INSERT INTO meta VALUES ('data_version', 7);",
            )
            .unwrap();
        connection
    }

    #[test]
    fn every_bump_is_a_new_version_even_when_the_counter_repeats() {
        let connection = meta();
        assert_eq!(read(&connection).unwrap(), DataVersion { counter: 7, nonce: 0 });
        bump(&connection).unwrap();
        let first = read(&connection).unwrap();
        assert_eq!(first.counter, 8);
        // A restored backup at 7 written once more reaches 8 again, with another nonce.
        connection.execute_batch("UPDATE meta SET value = 7 WHERE key = 'data_version'").unwrap();
        bump(&connection).unwrap();
        let again = read(&connection).unwrap();
        assert_eq!(again.counter, 8);
        assert_ne!(again, first, "the same counter, another state");
        assert_ne!(again.tag(), first.tag());
    }

    #[test]
    fn another_connections_commit_moves_the_file_counter() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        let writer = Connection::open(&path).unwrap();
        writer.execute_batch("CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)").unwrap();
        let watcher = Connection::open(&path).unwrap();
        let before = file_changes(&watcher).unwrap();
        assert_eq!(file_changes(&watcher).unwrap(), before, "nothing committed");
        writer.execute_batch("INSERT INTO meta VALUES ('data_version', 1)").unwrap();
        assert_ne!(file_changes(&watcher).unwrap(), before);
    }
}
