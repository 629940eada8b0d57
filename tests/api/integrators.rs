//! What integrators build on: saved views as stable URLs in JSON, CSV and NDJSON (parsed back
//! and compared with the GraphQL answer), their query-string variables, ETags, persisted
//! queries and the trusted-documents mode. XLSX and GeoJSON: `exports.rs`.

use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::call::{Call, Reply};
use crate::common::first_code;
use crate::in_process::Server;

const VIEWS: [&str; 5] = ["coverage", "gaps", "target-evaluations", "city-series", "status-counts"];

async fn get(server: &Server, path: &str, accept: Option<&str>) -> Reply {
    let mut call = Call::get(path);
    if let Some(accept) = accept {
        call = call.header("accept", accept);
    }
    server.send(call).await
}

/// The view's table from its JSON answer, following its `table` path.
fn table(answer: &Value, path: &str) -> Vec<Value> {
    path.split('.').fold(&answer["data"], |v, key| &v[key]).as_array().cloned().unwrap_or_default()
}

/// A CSV cell as the view writes a JSON value: text as it is (with a `'` first where a
/// spreadsheet would read a formula), numbers and booleans as JSON writes them, null empty.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) if text.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{text}"),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn every_view_answers_in_every_format_what_graphql_answers() {
    let server = Server::start();
    let index: Value = get(&server, "/views", None).await.json();
    let listed: Vec<&str> =
        index["views"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(listed, VIEWS);
    for view in index["views"].as_array().unwrap() {
        let name = view["name"].as_str().unwrap();
        let path = view["table"].as_str().unwrap();
        // The same document through the GraphQL endpoint, with the view's default variables.
        let source =
            std::fs::read_to_string(format!("{}/views/{name}.graphql", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let (_, direct) = server.post(&source, json!({})).await;
        let rows = table(&direct, path);
        assert!(!rows.is_empty(), "{name} lists something on the seed");

        let answer: Value = get(&server, &format!("/views/{name}"), None).await.json();
        assert_eq!(answer["data"], direct["data"], "{name} as JSON");

        let response = get(&server, &format!("/views/{name}"), Some("application/x-ndjson")).await;
        assert_eq!(response.headers()["content-type"], "application/x-ndjson");
        let text = response.text();
        let lines: Vec<Value> =
            text.lines().map(|l| serde_json::from_str(l).expect("one JSON object a line")).collect();
        assert_eq!(lines, rows, "{name} as NDJSON");

        let response = get(&server, &format!("/views/{name}"), Some("text/csv")).await;
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let text = response.text();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
        let columns: Vec<String> =
            view["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
        assert_eq!(headers, columns, "{name}: a header row of dotted columns");
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), rows.len(), "{name}: one record per row");
        for (record, row) in records.iter().zip(&rows) {
            for (header, value) in headers.iter().zip(record.iter()) {
                let expected = header.split('.').fold(row, |v, key| &v[key]);
                match (value.parse::<f64>(), expected.as_f64()) {
                    // The same number to the last bit (9.200000000000003 among them).
                    (Ok(a), Some(b)) => assert_eq!(a.to_bits(), b.to_bits(), "{name}, {header}: {a} {b}"),
                    _ => assert_eq!(value, cell(expected), "{name}, {header}"),
                }
            }
        }
    }
}

#[tokio::test]
async fn csv_for_spreadsheets_keeps_chinese_names_and_every_digit() {
    let server = Server::start();
    let bytes = get(&server, "/views/coverage?format=csv&bom=1", None).await.bytes();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "a UTF-8 byte-order mark for spreadsheets");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.contains("蚌埠市") && text.contains("合肥市瑶海区"), "Chinese names as UTF-8");
    let series = get(&server, "/views/city-series?city=Bengbu&indicator=gdp&format=csv", None).await.text();
    assert!(series.contains("2017,1550.66,"), "{series}");
}

