//! A query whose document ran light last time runs inline on an async worker, within a budget
//! of time and rows; one that outgrows the budget is stopped and run again on the blocking
//! pool. Either way the client gets the whole answer, the same as from a server that runs
//! everything on the blocking pool.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::common::Server;

/// One city: 2 rows of the seed. With `deep`, also every province with its cities: 174.
const QUERY: &str = "query($deep: Boolean!) { city(code: \"Bengbu\") { adminCode nameEn }
    all: provinces(first: 31) @include(if: $deep) { nodes { code
      cities(first: 100, membership: [CONFIRMED, CANDIDATE]) { nodes { adminCode nameEn } } } } }";

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

/// Where the server ran a request: the `ran` label whose count went up.
async fn ran(server: &Server, variables: &Value, whole: &Value) -> String {
    let before = runs(server).await;
    let (status, body) = server.post(QUERY, variables.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(&body["data"], whole, "the same answer for {variables}");
    let after = runs(server).await;
    let grew = after.iter().filter(|(label, count)| before.get(*label) != Some(count));
    let labels: Vec<&String> = grew.map(|(label, _)| label).collect();
    assert_eq!(labels.len(), 1, "one run per request: {before:?} -> {after:?}");
    labels[0].clone()
}

#[tokio::test]
async fn a_query_that_outgrows_its_inline_budget_is_run_again_whole() {
    // Rows decide here, not time (ample): a debug build on a busy machine must not change
    // where a run goes. One city reads well under a quarter of the 100 rows; deep reads more.
    let inline = Server::start_with(&["--cache-mb", "0", "--inline-rows", "100", "--inline-us", "10000000"]);
    let blocking = Server::start_with(&["--cache-mb", "0", "--inline-rows", "0"]);
    let (few, all) = (json!({ "deep": false }), json!({ "deep": true }));
    let (few_whole, all_whole) =
        (blocking.data(QUERY, few.clone()).await, blocking.data(QUERY, all.clone()).await);
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(ran(&inline, &few, &few_whole).await);
    }
    seen.push(ran(&inline, &all, &all_whole).await);
    // First sight on the blocking pool; light, so inline; deep overran and ran again.
    assert_eq!(seen, ["blocking", "inline", "inline", "rerun"]);
    // Having overrun, the document keeps to the blocking pool for a few runs, then its light
    // runs bring it back inline, where it stays.
    let after: Vec<String> = {
        let mut after = Vec::new();
        for _ in 0..12 {
            after.push(ran(&inline, &few, &few_whole).await);
        }
        after
    };
    let back = after.iter().position(|r| r == "inline").expect("back inline within 12 runs");
    assert!(back >= 2, "not at once: {after:?}");
    assert!(after[..back].iter().all(|r| r == "blocking"), "{after:?}");
    assert!(after[back..].iter().all(|r| r == "inline"), "{after:?}");
    assert_eq!(runs(&blocking).await, HashMap::from([("blocking".to_string(), 2)]));
}
