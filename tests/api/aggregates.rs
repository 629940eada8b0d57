//! Facets and roll-ups over real HTTP: facet counts equal counting the list itself, and
//! roll-ups combine the seed's bulletin values by each indicator's own rule.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::common::{SeedObservation, read_csv};
use crate::in_process::Server;

/// Counts of `key` over `items`, as a facet lists them (value → count).
fn counted(items: &[Value], key: impl Fn(&Value) -> Value) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for item in items {
        *counts.entry(key(item).to_string()).or_default() += 1;
    }
    counts
}

fn facet(values: &Value) -> BTreeMap<String, u64> {
    values
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["value"].to_string(), v["count"].as_u64().unwrap()))
        .collect()
}

#[tokio::test]
async fn facets_count_the_whole_filtered_list() {
    let server = Server::start();
    // A filter that leaves several provinces, tiers and grades: every entry whose name has an "a".
    let data = server
        .data(
            r#"{ cities(membership: [CONFIRMED, CANDIDATE], filter: { nameEn: { containsIgnoreCase: "a" } }, first: 500) {
                 totalCount nodes { province { code region } tier membership evidence }
                 facets { province { value count } region { value count } tier { value count }
                          membership { value count } evidence { value count } } } }"#,
            json!({}),
        )
        .await;
    let list = &data["cities"];
    let nodes = list["nodes"].as_array().unwrap();
    assert_eq!(list["totalCount"], nodes.len(), "one page holds the whole list");
    let facets = &list["facets"];
    assert_eq!(facet(&facets["province"]), counted(nodes, |n| n["province"]["code"].clone()));
    assert_eq!(facet(&facets["region"]), counted(nodes, |n| n["province"]["region"].clone()));
    assert_eq!(facet(&facets["tier"]), counted(nodes, |n| n["tier"].clone()));
    assert_eq!(facet(&facets["membership"]), counted(nodes, |n| n["membership"].clone()));
    assert_eq!(facet(&facets["evidence"]), counted(nodes, |n| n["evidence"].clone()));
    let counts: Vec<u64> =
        facets["province"].as_array().unwrap().iter().map(|v| v["count"].as_u64().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "most frequent first: {counts:?}");

    // A target's evaluations, under the status filter too; and a province's own list.
    let data = server
        .data(
            r#"{ target(code: "services_share_2017") {
                   evaluations(filter: { membership: [CONFIRMED, CANDIDATE], status: [INSUFFICIENT_DATA] }, first: 500) {
                     nodes { status city { province { code region } tier membership evidence } }
                     facets { province { value count } region { value count } status { value count } evidence { value count } } } }
                 province(code: "Henan") { cities { totalCount facets { evidence { value count } } } } }"#,
            json!({}),
        )
        .await;
    let evaluations = &data["target"]["evaluations"];
    let nodes = evaluations["nodes"].as_array().unwrap();
    let facets = &evaluations["facets"];
    assert_eq!(facet(&facets["status"]), counted(nodes, |n| n["status"].clone()));
    assert_eq!(facet(&facets["province"]), counted(nodes, |n| n["city"]["province"]["code"].clone()));
    assert_eq!(facet(&facets["region"]), counted(nodes, |n| n["city"]["province"]["region"].clone()));
    assert_eq!(facet(&facets["evidence"]), counted(nodes, |n| n["city"]["evidence"].clone()));
    assert_eq!(
        data["province"]["cities"]["facets"]["evidence"],
        json!([{ "value": "NATIONAL_DESIGNATION", "count": 9 }])
    );
}

/// A target's evaluations count their facets only when the query selects them (a look-ahead):
/// a selection through a fragment spread must count too, and give the same facets.
#[tokio::test]
async fn evaluation_facets_asked_through_a_fragment_are_counted() {
    let server = Server::start();
    let data = server
        .data(
            r#"{ target(code: "services_share_2017") {
                   direct: evaluations(first: 5) { facets { status { value count } } }
                   spread: evaluations(first: 5) { ...Counted } } }
               fragment Counted on TargetEvaluationConnection { facets { status { value count } } }"#,
            json!({}),
        )
        .await;
    let target = &data["target"];
    let direct = &target["direct"]["facets"]["status"];
    assert!(!direct.as_array().unwrap().is_empty(), "{data}");
    assert_eq!(&target["spread"]["facets"]["status"], direct);
}

/// The seed's value of `indicator` in `year` for the city `code`, and its source.
fn seeded(rows: &[SeedObservation], code: &str, indicator: &str, year: i32) -> Option<(f64, String)> {
    let row = rows.iter().find(|o| o.admin_code == code && o.indicator == indicator && o.year == year)?;
    Some((row.value, row.source_url.clone()))
}

