//! How every connection treats the write-ahead log and its page cache when another process
//! shares the file: Litestream shipping the log from beside the primary, or
//! `litestream restore -f` rewriting a replica's file underneath it.

use rusqlite::Connection;
use rusqlite::config::DbConfig;

use super::DbOptions;

/// What each connection of a [`super::Db`] is set to, the writer's and every reader's alike.
#[derive(Debug, Clone, Copy)]
pub(super) struct Setup {
    /// Leave every checkpoint to another process.
    external_checkpoints: bool,
    /// Read every page from the file anew in each transaction.
    rereads: bool,
}

impl Setup {
    /// The setup for `options`, reading the journal mode of the file `writer` opened.
    pub(super) fn of(writer: &Connection, options: &DbOptions) -> rusqlite::Result<Self> {
        let rereads = options.replica && rewritten_in_place(writer)?;
        Ok(Self { external_checkpoints: options.external_checkpoints, rereads })
    }

    /// Whether the file may change under this process without SQLite's change counters
    /// moving (see [`rewritten_in_place`]): then only reading it tells.
    pub(super) fn rereads(&self) -> bool {
        self.rereads
    }

    pub(super) fn apply(&self, connection: &Connection) -> rusqlite::Result<()> {
        if self.external_checkpoints {
            leave_checkpoints_to_others(connection)?;
        }
        if self.rereads {
            forget_pages_between_reads(connection)?;
        }
        Ok(())
    }
}

/// Readers get the setup when the pool opens them.
impl r2d2::CustomizeConnection<Connection, rusqlite::Error> for Setup {
    fn on_acquire(&self, connection: &mut Connection) -> rusqlite::Result<()> {
        self.apply(connection)
    }
}

/// Leaves every checkpoint to another process. Litestream copies each frame of the log before
/// it lets the log be folded and restarted; a TRUNCATE that the application runs while
/// Litestream is not watching (restarting, upgrading, down) empties the log under it, and
/// Litestream then ships a full snapshot of the database instead of the few pages that changed
/// (`reason="wal truncated by another process"` in its log). So the connection runs no
/// checkpoint at all: SQLite's automatic one after large commits is off, and so is the one
/// SQLite runs when the last connection to the file closes.
fn leave_checkpoints_to_others(connection: &Connection) -> rusqlite::Result<()> {
    connection.pragma_update(None, "wal_autocheckpoint", 0)?;
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
    Ok(())
}

/// Whether a read-only replica's file may change under it without SQLite noticing. In WAL mode
/// SQLite sees other processes' commits through the shared log index, and its cache is right. A
/// file in rollback-journal mode, as `litestream restore -f` keeps its copy, is rewritten in
/// place, and SQLite trusts its cached pages as long as the file's change counter (bytes 24-27)
/// has not moved; Litestream moves it only when a change touches page 1. Without this a replica
/// went on serving its first answers (tests/api/litestream.rs).
fn rewritten_in_place(connection: &Connection) -> rusqlite::Result<bool> {
    let mode: String = connection.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
    Ok(!mode.eq_ignore_ascii_case("wal"))
}

/// Keeps no page once a transaction ends, so the next one reads what the file holds now. The
/// bundled SQLite manages memory for all connections of the process in one page-cache group, so
/// a page is kept while any cache of the group has room: every cache of every connection, the
/// temporary schema's included, must be empty for this to hold.
fn forget_pages_between_reads(connection: &Connection) -> rusqlite::Result<()> {
    connection.execute_batch("PRAGMA cache_size = 0; PRAGMA temp.cache_size = 0;")
}
