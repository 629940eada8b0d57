//! Target evaluation over HTTP: every worked example of docs/evaluation.md through `Query.evaluate`, and
//! evaluations of the seeded real observations in the graph.

use serde_json::{Value, json};

use crate::common::{SeedObservation, first_code, read_csv, seed_cities};
use crate::in_process::Server;

const EVALUATE: &str = "query($target: TargetInput!, $observations: [YearValueInput!]!, $year: Int!, $options: EvaluationOptions) {
  evaluate(target: $target, observations: $observations, evaluationYear: $year, options: $options) {
    status reason achieved final method baselineYear baselineValue baselineSubstituted targetLevel
    latestYear latestValue timeElapsedShare progress paceRatio cagrActual cagrRequired trendRatio gap
    projectedValue projectedProgress requiredAnnualRate requiredAnnualAmount imputedYears } }";

fn fixtures() -> Vec<Value> {
    serde_json::from_str(include_str!("../fixtures/evaluation-fixtures.json")).expect("fixtures")
}

fn variables(fixture: &Value) -> Value {
    let observations: Vec<Value> = fixture["observations"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(year, value)| json!({ "year": year.parse::<i32>().unwrap(), "value": value }))
        .collect();
    json!({
        "target": fixture["target"],
        "observations": observations,
        "year": fixture["evaluationYear"],
        "options": fixture.get("options").cloned().unwrap_or(Value::Null),
    })
}

/// Compares every expected field; numbers within the fixtures' tolerance.
fn assert_matches(id: &str, expected: &Value, actual: &Value) {
    for (field, want) in expected.as_object().unwrap() {
        let got = &actual[field];
        match (want.as_f64(), got.as_f64()) {
            (Some(w), Some(g)) if want.is_f64() || got.is_f64() => {
                assert!((w - g).abs() <= 5.1e-5, "{id}.{field}: expected {w}, got {g}")
            }
            _ => assert_eq!(got, want, "{id}.{field}"),
        }
    }
}

#[tokio::test]
async fn every_fixture_passes_through_query_evaluate() {
    let server = Server::start();
    let fixtures = fixtures();
    assert!(fixtures.len() >= 14);
    for fixture in &fixtures {
        let id = fixture["id"].as_str().unwrap();
        let data = server.data(EVALUATE, variables(fixture)).await;
        assert_matches(id, &fixture["expected"], &data["evaluate"]);
    }
}

#[tokio::test]
async fn invalid_targets_and_series_get_rule_codes() {
    let server = Server::start();
    let level = json!({ "kind": "LEVEL", "direction": "HIGHER_IS_BETTER", "baselineYear": 2012, "targetYear": 2017, "targetValue": 45.0 });
    let cases = [
        (
            json!({ "kind": "LEVEL", "direction": "HIGHER_IS_BETTER", "baselineYear": 2017, "targetYear": 2017, "targetValue": 1.0 }),
            json!([]),
            "TARGET_YEAR_NOT_AFTER_BASELINE",
        ),
        (
            json!({ "kind": "CHANGE_FROM_BASELINE", "direction": "LOWER_IS_BETTER", "baselineYear": 2012, "targetYear": 2017 }),
            json!([]),
            "MISSING_TARGET_CHANGE",
        ),
        (
            level.clone(),
            json!([{ "year": 2013, "value": 1.0 }, { "year": 2013, "value": 2.0 }]),
            "DUPLICATE_YEAR",
        ),
        (level.clone(), json!([{ "year": 1200, "value": 1.0 }]), "BAD_USER_INPUT"),
    ];
    for (target, observations, code) in cases {
        let (_, body) = server
            .post(EVALUATE, json!({ "target": target, "observations": observations, "year": 2015 }))
            .await;
        assert_eq!(first_code(&body), code, "{body}");
    }
    // GraphQL's Float cannot carry NaN or infinity: such input never reaches the evaluator.
    let (_, body) = server
        .post(
            EVALUATE,
            json!({ "target": level, "observations": [{ "year": 2013, "value": "NaN" }], "year": 2015 }),
        )
        .await;
    assert_eq!(first_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
}

#[tokio::test]
async fn bengbu_services_share_is_judged_from_its_real_observations() {
    let server = Server::start();
    let data = server
        .data(
            r#"{ city(code: "蚌埠市") { evaluation { target { code } status final baselineYear baselineValue
                 baselineSubstituted targetLevel latestYear latestValue gap series { year value }
                 observations { sourceUrl } subjectKind city { adminCode } } } }"#,
            json!({}),
        )
        .await;
    let evaluations = data["city"]["evaluation"].as_array().unwrap();
    let codes: Vec<&str> = evaluations.iter().map(|e| e["target"]["code"].as_str().unwrap()).collect();
    assert!(!codes.contains(&"new_jobs_by_2017"), "a plan-wide total is not evaluated for a city: {codes:?}");
    assert_eq!(codes.len(), 5);
    let services = evaluations.iter().find(|e| e["target"]["code"] == "services_share_2017").unwrap();
    assert_eq!(services["status"], "NOT_ACHIEVED");
    assert_eq!(services["final"], true);
    assert_eq!(services["baselineSubstituted"], true, "no 2012 value: 2016 stands in");
    assert_eq!(services["baselineYear"], 2016);
    assert_eq!(services["latestValue"], 42.9);
    assert!((services["gap"].as_f64().unwrap() - 2.1).abs() < 1e-9);
    assert_eq!(services["series"], json!([{ "year": 2016, "value": 41.5 }, { "year": 2017, "value": 42.9 }]));
    assert_eq!(
        services["observations"].as_array().unwrap().len(),
        2,
        "the two published shares, not GDP or tertiary"
    );
    assert_eq!(services["observations"][0]["sourceUrl"], "http://ifuun.com/a2018052813478930");
    assert_eq!(services["city"]["adminCode"], "340300");
    let without_data = evaluations.iter().find(|e| e["target"]["code"] == "hightech_share_2017").unwrap();
    assert_eq!(without_data["status"], "INSUFFICIENT_DATA");
}

