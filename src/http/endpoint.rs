//! `/graphql`: GraphQL over HTTP. Checks the transport (method, content type, body, request
//! parameters), negotiates the response type, runs the request within its time limit, and
//! maps the outcome to a status as the GraphQL-over-HTTP rules say.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use std::time::Instant;

use super::cache::{CacheKey, Stored};
use super::negotiate::{Format, accepts, negotiate};
use super::{AppState, ErrorCodes, Statements};
use crate::graphql::persisted::Persisted;
use crate::graphql::{self, Outcome, Transport};

pub(super) async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(format) = negotiate(&headers) else { return not_acceptable() };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !is_json(content_type) {
        let message = "POST bodies must be JSON: send `Content-Type: application/json`";
        return reject(StatusCode::UNSUPPORTED_MEDIA_TYPE, message, "UNSUPPORTED_MEDIA_TYPE");
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let message = "the request body is larger than this server accepts";
            return reject(StatusCode::PAYLOAD_TOO_LARGE, message, "REQUEST_TOO_LARGE");
        }
        Err(_) => {
            return reject(StatusCode::BAD_REQUEST, "the request body could not be read", "BAD_REQUEST");
        }
    };
    // The same bytes again within one data version: answered before any parsing.
    let key = CacheKey::new(&state, format, Transport::Post, body.clone());
    if let Some(hit) = cached(&state, &headers, format, Transport::Post, key.as_ref()) {
        return hit;
    }
    let fields: serde_json::Map<String, serde_json::Value> = match serde_json::from_slice(&body) {
        Ok(serde_json::Value::Object(fields)) => fields,
        Ok(_) => {
            return reject(
                StatusCode::BAD_REQUEST,
                "the body must be one JSON object (batching is off)",
                "BAD_REQUEST",
            );
        }
        Err(_) => {
            return reject(StatusCode::BAD_REQUEST, "the body is not valid JSON", "BAD_REQUEST");
        }
    };
    let params = WireParams {
        query: fields.get("query").cloned(),
        operation_name: fields.get("operationName").cloned(),
        variables: fields.get("variables").cloned(),
        extensions: fields.get("extensions").cloned(),
    };
    Box::pin(run(&state, &headers, format, params, Transport::Post, key)).await
}

pub(super) async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    // A person who opens the endpoint in a browser wants the playground.
    if !query.contains_key("query") && accepts(&headers, "text/html") {
        return Redirect::to("/").into_response();
    }
    let Some(format) = negotiate(&headers) else { return not_acceptable() };
    let key = CacheKey::new(&state, format, Transport::Get, Bytes::from(raw.unwrap_or_default()));
    if let Some(hit) = cached(&state, &headers, format, Transport::Get, key.as_ref()) {
        return hit;
    }
    let variables = match query.get("variables").map(|v| serde_json::from_str(v)) {
        None => None,
        Some(Ok(value)) => Some(value),
        Some(Err(_)) => {
            return reject(StatusCode::BAD_REQUEST, "`variables` must be a JSON object", "BAD_REQUEST");
        }
    };
    let extensions = match query.get("extensions").map(|v| serde_json::from_str(v)) {
        None => None,
        Some(Ok(value)) => Some(value),
        Some(Err(_)) => {
            return reject(StatusCode::BAD_REQUEST, "`extensions` must be a JSON object", "BAD_REQUEST");
        }
    };
    let params = WireParams {
        // An empty parameter counts as absent (GraphQL over HTTP, "GET").
        query: query.get("query").filter(|q| !q.is_empty()).cloned().map(serde_json::Value::String),
        operation_name: query
            .get("operationName")
            .filter(|o| !o.is_empty())
            .cloned()
            .map(serde_json::Value::String),
        variables,
        extensions,
    };
    Box::pin(run(&state, &headers, format, params, Transport::Get, key)).await
}

