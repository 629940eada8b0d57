//! Caches hold only what is right: no tag on an answer with errors, one answer per `Accept`,
//! a tag that never names other data (a restored backup, a replica whose file went back), the
//! SDL only where introspection is on, introspection costed as what it answers, and the
//! server's memory bounded under documents it has never seen.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::call::{Call, Reply};
use crate::common::{Server, synthesize};
use crate::in_process;

const TOKEN: &str = "cache-rules-token";
/// The user observations of Jiujiang, with their values.
const VALUES: &str =
    "{ city(code: \"360400\") { observations(filter: { origin: { eq: USER } }) { nodes { year value } } } }";

fn record(value: f64) -> String {
    format!(
        "mutation {{ recordObservations(input: [{{ subjectCode: \"360400\", indicatorCode: \"gdp\", year: 2016,
           value: {value}, source: \"test: a made-up value\", sourceGrade: SECONDARY }}]) {{ id }} }}"
    )
}

/// A GET of `query` from `/graphql`, conditional on `etag` if given.
fn get(query: &str, etag: Option<&str>) -> Call {
    let call = Call::get("/graphql").query(&[("query", query)]);
    match etag {
        Some(etag) => call.header("if-none-match", etag),
        None => call,
    }
}

fn etag(response: &Reply) -> String {
    response.headers()["etag"].to_str().unwrap().to_string()
}

/// The server's resident memory, in MiB.
fn rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the server's status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()).expect("kB") / 1024
}

#[tokio::test]
async fn a_view_answered_with_errors_carries_no_tag() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("large.db");
    synthesize(&db, 1_000, 20);
    // Every statement may run 1 ms: judging a thousand entries cannot finish.
    let server = in_process::Server::start_on(&db, &["--statement-timeout-ms", "1"]);
    let response = server.get("/views/target-evaluations").await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let body = response.json();
    assert_eq!(body["errors"][0]["extensions"]["code"], "TIMEOUT", "{body}");
    assert!(headers.get("etag").is_none(), "an answer with errors may not be pinned: {headers:?}");
    assert!(headers.get("cache-control").is_none(), "{headers:?}");
}

#[tokio::test]
async fn negotiated_answers_vary_by_accept() {
    let server = in_process::Server::start();
    let response = server.send(get("{ plan { titleEn } }", None)).await;
    assert_eq!(response.headers()["vary"], "accept");
    let not_modified = server.send(get("{ plan { titleEn } }", Some(&etag(&response)))).await;
    assert_eq!(not_modified.status(), 304);
    assert_eq!(not_modified.headers()["vary"], "accept");
    let (status, _) = server.post("{ plan { titleEn } }", json!({})).await;
    assert_eq!(status, 200);
    let posted = server.send(Call::post("/graphql").json(&json!({ "query": "{ plan { titleEn } }" }))).await;
    assert_eq!(posted.headers()["vary"], "accept");
    let view = server.get("/views/coverage").await;
    assert_eq!(view.headers()["vary"], "accept");
}

#[tokio::test]
async fn a_tag_never_matches_other_data_with_the_same_version_number() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rustbelt.db");
    let backup = dir.path().join("backup.db");
    Server::start_on(&db, &["--write-token", TOKEN]).stop();
    std::fs::copy(&db, &backup).unwrap();
    // One history: a write of 1.0.
    let server = Server::start_on(&db, &["--write-token", TOKEN]);
    server.post_as(TOKEN, &record(1.0), json!({})).await;
    let first = server.send(get(VALUES, None)).await;
    let held = etag(&first);
    let body = first.json();
    assert_eq!(body["data"]["city"]["observations"]["nodes"][0]["value"], 1.0);
    server.stop();
    // The backup restored, and written once: the same number of writes, other data.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    std::fs::copy(&backup, &db).unwrap();
    let server = Server::start_on(&db, &["--write-token", TOKEN]);
    server.post_as(TOKEN, &record(2.0), json!({})).await;
    let again = server.send(get(VALUES, Some(&held))).await;
    assert_eq!(again.status(), 200, "the held tag names the other history");
    let body = again.json();
    assert_eq!(body["data"]["city"]["observations"]["nodes"][0]["value"], 2.0, "{body}");
}

