//! Live updates over WebSocket (`graphql-transport-ws`): a real server, a real WebSocket
//! client, the protocol's messages and close codes.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::common::{Server, first_code};

pub const TOKEN: &str = "live-test-token";
/// The longest any one expected message may take to come.
const WAIT: Duration = Duration::from_secs(5);

/// One WebSocket connection to the server.
pub struct Socket(WebSocketStream<MaybeTlsStream<TcpStream>>);

impl Socket {
    /// Connects to `/graphql`, offering the subprotocol unless `subprotocol` is `None`.
    pub async fn open(server: &Server, subprotocol: Option<&str>) -> Self {
        let url = format!("{}/graphql", server.base.replace("http://", "ws://"));
        let mut request = url.into_client_request().unwrap();
        if let Some(protocol) = subprotocol {
            request.headers_mut().insert("sec-websocket-protocol", protocol.parse().unwrap());
        }
        let (socket, _) = tokio_tungstenite::connect_async(request).await.expect("WebSocket upgrade");
        Self(socket)
    }

    /// Connects with the protocol and a receive buffer of `bytes`, and completes the handshake.
    pub async fn with_receive_buffer(server: &Server, bytes: u32) -> Self {
        let address: std::net::SocketAddr = server.base.trim_start_matches("http://").parse().unwrap();
        let tcp = tokio::net::TcpSocket::new_v4().unwrap();
        tcp.set_recv_buffer_size(bytes).unwrap();
        let stream = tcp.connect(address).await.unwrap();
        let mut request = format!("ws://{address}/graphql").into_client_request().unwrap();
        request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
        let (socket, _) =
            tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream)).await.unwrap();
        let mut socket = Self(socket);
        socket.send(json!({ "type": "connection_init" })).await;
        assert_eq!(socket.next().await["type"], "connection_ack");
        socket
    }

    /// Waits until bytes from the server are waiting to be read, without reading them.
    pub async fn arriving(&self) {
        let MaybeTlsStream::Plain(tcp) = self.0.get_ref() else { unreachable!("plain TCP") };
        let mut byte = [0u8; 1];
        tokio::time::timeout(Duration::from_secs(60), tcp.peek(&mut byte))
            .await
            .expect("nothing came")
            .unwrap();
    }

    /// Reads until the socket ends: the close frame if one came, and how many operations
    /// were answered in full (`complete`) before the end.
    pub async fn end(&mut self) -> (Option<(u16, String)>, usize) {
        let mut completed = 0;
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.0.next())
                .await
                .expect("the socket never ended");
            match message {
                Some(Ok(Message::Close(frame))) => {
                    return (frame.map(|f| (f.code.into(), f.reason.to_string())), completed);
                }
                Some(Ok(Message::Text(text))) if text.starts_with(r#"{"type":"complete""#) => completed += 1,
                Some(Ok(_)) => {}
                None | Some(Err(_)) => return (None, completed),
            }
        }
    }

    /// Sends `connection_init` and tells whether the server acknowledged it (false when it
    /// closed the socket instead, or said nothing within `wait`).
    pub async fn acknowledged(&mut self, wait: Duration) -> bool {
        self.send(json!({ "type": "connection_init" })).await;
        match tokio::time::timeout(wait, self.0.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => text.contains(r#""type":"connection_ack""#),
            _ => false,
        }
    }

    /// Closes from the client's side with 1000; returns the code of the server's reply frame.
    pub async fn close_normally(&mut self) -> Option<u16> {
        use tokio_tungstenite::tungstenite::protocol::{CloseFrame, frame::coding::CloseCode};
        self.0.close(Some(CloseFrame { code: CloseCode::Normal, reason: "done".into() })).await.unwrap();
        loop {
            match tokio::time::timeout(WAIT, self.0.next()).await.expect("no reply to the close") {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code.into()),
                Some(Ok(_)) => {}
                _ => return None,
            }
        }
    }

    /// Connects with the protocol and completes the handshake, with an init payload.
    pub async fn ready(server: &Server, init: Value) -> Self {
        let mut socket = Self::open(server, Some("graphql-transport-ws")).await;
        socket.send(json!({ "type": "connection_init", "payload": init })).await;
        assert_eq!(socket.next().await["type"], "connection_ack");
        socket
    }

    pub async fn send(&mut self, message: Value) {
        self.0.send(Message::text(message.to_string())).await.expect("send");
    }

    /// Starts an operation under `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(
            json!({ "type": "subscribe", "id": id, "payload": { "query": query, "variables": variables } }),
        )
        .await;
    }

    /// The next protocol message (pings answered and skipped); panics on a close or a wait
    /// longer than [`WAIT`].
    pub async fn next(&mut self) -> Value {
        self.within(WAIT).await.unwrap_or_else(|| panic!("no message within {WAIT:?}"))
    }

    /// The next protocol message within `wait`, or `None`.
    pub async fn within(&mut self, wait: Duration) -> Option<Value> {
        Some(serde_json::from_str(&self.text_within(wait).await?).unwrap())
    }

    /// The next protocol message as the server wrote it.
    pub async fn next_text(&mut self) -> String {
        self.text_within(WAIT).await.unwrap_or_else(|| panic!("no message within {WAIT:?}"))
    }

    async fn text_within(&mut self, wait: Duration) -> Option<String> {
        loop {
            let message = tokio::time::timeout(wait, self.0.next()).await.ok()?;
            match message.expect("the socket ended").expect("a WebSocket message") {
                Message::Text(text) if text.starts_with(r#"{"type":"ping""#) => {
                    self.send(json!({ "type": "pong" })).await;
                }
                Message::Text(text) => return Some(text.to_string()),
                Message::Close(frame) => panic!("closed: {frame:?}"),
                _ => {}
            }
        }
    }

    /// Reads until the server closes, answering its pings, and returns the close frame's code
    /// and reason.
    pub async fn closed_answering_pings(&mut self, wait: Duration) -> (u16, String) {
        loop {
            let message = tokio::time::timeout(wait, self.0.next()).await.expect("a close frame in time");
            match message {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return (frame.code.into(), frame.reason.to_string());
                }
                Some(Ok(Message::Text(text))) if text.starts_with(r#"{"type":"ping""#) => {
                    self.send(json!({ "type": "pong" })).await;
                }
                Some(Ok(_)) => {}
                other => panic!("the socket ended without a close frame: {other:?}"),
            }
        }
    }

    /// Reads until the server closes, returning the close frame's code and reason and how
    /// many `next` messages came before it.
    pub async fn closed(&mut self) -> (u16, String, usize) {
        let mut answers = 0;
        loop {
            let message = tokio::time::timeout(WAIT, self.0.next()).await;
            let message =
                message.unwrap_or_else(|_| panic!("no close frame in time, after {answers} answers"));
            match message {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return (frame.code.into(), frame.reason.to_string(), answers);
                }
                Some(Ok(Message::Text(text))) if text.contains(r#""type":"next""#) => answers += 1,
                Some(Ok(_)) => {}
                other => panic!("the socket ended without a close frame: {other:?}"),
            }
        }
    }
}

