//! `rustbelt import observations`: the real binary on a real file.

use std::path::Path;

use serde_json::json;

use crate::common::Server;

const HEADER: &str =
    "subject_kind,subject_code,indicator,year,value,unit,definition,source,source_note,source_grade\n";

fn import(db: &Path, file: &Path, extra: &[&str]) -> (bool, String, String) {
    crate::common::import("observations", db, file, extra)
}

async fn user_rows(db: &Path) -> u64 {
    let server = Server::start_on(db, &[]);
    let data =
        server.data("{ observations(filter: { origin: { eq: USER } }) { totalCount } }", json!({})).await;
    data["observations"]["totalCount"].as_u64().unwrap()
}

#[tokio::test]
async fn a_file_with_a_bad_row_writes_nothing_and_names_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let (db, file) = (dir.path().join("plan.db"), dir.path().join("rows.csv"));
    let rows = "CITY,360400,services_share_gdp,2016,40.1,,,test,,SECONDARY\n\
                CITY,360400,services_share_gdp,2015,400,,,test,,SECONDARY\n\
                PROVINCE,340000,gdp,twenty,1,,,test,,SECONDARY\n";
    std::fs::write(&file, format!("{HEADER}{rows}")).unwrap();
    let (ok, _, stderr) = import(&db, &file, &[]);
    assert!(!ok, "a bad row must fail the command");
    assert!(stderr.contains("line 3, column E (value): 400 is outside"), "{stderr}");
    assert!(stderr.contains("line 4, column D (year): \"twenty\" is not a whole year"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(user_rows(&db).await, 0);
}

#[tokio::test]
async fn the_example_file_imports_and_a_dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("plan.db");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/observations.csv");
    let (ok, stdout, stderr) = import(&db, &example, &["--dry-run"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("dry run"), "{stdout}");
    assert_eq!(user_rows(&db).await, 0);
    let (ok, stdout, stderr) = import(&db, &example, &[]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("recorded 2 observations"), "{stdout}");
    assert_eq!(user_rows(&db).await, 2);
}

#[tokio::test]
async fn a_wrong_header_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (db, file) = (dir.path().join("plan.db"), dir.path().join("rows.csv"));
    std::fs::write(&file, "admin_code,indicator,year,value\n340300,gdp,2017,1\n").unwrap();
    let (ok, _, stderr) = import(&db, &file, &[]);
    assert!(!ok);
    assert!(stderr.contains("column A: \"admin_code\" is not a column of an observations file"), "{stderr}");
}
