//! The database file outlives the process, and re-seeding never duplicates rows.

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
