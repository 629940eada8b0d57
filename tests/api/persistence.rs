//! The database file outlives the process, and re-seeding never duplicates rows.

use std::process::{Command, Stdio};

use serde_json::json;

use crate::common::Server;

const COUNTS: &str = "{ provinces { totalCount } cities(membership: [CONFIRMED, CANDIDATE]) { totalCount }
                        indicators { totalCount } targets { totalCount } observations { totalCount } }";

fn row_counts(db: &std::path::Path) -> Vec<(String, i64)> {
    let connection = rusqlite::Connection::open(db).unwrap();
    [
        "sources",
        "plan",
        "milestones",
        "strategic_industries",
        "provinces",
        "cities",
        "city_sources",
        "indicators",
        "targets",
        "observations",
    ]
    .iter()
    .map(|table| {
        let n: i64 =
            connection.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap();
        (table.to_string(), n)
    })
    .collect()
}

#[tokio::test]
async fn restart_keeps_the_database_and_does_not_duplicate_seed_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("plan.db");
    let first = Server::start_on(&db, &[]);
    let before = first.data(COUNTS, json!({})).await;
    first.stop();
    assert!(db.exists(), "the database file survives the process");
    let rows_before = row_counts(&db);
    let second = Server::start_on(&db, &[]);
    let after = second.data(COUNTS, json!({})).await;
    second.stop();
    assert_eq!(before, after);
    assert_eq!(rows_before, row_counts(&db));
    let foreign_keys: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(foreign_keys, 0, "every foreign key resolves");
    // Generic tools (datasette-graphql) fail on generated columns: the file must have none.
    let generated: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sqlite_schema t, pragma_table_xinfo(t.name) c
             WHERE t.type = 'table' AND c.hidden != 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(generated, 0, "no generated or hidden columns");
}

#[tokio::test]
async fn a_memory_database_serves_the_seed() {
    let server = Server::start_on(std::path::Path::new(":memory:"), &[]);
    let data = server.data("{ plan { confirmedCityCount } }", json!({})).await;
    assert_eq!(data["plan"]["confirmedCityCount"], crate::common::seed_cities().0.len());
}

/// A tool may stop the server as soon as it has read the first line: the signal is handled
/// (a clean exit), not left to its default action.
#[tokio::test]
async fn a_server_stopped_right_after_its_first_line_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..5 {
        Server::start_on(&dir.path().join("quick.db"), &[]).stop();
    }
}

/// A file the server cannot use stops the start with a message that says why, and is left
/// byte for byte as it was: not SQLite at all, truncated, a damaged page, a newer schema.
#[test]
fn a_file_it_cannot_use_stops_the_start_and_is_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/schema-v4.db")).unwrap();
    let newer = dir.path().join("newer.db");
    std::fs::write(&newer, &fixture).unwrap();
    rusqlite::Connection::open(&newer).unwrap().pragma_update(None, "user_version", 99).unwrap();
    let mut damaged = fixture.clone();
    damaged[4 * 4096..4 * 4096 + 8].fill(0xff); // page 5's b-tree header
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("text.db", b"hello, not a database\n".to_vec(), "is not an SQLite database"),
        ("truncated.db", fixture[..50_000].to_vec(), "is not an SQLite database, or its header is damaged"),
        ("damaged.db", damaged, "is damaged (SQLite's quick_check"),
        ("newer.db", std::fs::read(&newer).unwrap(), "has schema version 99, newer than this binary's"),
    ];
    for (name, bytes, says) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let output = Command::new(crate::common::binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(&path)
            .stdout(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{name} was served");
        assert!(stderr.contains(says) && stderr.contains("the file was left as it is"), "{name}: {stderr}");
        assert!(std::fs::read(&path).unwrap() == bytes, "{name} was changed");
        assert!(!dir.path().join(format!("{name}-wal")).exists(), "{name} got a write-ahead log");
    }
}