/// Jinzhong's services share from its 2013 and 2017 bulletins: 38.1 % → 45.0 %, the target met
/// in the target year itself.
#[tokio::test]
async fn jinzhong_services_share_is_judged_from_two_bulletins() {
    let server = Server::start();
    let data = server
        .data(
            r#"{ city(code: "晋中") { evaluation { target { code } status final baselineYear latestYear
                 latestValue derived series { year value derived } observations { year sourceUrl } } } }"#,
            json!({}),
        )
        .await;
    let evaluations = data["city"]["evaluation"].as_array().unwrap();
    let services = evaluations.iter().find(|e| e["target"]["code"] == "services_share_2017").unwrap();
    assert_eq!(services["status"], "ACHIEVED");
    assert_eq!(services["final"], true);
    assert_eq!((&services["baselineYear"], &services["latestYear"]), (&json!(2013), &json!(2017)));
    assert_eq!(services["derived"], false, "both shares are published");
    assert_eq!(
        services["series"],
        json!([{ "year": 2013, "value": 38.1, "derived": false }, { "year": 2017, "value": 45.0, "derived": false }])
    );
    let seeded: Vec<SeedObservation> = read_csv("observations.csv");
    let used = services["observations"].as_array().unwrap();
    let years: Vec<i64> = used.iter().map(|o| o["year"].as_i64().unwrap()).collect();
    assert_eq!(years, [2013, 2017], "both bulletins, each once: {used:?}");
    for used in used {
        let year = used["year"].as_i64().unwrap() as i32;
        let row = seeded
            .iter()
            .find(|o| o.admin_code == "140700" && o.indicator == "services_share_gdp" && o.year == year)
            .unwrap_or_else(|| panic!("no seeded share of {year}"));
        assert_eq!(used["sourceUrl"].as_str(), Some(row.source_url.as_str()), "the bulletin of {year}");
    }
}

