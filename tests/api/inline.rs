//! A query whose document ran light last time runs inline on an async worker, within a budget
//! of time and rows; one that outgrows the budget is stopped and run again on the blocking
//! pool. Either way the client gets the whole answer, the same as from a server that runs
//! everything on the blocking pool.

use std::collections::HashMap;

use serde_json::json;

use crate::common::Server;

/// Two provinces read 35 rows of the seed; all 31 read 172.
const PROVINCES: &str = "query($n: Int) { provinces(first: $n) { nodes { code
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

#[tokio::test]
async fn a_query_that_outgrows_its_inline_budget_is_run_again_whole() {
    // Rows decide here, not time (ample): a debug build on a busy machine must not change
    // where a run goes. Two provinces read under half the 100 rows; all of them read more.
    let inline = Server::start_with(&["--cache-mb", "0", "--inline-rows", "100", "--inline-us", "10000000"]);
    let blocking = Server::start_with(&["--cache-mb", "0", "--inline-rows", "0"]);
    let (few, all) = (json!({ "n": 2 }), json!({ "n": 31 }));
    for variables in [&few, &few, &few, &all, &few, &few] {
        let (status, body) = inline.post(PROVINCES, variables.clone()).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
        let whole = blocking.data(PROVINCES, variables.clone()).await;
        assert_eq!(body["data"], whole, "the same answer for {variables}");
    }
    // First sight: blocking (light). Then inline twice. All: inline, overran, rerun. The
    // rerun was heavy, so the next goes blocking; it was light, so the last goes inline.
    let expected =
        HashMap::from([("blocking".to_string(), 2), ("inline".to_string(), 3), ("rerun".to_string(), 1)]);
    assert_eq!(runs(&inline).await, expected);
    assert_eq!(runs(&blocking).await, HashMap::from([("blocking".to_string(), 6)]));
}
