//! GraphQL over WebSocket at `/graphql`: the `graphql-transport-ws` protocol (what the
//! `graphql-ws` library, Apollo Client, urql, GraphiQL and Python's `gql` speak), with its
//! close codes. async-graphql runs the operations (see `graphql::over_socket`); this module
//! keeps the protocol's rules, which async-graphql's own socket type does not all keep (it has
//! no connection-initialisation timeout, replaces an operation whose id is in use instead of
//! closing with 4409, and answers an operation sent before the handshake with 1011, not 4401),
//! and bounds every connection: how many there are, how many operations each runs at once,
//! message size, and how long a message may wait for a client that does not read.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::Data;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::stream::{SplitSink, StreamExt};
use futures_util::{SinkExt, Stream};
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_stream::StreamMap;

use super::AppState;
use super::endpoint::{self, WireParams};
use crate::graphql::{self, EventDeadline};

/// The subprotocol spoken.
const PROTOCOL: &str = "graphql-transport-ws";

/// Bounds on live connections.
#[derive(Debug, Clone, Copy)]
pub struct LiveLimits {
    /// Most sockets open at once; more are closed with 1013 (try again later).
    pub max_connections: usize,
    /// Most operations one socket runs at once; more are refused with TOO_MANY_SUBSCRIPTIONS.
    pub max_operations: usize,
    /// How long a new socket may take to send `connection_init` (else 4408).
    pub init_timeout: Duration,
    /// How long one message may wait for the client to read it (else 1013: a slow consumer).
    pub send_timeout: Duration,
    /// How often the server pings a connection; one that has sent nothing since the last
    /// ping by the next is closed (1001): the client is gone or not listening.
    pub ping_interval: Duration,
    /// How long a connection may run no operation and send nothing but pongs before it is
    /// closed (1000).
    pub idle_timeout: Duration,
}

/// The open sockets, counted against [`LiveLimits::max_connections`].
pub struct Connections(Arc<Semaphore>);

impl Connections {
    pub fn new(limits: LiveLimits) -> Self {
        Self(Arc::new(Semaphore::new(limits.max_connections)))
    }
}

/// Accepts the upgrade; the socket then runs on its own task.
pub(super) fn upgrade(state: AppState, upgrade: WebSocketUpgrade, headers: &HeaderMap) -> Response {
    let bearer = endpoint::bearer(headers);
    let upgrade = upgrade.protocols([PROTOCOL]).max_message_size(state.max_body_bytes);
    let offered = upgrade.selected_protocol().is_some();
    let slot = state.connections.0.clone().try_acquire_owned().ok();
    upgrade.on_upgrade(move |socket| async move {
        match (offered, slot) {
            (false, _) => close(socket, 4406, "Subprotocol not acceptable: use graphql-transport-ws").await,
            (true, None) => close(socket, 1013, "too many connections: try again later").await,
            (true, Some(slot)) => Session::new(state, bearer, slot).run(socket).await,
        }
    })
}

async fn close(mut socket: WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame { code, reason: reason.into() };
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.send(Message::Close(Some(frame)))).await;
}

/// A message from the client (graphql-transport-ws).
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit { payload: Option<serde_json::Value> },
    Subscribe { id: String, payload: serde_json::Map<String, serde_json::Value> },
    Complete { id: String },
    Ping { payload: Option<serde_json::Value> },
    Pong {},
}

/// Why a session ends: with a close frame's code and reason, or because the connection is
/// gone (no frame can be sent).
enum Closing {
    With(u16, String),
    Gone,
}

/// One socket's state.
struct Session {
    state: AppState,
    /// The token from the upgrade request's `Authorization` header, or `connection_init`.
    bearer: Option<String>,
    acknowledged: bool,
    operations:
        StreamMap<String, std::pin::Pin<Box<dyn Stream<Item = Option<async_graphql::Response>> + Send>>>,
    data: Arc<Data>,
    _slot: OwnedSemaphorePermit,
}

impl Session {
    fn new(state: AppState, bearer: Option<String>, slot: OwnedSemaphorePermit) -> Self {
        let mut data = Data::default();
        data.insert(EventDeadline(state.request_timeout));
        Self {
            state,
            bearer,
            acknowledged: false,
            operations: StreamMap::new(),
            data: Arc::new(data),
            _slot: slot,
        }
    }

