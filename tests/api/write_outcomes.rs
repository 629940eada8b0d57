//! A write is answered as what it did: a committed write is never reported as failed, a write
//! that began too late writes nothing, and each field of a mutation says for itself whether
//! it committed.

use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};

use crate::common::{first_code, synthesize};
use crate::in_process::Server;

const TOKEN: &str = "test-write-token";

fn row(code: &str, year: i32, value: f64) -> Value {
    json!({ "subjectCode": code, "indicatorCode": "services_share_gdp", "year": year, "value": value,
            "source": "test fixture: a made-up value for this test only", "sourceGrade": "SECONDARY" })
}

/// User observations of Bengbu for `year`, read straight from the file.
fn stored(db: &Path, year: i32) -> Vec<f64> {
    let connection = rusqlite::Connection::open(db).expect("open the file");
    let mut statement = connection
        .prepare(
            "SELECT value FROM observations WHERE city_code = '340300' AND year = ?1 AND origin = 'USER'",
        )
        .unwrap();
    statement.query_map([year], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

#[tokio::test]
async fn a_field_that_fails_after_one_that_committed_leaves_the_first_answered() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rustbelt.db");
    let server = Server::start_on(&db, &["--write-token", TOKEN]);
    let mutation = "mutation($a: [ObservationInput!]!, $b: [ObservationInput!]!) {
        a: recordObservations(input: $a) { year value }
        b: recordObservations(input: $b) { year value } }";
    let variables = json!({ "a": [row("340300", 2014, 41.0)], "b": [row("340300", 2015, 140.0)] });
    let (status, body) = server.post_as(TOKEN, mutation, variables).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["a"], json!([{ "year": 2014, "value": 41.0 }]), "a committed: {body}");
    assert_eq!(body["data"]["b"], Value::Null, "b wrote nothing: {body}");
    assert_eq!(first_code(&body), "INVALID_OBSERVATIONS");
    assert_eq!(body["errors"][0]["path"], json!(["b"]), "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("this call wrote nothing"), "{message}");
    assert_eq!(stored(&db, 2014), [41.0], "a is in the file");
    assert!(stored(&db, 2015).is_empty(), "b is not");
}

#[tokio::test]
async fn every_bad_subject_is_reported_not_the_first() {
    let server = Server::start_with(&["--write-token", TOKEN]);
    let mutation = "mutation($input: [ObservationInput!]!) { recordObservations(input: $input) { id } }";
    let no_code = json!({ "indicatorCode": "gdp", "year": 2015, "value": 1.0, "source": "x", "sourceGrade": "SECONDARY" });
    let plan_with_code = json!({ "subjectKind": "PLAN", "subjectCode": "340300", "indicatorCode": "gdp",
                                 "year": 2015, "value": 1.0, "source": "x", "sourceGrade": "SECONDARY" });
    let input = json!([row("340300", 2014, 41.0), no_code, plan_with_code]);
    let (_, body) = server.post_as(TOKEN, mutation, json!({ "input": input })).await;
    assert_eq!(first_code(&body), "INVALID_OBSERVATIONS");
    let problems = body["errors"][0]["extensions"]["problems"].as_array().expect("problems");
    let rows: Vec<u64> = problems.iter().map(|p| p["row"].as_u64().unwrap()).collect();
    assert_eq!(rows, [1, 2], "both bad subjects: {body}");
}

#[tokio::test]
async fn a_repeated_id_is_deleted_and_answered_once() {
    let server = Server::start_with(&["--write-token", TOKEN]);
    let record = "mutation($input: [ObservationInput!]!) { recordObservations(input: $input) { id } }";
    let (_, body) = server.post_as(TOKEN, record, json!({ "input": [row("340300", 2014, 41.0)] })).await;
    let id = body["data"]["recordObservations"][0]["id"].clone();
    let delete = "mutation($ids: [ID!]!) { deleteObservations(ids: $ids) }";
    let (_, body) = server.post_as(TOKEN, delete, json!({ "ids": [id, id, id] })).await;
    assert_eq!(body["data"]["deleteObservations"], json!([id]), "{body}");
}

#[tokio::test]
async fn a_requests_later_fields_read_what_its_earlier_fields_wrote() {
    let server = Server::start_with(&["--write-token", TOKEN]);
    // Qiqihar's services share (nothing seeded) evaluated after each write of the same request.
    let mutation = "mutation($a: [ObservationInput!]!, $b: [ObservationInput!]!) {
        a: recordObservations(input: $a) { city { evaluation { target { code } latestYear latestValue } } }
        b: recordObservations(input: $b) { city { evaluation { target { code } latestYear latestValue } } } }";
    let variables = json!({ "a": [row("230200", 2016, 44.0)], "b": [row("230200", 2017, 46.0)] });
    let (status, body) = server.post_as(TOKEN, mutation, variables).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    let seen = |field: &str| {
        let evaluations =
            body["data"][field][0]["city"]["evaluation"].as_array().expect("evaluations").clone();
        let services = evaluations.into_iter().find(|e| e["target"]["code"] == "services_share_2017");
        let services = services.expect("the services target");
        (services["latestYear"].clone(), services["latestValue"].clone())
    };
    assert_eq!(seen("a"), (json!(2016), json!(44.0)), "a sees its own write: {body}");
    assert_eq!(seen("b"), (json!(2017), json!(46.0)), "b sees its own write: {body}");
}

