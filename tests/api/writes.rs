//! Recording and deleting observations: the token, all-or-nothing writes, and persistence
//! across a restart and a re-seed.

use serde_json::{Value, json};

use crate::call::Call;
use crate::common::{Server, first_code};
use crate::in_process;

const TOKEN: &str = "test-write-token";

const RECORD: &str = "mutation($input: [ObservationInput!]!) {
  recordObservations(input: $input) { id subjectKind year value origin sourceUrl city { adminCode } province { code } } }";

const COUNT: &str = "{ observations(filter: { origin: { eq: USER } }) { totalCount } }";

fn jiujiang_2016() -> Value {
    json!({ "subjectCode": "360400", "indicatorCode": "services_share_gdp", "year": 2016, "value": 40.1,
            "source": "test fixture: a made-up value for this test only", "sourceGrade": "SECONDARY" })
}

async fn user_rows(server: &in_process::Server) -> u64 {
    server.data(COUNT, json!({})).await["observations"]["totalCount"].as_u64().unwrap()
}

#[tokio::test]
async fn a_read_only_server_refuses_every_write() {
    let server = in_process::Server::start();
    let (_, body) = server.post_as(TOKEN, RECORD, json!({ "input": [jiujiang_2016()] })).await;
    assert_eq!(first_code(&body), "READ_ONLY");
    assert_eq!(user_rows(&server).await, 0);
    // A delete of a row that exists: refused, and the row is still there.
    let all = "{ observations { totalCount nodes { id } } }";
    let before = server.data(all, json!({})).await;
    let id = before["observations"]["nodes"][0]["id"].clone();
    let (_, body) = server
        .post_as(TOKEN, "mutation($ids: [ID!]!) { deleteObservations(ids: $ids) }", json!({ "ids": [id] }))
        .await;
    assert_eq!(first_code(&body), "READ_ONLY");
    assert_eq!(server.data(all, json!({})).await, before);
}

#[tokio::test]
async fn missing_or_wrong_tokens_write_nothing() {
    let server = in_process::Server::start_with(&["--write-token", TOKEN]);
    let (_, body) = server.post(RECORD, json!({ "input": [jiujiang_2016()] })).await;
    assert_eq!(first_code(&body), "UNAUTHORIZED");
    let (_, body) = server.post_as("test-write-tokem", RECORD, json!({ "input": [jiujiang_2016()] })).await;
    assert_eq!(first_code(&body), "UNAUTHORIZED");
    assert_eq!(user_rows(&server).await, 0);
    let (_, body) = server.post_as(TOKEN, RECORD, json!({ "input": [jiujiang_2016()] })).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(user_rows(&server).await, 1);
}

#[tokio::test]
async fn one_bad_row_among_good_ones_writes_nothing_and_is_named() {
    let server = in_process::Server::start_with(&["--write-token", TOKEN]);
    let bad_share = json!({ "subjectCode": "340300", "indicatorCode": "services_share_gdp", "year": 2015, "value": 140.0, "source": "x", "sourceGrade": "SECONDARY" });
    let unknown_city = json!({ "subjectCode": "999999", "indicatorCode": "gdp", "year": 2015, "value": 1.0, "source": "x", "sourceGrade": "SECONDARY" });
    let input = json!([jiujiang_2016(), bad_share, unknown_city]);
    let (_, body) = server.post_as(TOKEN, RECORD, json!({ "input": input })).await;
    assert_eq!(first_code(&body), "INVALID_OBSERVATIONS", "{body}");
    let problems = body["errors"][0]["extensions"]["problems"].as_array().unwrap();
    let named: Vec<(u64, &str)> =
        problems.iter().map(|p| (p["row"].as_u64().unwrap(), p["field"].as_str().unwrap())).collect();
    assert_eq!(named, [(1, "value"), (2, "subject")]);
    assert_eq!(user_rows(&server).await, 0, "the good row was not written either");
}

