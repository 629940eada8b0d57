//! Logging and metrics, leaves every layer may use. Logs: `tracing` to stderr (stdout is kept
//! for the `listening on` line), filtered by `RUST_LOG` when set. Metrics: Prometheus text.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The filter used when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "rustbelt=info,tower_http=info";

/// Installs the global subscriber, writing one JSON object a line if `json`; a second call is
/// a no-op. Text has colour codes only on a terminal: in a file or a pipe they are noise.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json {
        logs.json().with_current_span(false).try_init()
    } else {
        logs.with_ansi(std::io::stderr().is_terminal()).try_init()
    };
}

// Label values are static strings: counting a request allocates nothing.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RanLabels {
    ran: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

/// The server's metrics. Label values are bounded: routes are route templates, codes are the
/// stable error codes.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    errors: Family<CodeLabels, Counter>,
    statements: Counter,
    runs: Family<RanLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("rustbelt");
        let requests = Family::<RequestLabels, Counter>::default();
        // 0.1 ms to about 3 s, doubling.
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.000_1, 2.0, 16))
        });
        let errors = Family::<CodeLabels, Counter>::default();
        let statements = Counter::default();
        let runs = Family::<RanLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register("http_request_duration_seconds", "Time to answer an HTTP request", latency.clone());
        registry.register("errors", "Errors returned to clients, by extensions.code", errors.clone());
        registry.register("sql_statements", "SQL statements run for GraphQL requests", statements.clone());
        registry.register(
            "graphql_runs",
            "GraphQL operations executed, by where they ran: inline on an async worker, on the \
             blocking pool, or rerun there after outgrowing the inline budget",
            runs.clone(),
        );
        Self { registry, requests, latency, errors, statements, runs }
    }
}

impl Metrics {
    /// Counts one answered request and its latency. `route` is a route template (few values).
    pub fn request(&self, method: &'static str, route: &'static str, status: u16, seconds: f64) {
        self.requests.get_or_create(&RequestLabels { method, route, status }).inc();
        self.latency.get_or_create(&RouteLabels { route }).observe(seconds);
    }

    /// Counts one error returned to a client.
    pub fn error(&self, code: &str) {
        self.errors.get_or_create(&CodeLabels { code: code.to_string() }).inc();
    }

    /// Counts SQL statements run.
    pub fn statements(&self, count: u64) {
        self.statements.inc_by(count);
    }

    /// Counts one executed GraphQL operation by where it ran.
    pub fn ran(&self, ran: &'static str) {
        self.runs.get_or_create(&RanLabels { ran }).inc();
    }

    /// Everything, in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
