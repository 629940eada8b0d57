//! The HTTP face: GraphQL over HTTP on `/graphql`, the offline GraphiQL page on `/`, the SDL,
//! metrics, health and readiness. It knows GraphQL only through [`crate::graphql`], never the
//! database.

mod cache;
mod dashboard;
mod endpoint;
mod live;
mod negotiate;
mod serve;
mod views;

pub use live::LiveLimits;
pub use serve::{ConnectionLimits, connection_cap};

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query, RawQuery, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::graphql::persisted::Persisted;
use crate::graphql::views::Views;
use crate::graphql::{self, AppSchema};
use crate::telemetry::Metrics;
use cache::ResponseCache;

/// Transport limits and policies.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Largest request body accepted; larger ones get 413.
    pub max_body_bytes: usize,
    /// Longest a GraphQL request may run; slower ones get 503 with code TIMEOUT.
    pub request_timeout: Duration,
    /// Origins allowed to call the API from a browser (CORS); empty: CORS off. `*`: any.
    pub cors_origins: Vec<String>,
    /// Most bytes of responses kept for identical reads (0: no caching).
    pub cache_bytes: u64,
    /// The saved views served under `/views`.
    pub views: Arc<Views>,
    /// Documents known by hash: persisted queries, and the trusted-documents mode.
    pub persisted: Arc<Persisted>,
    /// How long clients may reuse a view's answer without asking again (0: revalidate with
    /// the `ETag` every time).
    pub views_max_age: u32,
    /// Bounds on live (WebSocket) connections.
    pub live: LiveLimits,
}

/// Longest request target (path and query) accepted; longer ones get 414.
pub const MAX_URI_BYTES: usize = 8_192;

/// What the handlers share, behind one `Arc`: each request clones it a few times (middleware,
/// handler), and one reference count is cheaper, and less fought over by the cores, than one
/// per field.
type AppState = Arc<Shared>;

struct Shared {
    schema: AppSchema,
    metrics: Metrics,
    cache: ResponseCache,
    request_timeout: Duration,
    views: Arc<Views>,
    views_max_age: u32,
    persisted: Arc<Persisted>,
    max_body_bytes: usize,
    live: LiveLimits,
    connections: live::Connections,
}

/// Error codes a response carries, for the metrics middleware to count.
#[derive(Clone)]
struct ErrorCodes(Vec<String>);

/// SQL statements a response cost, for the metrics middleware to count.
#[derive(Clone, Copy)]
struct Statements(u64);

/// The whole router with its layers.
pub fn router(schema: AppSchema, options: HttpOptions) -> Router {
    let state = Arc::new(Shared {
        schema,
        metrics: Metrics::default(),
        cache: ResponseCache::new(options.cache_bytes),
        request_timeout: options.request_timeout,
        views: options.views.clone(),
        views_max_age: options.views_max_age,
        persisted: options.persisted.clone(),
        max_body_bytes: options.max_body_bytes,
        live: options.live,
        connections: live::Connections::new(options.live),
    });
    // Reading a slow body is bounded too; execution has its own, tighter limit (503 TIMEOUT).
    let transport_timeout = options.request_timeout + Duration::from_secs(1);
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %request.method(), uri = %request.uri().path(), request.id = %id)
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, transport_timeout))
        .layer(CompressionLayer::new())
        .layer(DefaultBodyLimit::max(options.max_body_bytes));
    let router = Router::new()
        .route("/", get(graphiql))
        .route("/assets/{file}", get(asset))
        .route("/graphql", get(graphql_get).post(endpoint::post))
        .route("/dashboard", get(dashboard::page))
        .route("/dashboard/{file}", get(dashboard::asset))
        .route("/schema.graphql", get(sdl))
        .route("/views", get(views::index))
        .route("/views/{name}", get(views::run))
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(state)
        .layer(layers);
    match cors(&options.cors_origins) {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

/// Serves until `shutdown` resolves, then finishes in-flight requests; every connection is
/// bounded in time and in number (see [`serve::serve`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve::serve(listener, router, limits, shutdown).await
}

/// CORS for the configured origins; `None` (no CORS headers at all) when there are none.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT])
            .max_age(Duration::from_secs(3_600)),
    )
}

/// Refuses over-long request targets, then counts every answered request: its route (the
/// route template, so label values stay few), status, latency, error codes and SQL statements.
async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = route_label(request.extensions().get::<MatchedPath>().map(MatchedPath::as_str));
    let uri = request.uri();
    let target_length = uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path_and_query().map_or(0, |p| p.as_str().len());
    let response = if target_length > MAX_URI_BYTES {
        let message =
            format!("the request target is longer than {MAX_URI_BYTES} bytes: send the query by POST");
        endpoint::reject(StatusCode::URI_TOO_LONG, &message, "URI_TOO_LONG")
    } else {
        next.run(request).await
    };
    let metrics = &state.metrics;
    metrics.request(method, route, response.status().as_u16(), started.elapsed().as_secs_f64());
    for code in response.extensions().get::<ErrorCodes>().map(|c| c.0.as_slice()).unwrap_or_default() {
        metrics.error(code);
    }
    if let Some(Statements(count)) = response.extensions().get::<Statements>() {
        metrics.statements(*count);
    }
    if let Some(ran) = response.extensions().get::<graphql::Ran>() {
        metrics.ran(ran.label());
    }
    response
}

/// The route template as a static label (the router's routes; anything else is "unmatched").
fn route_label(matched: Option<&str>) -> &'static str {
    const ROUTES: [&str; 11] = [
        "/",
        "/assets/{file}",
        "/graphql",
        "/schema.graphql",
        "/views",
        "/views/{name}",
        "/dashboard",
        "/dashboard/{file}",
        "/metrics",
        "/healthz",
        "/readyz",
    ];
    matched.and_then(|path| ROUTES.iter().find(|r| **r == path)).copied().unwrap_or("unmatched")
}

/// The method as a static label.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "OTHER",
    }
}

/// `GET /graphql`: a WebSocket upgrade (live operations), or a query over GET.
async fn graphql_get(
    State(state): State<AppState>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    headers: axum::http::HeaderMap,
    raw: RawQuery,
    query: Query<std::collections::HashMap<String, String>>,
) -> Response {
    match upgrade {
        Ok(upgrade) => live::upgrade(state, upgrade, &headers),
        // A request that asks to upgrade and cannot (a missing key, a wrong version) hears why.
        Err(rejection) if headers.contains_key(header::UPGRADE) => rejection.into_response(),
        Err(_) => endpoint::get(State(state), headers, raw, query).await,
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], state.metrics.render()).into_response()
}

/// The SDL, unless introspection is off: the schema is then not for clients to read.
async fn sdl(State(state): State<AppState>) -> Response {
    if !graphql::introspection(&state.schema) {
        let message = "introspection is switched off on this server, and with it the schema";
        return endpoint::reject(StatusCode::NOT_FOUND, message, "INTROSPECTION_DISABLED");
    }
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