#[tokio::test]
async fn query_string_variables_are_typed_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    // An operator's own view, with a required Int and no default.
    std::fs::write(
        dir.path().join("ranking.graphql"),
        "# title: Ranking of one year\n# table: indicator.ranking.nodes\n# var year: the year ranked\n\
         query Ranking($year: Int!) { indicator(code: \"services_share_gdp\") { ranking(year: $year) { nodes { rank value city { nameEn } } } } }\n",
    )
    .unwrap();
    let server = Server::start_with(&["--views-dir", dir.path().to_str().unwrap()]);
    let ranked: Value = get(&server, "/views/ranking?year=2017", None).await.json();
    assert_eq!(ranked["data"]["indicator"]["ranking"]["nodes"][0]["city"]["nameEn"], "Jinzhong");
    for (query, code) in [
        ("/views/ranking", "GRAPHQL_VALIDATION_FAILED"), // missing and required
        ("/views/ranking?year=abc", "GRAPHQL_VALIDATION_FAILED"), // not an Int
        ("/views/ranking?year=2017&city=Bengbu", "BAD_USER_INPUT"), // not a parameter of this view
        ("/views/ranking?year=2017&format=xml", "BAD_REQUEST"),
        ("/views/coverage?membership=MAYBE&format=csv", "GRAPHQL_VALIDATION_FAILED"),
    ] {
        let response = get(&server, query, None).await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json();
        assert_eq!(first_code(&body), code, "{query}: {body}");
    }
    let missing = get(&server, "/views/nope", None).await;
    assert_eq!(missing.status(), 404);
    let nothing = get(&server, "/views/city-series?city=Nowhere&format=csv", None).await;
    assert_eq!(nothing.status(), 404, "a table under a null city");
    let both: Value =
        get(&server, "/views/coverage?membership=CONFIRMED&membership=CANDIDATE", None).await.json();
    let all = crate::common::seed_cities();
    assert_eq!(
        table(&both, "cities.nodes").len(),
        all.0.len() + all.1.len(),
        "a list from a repeated parameter"
    );
}

/// A saved view may filter by relations, with a variable inside the relation filter.
#[tokio::test]
async fn a_view_filters_by_what_is_related() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("observed.graphql"),
        "# title: Entries with a value of an indicator\n# table: cities.nodes\n# var indicator: the indicator's code\n\
         query Observed($indicator: String!) { cities(filter: { observations: { some: { indicatorCode: { eq: $indicator } } } }) { nodes { adminCode nameEn } } }\n",
    )
    .unwrap();
    let server = Server::start_with(&["--views-dir", dir.path().to_str().unwrap()]);
    let csv = get(&server, "/views/observed?indicator=services_share_gdp&format=csv", None).await;
    assert_eq!(csv.status(), 200);
    let text = csv.text();
    let codes: Vec<&str> = text.lines().skip(1).map(|line| line.split(',').next().unwrap()).collect();
    let seed: Vec<crate::common::SeedObservation> = crate::common::read_csv("observations.csv");
    let observed: std::collections::BTreeSet<String> =
        seed.into_iter().filter(|o| o.indicator == "services_share_gdp").map(|o| o.admin_code).collect();
    assert!(!observed.is_empty());
    assert_eq!(codes, observed.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn a_view_with_a_list_of_objects_in_a_row_stops_the_server_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.graphql"),
        "# title: Bad\n# table: cities.nodes\n{ cities { nodes { adminCode sources { url } } } }\n",
    )
    .unwrap();
    let output = Command::new(crate::common::binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--db", ":memory:", "--views-dir"])
        .arg(dir.path())
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("view bad: sources is a list of objects inside a row"), "{stderr}");
}