/// The payload of the next `next` message for `id`.
pub async fn next_for(socket: &mut Socket, id: &str) -> Value {
    let message = socket.next().await;
    assert_eq!((message["type"].as_str(), message["id"].as_str()), (Some("next"), Some(id)), "{message}");
    message["payload"].clone()
}

const RECORD: &str = "mutation($i: [ObservationInput!]!) { recordObservations(input: $i) { id } }";

/// Records one observation over HTTP with the token.
async fn record(server: &Server, city: &str, indicator: &str, year: i32, value: f64) {
    let row = json!({ "subjectCode": city, "indicatorCode": indicator, "year": year, "value": value,
                      "source": "https://example.org/rustbelt-live-test", "sourceGrade": "SECONDARY" });
    let (status, body) = server.post_as(TOKEN, RECORD, json!({ "i": [row] })).await;
    assert!(status == 200 && body.get("errors").is_none(), "{body}");
}

/// A subscription is live a moment after its `subscribe` message (the protocol has no
/// acknowledgement), so a write sent at once may come before it. Writes `values` one at a
/// time until an event for the last one written arrives, and returns that value; `value_of`
/// reads an event's value.
pub async fn until_live(
    socket: &mut Socket,
    id: &str,
    mut write: impl AsyncFnMut(f64),
    value_of: impl Fn(&Value) -> f64,
) -> f64 {
    let mut last = None;
    for value in [30.5, 31.5, 32.5, 33.5, 34.5] {
        write(value).await;
        last = Some(value);
        while let Some(message) = socket.within(Duration::from_millis(800)).await {
            assert_eq!(message["id"], id, "{message}");
            if value_of(&message["payload"]) == value {
                return value;
            }
        }
    }
    panic!("no event for any of five writes (last {last:?})");
}

/// [`until_live`] for an `observationsRecorded` subscription `id` that Bengbu's services
/// share of 2014 matches.
async fn until_recording_is_live(socket: &mut Socket, server: &Server, id: &str) {
    let value = |payload: &Value| {
        payload["data"]["observationsRecorded"]["observations"][0]["value"].as_f64().unwrap()
    };
    until_live(socket, id, async |v| record(server, "340300", "services_share_gdp", 2014, v).await, value)
        .await;
}