/// The cached answer to a request, if there is one.
fn cached(
    state: &AppState,
    headers: &HeaderMap,
    format: Format,
    transport: Transport,
    key: Option<&CacheKey>,
) -> Option<Response> {
    let started = Instant::now();
    let stored = state.cache.get(key?)?;
    let lasting = std::str::from_utf8(&stored.lasting).unwrap_or_default();
    let separator = if lasting.is_empty() { "" } else { "," };
    let extensions = format!(
        r#"{lasting}{separator}"cached":true,"elapsedMs":{},"rowsRead":0,"sqlStatements":0"#,
        elapsed_ms(started)
    );
    Some(answer(format, transport, headers, key, stored.prefix, &extensions))
}

/// The request parameters as they came over the wire, before their types are checked.
pub(super) struct WireParams {
    pub(super) query: Option<serde_json::Value>,
    pub(super) operation_name: Option<serde_json::Value>,
    pub(super) variables: Option<serde_json::Value>,
    /// An object or null; `{"dryRun": true}` asks for the request's cost without running it.
    pub(super) extensions: Option<serde_json::Value>,
}

/// The token of an `Authorization: Bearer <token>` header.
pub(super) fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

/// Runs a request that was not answered from the cache. Callers box its future: it holds a
/// whole GraphQL execution (6.5 KB in the release build), and unboxed it made every handler's
/// future that large, to be moved on every request, cache hits included.
async fn run(
    state: &AppState,
    headers: &HeaderMap,
    format: Format,
    params: WireParams,
    transport: Transport,
    key: Option<CacheKey>,
) -> Response {
    let started = Instant::now();
    let request = match into_request(params, &state.persisted) {
        Ok(request) => request,
        Err((status, message, code)) => return reject(status, &message, code),
    };
    // Waiting for a turn counts against the request's time limit too.
    let deadline = started + state.request_timeout;
    match graphql::respond(&state.schema, request, transport, bearer(headers), deadline).await {
        Outcome::Executed { response, read_only, ran, snapshot } => {
            let prefix = Bytes::from(body_prefix(&response, true));
            // Only clean answers to queries are kept (an error may not repeat), and only under
            // the data version they were read at.
            let read_at_key = |key: &CacheKey| snapshot.is_none_or(|tag| tag == key.version());
            let key = key.filter(|key| read_only && response.errors.is_empty() && read_at_key(key));
            if let Some(key) = &key {
                let lasting = Bytes::from(members(&response, |name| name == "cost"));
                state.cache.put(key.clone(), Stored { prefix: prefix.clone(), lasting });
            }
            let extensions = extension_members(&response);
            let mut http =
                counted(answer(format, transport, headers, key.as_ref(), prefix, &extensions), &response);
            http.extensions_mut().insert(ran);
            if busy(&response) {
                // Another writer held the database: a retry may well succeed, so say so as
                // for any other overload; with nothing answered at all, as a 503.
                if nothing_answered(&response.data) {
                    *http.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
                }
                http.headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
            }
            http
        }
        Outcome::RequestError(response) => {
            let status =
                if format == Format::GraphqlResponse { StatusCode::BAD_REQUEST } else { StatusCode::OK };
            let prefix = Bytes::from(body_prefix(&response, false));
            let body = with_extensions(prefix, &extension_members(&response));
            counted(json(status, format, body), &response)
        }
        Outcome::Estimated(response) => {
            let body = with_extensions(Bytes::from_static(b"{"), &extension_members(&response));
            counted(json(StatusCode::OK, format, body), &response)
        }
        Outcome::TimedOut => {
            timed_out("the request took longer than this server allows and was stopped; ask for less at once")
        }
        Outcome::HeavyLaneFull => timed_out(graphql::HEAVY_LANE_FULL),
        Outcome::MutationOverGet => {
            let message = "mutations are not allowed over GET: use POST";
            let mut response = reject(StatusCode::METHOD_NOT_ALLOWED, message, "METHOD_NOT_ALLOWED");
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
            response
        }
    }
}

