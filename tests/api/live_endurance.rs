//! Live connections keep going while they should and end when they should: a subscription
//! outlives a busy server (an event waits for a turn as long as it takes), and a socket whose
//! client stopped answering pings, or that idles past its limit, is closed.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{Server, synthesize};
use crate::live::{Socket, TOKEN, next_for, until_live};

/// Another process changes Bengbu's 2017 services share to `value` (and moves the data
/// version, as every writer does).
fn change_elsewhere(db: &Path, value: f64) {
    let other = rusqlite::Connection::open(db).unwrap();
    other.busy_timeout(Duration::from_secs(5)).unwrap();
    other
        .execute_batch(&format!(
            "BEGIN IMMEDIATE;
             UPDATE meta SET value = value + 1 WHERE key = 'data_version';
             UPDATE observations SET value = {value}, recorded_version = (SELECT value FROM meta WHERE key = 'data_version')
               WHERE city_code = '340300' AND indicator_code = 'services_share_gdp' AND year = 2017;
             COMMIT;"
        ))
        .unwrap();
}

#[tokio::test]
async fn a_subscription_outlives_a_slow_turn() {
    // One turn and 20 ms per request, on data large enough that each write below holds the
    // turn several times longer than that (it re-reads the statistics after committing; the
    // margin keeps it so on a faster machine): an event that comes while they run waits for
    // its turn longer than a request (or an event) may take.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    synthesize(&db, 3_000, 20);
    let args = ["--write-token", TOKEN, "--max-concurrent-requests", "1", "--request-timeout-ms", "20"];
    let server = Server::start_on(&db, &args);
    let mut socket = Socket::ready(&server, json!({})).await;
    let query =
        "subscription { evaluationChanged(target: \"services_share_2017\", subject: { code: \"Bengbu\" }) {
                   latestValue } }";
    socket.subscribe("e", query, json!({})).await;
    let latest = |payload: &Value| payload["data"]["evaluationChanged"]["latestValue"].as_f64().unwrap();
    until_live(&mut socket, "e", async |v| change_elsewhere(&db, v), latest).await;

    // Writes one after another for about two seconds: the turn is never free for long.
    let busy = {
        let (base, client) = (server.base.clone(), server.client.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let mut held = Vec::new();
            for n in 0..50 {
                if started.elapsed() > Duration::from_secs(2) {
                    break;
                }
                let row = json!({ "subjectCode": "360400", "indicatorCode": "gdp", "year": 2016, "value": n,
                                  "source": "https://example.org/rustbelt-live-test", "sourceGrade": "SECONDARY" });
                let body = json!({ "query": "mutation($i: [ObservationInput!]!) { recordObservations(input: $i) { id } }",
                                   "variables": { "i": [row] } });
                let asked = Instant::now();
                let response =
                    client.post(format!("{base}/graphql")).bearer_auth(TOKEN).json(&body).send().await;
                held.push((response.map(|r| r.status().as_u16()).unwrap_or(0), asked.elapsed()));
            }
            held
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    change_elsewhere(&db, 50.5);
    let event = next_for(&mut socket, "e").await;
    assert_eq!(latest(&event), 50.5, "{event}");
    assert!(!busy.is_finished(), "the event came while the writes still held the turn");
    let held = busy.await.unwrap();
    let slow = held.iter().filter(|(_, took)| *took > Duration::from_millis(30)).count();
    assert!(slow >= 2, "the writes held the turn longer than a request may take: {held:?}");
    // Still subscribed: the next change is sent too.
    change_elsewhere(&db, 51.5);
    assert_eq!(latest(&next_for(&mut socket, "e").await), 51.5);
}

#[tokio::test]
async fn a_client_that_stops_answering_pings_is_closed() {
    let server = Server::start_with(&["--socket-ping-interval-ms", "200"]);
    let mut socket = Socket::ready(&server, json!({})).await;
    // `closed` reads on without answering the pings.
    let started = Instant::now();
    let (code, reason, _) = socket.closed().await;
    assert_eq!(code, 1001, "{reason}");
    assert!(reason.contains("ping"), "{reason}");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_socket_that_idles_past_its_limit_is_closed_and_one_that_runs_an_operation_is_not() {
    // Pings every 5 s: this test reads one socket at a time, and a ping the other socket
    // leaves unanswered must not close it first.
    let server =
        Server::start_with(&["--socket-ping-interval-ms", "5000", "--socket-idle-timeout-ms", "600"]);
    let mut idle = Socket::ready(&server, json!({})).await;
    let mut busy = Socket::ready(&server, json!({})).await;
    busy.subscribe("s", "subscription { observationsRecorded { count } }", json!({})).await;
    let started = Instant::now();
    let (code, reason) = idle.closed_answering_pings(Duration::from_secs(5)).await;
    assert_eq!(code, 1000, "{reason}");
    assert!(reason.contains("idle"), "{reason}");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(500) && waited < Duration::from_secs(3), "{waited:?}");
    // The socket with a subscription answers pings and stays open.
    assert!(busy.within(Duration::from_millis(800)).await.is_none(), "no message but pings");
    busy.subscribe("q", "{ plan { confirmedCityCount } }", json!({})).await;
    assert_eq!(busy.next().await["type"], "next");
}