#[tokio::test]
async fn a_views_etag_holds_until_the_data_changes() {
    let token = "views-token";
    let server = Server::start_with(&["--write-token", token, "--views-max-age", "30"]);
    let path = "/views/city-series?city=Jiujiang&format=csv";
    let first = get(&server, path, None).await;
    assert_eq!(first.headers()["cache-control"], "public, max-age=30");
    let tag = first.headers()["etag"].to_str().unwrap().to_string();
    let again = server.send(Call::get(path).header("if-none-match", &tag)).await;
    assert_eq!(again.status(), 304);
    let record = "mutation { recordObservations(input: [{ subjectKind: CITY, subjectCode: \"360400\",
        indicatorCode: \"services_share_gdp\", year: 2016, value: 40.1, source: \"test: made up\", sourceGrade: SECONDARY }]) { id } }";
    let (_, body) = server.post_as(token, record, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let fresh = server.send(Call::get(path).header("if-none-match", &tag)).await;
    assert_eq!(fresh.status(), 200, "the very next request after a write is answered afresh");
    assert_ne!(fresh.headers()["etag"].to_str().unwrap(), tag);
    assert!(fresh.text().contains("2016,40.1,"));
}

fn sha256(text: &str) -> String {
    rustbelt::persisted_query_hash(text)
}

async fn post_body(server: &Server, body: Value) -> (u16, Value) {
    let response = server.send(Call::post("/graphql").json(&body)).await;
    (response.status().as_u16(), response.json())
}

#[tokio::test]
async fn automatic_persisted_queries_register_on_a_miss() {
    let server = Server::start();
    let query = "{ city(code: \"Bengbu\") { nameEn } }";
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(query) } });
    let (status, body) = post_body(&server, json!({ "extensions": ext })).await;
    assert_eq!((status, first_code(&body)), (200, "PERSISTED_QUERY_NOT_FOUND"));
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound", "what Apollo clients look for");
    let (_, body) = post_body(&server, json!({ "query": query, "extensions": ext })).await;
    assert_eq!(body["data"]["city"]["nameEn"], "Bengbu", "registered and run");
    let (_, body) = post_body(&server, json!({ "extensions": ext })).await;
    assert_eq!(body["data"]["city"]["nameEn"], "Bengbu", "found by its hash");
    let wrong = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256("{ plan { id } }") } });
    let (status, body) = post_body(&server, json!({ "query": query, "extensions": wrong })).await;
    assert_eq!((status, first_code(&body)), (400, "PERSISTED_QUERY_HASH_MISMATCH"));
}

#[tokio::test]
async fn trusted_documents_mode_runs_only_known_documents() {
    let dir = tempfile::tempdir().unwrap();
    let known = "query Named { plan { titleEn } }";
    let manifest = json!({ "format": "apollo-persisted-query-manifest", "version": 1,
                           "operations": [{ "id": sha256(known), "name": "Named", "type": "query", "body": known }] });
    let file = dir.path().join("manifest.json");
    std::fs::write(&file, manifest.to_string()).unwrap();
    let server =
        Server::start_with(&["--trusted-documents-only", "--persisted-documents", file.to_str().unwrap()]);
    let (status, body) = post_body(&server, json!({ "query": "{ plan { titleZh } }" })).await;
    assert_eq!((status, first_code(&body)), (400, "DOCUMENT_NOT_TRUSTED"));
    let (_, body) = post_body(&server, json!({ "query": known })).await;
    assert!(body["data"]["plan"]["titleEn"].is_string(), "{body}");
    let view =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/views/coverage.graphql")).unwrap();
    let by_hash = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(&view) } });
    let (_, body) = post_body(&server, json!({ "extensions": by_hash })).await;
    assert!(body["data"]["cities"]["nodes"].is_array(), "a saved view's document, by its hash: {body}");
    let register = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256("{ plan { id } }") } });
    let (_, body) = post_body(&server, json!({ "query": "{ plan { id } }", "extensions": register })).await;
    assert_eq!(first_code(&body), "DOCUMENT_NOT_TRUSTED", "nothing is registered");
    assert_eq!(get(&server, "/views/coverage?format=csv", None).await.status(), 200, "views run");
}
