//! Every limit: its error code, and that the server still answers a valid query afterwards.

use serde_json::json;

use crate::call::Call;
use crate::common::first_code;
use crate::in_process::Server;

async fn refused(server: &Server, query: &str, code: &str) {
    let (status, body) = server.post(query, json!({})).await;
    assert_eq!(status, 200, "application/json: request errors keep 200");
    assert_eq!(first_code(&body), code, "{}", &body.to_string()[..body.to_string().len().min(300)]);
    assert!(body.get("data").is_none(), "nothing ran");
    let alive = server.data("{ plan { declaredCityCount } }", json!({})).await;
    assert_eq!(alive["plan"]["declaredCityCount"], 120);
}

#[tokio::test]
async fn document_size_limits() {
    let server = Server::start_with(&["--max-query-chars", "2000", "--max-tokens", "200"]);
    refused(&server, &format!("{{ plan {{ id }} }} #{}", "x".repeat(2_000)), "QUERY_TOO_LONG").await;
    refused(&server, &format!("{{ plan {{ {} }} }}", "id ".repeat(300)), "TOO_MANY_TOKENS").await;
}

#[tokio::test]
async fn document_shape_limits() {
    let server = Server::start();
    let aliases: String = (0..31).map(|i| format!("a{i}: id ")).collect();
    refused(&server, &format!("{{ plan {{ {aliases} }} }}"), "ALIAS_LIMIT").await;
    let roots: String = (0..21).map(|_| "__typename ").collect();
    refused(&server, &format!("{{ {roots} }}"), "ROOT_FIELD_LIMIT").await;
    let directives: String = (0..51).map(|_| "@include(if: true) ").collect();
    refused(&server, &format!("{{ plan {directives} {{ id }} }}"), "DIRECTIVE_LIMIT").await;
    let deep = "{ provinces { nodes { cities { nodes { province { cities { nodes { province {
                 cities { nodes { province { cities { totalCount } } } } } } } } } } } } }";
    refused(&server, deep, "DEPTH_LIMIT").await;
}

#[tokio::test]
async fn the_cost_weighs_each_list_by_its_page_and_by_the_data() {
    let (confirmed, candidates) = crate::common::seed_cities();
    let most = |cities: &[crate::common::SeedCity]| {
        let mut per: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        cities.iter().for_each(|c| *per.entry(c.province_code.as_str()).or_default() += 1);
        per.into_values().max().unwrap_or(0)
    };
    let all: Vec<_> = confirmed.iter().chain(&candidates).cloned().collect();
    // 31 provinces and, for each, the most entries any province has (however large the page).
    let estimate = 31 + 31 * most(&all);
    let limit = (estimate - 1).to_string();
    let server = Server::start_with(&["--max-nodes", &limit]);
    let both = "membership: [CONFIRMED, CANDIDATE]";
    refused(&server, &format!("{{ provinces(first: 31) {{ nodes {{ cities(first: 500, {both}) {{ nodes {{ adminCode }} }} }} }} }}"), "COMPLEXITY_LIMIT").await;
    // A page smaller than the largest province costs only its page.
    let query = format!(
        "{{ provinces(first: 31) {{ nodes {{ cities(first: 2, {both}) {{ nodes {{ adminCode }} }} }} }} }}"
    );
    let (_, body) = server.post(&query, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["extensions"]["cost"]["estimate"]["nodes"], 31 + 31 * 2);
}

#[tokio::test]
async fn page_size_limit_comes_before_complexity() {
    let server = Server::start();
    let (_, body) = server.post("{ cities(first: 100000) { totalCount } }", json!({})).await;
    assert_eq!(first_code(&body), "PAGE_SIZE_LIMIT");
}

#[tokio::test]
async fn execution_time_is_limited() {
    // 1 ms is far less than this nested query needs (several database rounds and every
    // city's evaluations: tens of milliseconds in a debug build).
    let server = Server::start_with(&["--request-timeout-ms", "1"]);
    let heavy = "{ provinces(first: 31) { nodes { cities(membership: [CONFIRMED, CANDIDATE], first: 10) { nodes {
                   sources { url } evaluation { status } observations(first: 5) { nodes { indicator { code } } } } } } } }";
    let response = server.send(Call::post("/graphql").json(&json!({ "query": heavy }))).await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1", "a client may try again");
    assert_eq!(first_code(&response.json()), "TIMEOUT");
    // A request that needs no database finishes within its first poll.
    let data = server.data("{ __typename }", json!({})).await;
    assert_eq!(data["__typename"], "Query");
}

#[tokio::test]
async fn each_sql_statement_is_limited() {
    // A statement of 1 ms judging a thousand entries: SQLite starts it, and its progress
    // handler interrupts it; the client hears TIMEOUT, never SQLite's words.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("large.db");
    crate::common::synthesize(&db, 1_000, 20);
    let server = Server::start_on(&db, &["--statement-timeout-ms", "1", "--cache-mb", "0"]);
    let query = "{ target(code: \"services_share_2017\") { evaluations(first: 500) { totalCount } } }";
    let (status, body) = server.post(query, json!({})).await;
    assert_eq!(status, 200, "a field error");
    assert_eq!(first_code(&body), "TIMEOUT");
    assert!(body["extensions"]["sqlStatements"].as_u64().unwrap() >= 1, "a statement really ran: {body}");
    assert!(!body.to_string().to_lowercase().contains("interrupt"), "no SQLite text: {body}");
    let data = server.data("{ __typename }", json!({})).await;
    assert_eq!(data["__typename"], "Query");
}

/// Fragments that spread the next one twice, thirty deep: a document of a few hundred tokens
/// that expands to 2^30 fields. It is refused at once, whether the expansion sits under a field
/// (the cost walk stops counting) or at the root (the root fields are counted once per
/// fragment).
#[tokio::test]
async fn fragments_that_expand_exponentially_are_refused_at_once() {
    let server = Server::start();
    let chain = |on: &str, leaf: &str| -> String {
        let mut fragments: String =
            (0..29).map(|i| format!("fragment F{i} on {on} {{ ...F{n} ...F{n} }} ", n = i + 1)).collect();
        fragments.push_str(&format!("fragment F29 on {on} {{ {leaf} }}"));
        fragments
    };
    for (query, code) in [
        (format!("{{ plan {{ ...F0 }} }} {}", chain("Plan", "titleEn")), "COMPLEXITY_LIMIT"),
        (format!("{{ ...F0 }} {}", chain("Query", "__typename")), "ROOT_FIELD_LIMIT"),
    ] {
        let started = std::time::Instant::now();
        refused(&server, &query, code).await;
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{code}: {:?}", started.elapsed());
    }
}
