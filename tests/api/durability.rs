//! What a client was told is written stays written: the server is killed with SIGKILL at
//! random moments while mutations and an import write, twenty times over; every write that
//! was acknowledged is then in the file, and the file passes SQLite's integrity check.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::common::{Server, seed_cities};

const TOKEN: &str = "durability-token";
const ROUNDS: usize = 20;

/// A small deterministic generator, so a failing run can be repeated exactly.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Every user observation in the file: (subject, indicator, year) → value.
fn stored(db: &Path) -> BTreeMap<(String, String, i64), f64> {
    let connection = rusqlite::Connection::open(db).unwrap();
    let mut statement = connection
        .prepare("SELECT subject_key, indicator_code, year, value FROM observations WHERE origin = 'USER'")
        .unwrap();
    let rows = statement.query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?))).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

#[tokio::test]
async fn acknowledged_writes_survive_sigkill_at_random_moments() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("durable.db");
    let cities: Vec<String> = seed_cities().0.into_iter().map(|c| c.admin_code).collect();
    let mut random = Lcg(20_261_202);
    let mut acknowledged = BTreeMap::new();
    let mut next = 0_u32;
    for round in 0..ROUNDS {
        let server = Server::start_on(&db, &["--write-token", TOKEN]);
        // An import by another process, racing the mutations for the write lock.
        let csv = dir.path().join(format!("round-{round}.csv"));
        let rows: Vec<(String, i64, f64)> = (0..3)
            .map(|i| (cities[i].clone(), 1950 + round as i64, 1_000.0 + (round * 3 + i) as f64))
            .collect();
        let mut text =
            "subject_kind,subject_code,indicator,year,value,unit,definition,source,source_note,source_grade\n".to_string();
        for (city, year, value) in &rows {
            text.push_str(&format!(
                "CITY,{city},new_jobs,{year},{value},,,test fixture: durability,,SECONDARY\n"
            ));
        }
        std::fs::write(&csv, text).unwrap();
        let mut import = Command::new(crate::common::binary())
            .args(["import", "observations"])
            .arg(&csv)
            .arg("--db")
            .arg(&db)
            .env("RUST_LOG", "off")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Mutations one after another until the kill; each acknowledged one is remembered.
        let kill_after = Duration::from_millis(20 + random.below(300));
        let writes = async {
            loop {
                let (city, year) = (
                    &cities[(next as usize) % cities.len()],
                    1950 + i64::from(next / cities.len() as u32) % 70,
                );
                let value = f64::from(next);
                next += 1;
                let record = format!(
                    "mutation {{ recordObservations(input: [{{ subjectCode: \"{city}\", indicatorCode: \"gdp\", year: {year},
                       value: {value}, source: \"test fixture: durability\", sourceGrade: SECONDARY }}]) {{ id }} }}"
                );
                let (status, body) = server.post_as(TOKEN, &record, json!({})).await;
                if status == 200 && body.get("errors").is_none() {
                    acknowledged.insert((format!("CITY:{city}"), "gdp".to_string(), year), value);
                }
            }
        };
        tokio::select! {
            () = tokio::time::sleep(kill_after) => {}
            () = writes => unreachable!("the writes loop until the kill"),
        }
        drop(server); // SIGKILL, mid-write or not
        match import.try_wait().unwrap() {
            Some(status) if status.success() => {
                for (city, year, value) in rows {
                    acknowledged.insert((format!("CITY:{city}"), "new_jobs".to_string(), year), value);
                }
            }
            Some(_) => {}
            None => {
                import.kill().unwrap();
                import.wait().unwrap();
            }
        }
    }
    assert!(acknowledged.len() > ROUNDS, "too few writes to mean anything: {}", acknowledged.len());
    // Started once more, the server recovers the file; then it is checked directly.
    Server::start_on(&db, &[]).stop();
    let integrity: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let stored = stored(&db);
    for (key, value) in &acknowledged {
        assert_eq!(stored.get(key), Some(value), "acknowledged, then lost: {key:?}");
    }
}