#[tokio::test]
async fn recorded_observations_change_evaluations_and_can_be_deleted() {
    let server = in_process::Server::start_with(&["--write-token", TOKEN]);
    let evaluation =
        "{ city(code: \"360400\") { evaluation(asOf: 2017) { target { code } status baselineYear } } }";
    let services = |data: &Value| {
        data["city"]["evaluation"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["target"]["code"] == "services_share_2017")
            .cloned()
            .unwrap()
    };
    let before = services(&server.data(evaluation, json!({})).await);
    assert_eq!(before["baselineYear"], 2017, "one observation: the 2017 value is its own baseline");
    let (_, body) = server.post_as(TOKEN, RECORD, json!({ "input": [jiujiang_2016()] })).await;
    let recorded = &body["data"]["recordObservations"][0];
    assert_eq!(recorded["origin"], "USER");
    assert_eq!(recorded["city"]["adminCode"], "360400");
    let after = services(&server.data(evaluation, json!({})).await);
    assert_eq!(after["baselineYear"], 2016, "the recorded 2016 value is the new substitute baseline");
    let id = recorded["id"].clone();
    let delete = "mutation($ids: [ID!]!) { deleteObservations(ids: $ids) }";
    let (_, body) = server.post_as(TOKEN, delete, json!({ "ids": [id.clone()] })).await;
    assert_eq!(body["data"]["deleteObservations"], json!([id]));
    assert_eq!(user_rows(&server).await, 0);
    let seeded = server.data("{ observations(first: 1) { nodes { id } } }", json!({})).await;
    let seeded_id = seeded["observations"]["nodes"][0]["id"].clone();
    let (_, body) = server.post_as(TOKEN, delete, json!({ "ids": [seeded_id] })).await;
    assert_eq!(first_code(&body), "SEED_OBSERVATION");
}

#[tokio::test]
async fn plan_and_province_subjects_are_recorded_and_evaluated() {
    let server = in_process::Server::start_with(&["--write-token", TOKEN]);
    // Test data, not facts: annual new jobs for the plan area, 2013–2017.
    let flows = [2_500_000.0, 2_600_000.0, 2_700_000.0, 2_700_000.0, 2_600_000.0];
    let mut input: Vec<Value> = (2013..=2017)
        .zip(flows)
        .map(|(year, value)| json!({ "subjectKind": "PLAN", "indicatorCode": "new_jobs", "year": year, "value": value, "source": "test", "sourceGrade": "SECONDARY" }))
        .collect();
    input.push(
        json!({ "subjectKind": "PROVINCE", "subjectCode": "340000", "indicatorCode": "services_share_gdp",
                       "year": 2017, "value": 46.0, "source": "test", "sourceGrade": "SECONDARY" }),
    );
    let (_, body) = server.post_as(TOKEN, RECORD, json!({ "input": input })).await;
    assert!(body.get("errors").is_none(), "{body}");
    let data = server
        .data(
            "{ plan { evaluation { target { code } status latestValue } }
               province(code: \"340000\") { evaluation { target { code } status } } }",
            json!({}),
        )
        .await;
    let jobs = data["plan"]["evaluation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["target"]["code"] == "new_jobs_by_2017")
        .unwrap();
    assert_eq!(jobs["status"], "ACHIEVED");
    assert_eq!(jobs["latestValue"], 13_100_000.0);
    let anhui = data["province"]["evaluation"].as_array().unwrap();
    let services = anhui.iter().find(|e| e["target"]["code"] == "services_share_2017").unwrap();
    assert_eq!(services["status"], "ACHIEVED");
    assert!(anhui.iter().all(|e| e["target"]["code"] != "new_jobs_by_2017"));
}

#[tokio::test]
async fn user_observations_survive_a_restart_and_a_reseed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("plan.db");
    let args = ["--write-token", TOKEN];
    let server = Server::start_on(&db, &args);
    // A user value for a key the seed also has: the user's value must win over the re-seed.
    let overwrite = json!({ "subjectCode": "340300", "indicatorCode": "services_share_gdp", "year": 2017, "value": 42.8,
                            "source": "test: tertiary ÷ GDP from the same bulletin", "sourceGrade": "SECONDARY" });
    let (_, body) = server.post_as(TOKEN, RECORD, json!({ "input": [jiujiang_2016(), overwrite] })).await;
    assert!(body.get("errors").is_none(), "{body}");
    server.stop();
    let server = Server::start_on(&db, &args);
    assert_eq!(server.data(COUNT, json!({})).await["observations"]["totalCount"], 2);
    let data = server
        .data("{ city(code: \"340300\") { observations(filter: { year: { eq: 2017 }, indicatorCode: { eq: \"services_share_gdp\" } }) { nodes { value origin } } } }", json!({}))
        .await;
    assert_eq!(data["city"]["observations"]["nodes"], json!([{ "value": 42.8, "origin": "USER" }]));
    let total = server.data("{ observations { totalCount } }", json!({})).await;
    let seeded = crate::common::read_csv::<crate::common::SeedObservation>("observations.csv").len();
    assert_eq!(
        total["observations"]["totalCount"],
        seeded + 1,
        "the seeded rows, one replaced by the user, one added"
    );
}

#[tokio::test]
async fn mutations_over_get_run_nothing() {
    let server = in_process::Server::start_with(&["--write-token", TOKEN]);
    let record = "{ recordObservations(input: [{ subjectCode: \"340300\", indicatorCode: \"gdp\", year: 2014,
                    value: 1100, source: \"https://example.org/get\", sourceGrade: SECONDARY }]) { id } }";
    // Anonymous and named: a single named operation is still the one that runs.
    for query in [format!("mutation {record}"), format!("mutation Named {record}")] {
        let response =
            server.send(Call::get("/graphql").bearer(TOKEN).query(&[("query", query.as_str())])).await;
        assert_eq!(response.status(), 405, "{query}");
        assert_eq!(response.headers()["allow"], "POST");
    }
    let data =
        server.data("{ observations(filter: { origin: { eq: USER } }) { totalCount } }", json!({})).await;
    assert_eq!(data["observations"]["totalCount"], 0, "nothing was written");
}

#[tokio::test]
async fn a_token_read_from_a_file_authorises_writes_and_an_empty_file_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "from-a-file\n").unwrap();
    let server = in_process::Server::start_with(&["--write-token-file", file.to_str().unwrap()]);
    let record = "mutation { recordObservations(input: [{ subjectCode: \"340300\", indicatorCode: \"gdp\",
                    year: 2014, value: 1100, source: \"https://example.org/token-file\", sourceGrade: SECONDARY }]) { value } }";
    let (_, refused) = server.post_as("from-a-fil", record, json!({})).await;
    assert_eq!(first_code(&refused), "UNAUTHORIZED");
    let (status, body) = server.post_as("from-a-file", record, json!({})).await;
    assert!(status == 200 && body.get("errors").is_none(), "{body}");

    std::fs::write(&file, "\n").unwrap();
    for args in
        [vec!["--write-token-file", file.to_str().unwrap()], vec!["--write-token-file", "/nonexistent/token"]]
    {
        let output = std::process::Command::new(crate::common::binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--db", ":memory:"])
            .args(&args)
            .stdout(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("write token file"), "{args:?}: {stderr}");
    }
}

