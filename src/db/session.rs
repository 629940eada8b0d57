//! One request's reads: one reader connection and one read transaction for the whole request,
//! so every level of a nested query sees the same snapshot of the data, and no statement pays
//! for a hand-off to another thread. Nothing in it runs past the request's deadline.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use super::{Conn, Db, DbError, Reader, StatementCounter, with_deadline};

/// A request's read session (see the module).
///
/// Its calls block: it is meant for a request that runs on a blocking-pool thread, or on its
/// async worker with a reader taken beforehand ([`ReadSession::with_reader`]), so that it never
/// waits for one there. The reader is taken at the first read (waiting at most until the
/// deadline) and given back, its transaction ended, when the session is dropped.
pub struct ReadSession {
    db: Db,
    counter: Arc<StatementCounter>,
    /// The request's own deadline: no statement runs past it.
    deadline: Instant,
    state: Mutex<SessionState>,
}

#[derive(Default)]
struct SessionState {
    reader: Option<Reader>,
    /// Whether the reader's read transaction has begun.
    begun: bool,
    rows: u64,
    /// The data version the reads saw, as [`DataVersion::tag`](super::DataVersion::tag); two
    /// when a write of the request ended the first snapshot.
    snapshots: Vec<u64>,
}

impl ReadSession {
    /// A session whose statements are added to `counter` and stop at `deadline`.
    pub fn new(db: Db, counter: Arc<StatementCounter>, deadline: Instant) -> Self {
        Self { db, counter, deadline, state: Mutex::default() }
    }

    /// The same, reading through `reader`, taken beforehand.
    pub fn with_reader(db: Db, counter: Arc<StatementCounter>, deadline: Instant, reader: Reader) -> Self {
        let state = SessionState { reader: Some(reader), ..SessionState::default() };
        Self { db, counter, deadline, state: Mutex::new(state) }
    }

    /// When the session's request must end.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Rows the session's statements have returned so far.
    pub fn rows(&self) -> u64 {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).rows
    }

    /// The data version of the one snapshot the session read from, as a tag; `None` when it
    /// read nothing, or from more than one (a mutation's reads after its write).
    pub fn snapshot(&self) -> Option<u64> {
        match self.state.lock().unwrap_or_else(PoisonError::into_inner).snapshots.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// Runs `f` on the session's reader, inside its snapshot, within the statement time limit
    /// and the request's deadline.
    pub fn read<T>(&self, f: impl FnOnce(&Conn<'_>) -> Result<T, DbError>) -> Result<T, DbError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let reader = match state.reader.take() {
            Some(reader) => reader,
            None => self.db.reader(self.deadline)?,
        };
        if !state.begun {
            // A reader given back mid-transaction (an ending that failed) starts clean.
            if !reader.is_autocommit() {
                reader.execute_batch("ROLLBACK")?;
            }
            // Prepared once per connection: BEGIN and COMMIT are parsed once, not per request.
            reader.prepare_cached("BEGIN")?.execute([])?;
            // What this snapshot holds: an answer read from it is cached under this version,
            // not the one current when the request arrived (another process may have written
            // in between). Not counted: it is the session's, not the request's, statement.
            let seen = super::version::read(&reader)?;
            state.snapshots.push(seen.tag());
            state.begun = true;
        }
        let ends = (Instant::now() + self.db.statement_timeout).min(self.deadline);
        let outcome = with_deadline(&reader, ends, f);
        state.reader = Some(reader);
        let (result, counts) = outcome?;
        self.counter.add(counts.statements);
        state.rows += counts.rows;
        result
    }

    /// Ends the snapshot and gives the reader back: the next read sees every write committed
    /// before it (a mutation's answer is read after its write).
    pub fn end_snapshot(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let taken = state.reader.take();
        state.begun = false;
        if let Some(reader) = taken
            && !reader.is_autocommit()
            && reader.prepare_cached("COMMIT").and_then(|mut commit| commit.execute([])).is_err()
        {
            let _ = reader.execute_batch("ROLLBACK");
        }
    }
}

impl Drop for ReadSession {
    fn drop(&mut self) {
        self.end_snapshot();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::db::DbOptions;

    fn db(readers: u32) -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let options = DbOptions { path: dir.path().join("session.db"), readers, ..DbOptions::default() };
        (dir, Db::open(&options).expect("database"))
    }

    fn session(db: &Db, deadline: Duration) -> ReadSession {
        ReadSession::new(db.clone(), Arc::default(), Instant::now() + deadline)
    }

    fn provinces(session: &ReadSession) -> Result<usize, DbError> {
        session.read(|c| c.rows("SELECT code FROM provinces", [], |_| Ok(()))).map(|rows| rows.len())
    }

    #[test]
    fn a_long_statement_is_interrupted_at_the_deadline() {
        let (_dir, db) = db(2);
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

    #[test]
    fn every_read_of_a_session_sees_one_snapshot_until_it_ends() {
        let (_dir, db) = db(2);
        let session = session(&db, Duration::from_secs(10));
        assert_eq!(provinces(&session).unwrap(), 31);
        let counter = StatementCounter::default();
        db.write_here(&counter, None, |c| c.execute("DELETE FROM provinces WHERE code = '460000'", []))
            .unwrap();
        assert_eq!(provinces(&session).unwrap(), 31, "the write came after the snapshot began");
        session.end_snapshot();
        assert_eq!(provinces(&session).unwrap(), 30, "a new snapshot sees it");
    }

    #[test]
    fn waiting_for_a_reader_ends_at_the_deadline_not_the_pools_wait() {
        // One reader, held by the first session: the second waits only until its own deadline
        // (the pool would wait its full two seconds).
        let (_dir, db) = db(1);
        let holder = session(&db, Duration::from_secs(10));
        provinces(&holder).unwrap();
        let waiter = session(&db, Duration::from_millis(150));
        let started = Instant::now();
        let result = provinces(&waiter);
        assert!(matches!(result, Err(DbError::Timeout)), "{result:?}");
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(100) && waited < Duration::from_millis(1_000), "{waited:?}");
    }

    #[test]
    fn a_session_given_a_reader_reads_through_it_without_waiting() {
        let (_dir, db) = db(1);
        let reader = db.try_reader().expect("the one reader is free");
        assert!(db.try_reader().is_none(), "and now taken");
        let session = ReadSession::with_reader(
            db.clone(),
            Arc::default(),
            Instant::now() + Duration::from_secs(5),
            reader,
        );
        assert_eq!(provinces(&session).unwrap(), 31);
        drop(session);
        assert!(db.try_reader().is_some(), "given back with the session");
    }
}
