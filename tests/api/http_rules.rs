//! GraphQL over HTTP, rule by rule (research/peers.md §b, H1–H25): the status, the error code,
//! and that the server still answers a valid query afterwards.

use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::common::{Server, first_code};

const VALID: &str = r#"{"query":"{ plan { declaredCityCount } }"}"#;

/// Sends a raw request to `/graphql`.
async fn send(server: &Server, method: Method, headers: &[(&str, &str)], body: Option<&str>) -> Response {
    let mut request = reqwest::Client::new().request(method, format!("{}/graphql", server.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    request.send().await.expect("request")
}

fn content_type(response: &Response) -> String {
    response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

async fn still_serves(server: &Server) {
    let data = server.data("{ plan { declaredCityCount } }", json!({})).await;
    assert_eq!(data["plan"]["declaredCityCount"], 120);
}

#[tokio::test]
async fn the_response_type_follows_the_accept_header() {
    let server = Server::start();
    let json_post = [("content-type", "application/json")];
    for (accept, expected) in [
        (Some("application/graphql-response+json"), "application/graphql-response+json"),
        (Some("application/json"), "application/json"),
        (Some("*/*"), "application/json"),
        (Some("text/html, application/json;q=0.9"), "application/json"),
    ] {
        let mut headers = json_post.to_vec();
        headers.extend(accept.map(|a| ("accept", a)));
        let response = send(&server, Method::POST, &headers, Some(VALID)).await;
        assert_eq!(response.status(), 200, "{accept:?}");
        assert!(content_type(&response).starts_with(expected), "{accept:?}: {}", content_type(&response));
        assert!(content_type(&response).contains("charset=utf-8"));
    }
    let response = send(
        &server,
        Method::POST,
        &[("content-type", "application/json"), ("accept", "text/csv")],
        Some(VALID),
    )
    .await;
    assert_eq!(response.status(), 406);
    assert_eq!(first_code(&response.json().await.unwrap()), "NOT_ACCEPTABLE");
    still_serves(&server).await;
}

/// Sends raw HTTP/1.1 bytes (no header a client library would add) and returns the response
/// head and body as text.
async fn raw(server: &Server, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn no_accept_header_means_application_json() {
    let server = Server::start();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{VALID}",
        VALID.len()
    );
    let response = raw(&server, &request).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.to_lowercase().contains("content-type: application/json; charset=utf-8"), "{response}");
    assert!(response.contains(r#""declaredCityCount":120"#), "{response}");
}

#[tokio::test]
async fn post_bodies_must_be_json() {
    let server = Server::start();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
    ] {
        let headers: Vec<(&str, &str)> = content_type.map(|c| ("content-type", c)).into_iter().collect();
        let response = send(&server, Method::POST, &headers, Some(VALID)).await;
        assert_eq!(response.status(), 415, "{content_type:?}");
        assert_eq!(first_code(&response.json().await.unwrap()), "UNSUPPORTED_MEDIA_TYPE");
    }
    still_serves(&server).await;
}

#[tokio::test]
async fn malformed_request_parameters_get_400() {
    let server = Server::start();
    let json_post = [("content-type", "application/json"), ("accept", "application/graphql-response+json")];
    for body in [
        "NONSENSE",
        r#"{"query":"#,
        r#"[{"query":"{ plan { id } }"}]"#,
        r#"{"variables":{}}"#,
        r#"{"query":7}"#,
        r#"{"query":"{ plan { id } }","variables":[7]}"#,
        r#"{"query":"{ plan { id } }","operationName":{}}"#,
        r#"{"query":"{ plan { id } }","extensions":"x"}"#,
    ] {
        let response = send(&server, Method::POST, &json_post, Some(body)).await;
        assert_eq!(response.status(), 400, "{body}");
        assert!(
            content_type(&response).starts_with("application/json"),
            "{body}: not labelled a GraphQL response"
        );
        assert_eq!(first_code(&response.json().await.unwrap()), "BAD_REQUEST", "{body}");
    }
    still_serves(&server).await;
}

#[tokio::test]
async fn nulls_and_unknown_keys_are_accepted() {
    let server = Server::start();
    let body = r#"{"query":"{ plan { declaredCityCount } }","variables":null,"operationName":null,"extensions":null,"unknown":1}"#;
    let response = send(&server, Method::POST, &[("content-type", "application/json")], Some(body)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["plan"]["declaredCityCount"], 120);
}

#[tokio::test]
async fn request_errors_get_400_without_data_under_graphql_response_json() {
    let server = Server::start();
    let accept = [("content-type", "application/json"), ("accept", "application/graphql-response+json")];
    for (body, code) in [
        (r#"{"query":"{ plan { "}"#, "GRAPHQL_PARSE_FAILED"),
        (r#"{"query":"{ plan { nope } }"}"#, "GRAPHQL_VALIDATION_FAILED"),
        (
            r#"{"query":"query($c: String!) { city(code: $c) { nameEn } }","variables":{"c":7}}"#,
            "GRAPHQL_VALIDATION_FAILED",
        ),
        // A required variable not given at all (async-graphql alone answers an uncoded field error).
        (r#"{"query":"query($c: String!) { city(code: $c) { nameEn } }"}"#, "GRAPHQL_VALIDATION_FAILED"),
        (
            r#"{"query":"query($c: String!) { city(code: $c) { nameEn } }","variables":{"c":null}}"#,
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ] {
        let response = send(&server, Method::POST, &accept, Some(body)).await;
        assert_eq!(response.status(), 400, "{body}");
        let body_json: Value = response.json().await.unwrap();
        assert!(body_json.get("data").is_none(), "{body_json}");
        assert_eq!(first_code(&body_json), code, "{body}");
        // The same request under application/json: the legacy 200.
        let legacy = send(&server, Method::POST, &[("content-type", "application/json")], Some(body)).await;
        assert_eq!(legacy.status(), 200, "{body}");
    }
    still_serves(&server).await;
}

#[tokio::test]
async fn field_errors_keep_200_and_partial_data() {
    let server = Server::start();
    let accept = [("content-type", "application/json"), ("accept", "application/graphql-response+json")];
    let body = r#"{"query":"{ plan { declaredCityCount } node(id: \"junk\") { id } }"}"#;
    let response = send(&server, Method::POST, &accept, Some(body)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["plan"]["declaredCityCount"], 120);
    assert_eq!(body["data"]["node"], Value::Null);
    assert_eq!(first_code(&body), "INVALID_ID");
}

#[tokio::test]
async fn get_runs_queries_only() {
    let server = Server::start();
    let url = format!("{}/graphql", server.base);
    let client = reqwest::Client::new();
    let ok = client
        .get(&url)
        .query(&[
            ("query", "query Q($c: String!) { city(code: $c) { adminCode } }"),
            ("variables", r#"{"c":"Bengbu"}"#),
            ("operationName", "Q"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<Value>().await.unwrap()["data"]["city"]["adminCode"], "340300");
    let empty = client.get(&url).query(&[("query", "")]).send().await.unwrap();
    assert_eq!(empty.status(), 400, "an empty query counts as absent");
    for mutation in ["mutation { deleteObservations(ids: []) }", "mutation { __typename }"] {
        let response = client.get(&url).query(&[("query", mutation)]).send().await.unwrap();
        assert_eq!(response.status(), 405, "{mutation}");
        assert_eq!(response.headers()["allow"], "POST");
        assert_eq!(first_code(&response.json().await.unwrap()), "METHOD_NOT_ALLOWED");
    }
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = browser.get(&url).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 303, "a browser opening the endpoint is sent to the playground");
    assert_eq!(page.headers()["location"], "/");
    still_serves(&server).await;
}

#[tokio::test]
async fn other_methods_get_405_with_allow() {
    let server = Server::start();
    for method in [Method::PUT, Method::DELETE, Method::PATCH] {
        let response = send(&server, method.clone(), &[], None).await;
        assert_eq!(response.status(), 405, "{method}");
        let allow = response.headers()["allow"].to_str().unwrap().to_string();
        assert!(allow.contains("GET") && allow.contains("POST"), "{method}: {allow}");
    }
    still_serves(&server).await;
}

#[tokio::test]
async fn oversized_bodies_and_targets_are_refused() {
    let server = Server::start();
    let body = json!({ "query": "{ plan { id } }", "variables": { "pad": "x".repeat(150_000) } }).to_string();
    let response = send(&server, Method::POST, &[("content-type", "application/json")], Some(&body)).await;
    assert_eq!(response.status(), 413);
    assert_eq!(first_code(&response.json().await.unwrap()), "REQUEST_TOO_LARGE");
    let long = format!("{}/graphql?query={}", server.base, "%20".repeat(3_000));
    let response = reqwest::Client::new().get(long).send().await.unwrap();
    assert_eq!(response.status(), 414);
    assert_eq!(first_code(&response.json().await.unwrap()), "URI_TOO_LONG");
    still_serves(&server).await;
}