#[tokio::test]
async fn a_recorded_observation_is_announced_with_who_wrote_it() {
    let server = Server::start_with(&["--write-token", TOKEN]);
    let mut socket = Socket::ready(&server, json!({})).await;
    let query = "subscription { observationsRecorded(filter: { indicatorCode: { eq: \"services_share_gdp\" } }) {
                   version recordedBy count observations { year value recordedBy recordedVersion city { adminCode } indicator { code } } } }";
    socket.subscribe("s", query, json!({})).await;
    until_recording_is_live(&mut socket, &server, "s").await;

    // A write the filter does not match is not announced; the next event is the next match.
    record(&server, "340300", "gdp", 2014, 1200.0).await;
    record(&server, "140700", "services_share_gdp", 2015, 41.25).await;
    let event = next_for(&mut socket, "s").await["data"]["observationsRecorded"].clone();
    assert_eq!(event["recordedBy"], "API");
    assert_eq!(event["count"], 1);
    let observation = &event["observations"][0];
    assert_eq!(observation["city"]["adminCode"], "140700");
    assert_eq!(observation["indicator"]["code"], "services_share_gdp");
    assert_eq!((observation["year"].as_i64(), observation["value"].as_f64()), (Some(2015), Some(41.25)));
    assert_eq!(observation["recordedBy"], "API");
    assert_eq!(observation["recordedVersion"], event["version"]);

    // The event's version finds the same rows again over HTTP (how a reconnecting client catches up).
    let version = event["version"].as_i64().unwrap();
    let data = server
        .data(
            "query($v: Int!) { observations(filter: { recordedVersion: { gte: $v } }) { nodes { value recordedBy } } }",
            json!({ "v": version }),
        )
        .await;
    assert_eq!(data["observations"]["nodes"], json!([{ "value": 41.25, "recordedBy": "API" }]));
}

/// A subscription's filter may follow relations: only observations of central entries here.
#[tokio::test]
async fn a_subscription_filters_by_what_is_related() {
    let server = Server::start_with(&["--write-token", TOKEN]);
    let mut socket = Socket::ready(&server, json!({})).await;
    let query =
        "subscription { observationsRecorded(filter: { city: { province: { region: { eq: CENTRAL } } } }) {
                   count observations { value city { adminCode } } } }";
    socket.subscribe("s", query, json!({})).await;
    until_recording_is_live(&mut socket, &server, "s").await; // Bengbu, in Anhui: central

    // Daqing (Heilongjiang) is in the northeast: not announced; Jiujiang (Jiangxi) is central.
    record(&server, "230600", "services_share_gdp", 2015, 38.5).await;
    record(&server, "360400", "services_share_gdp", 2015, 40.25).await;
    let event = next_for(&mut socket, "s").await["data"]["observationsRecorded"].clone();
    assert_eq!(event["count"], 1);
    assert_eq!(event["observations"], json!([{ "value": 40.25, "city": { "adminCode": "360400" } }]));
}

#[tokio::test]
async fn an_import_by_another_process_is_announced() {
    let dir = tempfile::tempdir().unwrap();
    let (db, file) = (dir.path().join("live.db"), dir.path().join("rows.csv"));
    let server = Server::start_on(&db, &["--write-token", TOKEN]);
    let mut socket = Socket::ready(&server, json!({})).await;
    let query = "subscription { observationsRecorded { recordedBy count observations { year value city { adminCode } } } }";
    socket.subscribe("s", query, json!({})).await;
    until_recording_is_live(&mut socket, &server, "s").await;

    let rows = "subject_kind,subject_code,indicator,year,value,unit,definition,source,source_note,source_grade\n\
                CITY,360400,services_share_gdp,2015,40.5,,,https://example.org/rustbelt-live-test,,SECONDARY\n\
                CITY,360400,services_share_gdp,2016,41.5,,,https://example.org/rustbelt-live-test,,SECONDARY\n";
    std::fs::write(&file, rows).unwrap();
    let (ok, _, stderr) = crate::common::import("observations", &db, &file, &[]);
    assert!(ok, "{stderr}");
    let event = next_for(&mut socket, "s").await["data"]["observationsRecorded"].clone();
    assert_eq!(event["recordedBy"], "IMPORT");
    assert_eq!(event["count"], 2);
    assert_eq!(
        event["observations"],
        json!([{ "year": 2015, "value": 40.5, "city": { "adminCode": "360400" } },
               { "year": 2016, "value": 41.5, "city": { "adminCode": "360400" } }])
    );
}