#[tokio::test]
async fn a_committed_write_whose_answer_runs_out_of_time_is_answered_as_committed() {
    // On a database large enough that re-reading its statistics after a write takes about
    // 100 ms, a write under a shorter request time commits, and the city its answer then
    // reads comes too late. How short a time still lets a write begin depends on the machine
    // and its load, so the attempts go from short to longer: each must be answered as what it
    // did, and at least one must have committed after its time ran out.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("large.db");
    synthesize(&db, 3_000, 20);
    let mutation = "mutation($input: [ObservationInput!]!) { recordObservations(input: $input) { year value city { nameEn } } }";
    let mut outlasted = Vec::new();
    for (year, limit) in (2001..).zip([10_u64, 20, 40, 80]) {
        let server =
            Server::start_on(&db, &["--write-token", TOKEN, "--request-timeout-ms", &limit.to_string()]);
        let asked = Instant::now();
        let (status, body) =
            server.post_as(TOKEN, mutation, json!({ "input": [row("340300", year, 41.0)] })).await;
        let took = asked.elapsed();
        drop(server);
        if stored(&db, year) == [41.0] {
            assert_eq!(status, 200, "committed, so answered, not 503: {body}");
            assert_eq!(body["data"]["recordObservations"][0]["year"], year, "{body}");
            assert_eq!(body["data"]["recordObservations"][0]["value"], 41.0, "{body}");
            // The case this test is for: the answer's later read was stopped by the time.
            if body.get("errors").is_some() && first_code(&body) == "TIMEOUT" {
                outlasted.push((limit, took));
            }
        } else {
            assert!(body["data"]["recordObservations"].is_null(), "nothing was written: {body}");
        }
    }
    assert!(!outlasted.is_empty(), "no write committed after its request's time ran out: the premise failed");
}

#[tokio::test]
async fn deleting_a_users_re_record_of_a_seeded_value_leaves_the_seeded_value() {
    let server = Server::start_with(&["--write-token", TOKEN]);
    let bengbu_2017 = "{ city(code: \"340300\") { observations(filter: { indicatorCode: { eq: \"services_share_gdp\" }, year: { eq: 2017 } }) { nodes { id value origin } } } }";
    let seeded = server.data(bengbu_2017, json!({})).await["city"]["observations"]["nodes"][0].clone();
    assert_eq!((seeded["value"].as_f64(), seeded["origin"].as_str()), (Some(42.9), Some("SEED")), "{seeded}");
    let record = "mutation($input: [ObservationInput!]!) { recordObservations(input: $input) { id origin } }";
    let (_, body) = server.post_as(TOKEN, record, json!({ "input": [row("340300", 2017, 43.5)] })).await;
    let user = body["data"]["recordObservations"][0].clone();
    assert_eq!(user["origin"], "USER", "{body}");
    let delete = "mutation($ids: [ID!]!) { deleteObservations(ids: $ids) }";
    let (_, body) = server.post_as(TOKEN, delete, json!({ "ids": [user["id"]] })).await;
    assert_eq!(body["data"]["deleteObservations"], json!([user["id"]]), "{body}");
    let after = server.data(bengbu_2017, json!({})).await["city"]["observations"]["nodes"].clone();
    assert_eq!(after.as_array().map(Vec::len), Some(1), "the seeded value is back: {after}");
    assert_eq!(
        (after[0]["value"].as_f64(), after[0]["origin"].as_str()),
        (Some(42.9), Some("SEED")),
        "{after}"
    );
}

#[tokio::test]
async fn a_value_is_stored_to_the_last_digit_the_client_sent() {
    // Digit-heavy values, as a derived share or a unit conversion gives them: a parser that
    // rounds twice lands some of them one unit in the last place off.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rustbelt.db");
    let server = Server::start_on(&db, &["--write-token", TOKEN]);
    let sent = ["9.200000000000003", "52.81193881287747", "0.30000000000000004", "43.119999999999997"];
    for (year, text) in (2001..).zip(sent) {
        let body = format!(
            r#"{{"query": "mutation($i: [ObservationInput!]!) {{ recordObservations(input: $i) {{ value }} }}",
                 "variables": {{"i": [{{"subjectCode": "340300", "indicatorCode": "services_share_gdp", "year": {year},
                 "value": {text}, "source": "test fixture: a made-up value", "sourceGrade": "SECONDARY"}}]}}}}"#
        );
        let call = crate::call::Call::post("/graphql")
            .bearer(TOKEN)
            .header("content-type", "application/json")
            .body(body);
        let reply = server.send(call).await;
        assert_eq!(reply.status(), 200, "{}", reply.text());
        let exact: f64 = text.parse().unwrap();
        assert_eq!(
            stored(&db, year).iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            [exact.to_bits()],
            "{text}"
        );
    }
}
