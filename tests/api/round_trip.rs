//! The round trip a plan's user makes: download the `gaps` template, fill two of its rows,
//! dry-run it (the database file stays byte for byte as it was; the report says how each
//! evaluation would change), import it, and see both entries leave INSUFFICIENT_DATA.

use std::path::Path;

use rustbelt::template::{COLUMNS, CONTEXT};
use serde_json::{Value, json};

use crate::common::{Server, import};

const TEMPLATE: &str = "/views/gaps?target=services_share_2017&format=csv";

async fn template(server: &Server) -> (Vec<String>, Vec<csv::StringRecord>) {
    let response = server.client.get(format!("{}{TEMPLATE}", server.base)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().iter().map(str::to_string).collect();
    (headers, reader.records().map(Result::unwrap).collect())
}

/// Jiamusi's services share for 2017 (it has no value at all), and Luoyang's tertiary value
/// added for 2017 (its GDP for 2017 is in the seed, so one value completes the share).
fn fill(record: &csv::StringRecord) -> Option<(&'static str, &'static str)> {
    match (&record[1], &record[2], &record[3]) {
        ("230800", "services_share_gdp", "2017") => Some(("42.0", "BULLETIN")),
        ("410300", "tertiary_value_added", "2017") => Some(("2000", "OFFICIAL")),
        _ => None,
    }
}

fn write_filled(headers: &[String], records: &[csv::StringRecord], path: &Path) {
    let mut writer = csv::Writer::from_path(path).unwrap();
    writer.write_record(headers).unwrap();
    for record in records {
        let mut cells: Vec<String> = record.iter().map(str::to_string).collect();
        if let Some((value, grade)) = fill(record) {
            cells[4] = value.into();
            cells[7] = "test fixture: a made-up value".into();
            cells[9] = grade.into();
        }
        writer.write_record(&cells).unwrap();
    }
    writer.flush().unwrap();
}

async fn services_status(server: &Server, code: &str) -> Value {
    let query =
        "query ($code: String!) { city(code: $code) { evaluation { target { code } status sourceGrade } } }";
    let data = server.data(query, json!({ "code": code })).await;
    let evaluations = data["city"]["evaluation"].as_array().unwrap().clone();
    let services = evaluations.into_iter().find(|e| e["target"]["code"] == "services_share_2017").unwrap();
    json!([services["status"], services["sourceGrade"]])
}

#[tokio::test]
async fn a_filled_template_round_trips_and_moves_two_evaluations() {
    let dir = tempfile::tempdir().unwrap();
    let (db, filled) = (dir.path().join("plan.db"), dir.path().join("gaps-filled.csv"));
    let server = Server::start_on(&db, &[]);
    let (headers, records) = template(&server).await;
    // Exactly the importer's columns, then the context columns it skips: one definition.
    let expected: Vec<&str> = COLUMNS.iter().chain(CONTEXT.iter()).copied().collect();
    assert_eq!(headers, expected);
    assert_eq!(records.iter().filter(|r| fill(r).is_some()).count(), 2, "both rows are asked for");
    assert!(
        records.iter().all(|r| r[4].is_empty() && r[7].is_empty() && r[9].is_empty()),
        "value, source, grade empty"
    );
    for code in ["230800", "410300"] {
        assert_eq!(services_status(&server, code).await, json!(["INSUFFICIENT_DATA", null]), "{code}");
    }
    server.stop();
    write_filled(&headers, &records, &filled);

    let before = std::fs::read(&db).unwrap();
    let (ok, stdout, stderr) = import("observations", &db, &filled, &["--dry-run"]);
    assert!(ok, "{stderr}");
    let unchanged = std::fs::read(&db).unwrap() == before;
    assert!(unchanged, "a dry run leaves the database file byte for byte as it was");
    assert!(
        stdout.contains(&format!("2 values; {} rows with no value skipped", records.len() - 2)),
        "{stdout}"
    );
    let line = |code: &str| {
        stdout.lines().find(|l| l.contains(code) && l.contains("services_share_2017")).unwrap_or("")
    };
    assert!(
        line("230800 佳木斯市").ends_with("INSUFFICIENT_DATA (NO_OBSERVATIONS) → NOT_ACHIEVED"),
        "{stdout}"
    );
    assert!(line("410300 洛阳市").ends_with("INSUFFICIENT_DATA (NO_OBSERVATIONS) → ACHIEVED"), "{stdout}");
    assert!(stdout.contains("dry run: 2 values would be recorded; nothing was written"), "{stdout}");

    let (ok, stdout, stderr) = import("observations", &db, &filled, &[]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("recorded 2 observations"), "{stdout}");
    let server = Server::start_on(&db, &[]);
    assert_eq!(services_status(&server, "230800").await, json!(["NOT_ACHIEVED", "BULLETIN"]));
    // Luoyang's share is derived from the imported OFFICIAL value and the seed's BULLETIN GDP.
    assert_eq!(services_status(&server, "410300").await, json!(["ACHIEVED", "OFFICIAL"]));
    let (_, after) = template(&server).await;
    assert!(after.iter().all(|r| &r[1] != "230800" && &r[1] != "410300"), "neither is missing anything now");
}

#[tokio::test]
async fn a_value_without_a_source_or_a_grade_is_refused_at_its_cell() {
    let dir = tempfile::tempdir().unwrap();
    let (db, file) = (dir.path().join("plan.db"), dir.path().join("rows.csv"));
    let header = format!("{},{}\n", COLUMNS.join(","), CONTEXT.join(","));
    // Line 2: filled but with no source and no grade; line 3: not filled (skipped); line 4: a
    // grade nobody may give.
    let rows = "CITY,230800,services_share_gdp,2017,42.0,,,,,,services_share_2017,佳木斯市,Jiamusi,,LATEST,true,why\n\
                CITY,230800,services_share_gdp,2012,,,,,,,services_share_2017,佳木斯市,Jiamusi,,BASELINE,false,why\n\
                CITY,410300,gdp,2012,3000,,,test,,UNGRADED,services_share_2017,洛阳市,Luoyang,,BASELINE,false,why\n";
    std::fs::write(&file, format!("{header}{rows}")).unwrap();
    let (ok, _, stderr) = import("observations", &db, &file, &[]);
    assert!(!ok);
    assert!(stderr.contains("line 2, column H (source): a value needs its source"), "{stderr}");
    assert!(stderr.contains("line 2, column J (source_grade): a value needs its source's grade"), "{stderr}");
    assert!(stderr.contains("line 4, column J (source_grade): UNGRADED is only for"), "{stderr}");
    assert!(!stderr.contains("line 3"), "an empty row is no problem: {stderr}");
    // The flags give every row without its own a source and a grade.
    let (ok, stdout, stderr) = import(
        "observations",
        &db,
        &file,
        &["--dry-run", "--source", "test fixture", "--grade", "secondary"],
    );
    assert!(!ok, "line 4's own grade still stands: {stdout}");
    assert!(stderr.contains("line 4, column J") && !stderr.contains("line 2"), "{stderr}");
}