/// A 200 answer made of a body prefix and extensions; for a cacheable GET, with an `ETag`,
/// and a 304 when the client already holds that version.
fn answer(
    format: Format,
    transport: Transport,
    headers: &HeaderMap,
    key: Option<&CacheKey>,
    prefix: Bytes,
    extensions: &str,
) -> Response {
    let etag = key.filter(|_| transport == Transport::Get).map(CacheKey::etag);
    if let Some(etag) = &etag {
        let held = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).unwrap_or("");
        if held.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*") {
            return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag.as_str()), (header::VARY, "accept")])
                .into_response();
        }
    }
    let mut response = json(StatusCode::OK, format, with_extensions(prefix, extensions));
    if let Some(etag) = etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
        response.headers_mut().insert(header::ETAG, etag);
        // Revalidate every time: the ETag makes that cheap, and data may change at any write.
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}

fn elapsed_ms(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1_000_000.0).round() / 1_000.0
}

/// Attaches what the metrics count: the response's error codes and SQL statements.
fn counted(mut http: Response, response: &async_graphql::Response) -> Response {
    let codes = response.errors.iter().map(|e| {
        let code = e.extensions.as_ref().and_then(|x| x.get("code"));
        match code {
            Some(async_graphql::Value::String(code)) => code.clone(),
            _ => "UNCODED".to_string(),
        }
    });
    http.extensions_mut().insert(ErrorCodes(codes.collect()));
    if let Some(async_graphql::Value::Number(n)) = response.extensions.get("sqlStatements") {
        http.extensions_mut().insert(Statements(n.as_u64().unwrap_or(0)));
    }
    http
}

/// Why a request was refused before GraphQL ran: its status, message and code.
pub(super) type Refusal = (StatusCode, String, &'static str);

pub(super) fn into_request(
    params: WireParams,
    persisted: &Arc<Persisted>,
) -> Result<async_graphql::Request, Refusal> {
    use serde_json::Value as J;
    let bad = |message: &str| (StatusCode::BAD_REQUEST, message.to_string(), "BAD_REQUEST");
    let query = match params.query {
        Some(J::String(query)) => Some(query),
        None | Some(J::Null) => None,
        Some(_) => return Err(bad("`query` must be a string")),
    };
    let hashed = params.extensions.as_ref().and_then(|e| e.get("persistedQuery"));
    let (query, registration) = persisted.resolve(query, hashed).map_err(|refused| {
        // Apollo clients read PersistedQueryNotFound from a 200 answer, then register.
        let status = if refused.code == "PERSISTED_QUERY_NOT_FOUND" {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        };
        (status, refused.message, refused.code)
    })?;
    let mut request = async_graphql::Request::new(query);
    if let Some(registration) = registration {
        request = request.data(registration);
    }
    match params.operation_name {
        None | Some(J::Null) => {}
        Some(J::String(name)) => request = request.operation_name(name),
        Some(_) => return Err(bad("`operationName` must be a string or null")),
    }
    match params.variables {
        None | Some(J::Null) => {}
        Some(J::Object(map)) => {
            request = request.variables(async_graphql::Variables::from_json(J::Object(map)))
        }
        Some(_) => return Err(bad("`variables` must be an object or null")),
    }
    match params.extensions {
        None | Some(J::Null) => {}
        Some(J::Object(map)) => {
            for (name, value) in map {
                request.extensions.insert(name, async_graphql::Value::from_json(value).unwrap_or_default());
            }
        }
        Some(_) => return Err(bad("`extensions` must be an object or null")),
    }
    Ok(request)
}

fn not_acceptable() -> Response {
    let message = "this endpoint answers application/graphql-response+json or application/json";
    reject(StatusCode::NOT_ACCEPTABLE, message, "NOT_ACCEPTABLE")
}

fn is_json(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case("application/json")
        || media.eq_ignore_ascii_case("application/graphql-response+json")
}

/// The response body in selection order, without its extensions and closing brace;
/// `with_data: false` leaves `data` out entirely, as the GraphQL-over-HTTP rules want for
/// request errors.
fn body_prefix(response: &async_graphql::Response, with_data: bool) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Body<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        data: Option<&'a async_graphql::Value>,
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        errors: &'a [async_graphql::ServerError],
    }
    let body = Body { data: with_data.then_some(&response.data), errors: &response.errors };
    let mut bytes = serde_json::to_vec(&body)
        .unwrap_or_else(|_| br#"{"errors":[{"message":"internal error"}]}"#.to_vec());
    bytes.pop(); // the closing brace
    bytes
}

