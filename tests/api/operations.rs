//! Operating features: introspection switch, CORS, compression, request ids, metrics, health.

use axum::http::Method;
use serde_json::json;

use crate::call::Call;
use crate::common::first_code;
use crate::in_process::Server;

#[tokio::test]
async fn introspection_can_be_switched_off() {
    let server = Server::start_with(&["--introspection", "false"]);
    let (_, body) = server.post("{ __schema { queryType { name } } }", json!({})).await;
    assert_eq!(first_code(&body), "INTROSPECTION_DISABLED", "{body}");
    let data = server.data("{ plan { declaredCityCount } }", json!({})).await;
    assert_eq!(data["plan"]["declaredCityCount"], 120);
}

#[tokio::test]
async fn cors_is_off_unless_origins_are_configured() {
    let off = Server::start();
    let response = off
        .send(
            Call::post("/graphql")
                .header("origin", "https://dash.example")
                .json(&json!({ "query": "{ __typename }" })),
        )
        .await;
    assert!(response.headers().get("access-control-allow-origin").is_none());

    let on = Server::start_with(&["--cors-origins", "https://dash.example,https://other.example"]);
    let preflight = on
        .send(
            Call::new(Method::OPTIONS, "/graphql")
                .header("origin", "https://dash.example")
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "content-type"),
        )
        .await;
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "https://dash.example");
    let stranger = on
        .send(
            Call::post("/graphql")
                .header("origin", "https://evil.example")
                .json(&json!({ "query": "{ __typename }" })),
        )
        .await;
    assert!(stranger.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn large_responses_are_compressed_on_request() {
    let server = Server::start();
    let response = server.send(Call::post("/graphql")
        .header("accept-encoding", "gzip")
        .json(&json!({ "query": "{ cities(membership: [CONFIRMED, CANDIDATE], first: 100) { nodes { nameEn nameZh sources { url note } } } }" })))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn metrics_count_requests_errors_and_statements() {
    let server = Server::start();
    server.data("{ cities { totalCount } }", json!({})).await;
    let _ = server.post("{ cities(first: -1) { totalCount } }", json!({})).await;
    let _ = server.send(Call::post("/graphql").header("content-type", "text/plain").body("x")).await;
    let text = server.get("/metrics").await.text();
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
    };
    assert!(value(r#"rustbelt_http_requests_total{method="POST",route="/graphql",status="200"}"#) >= 2.0);
    assert_eq!(value(r#"rustbelt_http_requests_total{method="POST",route="/graphql",status="415"}"#), 1.0);
    assert_eq!(value(r#"rustbelt_errors_total{code="BAD_USER_INPUT"}"#), 1.0);
    assert_eq!(value(r#"rustbelt_errors_total{code="UNSUPPORTED_MEDIA_TYPE"}"#), 1.0);
    assert!(value("rustbelt_sql_statements_total") >= 1.0);
    assert!(text.contains("rustbelt_http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn liveness_and_readiness_are_separate() {
    let server = Server::start();
    for path in ["/healthz", "/readyz"] {
        let response = server.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers().contains_key("x-request-id"));
    }
    // A request id the caller sends comes back unchanged.
    let response = server.send(Call::get("/healthz").header("x-request-id", "abc-123")).await;
    assert_eq!(response.headers()["x-request-id"], "abc-123");
}

/// Logs written to a file or a pipe carry no colour codes; `--log-format json` writes one JSON
/// object a line.
#[test]
fn logs_read_well_in_a_file_and_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/observations.csv");
    let run = |format: &str, db: &str| {
        let output = std::process::Command::new(crate::common::binary())
            .args(["--log-format", format, "import", "observations", example, "--dry-run", "--db"])
            .arg(dir.path().join(db))
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stderr).unwrap()
    };
    let text = run("text", "text.db");
    assert!(text.contains("INFO") && !text.contains('\u{1b}'), "{text:?}");
    let json = run("json", "json.db");
    let lines: Vec<serde_json::Value> = json.lines().map(|l| serde_json::from_str(l).expect(l)).collect();
    assert!(
        !lines.is_empty()
            && lines.iter().all(|l| l["level"].is_string() && l["fields"]["message"].is_string()),
        "{json}"
    );
}
