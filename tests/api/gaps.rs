//! What is missing, over GraphQL: each entry without a verdict, the values that would give it
//! one, what it holds now, and counts that agree with the evaluations themselves.

use serde_json::{Value, json};

use crate::common::first_code;
use crate::in_process::Server;

const SERVICES: &str = "{ target(code: \"services_share_2017\") {
    evaluations(first: 500) { statusCounts { status count } }
    gaps { evaluationYear judgedCount
      entries { subjectKind city { adminCode } evaluation { status reason }
                holds { indicator { code } year sourceGrade }
                missing { indicatorCode year role inputOf settles why } }
      missingValues { indicatorCode year lackedBy wouldSettle }
      template { subjectCode indicatorCode year value source sourceGrade unit } } } }";

#[tokio::test]
async fn a_targets_gaps_agree_with_its_evaluations() {
    let server = Server::start();
    let target = server.data(SERVICES, json!({})).await["target"].clone();
    let counts = target["evaluations"]["statusCounts"].as_array().unwrap();
    let count =
        |status: &str| counts.iter().find(|c| c["status"] == status).unwrap()["count"].as_u64().unwrap();
    let gaps = &target["gaps"];
    let entries = gaps["entries"].as_array().unwrap();
    assert_eq!(gaps["evaluationYear"], 2017);
    assert_eq!(
        gaps["judgedCount"].as_u64().unwrap(),
        counts.iter().map(|c| c["count"].as_u64().unwrap()).sum::<u64>()
    );
    assert_eq!(
        entries.len() as u64,
        count("INSUFFICIENT_DATA"),
        "every entry without a verdict, and only those"
    );
    assert!(entries.iter().all(|e| e["evaluation"]["status"] == "INSUFFICIENT_DATA"));
    // The target year's share alone settles every one of them: a final verdict.
    let share_2017 = gaps["missingValues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["indicatorCode"] == "services_share_gdp" && m["year"] == 2017)
        .unwrap();
    assert_eq!(share_2017["lackedBy"].as_u64().unwrap(), entries.len() as u64);
    assert_eq!(share_2017["wouldSettle"], share_2017["lackedBy"]);
    // Luoyang holds GDP for 2013 and 2017 and nothing else: one value completes 2017's share,
    // and 2013 may stand in for the baseline.
    let luoyang = entries.iter().find(|e| e["city"]["adminCode"] == "410300").unwrap();
    let held: Vec<(Value, Value)> = luoyang["holds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["indicator"]["code"].clone(), o["year"].clone()))
        .collect();
    assert_eq!(held, [(json!("gdp"), json!(2013)), (json!("gdp"), json!(2017))]);
    let missing = luoyang["missing"].as_array().unwrap();
    let find = |code: &str, year: i64| {
        missing
            .iter()
            .find(|m| m["indicatorCode"] == code && m["year"] == year)
            .unwrap_or(&Value::Null)
            .clone()
    };
    let tertiary = find("tertiary_value_added", 2017);
    assert_eq!(
        (&tertiary["role"], &tertiary["settles"], &tertiary["inputOf"]),
        (&json!("LATEST"), &json!(true), &json!("services_share_gdp"))
    );
    assert_eq!(find("tertiary_value_added", 2013)["role"], "FALLBACK_BASELINE");
    assert_eq!(find("gdp", 2017), Value::Null, "held, so not asked for");
    // The template: one row per missing value, value and source left empty, unit given.
    let template = gaps["template"].as_array().unwrap();
    let asked: usize = entries.iter().map(|e| e["missing"].as_array().unwrap().len()).sum();
    assert_eq!(template.len(), asked);
    assert!(
        template.iter().all(|r| r["value"].is_null() && r["source"].is_null() && r["sourceGrade"].is_null())
    );
    assert!(template.iter().any(|r| r["subjectCode"] == "410300" && r["unit"] == "100 million yuan"));
}

#[tokio::test]
async fn a_plan_wide_total_lacks_the_plan_areas_values() {
    let server = Server::start();
    let data = server
        .data(
            "{ plan { gaps(targets: [\"new_jobs_by_2017\"]) { targets { target { code } judgedCount
                 entries { subjectKind city { adminCode } missing { indicatorCode year role settles } } }
               template { subjectKind subjectCode indicatorCode year } } } }",
            json!({}),
        )
        .await;
    let gaps = &data["plan"]["gaps"];
    let target = &gaps["targets"][0];
    assert_eq!((&target["target"]["code"], &target["judgedCount"]), (&json!("new_jobs_by_2017"), &json!(1)));
    let entry = &target["entries"][0];
    assert_eq!((&entry["subjectKind"], &entry["city"]), (&json!("PLAN"), &Value::Null));
    assert_eq!(
        entry["missing"],
        json!([{ "indicatorCode": "new_jobs", "year": 2017, "role": "LATEST", "settles": true }])
    );
    assert_eq!(
        gaps["template"],
        json!([{ "subjectKind": "PLAN", "subjectCode": null, "indicatorCode": "new_jobs", "year": 2017 }])
    );
    let (_, body) =
        server.post("{ plan { gaps(targets: [\"nope\"]) { targets { judgedCount } } } }", json!({})).await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("services_share_2017"), "{body}");
}
