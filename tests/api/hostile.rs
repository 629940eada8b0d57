//! Hundreds of malformed, oversized and over-limit requests at once, while valid queries keep
//! being answered; afterwards the server's memory and open connections return to normal.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::json;

use crate::common::{Server, a_million_nodes};

/// Resident memory (kB) and open file descriptors of a process, from /proc.
fn footprint(pid: u32) -> (u64, usize) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).expect("/proc fd").count();
    (rss, fds)
}

/// The status each kind of hostile request must get (0: the connection was closed first).
const EXPECTED: [&[u16]; 9] = [&[400], &[413, 0], &[400], &[400], &[415], &[405], &[400], &[400], &[200]];

/// One hostile request of kind `i % 9`; gives its status.
async fn hostile(base: &str, i: usize) -> u16 {
    // A fresh client (and so a fresh connection) for every request, as a crowd would.
    let client = reqwest::Client::new();
    let url = format!("{base}/graphql");
    let post = |body: String| {
        let request = client.post(&url).header("content-type", "application/json");
        request.header("accept", "application/graphql-response+json").body(body)
    };
    let request = match i % 9 {
        0 => post("NONSENSE".into()),
        1 => post(json!({ "query": "{ plan { id } }", "pad": "x".repeat(200_000) }).to_string()),
        2 => post(json!({ "query": format!("{}{}", "{ provinces { nodes { cities { nodes { province ".repeat(3), "}".repeat(20)) }).to_string()),
        3 => post(json!({ "query": format!("{{ plan {{ {} }} }}", (0..40).map(|n| format!("a{n}: id ")).collect::<String>()) }).to_string()),
        4 => client.post(&url).header("content-type", "text/plain").body("{\"query\":\"{ plan { id } }\"}"),
        5 => client.get(&url).query(&[("query", "mutation { deleteObservations(ids: []) }")]),
        6 => post(json!({ "query": format!("{{ plan {{ {} }} }}", "id ".repeat(6_000)) }).to_string()),
        7 => post(json!({ "query": a_million_nodes() }).to_string()),
        _ => post(json!({ "query": "{ cities(after: \"garbage\") { totalCount } }" }).to_string()),
    };
    match request.send().await {
        Ok(response) => response.status().as_u16(),
        // The server may close a connection whose oversized body it refused to read.
        Err(_) => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_stays_up_and_returns_to_normal_under_hostile_input() {
    let server = Server::start();
    let valid = "{ province(code: \"Anhui\") { cities { totalCount nodes { nameEn } } } }";
    for _ in 0..20 {
        server.data(valid, json!({})).await;
    }
    let (rss_before, fds_before) = footprint(server.pid());

    let base = server.base.clone();
    let attack = tokio::spawn(async move {
        let mut statuses = Vec::new();
        for wave in 0..6 {
            let requests = (0..50).map(|i| hostile(&base, wave * 50 + i));
            statuses.extend(join_all(requests).await);
        }
        statuses
    });
    let mut answered = 0;
    while !attack.is_finished() {
        let data = server.data(valid, json!({})).await;
        assert_eq!(data["province"]["cities"]["totalCount"], 7);
        answered += 1;
    }
    let statuses = attack.await.unwrap();
    assert_eq!(statuses.len(), 300);
    for (i, status) in statuses.iter().enumerate() {
        assert!(EXPECTED[i % 9].contains(status), "hostile request {i} (kind {}) got {status}", i % 9);
    }
    assert!(answered > 0, "valid queries were answered during the attack");

    // Connections close and memory settles once the crowd is gone.
    let mut settled = footprint(server.pid());
    for _ in 0..50 {
        if settled.1 <= fds_before + 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        settled = footprint(server.pid());
    }
    let (rss_after, fds_after) = settled;
    eprintln!(
        "hostile: rss {rss_before} → {rss_after} kB, fds {fds_before} → {fds_after}, {answered} valid queries answered meanwhile"
    );
    assert!(fds_after <= fds_before + 2, "open descriptors: {fds_before} before, {fds_after} after");
    assert!(
        rss_after < rss_before + 64 * 1024,
        "resident memory: {rss_before} kB before, {rss_after} kB after"
    );
    let data = server.data(valid, json!({})).await;
    assert_eq!(data["province"]["cities"]["totalCount"], 7);
}