/// Where a year has GDP and tertiary value added but no published share, the services target
/// is judged on the share they give, marked derived, with both inputs and their sources; a
/// published share of the same year wins over its inputs.
#[tokio::test]
async fn a_derived_share_counts_where_none_is_published_and_never_over_a_published_one() {
    let token = "derive-token";
    let server = Server::start_with(&["--write-token", token]);
    let record = "mutation($input: [ObservationInput!]!) { recordObservations(input: $input) { id } }";
    let row = |indicator: &str, year: i32, value: f64, source: &str| json!({ "subjectCode": "360400", "indicatorCode": indicator, "year": year, "value": value, "source": source, "sourceGrade": "SECONDARY" });
    // Made-up values for this test only; 2017 GDP of Jiujiang is in the seed, its share too.
    let input = json!([
        row("gdp", 2016, 2000.0, "test: gdp 2016"),
        row("tertiary_value_added", 2016, 800.0, "test: tertiary 2016"),
        row("tertiary_value_added", 2017, 1200.0, "test: tertiary 2017"),
    ]);
    let (_, body) = server.post_as(token, record, json!({ "input": input })).await;
    assert!(body.get("errors").is_none(), "{body}");
    let query = r#"{ city(code: "Jiujiang") { evaluation { target { code } status derived baselineYear baselineValue
        latestValue series { year value derived derivedFrom { indicator { code } value sourceUrl } }
        observations { indicator { code } year sourceUrl } } } }"#;
    let data = server.data(query, json!({})).await;
    let evaluations = data["city"]["evaluation"].as_array().unwrap();
    let services = evaluations.iter().find(|e| e["target"]["code"] == "services_share_2017").unwrap();
    assert_eq!(services["derived"], true);
    assert_eq!((&services["baselineYear"], &services["baselineValue"]), (&json!(2016), &json!(40.0)));
    assert_eq!(services["latestValue"], 41.8, "the published 2017 share, not 1200 / 2413.63");
    let series = services["series"].as_array().unwrap();
    assert_eq!(series[0]["derived"], true);
    assert_eq!(
        series[0]["derivedFrom"],
        json!([
            { "indicator": { "code": "tertiary_value_added" }, "value": 800.0, "sourceUrl": "test: tertiary 2016" },
            { "indicator": { "code": "gdp" }, "value": 2000.0, "sourceUrl": "test: gdp 2016" },
        ])
    );
    assert_eq!(
        (&series[1]["year"], &series[1]["value"], &series[1]["derived"]),
        (&json!(2017), &json!(41.8), &json!(false))
    );
    assert_eq!(series[1]["derivedFrom"], json!([]));
    let sources: Vec<&str> = services["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["sourceUrl"].as_str().unwrap())
        .collect();
    assert!(sources.contains(&"test: gdp 2016") && sources.contains(&"test: tertiary 2016"), "{sources:?}");
    assert!(
        !sources.contains(&"test: tertiary 2017"),
        "an input of a published year is not used: {sources:?}"
    );
    // The same verdict in the target's list of every city.
    let list = server
        .data(
            r#"{ target(code: "services_share_2017") { evaluations(filter: { provinceCode: "360000" }) {
                 nodes { city { adminCode } derived baselineValue } } } }"#,
            json!({}),
        )
        .await;
    let nodes = list["target"]["evaluations"]["nodes"].as_array().unwrap();
    let jiujiang = nodes.iter().find(|n| n["city"]["adminCode"] == "360400").unwrap();
    assert_eq!((&jiujiang["derived"], &jiujiang["baselineValue"]), (&json!(true), &json!(40.0)));
    // Nothing derived was stored.
    let stored = server.data(r#"{ city(code: "360400") { observations(filter: { indicatorCode: { eq: "services_share_gdp" } }) { totalCount } } }"#, json!({})).await;
    assert_eq!(stored["city"]["observations"]["totalCount"], 1);
}

#[tokio::test]
async fn a_target_lists_every_city_with_status_counts() {
    let server = Server::start();
    let query = "query($f: CityEvaluationFilter) { target(code: \"services_share_2017\") {
        evaluations(filter: $f, orderBy: [{ field: GAP }]) { totalCount
          statusCounts { status count } nodes { city { adminCode } status gap } } } }";
    let data = server.data(query, json!({ "f": { "membership": ["CONFIRMED", "CANDIDATE"] } })).await;
    let all = &data["target"]["evaluations"];
    let counted: u64 =
        all["statusCounts"].as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).sum();
    let (confirmed, candidates) = seed_cities();
    let entries = confirmed.len() + candidates.len();
    assert_eq!(all["totalCount"], entries);
    assert_eq!(counted as usize, entries);
    let missed =
        server.data(query, json!({ "f": { "status": ["NOT_ACHIEVED"], "provinceCode": "360000" } })).await;
    let nodes = missed["target"]["evaluations"]["nodes"].as_array().unwrap();
    let cities: Vec<&str> = nodes.iter().map(|n| n["city"]["adminCode"].as_str().unwrap()).collect();
    assert_eq!(cities, ["360200", "360400"], "Jingdezhen 44.0 (gap 1.0), then Jiujiang 41.8 (gap 3.2)");
    // A plan-wide total is not split across cities: its list holds the plan area's evaluation.
    let jobs = server
        .data(
            "{ target(code: \"new_jobs_by_2017\") { evaluations { totalCount nodes { subjectKind } } } }",
            json!({}),
        )
        .await;
    assert_eq!(jobs["target"]["evaluations"]["nodes"], json!([{ "subjectKind": "PLAN" }]));
}