    async fn run(mut self, socket: WebSocket) {
        let limits = self.state.live;
        let (mut sink, mut incoming) = socket.split();
        let init_deadline = tokio::time::sleep(limits.init_timeout);
        tokio::pin!(init_deadline);
        let idle = tokio::time::sleep(limits.idle_timeout);
        tokio::pin!(idle);
        let mut ping = tokio::time::interval_at(
            tokio::time::Instant::now() + limits.ping_interval,
            limits.ping_interval,
        );
        // A ping was sent and nothing has come from the client since.
        let mut unanswered = false;
        let outcome: Result<(), Closing> = loop {
            let step = tokio::select! {
                () = &mut init_deadline, if !self.acknowledged => {
                    Err(Closing::With(4408, "Connection initialisation timeout".into()))
                }
                () = &mut idle, if self.operations.is_empty() => {
                    Err(Closing::With(1000, "idle: no operation ran for a while".into()))
                }
                message = incoming.next() => match message {
                    None | Some(Ok(Message::Close(_))) => break Ok(()),
                    Some(Ok(message)) => {
                        unanswered = false;
                        match parse(&message) {
                            Ok(parsed) => {
                                if !is_pong(&message, parsed.as_ref()) {
                                    idle.as_mut().reset(tokio::time::Instant::now() + limits.idle_timeout);
                                }
                                self.receive(parsed, &mut sink).await
                            }
                            Err(closing) => Err(closing),
                        }
                    }
                    Some(Err(error)) => Err(read_error(error)),
                },
                Some((id, answer)) = self.operations.next(), if !self.operations.is_empty() => {
                    idle.as_mut().reset(tokio::time::Instant::now() + limits.idle_timeout);
                    self.answer(&id, answer, &mut sink).await
                }
                _ = ping.tick() => {
                    if unanswered {
                        Err(Closing::With(1001, "the client stopped answering pings".into()))
                    } else {
                        unanswered = true;
                        self.send(&mut sink, outgoing("ping", None, None::<()>)).await
                    }
                }
            };
            if let Err(closing) = step {
                break Err(closing);
            }
        };
        let frame = match outcome {
            Err(Closing::Gone) => return,
            Err(Closing::With(code, reason)) => {
                tracing::debug!(code, %reason, "closing a live connection");
                Some(CloseFrame { code, reason: reason.into() })
            }
            // The client closed: flushing sends the reply tungstenite queued, which completes
            // the closing handshake.
            Ok(()) => None,
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            if let Some(frame) = frame {
                sink.send(Message::Close(Some(frame))).await?;
            }
            sink.close().await
        })
        .await;
    }

    /// Handles one message from the client (`None`: a WebSocket control frame).
    async fn receive(&mut self, parsed: Option<ClientMessage>, sink: &mut Sink) -> Result<(), Closing> {
        let Some(parsed) = parsed else { return Ok(()) };
        match parsed {
            ClientMessage::ConnectionInit { .. } if self.acknowledged => {
                Err(Closing::With(4429, "Too many initialisation requests".into()))
            }
            ClientMessage::ConnectionInit { payload } => {
                if let Some(token) = payload.as_ref().and_then(token_of) {
                    if !graphql::accepts_token(&self.state.schema, &token) {
                        return Err(Closing::With(
                            4403,
                            "Forbidden: the token is not this server's write token".into(),
                        ));
                    }
                    self.bearer = Some(token);
                }
                self.acknowledged = true;
                self.send(sink, outgoing("connection_ack", None, None::<()>)).await
            }
            ClientMessage::Subscribe { .. } if !self.acknowledged => {
                Err(Closing::With(4401, "Unauthorized".into()))
            }
            ClientMessage::Subscribe { id, .. } if self.operations.contains_key(&id) => {
                Err(Closing::With(4409, format!("Subscriber for {id} already exists")))
            }
            ClientMessage::Subscribe { id, payload } => self.subscribe(id, payload, sink).await,
            ClientMessage::Complete { id } => {
                self.operations.remove(&id);
                Ok(())
            }
            ClientMessage::Ping { payload } => self.send(sink, outgoing("pong", None, payload)).await,
            ClientMessage::Pong {} => Ok(()),
        }
    }

    /// Starts an operation, or refuses it with an `error` message.
    async fn subscribe(
        &mut self,
        id: String,
        payload: serde_json::Map<String, serde_json::Value>,
        sink: &mut Sink,
    ) -> Result<(), Closing> {
        if self.operations.len() >= self.state.live.max_operations {
            let max = self.state.live.max_operations;
            let message =
                format!("at most {max} operations run at once on one connection: complete one first");
            let refusal = graphql::request_error(message, "TOO_MANY_SUBSCRIPTIONS");
            return self.send(sink, outgoing("error", Some(&id), Some(refusal.errors))).await;
        }
        let params = WireParams {
            query: payload.get("query").cloned(),
            operation_name: payload.get("operationName").cloned(),
            variables: payload.get("variables").cloned(),
            extensions: payload.get("extensions").cloned(),
        };
        let request = match endpoint::into_request(params, &self.state.persisted) {
            Ok(request) => request,
            Err((_, message, code)) => {
                let refusal = graphql::request_error(message, code);
                return self.send(sink, outgoing("error", Some(&id), Some(refusal.errors))).await;
            }
        };
        let (schema, limit) = (&self.state.schema, self.state.request_timeout);
        let answers = graphql::over_socket(schema, request, self.bearer.clone(), self.data.clone(), limit);
        // A last `None` says the operation is over, so `complete` can be sent.
        let answers = answers.map(Some).chain(futures_util::stream::once(async { None }));
        self.operations.insert(id, Box::pin(answers));
        Ok(())
    }

    /// Sends an operation's next answer, its refusal, or its end.
    async fn answer(
        &mut self,
        id: &str,
        answer: Option<async_graphql::Response>,
        sink: &mut Sink,
    ) -> Result<(), Closing> {
        match answer {
            None => self.send(sink, outgoing("complete", Some(id), None::<()>)).await,
            Some(response) if graphql::is_request_error(&response) => {
                // An `error` message ends the operation: no `complete` follows.
                self.operations.remove(id);
                self.send(sink, outgoing("error", Some(id), Some(response.errors))).await
            }
            Some(response) => self.send(sink, outgoing("next", Some(id), Some(response))).await,
        }
    }

    /// Sends one message, waiting at most the send timeout for the client to take it.
    async fn send(&mut self, sink: &mut Sink, text: String) -> Result<(), Closing> {
        match tokio::time::timeout(self.state.live.send_timeout, sink.send(Message::Text(text.into()))).await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Closing::Gone),
            Err(_) => {
                let waited = self.state.live.send_timeout.as_millis();
                Err(Closing::With(1013, format!("slow consumer: a message waited {waited} ms to be read")))
            }
        }
    }
}

