//! Every value says how far to trust it: the seed's grades served as the seed file gives them,
//! lists filtered by grade, an evaluation reporting the weakest grade it used, and writers
//! that must declare one.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::common::{SeedObservation, first_code, read_csv};
use crate::in_process::Server;

const TOKEN: &str = "grades-test-token";

#[tokio::test]
async fn the_seed_serves_each_observation_with_its_grade() {
    let seeded: Vec<SeedObservation> = read_csv("observations.csv");
    assert_eq!(seeded.len(), 43, "seed/observations.csv, refreshed from shared/data");
    let server = Server::start();
    let data = server
        .data(
            "{ observations(first: 500) { totalCount nodes { city { adminCode } indicator { code } year value sourceGrade origin } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["observations"]["totalCount"], 43);
    let served: BTreeMap<(String, String, i64), (f64, String)> = data["observations"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let key = (
                n["city"]["adminCode"].as_str().unwrap().to_string(),
                n["indicator"]["code"].as_str().unwrap().to_string(),
                n["year"].as_i64().unwrap(),
            );
            (key, (n["value"].as_f64().unwrap(), n["sourceGrade"].as_str().unwrap().to_string()))
        })
        .collect();
    let expected: BTreeMap<(String, String, i64), (f64, String)> = seeded
        .iter()
        .map(|o| {
            (
                (o.admin_code.clone(), o.indicator.clone(), i64::from(o.year)),
                (o.value, o.source_grade.clone()),
            )
        })
        .collect();
    assert_eq!(served, expected);
    // Filtered by grade, each list holds exactly the seed's rows of that grade.
    for grade in ["BULLETIN", "OFFICIAL", "SECONDARY", "UNGRADED"] {
        let query =
            "query ($g: SourceGrade!) { observations(filter: { sourceGrade: { eq: $g } }) { totalCount } }";
        let count = server.data(query, json!({ "g": grade })).await["observations"]["totalCount"].clone();
        assert_eq!(count, seeded.iter().filter(|o| o.source_grade == grade).count(), "{grade}");
    }
}

const EVALUATION: &str = "query ($code: String!) { city(code: $code) {
    evaluation { target { code } status sourceGrade observations { year sourceGrade } } } }";

fn services(data: &Value) -> Value {
    let evaluations = data["city"]["evaluation"].as_array().unwrap();
    evaluations.iter().find(|e| e["target"]["code"] == "services_share_2017").cloned().unwrap()
}

#[tokio::test]
async fn an_evaluation_reports_the_weakest_grade_it_used() {
    let server = Server::start_with(&["--write-token", TOKEN]);
    // Xiangyang's values all come from an aggregator; Bengbu's from its bulletin.
    let xiangyang = services(&server.data(EVALUATION, json!({ "code": "420600" })).await);
    assert_eq!(xiangyang["sourceGrade"], "SECONDARY", "{xiangyang}");
    let bengbu = services(&server.data(EVALUATION, json!({ "code": "340300" })).await);
    assert_eq!(bengbu["sourceGrade"], "BULLETIN", "{bengbu}");
    // One OFFICIAL value for Bengbu's baseline year makes the verdict rest on it too.
    let record =
        "mutation ($input: [ObservationInput!]!) { recordObservations(input: $input) { sourceGrade } }";
    let row = json!({ "subjectCode": "340300", "indicatorCode": "services_share_gdp", "year": 2012, "value": 38.0,
                      "source": "test fixture: a made-up value", "sourceGrade": "OFFICIAL" });
    let (_, body) = server.post_as(TOKEN, record, json!({ "input": [row] })).await;
    assert_eq!(body["data"]["recordObservations"][0]["sourceGrade"], "OFFICIAL", "{body}");
    let bengbu = services(&server.data(EVALUATION, json!({ "code": "340300" })).await);
    assert_eq!(bengbu["sourceGrade"], "OFFICIAL", "{bengbu}");
    let what_if = server
        .data(
            "{ evaluate(target: { kind: LEVEL, direction: HIGHER_IS_BETTER, baselineYear: 2012, targetYear: 2017, targetValue: 45 },
                        observations: [{ year: 2012, value: 40 }], evaluationYear: 2017) { sourceGrade } }",
            json!({}),
        )
        .await;
    assert_eq!(what_if["evaluate"]["sourceGrade"], Value::Null, "a what-if uses no stored value");
}

#[tokio::test]
async fn writers_must_declare_a_grade() {
    let server = Server::start_with(&["--write-token", TOKEN]);
    let record = "mutation ($input: [ObservationInput!]!) { recordObservations(input: $input) { id } }";
    let row = |grade: Option<&str>| {
        let mut row = json!({ "subjectCode": "340300", "indicatorCode": "gdp", "year": 2014, "value": 1100.0,
                              "source": "test fixture" });
        if let Some(grade) = grade {
            row["sourceGrade"] = json!(grade);
        }
        row
    };
    let (_, missing) = server.post_as(TOKEN, record, json!({ "input": [row(None)] })).await;
    assert!(missing["errors"][0]["message"].as_str().unwrap().contains("sourceGrade"), "{missing}");
    let (_, ungraded) = server.post_as(TOKEN, record, json!({ "input": [row(Some("UNGRADED"))] })).await;
    assert_eq!(first_code(&ungraded), "INVALID_OBSERVATIONS", "{ungraded}");
    let problem = &ungraded["errors"][0]["extensions"]["problems"][0];
    assert_eq!(problem["field"], "sourceGrade", "{ungraded}");
    let count =
        server.data("{ observations(filter: { origin: { eq: USER } }) { totalCount } }", json!({})).await;
    assert_eq!(count["observations"]["totalCount"], 0, "nothing was written");
}