#[tokio::test]
async fn cities_rank_by_value_best_first() {
    let server = Server::start();
    let data = server
        .data(
            "{ indicator(code: \"services_share_gdp\") { ranking(year: 2017) {
                 totalCount nodes { rank percentile rankedCount value city { adminCode } } } } }",
            json!({}),
        )
        .await;
    let ranking = &data["indicator"]["ranking"];
    // Expected: the seed's 2017 services shares, highest first, percentiles spread evenly.
    let mut shares: Vec<(f64, String)> = read_csv::<SeedObservation>("observations.csv")
        .into_iter()
        .filter(|o| o.indicator == "services_share_gdp" && o.year == 2017)
        .map(|o| (o.value, o.admin_code))
        .collect();
    shares.sort_by(|a, b| b.0.total_cmp(&a.0));
    assert!(shares.len() >= 3, "the seed has 2017 shares to rank");
    assert_eq!(ranking["totalCount"], shares.len());
    let last = (shares.len() - 1) as f64;
    let nodes = ranking["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), shares.len(), "every share ranked, none left out: {nodes:?}");
    for (index, (node, (value, code))) in nodes.iter().zip(&shares).enumerate() {
        assert_eq!(node["rank"], index + 1);
        assert_eq!(node["city"]["adminCode"], code.as_str());
        assert_eq!(node["value"].as_f64(), Some(*value));
        let percentile = node["percentile"].as_f64().unwrap();
        assert!((percentile - 100.0 * (last - index as f64) / last).abs() < 1e-9, "{node}");
    }
    let anhui = server
        .data("{ indicator(code: \"services_share_gdp\") { ranking(year: 2017, provinceCode: \"340000\") { nodes { rank percentile } } } }", json!({}))
        .await;
    assert_eq!(anhui["indicator"]["ranking"]["nodes"], json!([{ "rank": 1, "percentile": 100.0 }]));
}

/// The list is judged, sorted and paged before its page is built: page after page, the nodes
/// come in the order asked for (by their own gap, missing gaps last) and together hold every
/// city in scope exactly once.
#[tokio::test]
async fn target_evaluations_page_in_order_of_the_values_shown() {
    let server = Server::start();
    let query = "query($after: String) { target(code: \"services_share_2017\") {
        evaluations(first: 7, after: $after, orderBy: [{ field: GAP, direction: DESC }],
                    filter: { membership: [CONFIRMED, CANDIDATE] }) {
          totalCount pageInfo { hasNextPage endCursor } nodes { city { adminCode } status gap } } } }";
    let (mut after, mut nodes) = (Value::Null, Vec::new());
    loop {
        let data = server.data(query, json!({ "after": after })).await;
        let page = &data["target"]["evaluations"];
        nodes.extend(page["nodes"].as_array().unwrap().iter().cloned());
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    let mut codes: Vec<&str> = nodes.iter().map(|n| n["city"]["adminCode"].as_str().unwrap()).collect();
    let (confirmed, candidates) = seed_cities();
    let entries = confirmed.len() + candidates.len();
    assert_eq!(codes.len(), entries);
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), entries, "every city once");
    let gaps: Vec<Option<f64>> = nodes.iter().map(|n| n["gap"].as_f64()).collect();
    let known = gaps.iter().take_while(|g| g.is_some()).count();
    assert!(known > 0 && gaps[known..].iter().all(Option::is_none), "missing gaps last: {gaps:?}");
    assert!(gaps[..known].windows(2).all(|w| w[0] >= w[1]), "descending: {gaps:?}");
}
