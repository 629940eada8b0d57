//! `--read-only`: a replica serving a file another process writes. It follows the primary's
//! writes within a second, ETags included, refuses writes naming where they go, and never
//! writes the file, not even to migrate it.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::common::{Server, first_code};

const COUNT: &str = "{ city(code: \"360400\") { observations { totalCount } } }";

async fn count(server: &Server) -> u64 {
    server.data(COUNT, json!({})).await["city"]["observations"]["totalCount"].as_u64().unwrap()
}

async fn etag(server: &Server) -> String {
    let response = server
        .client
        .get(format!("{}/graphql", server.base))
        .query(&[("query", COUNT)])
        .send()
        .await
        .unwrap();
    response.headers()["etag"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn a_replica_follows_the_primary_refuses_writes_and_never_writes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let primary = Server::start_on(&db, &["--write-token", "primary"]);
    let replica = Server::start_on(&db, &["--read-only", "--primary", "https://primary.example"]);
    let (before, tag) = (count(&replica).await, etag(&replica).await);
    assert_eq!(before, count(&primary).await);

    let record =
        "mutation { recordObservations(input: [{ subjectCode: \"360400\", indicatorCode: \"gdp\", year: 2014,
                    value: 1100, source: \"https://example.org/replica-test\", sourceGrade: SECONDARY }]) { id } }";
    let (_, body) = primary.post_as("primary", record, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let mut followed = false;
    for _ in 0..30 {
        if count(&replica).await == before + 1 {
            followed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(followed, "the replica never saw the primary's write");
    assert_ne!(etag(&replica).await, tag, "the replica's ETag follows the data");

    let (_, refused) = replica.post_as("primary", record, json!({})).await;
    assert_eq!(first_code(&refused), "READ_ONLY_REPLICA", "{refused}");
    assert!(
        refused["errors"][0]["message"].as_str().unwrap().contains("https://primary.example"),
        "{refused}"
    );

    // With the primary gone (its WAL folded into the file), the replica reads on and changes
    // nothing: the file is byte for byte what the primary left.
    primary.stop();
    let left = std::fs::read(&db).unwrap();
    assert_eq!(count(&replica).await, before + 1);
    replica.stop();
    assert!(std::fs::read(&db).unwrap() == left, "the replica wrote the file");
}

#[test]
fn a_replica_refuses_a_file_it_would_have_to_migrate_and_leaves_it_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/schema-v4.db"), &db).unwrap();
    let bytes = std::fs::read(&db).unwrap();
    for path in [db.clone(), dir.path().join("missing.db")] {
        let output = Command::new(crate::common::binary())
            .args(["serve", "--read-only", "--listen", "127.0.0.1:0", "--db"])
            .arg(&path)
            .stdout(Stdio::null())
            .output()
            .unwrap();
        assert!(!output.status.success(), "{} was served", path.display());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("never migrates") || stderr.contains("serves an existing file"), "{stderr}");
    }
    assert!(std::fs::read(&db).unwrap() == bytes, "the old file was changed");
    assert!(!dir.path().join("missing.db").exists(), "the replica created a file");
}

#[test]
fn the_primary_may_come_from_the_environment_and_needs_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    drop(Server::start_on(&db, &[]));
    let serve = |args: &[&str]| {
        Command::new(crate::common::binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(&db)
            .args(args)
            .env("RUSTBELT_PRIMARY", "https://primary.example")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // `serve --read-only` with the primary from the environment serves.
    let mut replica = serve(&["--read-only"]);
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(replica.stdout.take().unwrap()), &mut line)
        .unwrap();
    replica.kill().unwrap();
    replica.wait().unwrap();
    assert!(line.starts_with("listening on "), "{line:?}");
    // Without --read-only, the primary is refused with what to change.
    let output = serve(&[]).wait_with_output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("add --read-only"), "{stderr}");
}
