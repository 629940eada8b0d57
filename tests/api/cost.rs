//! A query's cost, estimated from the data before it runs: the nested queries people write
//! first are answered, every response carries its estimate and limit, a huge query is refused
//! with its figures, a dry run costs nothing, and fields come back in the order asked.

use serde_json::{Value, json};

use crate::call::Call;
use crate::common::{Ordered, a_million_nodes, first_code, synthesize};
use crate::in_process::Server;

/// The first nested queries a person types (issue 14), none with `first:`.
const FIRST_QUERIES: [&str; 4] = [
    "{ provinces { nodes { nameEn cities { nodes { nameEn observations { nodes { year value indicator { code } } } } } } } }",
    "{ plan { provinces { nodes { code cities { nodes { adminCode evaluation { status target { code } } } } } } } }",
    "{ observations { nodes { year city { nameEn province { nameEn cities { nodes { nameEn } } } } } } }",
    "{ targets { nodes { code indicator { observations { nodes { value city { nameEn } } } } evaluations { nodes { status city { province { nameEn } } } } } } }",
];

fn cost(body: &Value) -> (u64, u64, u64, u64) {
    let cost = &body["extensions"]["cost"];
    let figure =
        |a: &str, b: &str| cost[a][b].as_u64().unwrap_or_else(|| panic!("no cost.{a}.{b} in {cost}"));
    (
        figure("estimate", "nodes"),
        figure("estimate", "reads"),
        figure("limit", "nodes"),
        figure("limit", "reads"),
    )
}

#[tokio::test]
async fn the_first_nested_queries_people_write_are_answered() {
    let server = Server::start();
    for query in FIRST_QUERIES {
        let (status, body) = server.post(query, json!({})).await;
        assert_eq!(status, 200);
        assert!(body.get("errors").is_none(), "{query}: {}", body["errors"]);
        assert!(body["data"].is_object());
        let (nodes, reads, node_limit, read_limit) = cost(&body);
        assert!(nodes <= node_limit && reads <= read_limit);
        assert!(reads >= body["extensions"]["rowsRead"].as_u64().unwrap(), "{query}: {}", body["extensions"]);
    }
}

/// The same queries on a hundred times the seed's confirmed entries (4,400 synthetic cities with
/// 20 years of six indicators each) stay within the default limits and are answered. The
/// debug build is slow, so only the time limits are raised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn they_pass_on_a_hundred_times_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x100.db");
    synthesize(&db, 4_400, 20);
    let slow = ["--request-timeout-ms", "300000", "--statement-timeout-ms", "300000", "--cache-mb", "0"];
    let server = Server::start_on(&db, &slow);
    for query in FIRST_QUERIES {
        let (_, body) = server.post(query, json!({})).await;
        assert!(
            body.get("errors").is_none(),
            "{query}: {}",
            &body["errors"].to_string()[..300.min(body["errors"].to_string().len())]
        );
        let (nodes, reads, node_limit, read_limit) = cost(&body);
        assert!(nodes <= node_limit && reads <= read_limit, "{query}: {}", body["extensions"]);
        assert!(reads >= body["extensions"]["rowsRead"].as_u64().unwrap(), "{query}: {}", body["extensions"]);
    }
}

#[tokio::test]
async fn a_huge_query_is_refused_before_it_runs_with_its_figures() {
    let server = Server::start();
    let (status, body) = server.post(&a_million_nodes(), json!({})).await;
    assert_eq!(status, 200, "application/json keeps 200 for request errors");
    assert_eq!(first_code(&body), "COMPLEXITY_LIMIT");
    assert!(body.get("data").is_none(), "nothing ran");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("estimated ") && message.contains(" list items (limit 100,000)"),
        "{message}"
    );
    assert!(
        message.contains("the largest share (")
            && message.contains(
                "from observations under cities under province under cities under province under cities:"
            ),
        "{message}"
    );
    assert!(message.contains("ask for fewer with `first:`"), "{message}");
    let (nodes, _, limit, _) = cost(&body);
    assert!(nodes > 1_000_000 && limit == 100_000, "{}", body["extensions"]);
    let alive = server.data("{ plan { declaredCityCount } }", json!({})).await;
    assert_eq!(alive["plan"]["declaredCityCount"], 120, "the server still answers");
}

