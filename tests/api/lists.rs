//! Relay paging over every city in both directions, and filters checked against the seed.

use serde_json::{Value, json};

use crate::common::{SeedCity, seed_cities};
use crate::in_process::Server;

const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String) {
    cities(membership: [CONFIRMED, CANDIDATE], first: $first, after: $after, last: $last, before: $before) {
      totalCount
      edges { cursor node { adminCode } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

fn codes(connection: &Value) -> Vec<String> {
    let edges = connection["edges"].as_array().unwrap();
    edges.iter().map(|e| e["node"]["adminCode"].as_str().unwrap().to_string()).collect()
}

fn all_codes() -> Vec<String> {
    let (confirmed, candidates) = seed_cities();
    let mut codes: Vec<String> = confirmed.into_iter().chain(candidates).map(|c| c.admin_code).collect();
    codes.sort();
    codes
}

#[tokio::test]
async fn paging_forwards_visits_every_city_once_with_exact_page_info() {
    let server = Server::start();
    let expected = all_codes();
    let (mut seen, mut after, mut pages) = (Vec::new(), Value::Null, 0);
    loop {
        let data = server.data(PAGE, json!({ "first": 7, "after": after })).await;
        let connection = &data["cities"];
        assert_eq!(connection["totalCount"], expected.len());
        let page = codes(connection);
        let info = &connection["pageInfo"];
        assert_eq!(info["hasPreviousPage"], pages > 0, "page {pages}");
        seen.extend(page.clone());
        assert_eq!(info["hasNextPage"], seen.len() < expected.len(), "page {pages}");
        pages += 1;
        if info["hasNextPage"] == false {
            break;
        }
        assert_eq!(page.len(), 7);
        after = info["endCursor"].clone();
    }
    assert_eq!(seen, expected);
    assert_eq!(pages, expected.len().div_ceil(7));
}

#[tokio::test]
async fn paging_backwards_visits_every_city_once_with_exact_page_info() {
    let server = Server::start();
    let expected = all_codes();
    let (mut seen, mut before, mut pages) = (Vec::new(), Value::Null, 0);
    loop {
        let data = server.data(PAGE, json!({ "last": 5, "before": before })).await;
        let connection = &data["cities"];
        let page = codes(connection);
        let info = &connection["pageInfo"];
        assert_eq!(info["hasNextPage"], pages > 0, "page {pages}");
        let mut merged = page.clone();
        merged.extend(seen);
        seen = merged;
        assert_eq!(info["hasPreviousPage"], seen.len() < expected.len(), "page {pages}");
        pages += 1;
        if info["hasPreviousPage"] == false {
            break;
        }
        before = info["startCursor"].clone();
    }
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn an_empty_page_past_the_end_is_not_an_error() {
    let server = Server::start();
    let expected = all_codes();
    let data = server.data(PAGE, json!({ "first": 500 })).await;
    let last_cursor = data["cities"]["pageInfo"]["endCursor"].clone();
    assert_eq!(codes(&data["cities"]), expected);
    let data = server.data(PAGE, json!({ "first": 3, "after": last_cursor })).await;
    assert!(codes(&data["cities"]).is_empty());
    assert_eq!(data["cities"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(data["cities"]["pageInfo"]["hasPreviousPage"], true);
}

/// Runs a city filter over both memberships and returns the admin codes, in code order.
async fn filtered(server: &Server, filter: Value) -> Vec<String> {
    let query = "query($f: CityFilter) { cities(membership: [CONFIRMED, CANDIDATE], filter: $f, first: 500) {
                   totalCount nodes { adminCode } } }";
    let data = server.data(query, json!({ "f": filter })).await;
    let nodes = data["cities"]["nodes"].as_array().unwrap();
    assert_eq!(data["cities"]["totalCount"], nodes.len());
    nodes.iter().map(|n| n["adminCode"].as_str().unwrap().to_string()).collect()
}

fn expect(keep: impl Fn(&SeedCity) -> bool) -> Vec<String> {
    let (confirmed, candidates) = seed_cities();
    let mut codes: Vec<String> =
        confirmed.iter().chain(&candidates).filter(|c| keep(c)).map(|c| c.admin_code.clone()).collect();
    codes.sort();
    codes
}

/// Which seed cities a filter case should keep.
type Keep = Box<dyn Fn(&SeedCity) -> bool>;

#[tokio::test]
async fn filters_match_the_seed() {
    let server = Server::start();
    let cases: Vec<(Value, Keep)> = vec![
        (json!({ "provinceCode": { "eq": "340000" } }), Box::new(|c| c.province_code == "340000")),
        (
            json!({ "name": { "containsIgnoreCase": "HU" } }),
            Box::new(|c| c.name_en.to_lowercase().contains("hu") || c.name_zh.contains("HU")),
        ),
        (json!({ "nameZh": { "contains": "淮" } }), Box::new(|c| c.name_zh.contains('淮'))),
        (json!({ "name": { "eqIgnoreCase": "bengbu" } }), Box::new(|c| c.name_en == "Bengbu")),
        (
            json!({ "adminCode": { "in": ["230200", "340300", "000000"] } }),
            Box::new(|c| ["230200", "340300"].contains(&c.admin_code.as_str())),
        ),
        (json!({ "tier": { "ne": "PREFECTURE_LEVEL" } }), Box::new(|c| c.tier != "prefecture_level")),
        (json!({ "membership": { "eq": "CANDIDATE" } }), Box::new(|c| !is_confirmed(c))),
        (json!({ "latitude": { "gte": 40.0 } }), Box::new(|c| latitude(c) >= 40.0)),
        (
            json!({ "or": [{ "provinceCode": { "eq": "230000" } }, { "nameEn": { "startsWith": "Ji" } }] }),
            Box::new(|c| c.province_code == "230000" || c.name_en.starts_with("Ji")),
        ),
        (
            json!({ "and": [{ "provinceCode": { "in": ["340000", "360000"] } }], "not": { "tier": { "eq": "PROVINCIAL_CAPITAL" } } }),
            Box::new(|c| {
                ["340000", "360000"].contains(&c.province_code.as_str()) && c.tier != "provincial_capital"
            }),
        ),
        (
            json!({ "not": { "or": [{ "provinceCode": { "eq": "510000" } }, { "latitude": { "lt": 30 } }] } }),
            Box::new(|c| !(c.province_code == "510000" || latitude(c) < 30.0)),
        ),
    ];
    for (filter, keep) in cases {
        let want = expect(keep);
        assert!(!want.is_empty(), "a filter case that selects nothing proves little: {filter}");
        assert_eq!(filtered(&server, filter.clone()).await, want, "filter {filter}");
    }
}

#[tokio::test]
async fn lists_default_to_confirmed_entries_and_sort_by_several_keys() {
    let server = Server::start();
    let (confirmed, _) = seed_cities();
    let data = server
        .data(
            "{ cities(first: 500, orderBy: [{field: PROVINCE_CODE, direction: DESC}, {field: NAME_EN}]) {
                 totalCount nodes { adminCode membership } } }",
            json!({}),
        )
        .await;
    let nodes = data["cities"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), confirmed.len());
    assert!(nodes.iter().all(|n| n["membership"] == "CONFIRMED"));
    let mut want = confirmed.clone();
    want.sort_by(|a, b| b.province_code.cmp(&a.province_code).then(a.name_en.cmp(&b.name_en)));
    let got: Vec<&str> = nodes.iter().map(|n| n["adminCode"].as_str().unwrap()).collect();
    let want: Vec<&str> = want.iter().map(|c| c.admin_code.as_str()).collect();
    assert_eq!(got, want);
}

fn is_confirmed(city: &SeedCity) -> bool {
    seed_cities().0.iter().any(|c| c.admin_code == city.admin_code)
}

fn latitude(city: &SeedCity) -> f64 {
    #[derive(serde::Deserialize)]
    struct Row {
        admin_code: String,
        lat: f64,
    }
    let (mut a, b): (Vec<Row>, Vec<Row>) =
        (crate::common::read_csv("cities.csv"), crate::common::read_csv("cities_candidates.csv"));
    a.extend(b);
    a.iter().find(|r| r.admin_code == city.admin_code).map(|r| r.lat).unwrap_or(f64::NAN)
}
