//! Bad arguments get an error with a stable code, and the server keeps serving.

use axum::http::Method;
use serde_json::json;

use crate::call::Call;
use crate::common::{Server, first_code};
use crate::in_process;

#[tokio::test]
async fn bad_arguments_get_stable_codes_and_the_server_keeps_serving() {
    let server = in_process::Server::start();
    let cases = [
        ("{ cities(first: -1) { totalCount } }", "BAD_USER_INPUT"),
        ("{ cities(last: -3) { totalCount } }", "BAD_USER_INPUT"),
        ("{ cities(first: 501) { totalCount } }", "PAGE_SIZE_LIMIT"),
        ("{ provinces(last: 100000) { totalCount } }", "PAGE_SIZE_LIMIT"),
        (r#"{ cities(after: "not-a-cursor") { totalCount } }"#, "INVALID_CURSOR"),
        (r#"{ cities(before: "b2Zmc2V0Oi0x") { totalCount } }"#, "INVALID_CURSOR"),
        (r#"{ node(id: "garbage") { id } }"#, "INVALID_ID"),
        ("{ cities(membership: [MAYBE]) { totalCount } }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ cities(orderBy: [{field: POPULATION}]) { totalCount } }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ cities { noSuchField } }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ cities(first: 1 { totalCount } }", "GRAPHQL_PARSE_FAILED"),
    ];
    for (query, code) in cases {
        let (status, body) = server.post(query, json!({})).await;
        assert_eq!(status, 200, "{query}: legacy application/json answers 200: {body}");
        assert_eq!(first_code(&body), code, "{query}: {body}");
        let text = body.to_string();
        assert!(!text.contains("SELECT") && !text.contains("sqlite"), "{query} leaked internals: {text}");
        let alive = server.data("{ plan { declaredCityCount } }", json!({})).await;
        assert_eq!(alive["plan"]["declaredCityCount"], 120);
    }
}

#[tokio::test]
async fn request_errors_have_no_data_and_400_under_graphql_response_json() {
    let server = in_process::Server::start();
    for (query, code) in [("{ cities(", "GRAPHQL_PARSE_FAILED"), ("{ nope }", "GRAPHQL_VALIDATION_FAILED")] {
        let call = Call::post("/graphql").header("accept", "application/graphql-response+json");
        let response = server.send(call.json(&json!({ "query": query }))).await;
        assert_eq!(response.status(), 400);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.starts_with("application/graphql-response+json"), "{content_type}");
        let body = response.json();
        assert!(body.get("data").is_none(), "{body}");
        assert_eq!(first_code(&body), code);
    }
}

#[tokio::test]
async fn malformed_http_requests_are_rejected_with_codes() {
    let server = in_process::Server::start();
    let text_plain =
        Call::post("/graphql").header("content-type", "text/plain").body(r#"{"query":"{ plan { id } }"}"#);
    let response = server.send(text_plain).await;
    assert_eq!(response.status(), 415);
    let no_query = server.send(Call::post("/graphql").json(&json!({ "variables": {} }))).await;
    assert_eq!(no_query.status(), 400);
    let body = no_query.json();
    assert_eq!(first_code(&body), "BAD_REQUEST");
    let huge = "#".repeat(200_000);
    let too_big = server.send(Call::post("/graphql").json(&json!({ "query": huge }))).await;
    assert_eq!(too_big.status(), 413);
    let put = server.send(Call::new(Method::PUT, "/graphql")).await;
    assert_eq!(put.status(), 405);
    let get = server.send(Call::get("/graphql").query(&[("query", "{ plan { declaredCityCount } }")])).await;
    assert_eq!(get.status(), 200);
    let body = get.json();
    assert_eq!(body["data"]["plan"]["declaredCityCount"], 120);
}

#[tokio::test]
async fn depth_is_limited_but_introspection_is_not_counted() {
    let server = in_process::Server::start();
    // 13 levels (provinces → nodes → cities → nodes → province → …), one beyond the default 12.
    let deep = "{ provinces { nodes { cities { nodes { province { cities { nodes { province {
                 cities { nodes { province { cities { totalCount } } } } } } } } } } } } }";
    let (_, body) = server.post(deep, json!({})).await;
    assert_eq!(first_code(&body), "DEPTH_LIMIT", "{body}");
    // GraphiQL's introspection query nests `ofType` far deeper than 12; it must still work.
    let introspection = "query IntrospectionQuery { __schema { queryType { name } types { ...FullType } } }
        fragment FullType on __Type { kind name fields(includeDeprecated: true) { name args { ...InputValue }
          type { ...TypeRef } } inputFields { ...InputValue } }
        fragment InputValue on __InputValue { name type { ...TypeRef } defaultValue }
        fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType {
          kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }";
    let data = server.data(introspection, json!({})).await;
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
}

