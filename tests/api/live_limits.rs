//! The bounds on live connections and the protocol's close codes, each against a real server.

use std::time::Duration;

use serde_json::json;

use crate::common::Server;
use crate::live::Socket;

const PROTOCOL: Option<&str> = Some("graphql-transport-ws");

#[tokio::test]
async fn the_handshake_is_enforced_with_the_protocols_close_codes() {
    let server = Server::start_with(&["--write-token", "right", "--socket-init-timeout-ms", "300"]);

    let mut silent = Socket::open(&server, PROTOCOL).await;
    let (code, reason, _) = silent.closed().await;
    assert_eq!(code, 4408, "no connection_init in time: {reason}");

    let mut hasty = Socket::open(&server, PROTOCOL).await;
    hasty.subscribe("1", "{ plan { titleEn } }", json!({})).await;
    assert_eq!(hasty.closed().await.0, 4401, "subscribe before the acknowledgement");

    let mut wrong = Socket::open(&server, PROTOCOL).await;
    wrong.send(json!({ "type": "connection_init", "payload": { "Authorization": "Bearer wrong" } })).await;
    assert_eq!(wrong.closed().await.0, 4403, "a token that is not the server's");

    let mut twice = Socket::ready(&server, json!({})).await;
    twice.send(json!({ "type": "connection_init" })).await;
    assert_eq!(twice.closed().await.0, 4429, "a second connection_init");

    let mut garbled = Socket::ready(&server, json!({})).await;
    garbled.send(json!({ "type": "subscribe", "payload": {} })).await;
    assert_eq!(garbled.closed().await.0, 4400, "a subscribe without an id");

    let mut other = Socket::open(&server, None).await;
    assert_eq!(other.closed().await.0, 4406, "no subprotocol offered");

    let mut duplicate = Socket::ready(&server, json!({})).await;
    let live = "subscription { observationsRecorded { count } }";
    duplicate.subscribe("same", live, json!({})).await;
    duplicate.subscribe("same", live, json!({})).await;
    let (code, reason, _) = duplicate.closed().await;
    assert_eq!((code, reason.as_str()), (4409, "Subscriber for same already exists"));

    // The server still answers after all of that.
    let mut fine = Socket::ready(&server, json!({})).await;
    fine.subscribe("1", "{ plan { confirmedCityCount } }", json!({})).await;
    assert_eq!(fine.next().await["type"], "next");
    // A client's close is answered, which completes the closing handshake.
    assert_eq!(fine.close_normally().await, Some(1000));
}

#[tokio::test]
async fn operations_per_connection_are_bounded_and_freed_by_complete() {
    let server = Server::start_with(&["--max-socket-operations", "1"]);
    let mut socket = Socket::ready(&server, json!({})).await;
    socket.subscribe("a", "subscription { observationsRecorded { count } }", json!({})).await;
    socket.subscribe("b", "subscription { observationsRecorded { count } }", json!({})).await;
    let refusal = socket.next().await;
    assert_eq!((refusal["type"].as_str(), refusal["id"].as_str()), (Some("error"), Some("b")), "{refusal}");
    assert_eq!(refusal["payload"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS");
    assert!(refusal["payload"][0]["message"].as_str().unwrap().contains("at most 1 operations"), "{refusal}");

    socket.send(json!({ "type": "complete", "id": "a" })).await;
    socket.subscribe("c", "{ plan { confirmedCityCount } }", json!({})).await;
    let answer = socket.next().await;
    assert_eq!((answer["type"].as_str(), answer["id"].as_str()), (Some("next"), Some("c")), "{answer}");
}

#[tokio::test]
async fn connections_are_bounded_and_a_closed_one_frees_its_place() {
    let server = Server::start_with(&["--max-sockets", "1"]);
    let first = Socket::ready(&server, json!({})).await;
    let mut second = Socket::open(&server, PROTOCOL).await;
    let (code, reason, _) = second.closed().await;
    assert_eq!(code, 1013, "{reason}");
    assert!(reason.contains("too many connections"), "{reason}");
    drop(first);
    // The server notices the closed socket a moment later.
    for _ in 0..50 {
        // Until then a new socket is still one too many and is closed with 1013.
        let mut next = Socket::open(&server, PROTOCOL).await;
        if next.acknowledged(Duration::from_millis(200)).await {
            return;
        }
    }
    panic!("the closed connection's place was never freed");
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_with_1013() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("big.db");
    crate::common::synthesize(&db, 300, 20);
    let server = Server::start_on(&db, &["--socket-send-timeout-ms", "200", "--request-timeout-ms", "60000"]);
    // A small receive buffer, so the server's side fills after a few megabytes.
    let mut socket = Socket::with_receive_buffer(&server, 16 * 1024).await;
    // Two answers of about 6 MB each: either alone is more than the kernel buffers between the
    // two ends hold.
    let lists: String = (0..20)
        .map(|i| format!("l{i}: observations(first: 500) {{ nodes {{ id year value unit definition origin recordedBy recordedVersion subjectKind synthetic sourceUrl sourceNote indicator {{ code nameEn unit }} city {{ adminCode nameEn nameZh province {{ code nameEn nameZh }} }} }} }} "))
        .collect();
    let query = format!("{{ {lists} }}");
    socket.subscribe("1", &query, json!({})).await;
    socket.subscribe("2", &query, json!({})).await;
    // Once the first answer is on its way, read nothing for well past the send timeout.
    socket.arriving().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The server has given up on this client: the socket ends (with 1013 if the frame could
    // still be sent, else without one) before both answers came.
    let (close, answers) = socket.end().await;
    assert!(answers < 2, "both answers arrived: the client was never too slow");
    if let Some((code, reason)) = close {
        assert_eq!(code, 1013, "{reason}");
        assert!(reason.starts_with("slow consumer"), "{reason}");
    }
}

#[tokio::test]
async fn a_message_over_the_size_limit_closes_with_1009() {
    let server = Server::start_with(&["--max-body-bytes", "2000"]);
    let mut socket = Socket::ready(&server, json!({})).await;
    socket.subscribe("big", &format!("{{ plan {{ titleEn }} }} #{}", "x".repeat(3000)), json!({})).await;
    assert_eq!(socket.closed().await.0, 1009);
}
