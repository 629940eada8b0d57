//! The handle's promises: a write begins by its deadline or not at all, a reader is given
//! back clean, and the data version follows the file whichever way it moves.

use std::time::{Duration, Instant};

use super::*;

fn db(readers: u32) -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let options = DbOptions { path: dir.path().join("handle.db"), readers, ..DbOptions::default() };
    (dir, Db::open(&options).expect("database"))
}

fn provinces(db: &Db) -> i64 {
    let writer = db.writer.lock();
    writer.query_row("SELECT count(*) FROM provinces", [], |r| r.get(0)).unwrap()
}

const DELETE_ONE: &str = "DELETE FROM provinces WHERE code = '460000'";

#[test]
fn a_write_refuses_to_begin_once_its_deadline_has_passed() {
    let (_dir, db) = db(2);
    let before = db.data_tag();
    let late = Instant::now() - Duration::from_millis(1);
    let result = db.write_here(&StatementCounter::default(), Some(late), |c| c.execute(DELETE_ONE, []));
    assert!(matches!(result, Err(DbError::TooLateToWrite)), "{result:?}");
    assert_eq!(provinces(&db), 31, "nothing written");
    assert_eq!(db.data_tag(), before, "the version did not move");
}

#[test]
fn a_write_waits_for_another_write_of_this_process_only_until_its_deadline() {
    let (_dir, db) = db(2);
    let holder = db.clone();
    let (started_tx, started) = std::sync::mpsc::channel();
    let slow = std::thread::spawn(move || {
        holder.write_here(&StatementCounter::default(), None, |c| {
            started_tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(1_500));
            c.execute(DELETE_ONE, [])
        })
    });
    started.recv().unwrap();
    let asked = Instant::now();
    let deadline = asked + Duration::from_millis(500);
    let result = db.write_here(&StatementCounter::default(), Some(deadline), |c| c.execute(DELETE_ONE, []));
    assert!(matches!(result, Err(DbError::WriterBusy)), "{result:?}");
    assert!(result.as_ref().is_err_and(DbError::is_busy), "reported as busy: retry later");
    let waited = asked.elapsed();
    assert!(waited < Duration::from_millis(500), "refused before its deadline: {waited:?}");
    let (_, committed) = slow.join().unwrap().expect("the first write");
    assert!(committed);
}

#[test]
fn a_committed_write_says_so_and_one_that_changed_nothing_rolls_back() {
    let (_dir, db) = db(2);
    let before = db.data_tag();
    let (changed, committed) = db
        .write_here(&StatementCounter::default(), None, |c| c.execute("DELETE FROM provinces WHERE 0", []))
        .unwrap();
    assert_eq!((changed, committed), (0, false));
    assert_eq!(db.data_tag(), before, "no row changed: the version stays");
    let (changed, committed) =
        db.write_here(&StatementCounter::default(), None, |c| c.execute(DELETE_ONE, [])).unwrap();
    assert_eq!((changed, committed), (1, true));
    assert_ne!(db.data_tag(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_is_given_back_clean_after_a_read_that_failed_mid_transaction() {
    let (_dir, db) = db(1);
    let counter = StatementCounter::default();
    let failed = db
        .read(&counter, |c| {
            c.rows("BEGIN", [], |_| Ok(()))?;
            Err::<(), _>(DbError::Corrupt("a failure after BEGIN".into()))
        })
        .await;
    assert!(failed.is_err());
    // The one reader again: a BEGIN would fail inside a transaction left open.
    let again = db.read(&counter, |c| c.rows("BEGIN", [], |_| Ok(())).map(drop)).await;
    assert!(again.is_ok(), "{again:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_version_follows_the_file_down_as_well_as_up() {
    let (dir, db) = db(2);
    let counter = StatementCounter::default();
    let start = db.data_version();
    db.write_here(&counter, None, |c| c.execute(DELETE_ONE, [])).unwrap();
    assert_eq!(db.data_version(), start + 1);
    // Another process puts back an older state (a restore): a lower counter, another nonce.
    let other = Connection::open(dir.path().join("handle.db")).unwrap();
    other
        .execute_batch(&format!(
            "UPDATE meta SET value = {start} WHERE key = 'data_version';
             UPDATE meta SET value = 7 WHERE key = 'data_nonce';"
        ))
        .unwrap();
    let tag = db.data_tag();
    assert_eq!(db.refresh_version().await.unwrap(), start, "the counter went down and was followed");
    assert_ne!(db.data_tag(), tag);
    // Nothing changed since: nothing moves.
    let tag = db.data_tag();
    db.refresh_version().await.unwrap();
    assert_eq!(db.data_tag(), tag);
}