/// A document that validated once is not validated in full again only where the full rules
/// must agree (no variables): a document with variables is checked against each request's
/// values, however often it ran well before.
#[tokio::test]
async fn variables_are_validated_on_every_run_of_a_document() {
    let server = in_process::Server::start();
    let query = "query ($code: String!) { city(code: $code) { adminCode } }";
    for _ in 0..3 {
        let data = server.data(query, json!({ "code": "340300" })).await;
        assert_eq!(data["city"]["adminCode"], "340300");
    }
    let (status, body) = server.post(query, json!({ "code": 340300 })).await;
    assert_eq!(status, 200, "legacy application/json answers 200: {body}");
    assert_eq!(first_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    assert!(body["data"].is_null(), "nothing ran: {body}");
    // And a document without variables keeps its answer, and its errors, on every run.
    for _ in 0..3 {
        let data = server.data(r#"{ city(code: "340300") { adminCode } }"#, json!({})).await;
        assert_eq!(data["city"]["adminCode"], "340300");
        let (_, body) = server.post("{ cities { noSuchField } }", json!({})).await;
        assert_eq!(first_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    }
}

/// A write that cannot get the lock (another process holds the file) within its time is
/// refused with BUSY before it starts, in time to be told so, and writes nothing; the message
/// leaks nothing of the database.
#[tokio::test]
async fn a_write_that_cannot_get_the_lock_is_busy_and_leaks_no_internals() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("locked.db");
    let server = Server::start_on(&db, &["--write-token", "t", "--request-timeout-ms", "1500"]);
    let other = rusqlite::Connection::open(&db).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let record = "mutation { recordObservations(input: [{ subjectCode: \"360400\", indicatorCode: \"gdp\",
                   year: 2016, value: 1.0, source: \"test: a made-up value\", sourceGrade: SECONDARY }]) { id } }";
    let response = server
        .client
        .post(format!("{}/graphql", server.base))
        .bearer_auth("t")
        .json(&json!({ "query": record }))
        .send()
        .await
        .unwrap();
    let (status, retry) = (response.status(), response.headers().get("retry-after").cloned());
    let body: serde_json::Value = response.json().await.unwrap();
    // Released only now: a write still waiting for the lock would take it and commit.
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!((status.as_u16(), first_code(&body)), (503, "BUSY"), "{body}");
    assert_eq!(retry.unwrap(), "1");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let written =
        server.data("{ observations(filter: { origin: { eq: USER } }) { totalCount } }", json!({})).await;
    assert_eq!(written["observations"]["totalCount"], 0, "a write told BUSY never commits");
    // The messages, not the codes: a code may well say the database was busy.
    let text =
        body["errors"].as_array().unwrap().iter().map(|e| e["message"].to_string()).collect::<String>();
    let text = text.to_lowercase();
    for internal in ["select", "insert", "sqlite", "database is locked", ".rs:", dir.path().to_str().unwrap()]
    {
        assert!(!text.contains(internal), "the answer leaks {internal:?}: {text}");
    }
    let alive = server.data("{ plan { declaredCityCount } }", json!({})).await;
    assert_eq!(alive["plan"]["declaredCityCount"], 120);
}

/// A database error that reaches a resolver (here a table another process dropped) is
/// answered INTERNAL with a generic message: the client hears nothing of SQL, the table or the
/// file; the log has the details.
#[tokio::test]
async fn a_database_error_leaks_no_internals() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("broken.db");
    let server = Server::start_on(&db, &["--cache-mb", "0"]);
    let other = rusqlite::Connection::open(&db).unwrap();
    other.execute_batch("DROP TABLE city_sources").unwrap();
    let (status, body) =
        server.post("{ city(code: \"Bengbu\") { nameEn sources { url } } }", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(first_code(&body), "INTERNAL", "{body}");
    let text = body["errors"].to_string().to_lowercase();
    for internal in ["select", "sqlite", "no such table", "city_sources", dir.path().to_str().unwrap()] {
        assert!(!text.contains(internal), "the answer leaks {internal:?}: {text}");
    }
}