/// Copies `from` into the database file `to` page by page through SQLite, as a restore made
/// while other processes have the file open: they see it change.
fn restore_in_place(from: &Path, to: &Path) {
    let source = rusqlite::Connection::open(from).unwrap();
    let mut target = rusqlite::Connection::open(to).unwrap();
    let backup = rusqlite::backup::Backup::new(&source, &mut target).unwrap();
    for _ in 0..100 {
        match backup.step(-1).unwrap() {
            rusqlite::backup::StepResult::Done => return,
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    panic!("the restore never got the lock");
}

#[tokio::test]
async fn a_replica_notices_its_file_going_back_to_an_older_version() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rustbelt.db");
    let backup = dir.path().join("backup.db");
    let primary = Server::start_on(&db, &["--write-token", TOKEN]);
    let copied = std::process::Command::new(crate::common::binary())
        .args(["backup", "--db"])
        .arg(&db)
        .arg(&backup)
        .output()
        .unwrap();
    assert!(copied.status.success(), "{}", String::from_utf8_lossy(&copied.stderr));
    let replica = Server::start_on(&db, &["--read-only"]);
    primary.post_as(TOKEN, &record(1.0), json!({})).await;
    let seen = |body: Value| {
        let nodes = body["city"]["observations"]["nodes"].as_array().map(Vec::len);
        nodes.unwrap_or_else(|| panic!("no observations in {body}"))
    };
    let started = Instant::now();
    while seen(replica.data(VALUES, json!({})).await) == 0 {
        assert!(started.elapsed() < Duration::from_secs(5), "the replica never saw the write");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Cached on the replica now; then the file goes back to before the write.
    assert_eq!(seen(replica.data(VALUES, json!({})).await), 1);
    primary.stop();
    restore_in_place(&backup, &db);
    let started = Instant::now();
    while seen(replica.data(VALUES, json!({})).await) != 0 {
        assert!(started.elapsed() < Duration::from_secs(5), "the replica kept answering from the newer data");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_schema_text_is_not_served_with_introspection_off() {
    let open = in_process::Server::start();
    let response = open.get("/schema.graphql").await;
    assert_eq!(response.status(), 200);
    let closed = in_process::Server::start_with(&["--introspection", "false"]);
    let response = closed.get("/schema.graphql").await;
    assert_eq!(response.status(), 404);
    let body = response.json();
    assert_eq!(body["errors"][0]["extensions"]["code"], "INTROSPECTION_DISABLED", "{body}");
}

/// The list items of an answer, at every depth.
fn items(value: &Value) -> u64 {
    match value {
        Value::Array(list) => list.len() as u64 + list.iter().map(items).sum::<u64>(),
        Value::Object(object) => object.values().map(items).sum(),
        _ => 0,
    }
}

#[tokio::test]
async fn introspection_is_costed_as_what_it_answers() {
    let server = in_process::Server::start_with(&["--cache-mb", "0"]);
    let one =
        "__schema { types { name fields { name args { name } } enumValues { name } inputFields { name } } }";
    let aliased: String = (0..20).map(|i| format!("s{i}: {one} ")).collect();
    let (status, body) = server.post(&format!("{{ {aliased} }}"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    let answered = items(&body["data"]);
    let estimated = body["extensions"]["cost"]["estimate"]["nodes"].as_u64().expect("an estimate");
    assert!(answered > 10_000, "twenty whole schemas: {answered}");
    assert!(estimated >= answered, "estimated {estimated} list items, answered {answered}");
}

#[tokio::test]
async fn documents_sent_with_their_hash_hold_bounded_memory() {
    let server = Server::start();
    let url = format!("{}/graphql", server.base);
    let baseline = rss_mib(server.pid());
    // Over the document limit (20,000 characters), each sent with its hash: refused before
    // anything is kept. Then documents within it, more of them than the registry holds.
    for n in 0..1_500 {
        let query = format!("{{ plan {{ titleEn }} }} # {n} {}", "x".repeat(90_000));
        let hash = rustbelt::persisted_query_hash(&query);
        let body = json!({ "query": query, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
        let response = server.client.post(&url).json(&body).send().await.unwrap();
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["errors"][0]["extensions"]["code"], "QUERY_TOO_LONG", "{answer}");
    }
    for n in 0..1_500 {
        let query = format!("{{ plan {{ titleEn }} }} # {n} {}", "x".repeat(19_000));
        let hash = rustbelt::persisted_query_hash(&query);
        let body = json!({ "query": query, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
        server.client.post(&url).json(&body).send().await.unwrap();
    }
    let grown = rss_mib(server.pid()).saturating_sub(baseline);
    assert!(grown < 80, "the server grew by {grown} MiB for 160 MB of documents");
}

#[tokio::test]
async fn distinct_documents_hold_bounded_memory() {
    let server = Server::start();
    let baseline = rss_mib(server.pid());
    // Documents of a thousand short fields: each parses into far more memory than its text;
    // each text is new, so each is parsed and may be kept.
    let fields = "id ".repeat(1_000);
    for n in 0..400 {
        let data = server.data(&format!("# {n}\n{{ plan {{ {fields} }} }}"), json!({})).await;
        assert!(data["plan"]["id"].is_string(), "{data}");
    }
    let grown = rss_mib(server.pid()).saturating_sub(baseline);
    assert!(grown < 60, "the server grew by {grown} MiB for 400 parsed documents");
}