#[tokio::test]
async fn an_evaluation_is_sent_once_per_change_and_never_for_writes_that_leave_it() {
    let server = Server::start_with(&["--write-token", TOKEN]);
    let mut socket = Socket::ready(&server, json!({})).await;
    let query =
        "subscription { evaluationChanged(target: \"services_share_2017\", subject: { code: \"Jinzhong\" }) {
                   status latestYear latestValue city { adminCode } } }";
    socket.subscribe("e", query, json!({})).await;
    let latest = |payload: &Value| payload["data"]["evaluationChanged"]["latestValue"].as_f64().unwrap();
    let now = until_live(
        &mut socket,
        "e",
        async |v| record(&server, "140700", "services_share_gdp", 2017, v).await,
        latest,
    )
    .await;

    // Another city's value, and the same value again: the evaluation stays as it was.
    record(&server, "340300", "services_share_gdp", 2017, 50.0).await;
    record(&server, "140700", "services_share_gdp", 2017, now).await;
    // A new value moves it: exactly one event, and it is the first one since.
    record(&server, "140700", "services_share_gdp", 2017, 46.0).await;
    let event = next_for(&mut socket, "e").await["data"]["evaluationChanged"].clone();
    assert_eq!(event["latestValue"], 46.0);
    assert_eq!(event["latestYear"], 2017);
    assert_eq!(event["status"], "ACHIEVED", "46.0 % against a 45 % target: {event}");
    assert_eq!(event["city"]["adminCode"], "140700");
    assert_eq!(socket.within(Duration::from_millis(500)).await, None, "one change, one event");
}

#[tokio::test]
async fn subscription_arguments_are_checked_when_the_operation_starts() {
    let server = Server::start();
    let mut socket = Socket::ready(&server, json!({})).await;
    let cases = [
        (
            "subscription { evaluationChanged(target: \"services_share_2017\", subject: { code: \"Atlantis\" }) { status } }",
            "NOT_FOUND",
        ),
        (
            "subscription { evaluationChanged(target: \"new_jobs_by_2017\", subject: { code: \"340300\" }) { status } }",
            "NOT_APPLICABLE",
        ),
        (
            "subscription { evaluationChanged(target: \"services_share_2017\", subject: { kind: PLAN, code: \"340300\" }) { status } }",
            "BAD_USER_INPUT",
        ),
        ("subscription { observationsRecorded { nope } }", "GRAPHQL_VALIDATION_FAILED"),
    ];
    for (index, (query, code)) in cases.into_iter().enumerate() {
        let id = index.to_string();
        socket.subscribe(&id, query, json!({})).await;
        let message = socket.next().await;
        let payload = if message["type"] == "next" {
            message["payload"].clone()
        } else {
            json!({ "errors": message["payload"] })
        };
        assert_eq!(first_code(&payload), code, "{query}: {message}");
        if message["type"] == "next" {
            assert_eq!(socket.next().await, json!({ "type": "complete", "id": id }));
        }
    }
}

#[tokio::test]
async fn queries_and_mutations_over_the_socket_keep_the_token_rules() {
    let server = Server::start_with(&["--write-token", TOKEN]);
    let mutation = "mutation { recordObservations(input: [{ subjectCode: \"340300\", indicatorCode: \"gdp\", year: 2014,
                      value: 1100, source: \"https://example.org/rustbelt-live-test\", sourceGrade: SECONDARY }]) { value recordedBy } }";

    let mut anonymous = Socket::ready(&server, json!({})).await;
    anonymous
        .subscribe("q", "{ city(code: \"340300\") { province { nameEn } nameEn adminCode } }", json!({}))
        .await;
    // The text as sent, not a parsed map: the fields come in the order asked.
    let answer = anonymous.next_text().await;
    let data = r#"{"type":"next","id":"q","payload":{"data":{"city":{"province":{"nameEn":"Anhui"},"nameEn":"Bengbu","adminCode":"340300"}},"extensions":{"cost":"#;
    assert!(answer.starts_with(data), "{answer}");
    assert_eq!(anonymous.next().await, json!({ "type": "complete", "id": "q" }));
    anonymous.subscribe("m", mutation, json!({})).await;
    assert_eq!(first_code(&next_for(&mut anonymous, "m").await), "UNAUTHORIZED");
    let written =
        server.data("{ observations(filter: { origin: { eq: USER } }) { totalCount } }", json!({})).await;
    assert_eq!(written["observations"]["totalCount"], 0, "a refused write wrote nothing");

    let mut writer = Socket::ready(&server, json!({ "Authorization": format!("Bearer {TOKEN}") })).await;
    writer.subscribe("m", mutation, json!({})).await;
    let recorded = next_for(&mut writer, "m").await;
    assert_eq!(
        recorded["data"]["recordObservations"],
        json!([{ "value": 1100.0, "recordedBy": "API" }]),
        "{recorded}"
    );

    // Over HTTP a subscription is refused with a code that says where to go.
    for query in [
        "subscription { observationsRecorded { count } }",
        "subscription Named { observationsRecorded { count } }",
    ] {
        let (status, body) = server.post(query, json!({})).await;
        assert_eq!((status, first_code(&body)), (200, "SUBSCRIPTION_OVER_HTTP"), "{query}: {body}");
    }
}