/// The members of a response's `extensions` object, as JSON text without braces.
fn extension_members(response: &async_graphql::Response) -> String {
    members(response, |_| true)
}

/// The members of a response's `extensions` object that `keep` names, as JSON text without
/// braces.
fn members(response: &async_graphql::Response, keep: impl Fn(&str) -> bool) -> String {
    let kept: std::collections::BTreeMap<&String, &async_graphql::Value> =
        response.extensions.iter().filter(|(name, _)| keep(name)).collect();
    let object = serde_json::to_string(&kept).unwrap_or_default();
    object.get(1..object.len().saturating_sub(1)).unwrap_or_default().to_string()
}

/// A whole body: the prefix, then `extensions` unless empty, then the closing brace. The
/// prefix (shared with the cache) is sent as it is, never copied.
fn with_extensions(prefix: Bytes, members: &str) -> Body {
    let mut tail = String::with_capacity(members.len() + 20);
    if !members.is_empty() {
        if prefix.len() > 1 {
            tail.push(',');
        }
        tail.push_str("\"extensions\":{");
        tail.push_str(members);
        tail.push('}');
    }
    tail.push('}');
    Body::new(TwoParts([Some(prefix), Some(Bytes::from(tail))]))
}

/// A body of two byte buffers, with an exact length (so `Content-Length` is set).
struct TwoParts([Option<Bytes>; 2]);

impl http_body::Body for TwoParts {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let next = self.0.iter_mut().find_map(Option::take);
        std::task::Poll::Ready(next.map(|bytes| Ok(http_body::Frame::data(bytes))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.iter().all(Option::is_none)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.0.iter().flatten().map(|b| b.len() as u64).sum())
    }
}

fn json(status: StatusCode, format: Format, body: impl Into<Body>) -> Response {
    let content_type = format.content_type();
    // The media type, and with it the statuses, follow `Accept`: caches keep one per `Accept`.
    (status, [(header::CONTENT_TYPE, content_type), (header::VARY, "accept")], body.into()).into_response()
}

/// Whether an error of `response` is `BUSY`.
fn busy(response: &async_graphql::Response) -> bool {
    let busy = async_graphql::Value::from("BUSY");
    response.errors.iter().any(|e| e.extensions.as_ref().and_then(|x| x.get("code")) == Some(&busy))
}

/// Whether `data` is null, or an object of nulls only (mutation fields that wrote nothing).
fn nothing_answered(data: &async_graphql::Value) -> bool {
    match data {
        async_graphql::Value::Null => true,
        async_graphql::Value::Object(fields) => fields.values().all(|v| *v == async_graphql::Value::Null),
        _ => false,
    }
}

/// 503 `TIMEOUT`: the request ran out of time, often waiting for its turn behind others.
/// `Retry-After` tells clients it may well succeed a moment later.
pub(super) fn timed_out(message: &str) -> Response {
    let mut response = reject(StatusCode::SERVICE_UNAVAILABLE, message, "TIMEOUT");
    response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
    response
}

/// A request refused before GraphQL ran: an `application/json` error with a code (not
/// labelled as a GraphQL response, which it is not).
pub(super) fn reject(status: StatusCode, message: &str, code: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    let mut response = json(status, Format::Json, body.to_string().into_bytes());
    response.extensions_mut().insert(ErrorCodes(vec![code.to_string()]));
    response
}