/// `:memory:` lives in a file of its own (a shared-cache memory database made readers and the
/// writer lock each other out): reads and writes at once all succeed, and the file is gone
/// once the server has stopped.
#[tokio::test]
async fn a_memory_database_reads_while_it_writes_and_leaves_nothing_behind() {
    let server = Server::start_on(std::path::Path::new(":memory:"), &["--write-token", TOKEN]);
    let pid = server.pid();
    let write = |year: i32| {
        let row = json!({ "subjectCode": "360400", "indicatorCode": "gdp", "year": year, "value": 1000.0 + f64::from(year),
                          "source": "test fixture: a made-up value for this test only", "sourceGrade": "SECONDARY" });
        server.post_as(TOKEN, RECORD, json!({ "input": [row] }))
    };
    let read = || {
        server.post(
            "{ provinces { nodes { cities { nodes { observations { nodes { year value } } } } } } }",
            json!({}),
        )
    };
    let writes = futures_util::future::join_all((1990..2010).map(write));
    let reads = futures_util::future::join_all((0..20).map(|_| read()));
    let (writes, reads) = tokio::join!(writes, reads);
    for (status, body) in writes.iter().chain(reads.iter()) {
        assert!(*status == 200 && body.get("errors").is_none(), "{body}");
    }
    assert_eq!(server.data(COUNT, json!({})).await["observations"]["totalCount"], 20);
    server.stop();
    let prefix = format!("rustbelt-memory-{pid}-");
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(&prefix))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
