//! Bounds on list arguments: each refused as BAD_USER_INPUT with its limit, before any SQL
//! runs, whether the argument is written in the document or sent as a variable.

use serde_json::{Value, json};

use crate::common::first_code;
use crate::in_process::Server;

/// Sends `query` and checks it is refused with `limit` in the message and no SQL run.
async fn refused(server: &Server, query: &str, variables: Value, limit: &str) {
    let (status, body) = server.post(query, variables).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(first_code(&body), "BAD_USER_INPUT", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(&format!("at most {limit} ")), "{message}");
    assert_eq!(body["extensions"]["sqlStatements"], 0, "refused before any SQL: {body}");
}

/// Sends `query` and checks it runs.
async fn runs(server: &Server, query: &str, variables: Value) {
    let (status, body) = server.post(query, variables).await;
    assert!(status == 200 && body.get("errors").is_none(), "{body}");
}

fn repeat(item: &str, times: usize) -> String {
    vec![item; times].join(", ")
}

/// A filter of `depth` `not`s inside one another.
fn nested(depth: usize) -> Value {
    (0..depth).fold(json!({ "adminCode": { "eq": "340300" } }), |inner, _| json!({ "not": inner }))
}

const BY_VARIABLE: &str =
    "query($f: CityFilter, $o: [CityOrder!]) { cities(filter: $f, orderBy: $o) { totalCount } }";

#[tokio::test]
async fn order_by_keys() {
    let server = Server::start();
    let keys = |n| format!("{{ cities(orderBy: [{}]) {{ totalCount }} }}", repeat("{ field: NAME_EN }", n));
    runs(&server, &keys(10), json!({})).await;
    refused(&server, &keys(11), json!({}), "10").await;
    let many: Vec<Value> = (0..4_500).map(|_| json!({ "field": "NAME_EN" })).collect();
    refused(&server, BY_VARIABLE, json!({ "o": many }), "10").await;
    // The same bound on a target's evaluations, sorted in memory.
    let evaluations = format!(
        "{{ target(code: \"services_share_2017\") {{ evaluations(orderBy: [{}]) {{ totalCount }} }} }}",
        repeat("{ field: GAP }", 11)
    );
    let (_, body) = server.post(&evaluations, json!({})).await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT", "{body}");
}

#[tokio::test]
async fn values_in_one_list() {
    let server = Server::start();
    let codes = |n: usize| (0..n).map(|i| format!("\"{:06}\"", 100_000 + i)).collect::<Vec<_>>().join(", ");
    let inline =
        |n| format!("{{ cities(filter: {{ adminCode: {{ in: [{}] }} }}) {{ totalCount }} }}", codes(n));
    runs(&server, &inline(1_000), json!({})).await;
    refused(&server, &inline(1_001), json!({}), "1000").await;
    let many: Vec<String> = (0..5_000).map(|i| format!("{:06}", 100_000 + i)).collect();
    refused(&server, BY_VARIABLE, json!({ "f": { "adminCode": { "notIn": many } } }), "1000").await;
}

#[tokio::test]
async fn nesting_of_and_or_not() {
    let server = Server::start();
    let inline = |depth| {
        let filter = (0..depth)
            .fold("{ adminCode: { eq: \"340300\" } }".to_string(), |inner, _| format!("{{ not: {inner} }}"));
        format!("{{ cities(filter: {filter}) {{ totalCount }} }}")
    };
    runs(&server, &inline(8), json!({})).await;
    refused(&server, &inline(9), json!({}), "8").await;
    runs(&server, BY_VARIABLE, json!({ "f": nested(8) })).await;
    refused(&server, BY_VARIABLE, json!({ "f": nested(60) }), "8").await;
}

#[tokio::test]
async fn filters_side_by_side() {
    let server = Server::start();
    let inline = |n| {
        format!(
            "{{ cities(filter: {{ or: [{}] }}) {{ totalCount }} }}",
            repeat("{ tier: { eq: MUNICIPALITY } }", n)
        )
    };
    runs(&server, &inline(50), json!({})).await;
    refused(&server, &inline(51), json!({}), "50").await;
    // The widest and deepest filter within bounds stays within SQLite's expression depth.
    let widest = (0..8).fold(json!({ "adminCode": { "eq": "340300" } }), |inner, level| {
        let mut list: Vec<Value> =
            (0..49).map(|i| json!({ "adminCode": { "ne": format!("{level}{i:04}") } })).collect();
        list.push(inner);
        json!({ if level % 2 == 0 { "and" } else { "or" }: list })
    });
    runs(&server, BY_VARIABLE, json!({ "f": widest })).await;
    let many: Vec<Value> = (0..2_000).map(|_| json!({ "tier": { "eq": "MUNICIPALITY" } })).collect();
    refused(&server, BY_VARIABLE, json!({ "f": { "and": many } }), "50").await;
}

