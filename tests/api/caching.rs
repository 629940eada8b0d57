//! Identical reads within one data version come from memory; a write is visible to the very
//! next read; GET answers carry an ETag and honour If-None-Match.

use serde_json::{Value, json};

use crate::call::Call;
use crate::in_process::Server;

const TOKEN: &str = "cache-test-token";
const READ: &str = "{ city(code: \"360400\") { observations { totalCount } } }";

async fn read(server: &Server) -> Value {
    let (status, body) = server.post(READ, json!({})).await;
    assert_eq!(status, 200);
    body
}

#[tokio::test]
async fn repeated_reads_come_from_memory_until_a_write() {
    let server = Server::start_with(&["--write-token", TOKEN]);
    let first = read(&server).await;
    assert!(first["extensions"].get("cached").is_none());
    assert!(first["extensions"]["sqlStatements"].as_u64().unwrap() > 0);
    let second = read(&server).await;
    assert_eq!(second["extensions"]["cached"], true);
    assert_eq!(second["extensions"]["sqlStatements"], 0);
    assert_eq!(second["data"], first["data"]);

    let record = "mutation { recordObservations(input: [{ subjectCode: \"360400\", indicatorCode: \"gdp\",
                   year: 2016, value: 1.0, source: \"test: a made-up value\", sourceGrade: SECONDARY }]) { id } }";
    let (_, body) = server.post_as(TOKEN, record, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let after = read(&server).await;
    assert!(after["extensions"].get("cached").is_none(), "the write changed the data version");
    let before_count = first["data"]["city"]["observations"]["totalCount"].as_u64().unwrap();
    assert_eq!(after["data"]["city"]["observations"]["totalCount"], before_count + 1);
}

#[tokio::test]
async fn errors_and_mutations_are_never_cached() {
    let server = Server::start_with(&["--write-token", TOKEN]);
    // The second of two identical reads is cached: the flag this test looks for is real.
    read(&server).await;
    assert_eq!(read(&server).await["extensions"]["cached"], true);

    for _ in 0..2 {
        let (_, body) = server.post("{ cities(first: -1) { totalCount } }", json!({})).await;
        assert!(body["extensions"].is_object(), "an error answer still carries extensions: {body}");
        assert!(body["extensions"].get("cached").is_none(), "{body}");
        assert!(body["extensions"]["sqlStatements"].is_u64(), "it ran again: {body}");
    }

    // The same mutation twice: a cached answer would repeat the first one's result.
    let record = "mutation { recordObservations(input: [{ subjectCode: \"360400\", indicatorCode: \"gdp\",
                   year: 2016, value: 1.0, source: \"test: a made-up value\", sourceGrade: SECONDARY }]) { id } }";
    let (_, recorded) = server.post_as(TOKEN, record, json!({})).await;
    let id = recorded["data"]["recordObservations"][0]["id"].clone();
    let delete = format!("mutation {{ deleteObservations(ids: [{id}]) }}");
    let (_, first) = server.post_as(TOKEN, &delete, json!({})).await;
    assert_eq!(first["data"]["deleteObservations"], json!([id]), "{first}");
    let (_, second) = server.post_as(TOKEN, &delete, json!({})).await;
    assert_eq!(
        second["data"]["deleteObservations"],
        json!([]),
        "the second delete ran, and found nothing: {second}"
    );
    assert!(second["extensions"].get("cached").is_none(), "{second}");
}

#[tokio::test]
async fn get_answers_carry_an_etag_and_honour_if_none_match() {
    let server = Server::start_with(&["--write-token", TOKEN]);
    let get = |etag: Option<String>| {
        let mut call = Call::get("/graphql").query(&[("query", READ)]);
        if let Some(etag) = etag {
            call = call.header("if-none-match", etag);
        }
        server.send(call)
    };
    let first = get(None).await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert_eq!(first.headers()["cache-control"], "no-cache");
    let again = get(Some(etag.clone())).await;
    assert_eq!(again.status(), 304);
    assert!(again.bytes().is_empty());

    // Writes that change no row leave the data version, and so the tag, as they were.
    for nothing in [
        "mutation { deleteObservations(ids: []) }",
        "mutation { deleteObservations(ids: [\"T2JzZXJ2YXRpb246OTk5OTk5\"]) }",
    ] {
        let (_, body) = server.post_as(TOKEN, nothing, json!({})).await;
        assert_eq!(body["data"]["deleteObservations"], json!([]), "{body}");
        assert_eq!(get(Some(etag.clone())).await.status(), 304, "{nothing} moved the data version");
    }

    let record = "mutation { recordObservations(input: [{ subjectCode: \"360400\", indicatorCode: \"gdp\",
                   year: 2016, value: 1.0, source: \"test: a made-up value\", sourceGrade: SECONDARY }]) { id } }";
    let (_, body) = server.post_as(TOKEN, record, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let changed = get(Some(etag.clone())).await;
    assert_eq!(changed.status(), 200, "the data changed, so the old ETag no longer matches");
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
}

#[tokio::test]
async fn the_cache_can_be_switched_off() {
    let server = Server::start_with(&["--cache-mb", "0"]);
    read(&server).await;
    let second = read(&server).await;
    assert!(second["extensions"].is_object(), "{second}");
    assert!(second["extensions"].get("cached").is_none(), "{second}");
    assert!(second["extensions"]["sqlStatements"].as_u64().unwrap() > 0, "it ran again: {second}");
}

#[tokio::test]
async fn a_malformed_twin_of_a_cached_request_still_gets_400() {
    let server = Server::start();
    let post = |body: &'static str| {
        server.send(Call::post("/graphql").header("content-type", "application/json").body(body))
    };
    assert_eq!(post(r#"{"query":"{ __typename }","extensions":{}}"#).await.status(), 200);
    assert_eq!(post(r#"{"query":"{ __typename }","extensions":{}}"#).await.status(), 200);
    assert_eq!(post(r#"{"query":"{ __typename }","extensions":"x"}"#).await.status(), 400);
}
