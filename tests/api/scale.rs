//! The SQL a query costs depends on its shape, not on the data: the nested dashboard query
//! runs the same number of statements over the real seed and over 20,000 synthetic cities more,
//! and a nested query filtered by relations the same over the seed and a hundred times it.

use serde_json::{Value, json};

use crate::in_process::Server;

/// plan → provinces → cities → observations → evaluation of every target.
const DASHBOARD: &str =
    "{ plan { provinces(first: 31) { nodes { code cities(first: 1000) { totalCount nodes {
    adminCode observations(first: 10) { nodes { year value indicator { code } } }
    evaluation { status target { code } } } } } } } }";

/// Generous limits: this test measures statements, not limits.
const ROOMY: [&str; 10] = [
    "--max-page-size",
    "1000",
    "--max-nodes",
    "1000000000",
    "--max-reads",
    "1000000000",
    "--request-timeout-ms",
    "300000",
    "--statement-timeout-ms",
    "300000",
];

fn cities_returned(body: &Value) -> usize {
    let provinces = body["data"]["plan"]["provinces"]["nodes"].as_array().expect("provinces");
    provinces.iter().map(|p| p["cities"]["nodes"].as_array().map_or(0, Vec::len)).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_costs_the_same_statements_for_the_seed_and_20000_more_cities() {
    let real = Server::start_with(&ROOMY);
    let (_, small) = real.post(DASHBOARD, json!({})).await;
    assert!(small.get("errors").is_none(), "{small}");
    let real_entries = crate::common::seed_cities().0.len();
    assert_eq!(cities_returned(&small), real_entries);

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("synthetic.db");
    crate::common::synthesize(&db, 20_000, 2);
    let synthetic = Server::start_on(&db, &ROOMY);
    let (_, large) = synthetic.post(DASHBOARD, json!({})).await;
    assert!(large.get("errors").is_none(), "{}", &large.to_string()[..300.min(large.to_string().len())]);
    assert_eq!(cities_returned(&large), 20_000 + real_entries, "every synthetic city and the real ones");
    let first = &large["data"]["plan"]["provinces"]["nodes"][0]["cities"]["nodes"][0];
    assert_eq!(first["evaluation"].as_array().unwrap().len(), 5, "every LEVEL and CHANGE target");

    let statements = |body: &Value| body["extensions"]["sqlStatements"].as_u64().unwrap();
    assert_eq!(statements(&small), statements(&large));
    eprintln!("dashboard: {} statements for the seed and for 20,000 more cities", statements(&large));
}

/// provinces → cities → observations, each list filtered by relations (three of them two deep),
/// with the entries' facets: every relation filter is a subquery of its list's statement.
const RELATED: &str = "{ provinces(first: 31, filter: { cities: { some: { observations: { some: {} } } } }) { nodes {
    code cities(first: 1000, filter: { observations: { some: { indicatorCode: { eq: \"services_share_gdp\" } } },
                                       province: { region: { eq: CENTRAL } } }) {
      totalCount facets { membership { value count } } nodes { adminCode
        observations(first: 10, filter: { city: { sources: { none: { evidence: { eq: INDIRECT } } } } }) {
          nodes { year value } } } } } } }";

/// The same lists without their filters.
const UNFILTERED: &str = "{ provinces(first: 31) { nodes { code cities(first: 1000) {
      totalCount facets { membership { value count } } nodes { adminCode
        observations(first: 10) { nodes { year value } } } } } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relation_filters_cost_the_same_statements_for_the_seed_and_a_hundred_times_the_data() {
    let statements = |body: &Value| body["extensions"]["sqlStatements"].as_u64().unwrap();
    let entries = |body: &Value| -> u64 {
        let provinces = body["data"]["provinces"]["nodes"].as_array().expect("provinces");
        provinces.iter().map(|p| p["cities"]["totalCount"].as_u64().unwrap()).sum()
    };
    let real = Server::start_with(&ROOMY);
    let (_, small) = real.post(RELATED, json!({})).await;
    assert!(small.get("errors").is_none(), "{small}");
    let (_, plain) = real.post(UNFILTERED, json!({})).await;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x100.db");
    crate::common::synthesize(&db, 4_400, 2);
    let synthetic = Server::start_on(&db, &ROOMY);
    let (_, large) = synthetic.post(RELATED, json!({})).await;
    assert!(large.get("errors").is_none(), "{}", &large.to_string()[..300.min(large.to_string().len())]);
    // The central provinces' synthetic entries have services shares: far more entries pass.
    assert!(entries(&large) > 100 * entries(&small).max(1), "{} and {}", entries(&small), entries(&large));

    assert_eq!(statements(&small), statements(&large));
    assert_eq!(statements(&small), statements(&plain), "no statement of its own for any relation filter");
    eprintln!("relation-filtered nested query: {} statements on the seed and on x100", statements(&large));
}