#[tokio::test]
async fn rollups_combine_by_each_indicators_rule() {
    let server = Server::start();
    let rows: Vec<SeedObservation> = read_csv("observations.csv");
    let data = server
        .data(
            r#"{ plan { share: rollup(indicator: "services_share_gdp", year: 2017) {
                          rule inputs value complete contributing { adminCode } missing { adminCode } observations { value sourceUrl } }
                        income: rollup(indicator: "disposable_income_urban", year: 2017) { rule value refusal reason }
                        energy: rollup(indicator: "energy_intensity_gdp", year: 2017) { rule value refusal reason } }
                 jiangxi: province(code: "Jiangxi") { gdp: rollup(indicator: "gdp", year: 2017) {
                          rule value complete reason contributing { adminCode } missing { adminCode } } }
                 indicator(code: "services_share_gdp") { aggregation } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["indicator"]["aggregation"], "RATIO_OF_SUMS");
    // By hand: the confirmed cities with both tertiary value added and GDP for 2017.
    let share = &data["plan"]["share"];
    assert_eq!(share["rule"], "RATIO_OF_SUMS");
    assert_eq!(share["inputs"], json!(["tertiary_value_added", "gdp"]));
    let contributing: Vec<&str> =
        share["contributing"].as_array().unwrap().iter().map(|c| c["adminCode"].as_str().unwrap()).collect();
    let confirmed: Vec<String> = crate::common::seed_cities().0.into_iter().map(|c| c.admin_code).collect();
    let mut both: Vec<&str> = rows
        .iter()
        .filter(|o| o.year == 2017 && o.indicator == "gdp" && confirmed.contains(&o.admin_code))
        .filter(|o| seeded(&rows, &o.admin_code, "tertiary_value_added", 2017).is_some())
        .map(|o| o.admin_code.as_str())
        .collect();
    both.sort();
    assert_eq!(contributing, both, "the confirmed entries with both values for 2017 in the seed file");
    assert_eq!(
        contributing,
        ["140700", "340300", "360200", "420600"],
        "Jinzhong, Bengbu, Jingdezhen, Xiangyang"
    );
    let count = contributing.len();
    let (mut tertiary, mut gdp) = (0.0, 0.0);
    for code in contributing {
        tertiary += seeded(&rows, code, "tertiary_value_added", 2017).unwrap().0;
        gdp += seeded(&rows, code, "gdp", 2017).unwrap().0;
    }
    assert!((share["value"].as_f64().unwrap() - tertiary / gdp * 100.0).abs() < 1e-9, "{share}");
    assert_eq!(share["complete"], false, "most confirmed entries have no 2017 bulletin values");
    assert!(
        share["missing"].as_array().unwrap().iter().any(|c| c["adminCode"] == "360400"),
        "Jiujiang: GDP only"
    );
    assert_eq!(share["observations"].as_array().unwrap().len(), 2 * count, "two values for each city");
    // A sum over a province: Jiangxi's 2017 GDP is known for Jingdezhen and Jiujiang.
    let gdp = &data["jiangxi"]["gdp"];
    let expected =
        seeded(&rows, "360200", "gdp", 2017).unwrap().0 + seeded(&rows, "360400", "gdp", 2017).unwrap().0;
    assert_eq!((gdp["rule"].clone(), gdp["value"].as_f64().unwrap()), (json!("SUM"), expected));
    assert_eq!(gdp["missing"].as_array().unwrap().len(), 2, "Pingxiang and Qingyunpu District: {gdp}");
    assert_eq!(gdp["reason"], "2 of the 4 cities in scope have gdp for 2017");
    // Refused, with the rule's reason.
    let income = &data["plan"]["income"];
    assert_eq!(
        (&income["rule"], &income["value"], &income["refusal"]),
        (&json!("WEIGHTED_MEAN"), &Value::Null, &json!("WEIGHTS_UNKNOWN"))
    );
    assert!(income["reason"].as_str().unwrap().contains("urban_population"), "{income}");
    let energy = &data["plan"]["energy"];
    assert_eq!((&energy["rule"], &energy["refusal"]), (&json!("NOT_COMBINABLE"), &json!("NOT_COMBINABLE")));
    let (_, body) =
        server.post(r#"{ plan { rollup(indicator: "nope", year: 2017) { value } } }"#, json!({})).await;
    assert_eq!(crate::common::first_code(&body), "BAD_USER_INPUT");
}