/// A document cannot hold 5,000 values within the document limits, so only as a variable.
#[tokio::test]
async fn values_in_all() {
    let server = Server::start();
    let list = |offset: usize, n| (0..n).map(|i| format!("{:06}", 100_000 + offset + i)).collect::<Vec<_>>();
    // 4,990 values, and the list's own condition on membership: under the bound.
    let under: Vec<Value> = (0..5).map(|k| json!({ "adminCode": { "in": list(k * 1_000, 998) } })).collect();
    runs(&server, BY_VARIABLE, json!({ "f": { "or": under } })).await;
    let six: Vec<Value> = (0..6).map(|k| json!({ "adminCode": { "in": list(k * 1_000, 1_000) } })).collect();
    refused(&server, BY_VARIABLE, json!({ "f": { "or": six } }), "5000").await;
}

/// A filter `depth` relation filters deep, starting from a city filter (province → cities →
/// province → …), around `inner` (a city filter); with the list type it filters.
fn related(depth: usize, inner: Value) -> (Value, &'static str) {
    let mut filter = inner;
    for level in 0..depth {
        filter = match level % 2 {
            0 => json!({ "cities": { "some": filter } }),
            _ => json!({ "province": filter }),
        };
    }
    (filter, if depth % 2 == 0 { "CityFilter" } else { "ProvinceFilter" })
}

/// Sends a filter of `ty` as a variable to its list.
fn by_variable(ty: &str) -> String {
    let list = if ty == "CityFilter" { "cities" } else { "provinces" };
    format!("query($f: {ty}) {{ {list}(filter: $f) {{ totalCount }} }}")
}

#[tokio::test]
async fn relation_filters() {
    let server = Server::start();
    let leaf = || json!({ "adminCode": { "eq": "340300" } });
    // Depth: relation filters inside one another.
    let (four, ty) = related(4, leaf());
    runs(&server, &by_variable(ty), json!({ "f": four })).await;
    let (five, ty) = related(5, leaf());
    refused(&server, &by_variable(ty), json!({ "f": five }), "4").await;
    // Levels: relation filters count with and/or/not, each a level below the filter holding it.
    let nots = |n: usize| (0..n).fold(leaf(), |inner, _| json!({ "not": inner }));
    let (eight, ty) = related(4, nots(4));
    runs(&server, &by_variable(ty), json!({ "f": eight })).await;
    let (nine, ty) = related(4, nots(5));
    refused(&server, &by_variable(ty), json!({ "f": nine }), "8").await;
    // Breadth: relation filters in all.
    let side_by_side =
        |n| json!({ "or": vec![json!({ "observations": { "some": { "year": { "gte": 2017 } } } }); n] });
    runs(&server, BY_VARIABLE, json!({ "f": side_by_side(16) })).await;
    refused(&server, BY_VARIABLE, json!({ "f": side_by_side(17) }), "16").await;
    // Values: those inside relation filters count toward the filter's.
    let years = |k: i64| (0..1_000).map(|i| k * 1_000 + i).collect::<Vec<i64>>();
    let values = |n| {
        let each: Vec<Value> =
            (0..n).map(|k| json!({ "observations": { "none": { "year": { "in": years(k) } } } })).collect();
        json!({ "and": each })
    };
    runs(&server, BY_VARIABLE, json!({ "f": values(4) })).await;
    refused(&server, BY_VARIABLE, json!({ "f": values(6) }), "5000").await;
    // The same bounds on a target's evaluations, which filter the entries they judge: only the
    // target is read.
    let evaluations = "query($f: CityFilter) { target(code: \"services_share_2017\") {
        evaluations(filter: { city: $f }) { totalCount } } }";
    let (_, body) = server.post(evaluations, json!({ "f": side_by_side(17) })).await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["extensions"]["sqlStatements"], 1, "the target's lookup only: {body}");
}

/// The deepest and widest filter within bounds, relation filters included, stays within
/// SQLite's expression depth: eight levels, every other one a relation filter, the others an
/// `and` of 50 with the deeper filter first (where SQLite's left-leaning AND nests it deepest).
#[tokio::test]
async fn the_largest_relation_filter_within_bounds_runs() {
    let server = Server::start();
    let wide = |inner: Value, field: &str| {
        let mut list = vec![inner];
        list.extend((0..49).map(|i| json!({ field: { "ne": format!("{i:06}") } })));
        json!({ "and": list })
    };
    // From the inside out: a city filter, then cities ← and ← province ← and, twice over.
    let mut filter = json!({ "adminCode": { "eq": "340300" } });
    for quantifier in ["none", "every"] {
        filter = json!({ "province": wide(json!({ "cities": { quantifier: filter } }), "code") });
        filter = wide(filter, "adminCode");
    }
    let (status, body) = server.post(BY_VARIABLE, json!({ "f": filter })).await;
    assert!(status == 200 && body.get("errors").is_none(), "{body}");
}