/// `rustbelt backup` while the server writes: the copy holds what was written before it and
/// nothing after; restored in place of the database, the server serves exactly that. A backup
/// never overwrites a file.
#[tokio::test]
async fn a_backup_taken_while_serving_restores_exactly_its_moment() {
    let dir = tempfile::tempdir().unwrap();
    let (db, copy) = (dir.path().join("live.db"), dir.path().join("backup.db"));
    let token = "backup-token";
    let record = |year: i32| {
        format!("mutation {{ recordObservations(input: [{{ subjectCode: \"360400\", indicatorCode: \"gdp\", year: {year},
                   value: 1.0, source: \"test fixture: a made-up value\", sourceGrade: SECONDARY }}]) {{ id }} }}")
    };
    let years =
        "{ observations(filter: { origin: { eq: USER } }, orderBy: [{ field: YEAR }]) { nodes { year } } }";
    let backup = |extra: &std::path::Path| {
        Command::new(crate::common::binary()).arg("backup").arg(extra).arg("--db").arg(&db).output().unwrap()
    };

    let server = Server::start_on(&db, &["--write-token", token]);
    let (_, body) = server.post_as(token, &record(2014), json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let made = backup(&copy);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let (_, body) = server.post_as(token, &record(2015), json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let again = backup(&copy);
    assert!(!again.status.success(), "a second backup to the same file must be refused");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("exists"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    server.stop();

    let check = rusqlite::Connection::open(&copy).unwrap();
    assert_eq!(check.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).unwrap(), "ok");
    drop(check);
    // Restore: the copy in place of the database, without the old write-ahead files.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    std::fs::copy(&copy, &db).unwrap();
    let restored = Server::start_on(&db, &[]);
    let data = restored.data(years, json!({})).await;
    assert_eq!(data["observations"]["nodes"], json!([{ "year": 2014 }]), "the backup's moment, exactly");
    restored.stop();
}

/// The write-ahead log does not keep its largest size while the server runs: another process
/// writes a few thousand rows through its own connection, and the server folds the log into
/// the file and truncates it — but not while a reader is still using the log.
#[tokio::test]
async fn the_write_ahead_log_is_folded_and_truncated_while_serving() {
    let dir = tempfile::tempdir().unwrap();
    let (db, csv) = (dir.path().join("wal.db"), dir.path().join("rows.csv"));
    let server = Server::start_on(&db, &["--checkpoint-interval-ms", "200"]);
    // A reader whose snapshot predates the import keeps the log from being truncated, so the
    // log's size can be seen after the import without racing the server's next fold.
    let reader = rusqlite::Connection::open(&db).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let before: i64 = reader.query_row("SELECT count(*) FROM observations", [], |r| r.get(0)).unwrap();
    let mut rows =
        "subject_kind,subject_code,indicator,year,value,unit,definition,source,source_note,source_grade\n"
            .to_string();
    for city in crate::common::seed_cities().0 {
        for year in 1950..2020 {
            rows.push_str(&format!(
                "CITY,{},gdp,{year},{}.5,,,test fixture: a made-up value,,SECONDARY\n",
                city.admin_code,
                year - 1900
            ));
        }
    }
    std::fs::write(&csv, rows).unwrap();
    let (ok, _, stderr) = crate::common::import("observations", &db, &csv, &[]);
    assert!(ok, "{stderr}");
    let wal = dir.path().join("wal.db-wal");
    let size = || std::fs::metadata(&wal).map_or(0, |m| m.len());
    tokio::time::sleep(std::time::Duration::from_millis(600)).await; // three folds' time
    assert!(size() > 0, "the import wrote through the log, and a reader still uses it");
    let during: i64 = reader.query_row("SELECT count(*) FROM observations", [], |r| r.get(0)).unwrap();
    assert_eq!(during, before, "the reader keeps its snapshot");
    reader.execute_batch("COMMIT").unwrap();
    drop(reader);
    let mut folded = false;
    for _ in 0..50 {
        if size() == 0 {
            folded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(folded, "the log still holds {} bytes", size());
    let data =
        server.data("{ observations(filter: { origin: { eq: USER } }) { totalCount } }", json!({})).await;
    assert!(data["observations"]["totalCount"].as_u64().unwrap() > 3_000, "{data}");
}

/// `rustbelt backup` of a database several thousand pages long finishes while another process
/// commits as fast as it can: the copy is made in one read transaction, so no write makes it
/// start over.
#[tokio::test]
async fn a_backup_finishes_while_another_process_keeps_writing() {
    let dir = tempfile::tempdir().unwrap();
    let (db, copy) = (dir.path().join("busy.db"), dir.path().join("backup.db"));
    crate::common::synthesize(&db, 1_000, 20);
    let server = Server::start_on(&db, &[]);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let commits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writer = {
        let (db, stop, commits) = (db.clone(), stop.clone(), commits.clone());
        std::thread::spawn(move || {
            let connection = rusqlite::Connection::open(&db).unwrap();
            connection.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
            // Commits as often as it can: no wait for the disk.
            connection.execute_batch("PRAGMA synchronous = OFF").unwrap();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                connection
                    .execute(
                        "UPDATE observations SET value = value + 1 WHERE id = 1 + abs(random()) % 1000",
                        [],
                    )
                    .unwrap();
                commits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(200));
    let before = commits.load(std::sync::atomic::Ordering::Relaxed);
    let mut backup = Command::new(crate::common::binary())
        .args(["backup", "--db"])
        .arg(&db)
        .arg(&copy)
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = backup.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = backup.kill();
            panic!("the backup did not finish in a minute of steady writes");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let during = commits.load(std::sync::atomic::Ordering::Relaxed) - before;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert!(status.success(), "{status}");
    assert!(
        before > 10 && during > 0,
        "the other process kept writing: {before} commits before, {during} during"
    );
    let copied = rusqlite::Connection::open(&copy).unwrap();
    let check: String = copied.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let pages: i64 = copied.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
    assert!(pages > 5_000, "large enough that a copy in steps would need several: {pages} pages");
    drop(server);
}
