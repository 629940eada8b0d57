//! The HTTP face: GraphQL over HTTP on `/graphql`, the offline GraphiQL page on `/`, the SDL,
//! health and readiness. It knows GraphQL only through [`crate::graphql`], never the database.

use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::graphql::{self, AppSchema, Outcome, Transport};

/// Transport limits.
#[derive(Debug, Clone, Copy)]
pub struct HttpOptions {
    /// Largest request body accepted; larger ones get 413.
    pub max_body_bytes: usize,
    /// Longest a request may take; slower ones get 408.
    pub request_timeout: Duration,
}

#[derive(Clone)]
struct AppState {
    schema: AppSchema,
}

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// The whole router with its layers.
pub fn router(schema: AppSchema, options: HttpOptions) -> Router {
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %request.method(), uri = %request.uri().path(), request.id = %id)
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, options.request_timeout))
        .layer(CompressionLayer::new())
        .layer(DefaultBodyLimit::max(options.max_body_bytes));
    Router::new()
        .route("/", get(graphiql))
        .route("/assets/{file}", get(asset))
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/schema.graphql", get(sdl))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(AppState { schema })
        .layer(layers)
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}

async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let format = negotiate(&headers);
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !is_json(content_type) {
        let message = "POST bodies must be JSON: send `Content-Type: application/json`";
        return reject(StatusCode::UNSUPPORTED_MEDIA_TYPE, format, message, "UNSUPPORTED_MEDIA_TYPE");
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let message = "the request body is larger than this server accepts";
            return reject(StatusCode::PAYLOAD_TOO_LARGE, format, message, "REQUEST_TOO_LARGE");
        }
        Err(_) => {
            return reject(
                StatusCode::BAD_REQUEST,
                format,
                "the request body could not be read",
                "BAD_REQUEST",
            );
        }
    };
    let fields: serde_json::Map<String, serde_json::Value> = match serde_json::from_slice(&body) {
        Ok(serde_json::Value::Object(fields)) => fields,
        Ok(_) => {
            return reject(
                StatusCode::BAD_REQUEST,
                format,
                "the body must be one JSON object (batching is off)",
                "BAD_REQUEST",
            );
        }
        Err(_) => {
            return reject(StatusCode::BAD_REQUEST, format, "the body is not valid JSON", "BAD_REQUEST");
        }
    };
    let params = WireParams {
        query: fields.get("query").cloned(),
        operation_name: fields.get("operationName").cloned(),
        variables: fields.get("variables").cloned(),
        extensions: fields.get("extensions").cloned(),
    };
    run(&state, &headers, format, params, Transport::Post).await
}

async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let format = negotiate(&headers);
    let variables = match query.get("variables").map(|v| serde_json::from_str(v)) {
        None => None,
        Some(Ok(value)) => Some(value),
        Some(Err(_)) => {
            return reject(
                StatusCode::BAD_REQUEST,
                format,
                "`variables` must be a JSON object",
                "BAD_REQUEST",
            );
        }
    };
    let params = WireParams {
        // An empty parameter counts as absent (GraphQL over HTTP, "GET").
        query: query.get("query").filter(|q| !q.is_empty()).cloned().map(serde_json::Value::String),
        operation_name: query.get("operationName").filter(|o| !o.is_empty()).cloned().map(serde_json::Value::String),
        variables,
        extensions: None,
    };
    run(&state, &headers, format, params, Transport::Get).await
}