#[tokio::test]
async fn a_dry_run_reports_the_cost_and_runs_nothing() {
    let server = Server::start();
    for query in [FIRST_QUERIES[0].to_string(), a_million_nodes()] {
        let body = server
            .send(Call::post("/graphql").json(&json!({ "query": query, "extensions": { "dryRun": true } })))
            .await
            .json();
        assert!(body.get("data").is_none() && body.get("errors").is_none(), "{body}");
        assert_eq!(body["extensions"]["dryRun"], true);
        assert!(body["extensions"].get("sqlStatements").is_none(), "nothing ran: {body}");
        let (nodes, _, _, _) = cost(&body);
        assert!(nodes > 0);
    }
    let response = server
        .send(
            Call::get("/graphql").query(&[("query", FIRST_QUERIES[1]), ("extensions", r#"{"dryRun":true}"#)]),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body = response.json();
    assert_eq!(body["extensions"]["dryRun"], true, "{body}");
    assert!(body.get("data").is_none());
}

#[tokio::test]
async fn fields_come_back_in_the_order_asked() {
    let server = Server::start();
    let query = r#"{ city(code: "Bengbu") { province { nameEn } nameZh adminCode } plan { titleEn } }"#;
    for _run in 0..2 {
        // The second answer comes from the response cache: the same order.
        let body = Ordered::parse(&server.post_text(query, json!({})).await);
        let data = body.get("data");
        assert_eq!(data.keys(), ["city", "plan"]);
        assert_eq!(data.get("city").keys(), ["province", "nameZh", "adminCode"]);
    }
    let query = r#"query Ordered($code: String!) {
        z: plan { declaredCityCount titleEn }
        a: city(code: $code) { ...where nameEn membership ... on City { tier adminCode } id }
        m: provinces(first: 2) { totalCount nodes { region code ... on Province { nameEn } } pageInfo { hasNextPage } } }
      fragment where on City { province { region code nameEn } latitude }"#;
    let body = Ordered::parse(&server.post_text(query, json!({ "code": "340300" })).await);
    let data = body.get("data");
    assert_eq!(data.keys(), ["z", "a", "m"]);
    assert_eq!(data.get("z").keys(), ["declaredCityCount", "titleEn"]);
    assert_eq!(
        data.get("a").keys(),
        ["province", "latitude", "nameEn", "membership", "tier", "adminCode", "id"]
    );
    assert_eq!(data.get("a").get("province").keys(), ["region", "code", "nameEn"]);
    assert_eq!(data.get("m").keys(), ["totalCount", "nodes", "pageInfo"]);
    let Ordered::List(nodes) = data.get("m").get("nodes") else { panic!("nodes") };
    assert!(nodes.iter().all(|n| n.keys() == ["region", "code", "nameEn"]));
    // An interface: each object in its own type's order.
    let anhui = server.data(r#"{ province(code: "340000") { id } }"#, json!({})).await;
    let query = "query($id: ID!) { node(id: $id) { ... on City { nameEn adminCode } id ... on Province { code nameEn } } }";
    let body = Ordered::parse(&server.post_text(query, json!({ "id": anhui["province"]["id"] })).await);
    assert_eq!(body.get("data").get("node").keys(), ["id", "code", "nameEn"], "Province:340000");
}

#[tokio::test]
async fn a_plan_wide_target_lists_the_plan_areas_evaluation() {
    let server = Server::start();
    let (_, body) = server.post(FIRST_QUERIES[3], json!({})).await;
    assert!(body.get("errors").is_none(), "{}", body["errors"]);
    let data = server
        .data(
            r#"{ target(code: "new_jobs_by_2017") { evaluations(filter: { provinceCode: "340000" }) {
                 totalCount statusCounts { count } nodes { subjectKind city { adminCode } target { code } status } } } }"#,
            json!({}),
        )
        .await;
    let list = &data["target"]["evaluations"];
    assert_eq!(list["totalCount"], 1);
    let node = &list["nodes"][0];
    assert_eq!((&node["subjectKind"], &node["city"]), (&json!("PLAN"), &Value::Null));
    assert_eq!(node["target"]["code"], "new_jobs_by_2017");
    let counted: u64 =
        list["statusCounts"].as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, 1);
    let plan = server.data("{ plan { evaluation { target { code } status } } }", json!({})).await;
    let jobs = plan["plan"]["evaluation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["target"]["code"] == "new_jobs_by_2017")
        .unwrap();
    assert_eq!(jobs["status"], node["status"], "the same verdict as Plan.evaluation");
}