type Sink = SplitSink<WebSocket, Message>;

/// A server message, as text. Serialized directly, not through `serde_json::Value`, whose
/// maps would sort a response's fields by name instead of keeping the query's order.
fn outgoing<P: Serialize>(kind: &'static str, id: Option<&str>, payload: Option<P>) -> String {
    #[derive(Serialize)]
    struct Outgoing<'a, P> {
        #[serde(rename = "type")]
        kind: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        payload: Option<P>,
    }
    serde_json::to_string(&Outgoing { kind, id, payload }).unwrap_or_default()
}

/// The token in a `connection_init` payload: `{"Authorization": "Bearer <token>"}` (any case
/// of the key; GraphiQL sends its headers this way), or the same under `headers`.
fn token_of(payload: &serde_json::Value) -> Option<String> {
    fn find(object: &serde_json::Map<String, serde_json::Value>) -> Option<&str> {
        object.iter().find(|(key, _)| key.eq_ignore_ascii_case("authorization")).and_then(|(_, v)| v.as_str())
    }
    let object = payload.as_object()?;
    let value = find(object).or_else(|| payload.get("headers")?.as_object().and_then(find))?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

/// The protocol message a WebSocket message carries; `None` for control frames.
fn parse(message: &Message) -> Result<Option<ClientMessage>, Closing> {
    let text = match message {
        Message::Text(text) => text.as_str(),
        Message::Binary(bytes) => std::str::from_utf8(bytes).unwrap_or(""),
        Message::Ping(_) | Message::Pong(_) | Message::Close(_) => return Ok(None),
    };
    serde_json::from_str(text)
        .map(Some)
        .map_err(|error| Closing::With(4400, format!("Invalid message: {}", truncate(&error.to_string()))))
}

/// Whether a message is the client's answer to a ping (which keeps it alive, but is not
/// activity).
fn is_pong(message: &Message, parsed: Option<&ClientMessage>) -> bool {
    matches!(message, Message::Pong(_)) || matches!(parsed, Some(ClientMessage::Pong {}))
}

/// How a failed read closes the socket: 1009 for a message over the size limit.
fn read_error(error: axum::Error) -> Closing {
    match error.into_inner().downcast::<tungstenite::Error>() {
        Ok(error) if matches!(*error, tungstenite::Error::Capacity(_)) => {
            Closing::With(1009, "the message is larger than this server accepts".into())
        }
        _ => Closing::With(1002, "the connection broke the WebSocket protocol".into()),
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(120).collect()
}