/// The request parameters as they came over the wire, before their types are checked.
struct WireParams {
    query: Option<serde_json::Value>,
    operation_name: Option<serde_json::Value>,
    variables: Option<serde_json::Value>,
    /// Accepted (an object or null) and not used: no extension is implemented.
    extensions: Option<serde_json::Value>,
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

async fn run(
    state: &AppState,
    headers: &HeaderMap,
    format: Format,
    params: WireParams,
    transport: Transport,
) -> Response {
    let request = match into_request(params) {
        Ok(request) => request,
        Err(message) => return reject(StatusCode::BAD_REQUEST, format, &message, "BAD_REQUEST"),
    };
    match graphql::respond(&state.schema, request, transport, bearer(headers)).await {
        Outcome::Executed(response) => json(StatusCode::OK, format, body(&response, true)),
        Outcome::RequestError(response) => {
            let status =
                if format == Format::GraphqlResponse { StatusCode::BAD_REQUEST } else { StatusCode::OK };
            json(status, format, body(&response, false))
        }
        Outcome::MutationOverGet => {
            let message = "mutations are not allowed over GET: use POST";
            let mut response = reject(StatusCode::METHOD_NOT_ALLOWED, format, message, "METHOD_NOT_ALLOWED");
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
            response
        }
    }
}

fn into_request(params: WireParams) -> Result<async_graphql::Request, String> {
    use serde_json::Value as J;
    let query = match params.query {
        Some(J::String(query)) => query,
        Some(_) => return Err("`query` must be a string".into()),
        None => return Err("`query` is missing".into()),
    };
    let mut request = async_graphql::Request::new(query);
    match params.operation_name {
        None | Some(J::Null) => {}
        Some(J::String(name)) => request = request.operation_name(name),
        Some(_) => return Err("`operationName` must be a string or null".into()),
    }
    match params.variables {
        None | Some(J::Null) => {}
        Some(J::Object(map)) => {
            request = request.variables(async_graphql::Variables::from_json(J::Object(map)))
        }
        Some(_) => return Err("`variables` must be an object or null".into()),
    }
    if !matches!(params.extensions, None | Some(J::Null) | Some(J::Object(_))) {
        return Err("`extensions` must be an object or null".into());
    }
    Ok(request)
}

/// Which media type the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `application/graphql-response+json`: request errors get 4xx statuses.
    GraphqlResponse,
    /// `application/json` (also the default): the legacy behaviour, 200 for well-formed requests.
    Json,
}

fn negotiate(headers: &HeaderMap) -> Format {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    if accept.contains("application/graphql-response+json") { Format::GraphqlResponse } else { Format::Json }
}

fn is_json(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case("application/json")
        || media.eq_ignore_ascii_case("application/graphql-response+json")
}

/// The response body in selection order; `with_data: false` leaves `data` out entirely, as
/// the GraphQL-over-HTTP rules want for request errors.
fn body(response: &async_graphql::Response, with_data: bool) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Body<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        data: Option<&'a async_graphql::Value>,
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        errors: &'a [async_graphql::ServerError],
        #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
    }
    let body = Body {
        data: with_data.then_some(&response.data),
        errors: &response.errors,
        extensions: &response.extensions,
    };
    serde_json::to_vec(&body).unwrap_or_else(|_| br#"{"errors":[{"message":"internal error"}]}"#.to_vec())
}

fn json(status: StatusCode, format: Format, body: Vec<u8>) -> Response {
    let content_type = match format {
        Format::GraphqlResponse => GRAPHQL_RESPONSE,
        Format::Json => JSON,
    };
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// A request rejected before GraphQL saw it: a JSON error with a code.
fn reject(status: StatusCode, format: Format, message: &str, code: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    json(status, format, body.to_string().into_bytes())
}

async fn sdl() -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], graphql::sdl()).into_response()
}

async fn readyz(State(state): State<AppState>) -> Response {
    if graphql::ready(&state.schema).await {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
    }
}

async fn graphiql() -> Response {
    let page = include_str!("../assets/graphiql/index.html");
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

/// The playground's files, embedded so the page works with no network.
async fn asset(Path(file): Path<String>) -> Response {
    let (bytes, content_type): (&'static [u8], &str) = match file.as_str() {
        "graphiql.min.js" => {
            (include_bytes!("../assets/graphiql/graphiql.min.js"), "text/javascript; charset=utf-8")
        }
        "graphiql.min.css" => {
            (include_bytes!("../assets/graphiql/graphiql.min.css"), "text/css; charset=utf-8")
        }
        "react.production.min.js" => {
            (include_bytes!("../assets/graphiql/react.production.min.js"), "text/javascript; charset=utf-8")
        }
        "react-dom.production.min.js" => (
            include_bytes!("../assets/graphiql/react-dom.production.min.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return (StatusCode::NOT_FOUND, "no such asset\n").into_response(),
    };
    let cache = "public, max-age=86400";
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, cache)], bytes).into_response()
}
