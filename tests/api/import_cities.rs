//! `rustbelt import cities`: the real binary on a real file, checked against the division table,
//! all or nothing, a dry run that leaves the file byte for byte as it was, and a running server
//! that notices the import.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{Server, import, seed_cities};

const HEADER: &str = "admin_code,name_zh,name_en,province_code,tier,lat,lon,evidence,source,note\n";

fn write_file(dir: &Path, name: &str, rows: &str) -> std::path::PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, format!("{HEADER}{rows}")).unwrap();
    file
}

/// The database file and its write-ahead log (the files that hold data; `-shm` is an index
/// every reader updates), each by name, size and hash, to compare before and after.
fn snapshot(db: &Path) -> Vec<(String, usize, u64)> {
    use std::hash::{Hash, Hasher};
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    [db.to_path_buf(), wal.into()]
        .into_iter()
        .filter(|p| p.exists())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            let mut hasher = std::hash::DefaultHasher::new();
            bytes.hash(&mut hasher);
            (p.display().to_string(), bytes.len(), hasher.finish())
        })
        .collect()
}

/// A seeded database file with no server on it.
async fn seeded(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("plan.db");
    Server::start_on(&db, &[]).stop();
    db
}

#[tokio::test]
async fn every_bad_row_is_reported_by_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded(dir.path()).await;
    let rows = "12345,,,,,,,NAMES_PLAN,https://example.org/a,\n\
                340102,,,,prefecture_level,,,NAMES_PLAN,https://example.org/b,\n\
                340300,,,990000,,,,NAMES_PLAN,https://example.org/c,\n\
                340400,,,,,,,NAMES_PLAN,,\n\
                ,蚌埠市,,,,,,NAMES_PLAN,https://example.org/d,\n\
                340300,,,,,,,NAMES_PLAN,https://example.org/e,\n\
                ,长安区,,,provincial_capital,,,NAMES_PLAN,https://example.org/f,\n\
                510300,,,,,,,PROBABLY,https://example.org/g,\n";
    let file = write_file(dir.path(), "bad.csv", rows);
    let before = snapshot(&db);
    let (ok, _, stderr) = import("cities", &db, &file, &[]);
    assert!(!ok, "a bad row must fail the command");
    for expected in [
        "line 2 (row 1): admin_code: \"12345\" is not a 6-digit",
        "line 3 (row 2): tier: 340102 (瑶海区) is a district",
        "line 4 (row 3): province_code: \"990000\" is not the code of a province",
        "line 5 (row 4): source:",
        "line 7 (row 6): admin_code: 340300 repeats row 5",
        "line 8 (row 7): name_zh: \"长安区\" names several units: write one of 石家庄市长安区",
        "line 9 (row 8): evidence: \"PROBABLY\" is not",
        "nothing was written",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?} in:\n{stderr}");
    }
    assert_eq!(snapshot(&db), before, "the database is byte for byte as it was");
    let missing = dir.path().join("never.db");
    let (ok, _, _) = import("cities", &missing, &file, &[]);
    assert!(!ok);
    assert!(!missing.exists(), "a refused import does not even create the file");
}

#[tokio::test]
async fn entries_are_added_by_name_alone_and_a_dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded(dir.path()).await;
    // Made-up sources for this test only. 自贡 is a candidate of the seed; 江门 is not an entry.
    let rows = ",自贡市,,,,,,NAMES_PLAN,https://example.org/test-zigong,test: names the plan\n\
                ,江门市,Jiangmen,,,,,INDIRECT,https://example.org/test-jiangmen,test: a lead\n";
    let file = write_file(dir.path(), "entries.csv", rows);
    let before = snapshot(&db);
    let (ok, stdout, stderr) = import("cities", &db, &file, &["--dry-run"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("510300 自贡市: CANDIDATE → CONFIRMED"), "{stdout}");
    assert!(stdout.contains("440700 江门市: added as CANDIDATE"), "{stdout}");
    assert!(stdout.contains("nothing was written"), "{stdout}");
    assert_eq!(snapshot(&db), before, "a dry run leaves the files byte for byte as they were");

    let (ok, stdout, stderr) = import("cities", &db, &file, &[]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("imported 2 entries"), "{stdout}");
    let (confirmed, _) = seed_cities();
    // Twice: the import survives a restart, which re-seeds (the seed lists 自贡 as a candidate).
    for _start in 0..2 {
        let server = Server::start_on(&db, &[]);
        let data = server
            .data(
                "{ plan { confirmedCityCount }
                   zigong: city(code: \"510300\") { membership evidence origin nameEn latitude
                     sources { evidence origin url } }
                   jiangmen: city(code: \"江门\") { adminCode nameEn nameZh membership tier origin latitude longitude
                     province { code } } }",
                json!({}),
            )
            .await;
        assert_eq!(data["plan"]["confirmedCityCount"], confirmed.len() + 1);
        let zigong = &data["zigong"];
        assert_eq!((&zigong["membership"], &zigong["evidence"]), (&json!("CONFIRMED"), &json!("NAMES_PLAN")));
        assert_eq!(
            (&zigong["origin"], &zigong["nameEn"]),
            (&json!("SEED"), &json!("Zigong")),
            "the seed's description"
        );
        assert_eq!(
            zigong["sources"][0],
            json!({ "evidence": "NAMES_PLAN", "origin": "USER", "url": "https://example.org/test-zigong" })
        );
        assert_eq!(zigong["sources"][1]["evidence"], "INDIRECT", "the seed's lead is kept");
        let jiangmen = &data["jiangmen"];
        assert_eq!(jiangmen["adminCode"], "440700", "the code, filled in from the division table");
        assert_eq!(jiangmen["province"]["code"], "440000");
        assert_eq!(
            (&jiangmen["tier"], &jiangmen["membership"]),
            (&json!("PREFECTURE_LEVEL"), &json!("CANDIDATE"))
        );
        assert_eq!((&jiangmen["origin"], &jiangmen["nameZh"]), (&json!("USER"), &json!("江门市")));
        assert!(jiangmen["latitude"].as_f64().is_some_and(|lat| (22.0..23.0).contains(&lat)), "{jiangmen}");
        server.stop();
    }
}

#[tokio::test]
async fn a_dry_run_of_observations_leaves_the_file_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded(dir.path()).await;
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/observations.csv");
    let before = snapshot(&db);
    let (ok, stdout, stderr) = import("observations", &db, &example, &["--dry-run"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("dry run"), "{stdout}");
    assert_eq!(snapshot(&db), before);
}

/// Both running: the server notices an import into its own file within about a second, and
/// answers afresh (its cached answer is not served again).
#[tokio::test]
async fn a_running_server_notices_an_import_into_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("plan.db");
    let server = Server::start_on(&db, &[]);
    let query = "{ city(code: \"510300\") { membership } }";
    let membership = |body: Value| body["city"]["membership"].clone();
    assert_eq!(membership(server.data(query, json!({})).await), "CANDIDATE");
    assert_eq!(membership(server.data(query, json!({})).await), "CANDIDATE", "now cached");
    let file = write_file(
        dir.path(),
        "zigong.csv",
        "510300,,,,,,,NAMES_PLAN,https://example.org/test-zigong,test\n",
    );
    let (ok, _, stderr) = import("cities", &db, &file, &[]);
    assert!(ok, "{stderr}");
    let imported = Instant::now();
    loop {
        if membership(server.data(query, json!({})).await) == "CONFIRMED" {
            break;
        }
        assert!(imported.elapsed() < Duration::from_millis(1_500), "not noticed within a second and a half");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
