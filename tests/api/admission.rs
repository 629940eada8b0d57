//! Where a request runs is decided by its cost estimate before it runs, for every document:
//! a light query runs inline on its async worker, a heavy one waits for the heavy lane first,
//! and neither comments in its text nor how the same text ran before change that. Every
//! answer is the same wherever it ran.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::common::Server;

/// `rustbelt_graphql_runs_total` by where the runs ran.
async fn runs(server: &Server) -> HashMap<String, u64> {
    let text =
        server.client.get(format!("{}/metrics", server.base)).send().await.unwrap().text().await.unwrap();
    text.lines()
        .filter_map(|line| line.strip_prefix(r#"rustbelt_graphql_runs_total{ran=""#))
        .filter_map(|rest| rest.split_once(r#""} "#))
        .map(|(ran, count)| (ran.to_string(), count.parse().expect("a count")))
        .collect()
}

/// Where the server ran one request: the `ran` label whose count went up. The answer must be
/// `whole`.
async fn ran(server: &Server, query: &str, variables: &Value, whole: &Value) -> String {
    let before = runs(server).await;
    let (status, body) = server.post(query, variables.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(&body["data"], whole, "the same answer for {variables}");
    let after = runs(server).await;
    let grew: Vec<&String> =
        after.iter().filter(|(l, c)| before.get(*l) != Some(c)).map(|(l, _)| l).collect();
    assert_eq!(grew.len(), 1, "one run per request: {before:?} -> {after:?}");
    grew[0].clone()
}

/// One city (light), or with `$first` entries of every province (heavy when many).
const QUERY: &str = "query($first: Int!) { city(code: \"Bengbu\") { adminCode nameEn }
    provinces(first: 31) { nodes { code cities(first: $first, membership: [CONFIRMED, CANDIDATE]) { nodes { adminCode } } } } }";

#[tokio::test]
async fn the_estimate_decides_the_lane_for_every_document_whatever_its_text_ran_as_before() {
    // On the seed the light form weighs 143 (rows read), the heavy one 422: up to 200 runs
    // inline, over 300 is heavy. The cache is off, so every request runs.
    let lanes = Server::start_with(&["--cache-mb", "0", "--inline-rows", "200", "--heavy-rows", "300"]);
    let blocking = Server::start_with(&["--cache-mb", "0", "--inline-rows", "0", "--heavy-rows", "1000000"]);
    let (light, heavy) = (json!({ "first": 0 }), json!({ "first": 100 }));
    let light_whole = blocking.data(QUERY, light.clone()).await;
    let heavy_whole = blocking.data(QUERY, heavy.clone()).await;
    // A light run of a document first seen runs inline; a heavy run of the same text goes to
    // the heavy lane; the light one after it runs inline again: the text's history counts for
    // nothing, the request's own estimate for everything.
    let mut seen = Vec::new();
    for variables in [&light, &heavy, &light, &heavy] {
        let whole = if *variables == light { &light_whole } else { &heavy_whole };
        seen.push(ran(&lanes, QUERY, variables, whole).await);
    }
    assert_eq!(seen, ["inline", "heavy", "inline", "heavy"]);
    // A unique comment makes a new text every time: the lane stays the estimate's.
    for n in 0..3 {
        let commented = format!("# request {n}\n{QUERY}");
        assert_eq!(ran(&lanes, &commented, &heavy, &heavy_whole).await, "heavy", "first sight, heavy");
        let commented = format!("# light {n}\n{QUERY}");
        assert_eq!(ran(&lanes, &commented, &light, &light_whole).await, "inline", "first sight, light");
    }
    // With inline runs off, everything light runs on the blocking pool.
    assert_eq!(runs(&blocking).await, HashMap::from([("blocking".to_string(), 2)]));
}

#[tokio::test]
async fn a_dry_run_never_runs_the_query_even_one_already_run_and_light() {
    let server = Server::start_with(&["--cache-mb", "0"]);
    let query = "{ city(code: \"Bengbu\") { adminCode } }";
    for _ in 0..3 {
        server.data(query, json!({})).await;
    }
    let before = runs(&server).await;
    let response = server
        .client
        .post(format!("{}/graphql", server.base))
        .json(&json!({ "query": query, "extensions": { "dryRun": true } }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(body["extensions"]["dryRun"], true, "{body}");
    assert!(body["extensions"]["cost"]["estimate"]["reads"].as_u64().is_some(), "{body}");
    assert!(body["extensions"].get("sqlStatements").is_none(), "nothing ran: {body}");
    assert_eq!(runs(&server).await, before, "no run counted");
}
