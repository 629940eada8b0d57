//! Operations sent over a WebSocket: a subscription becomes a stream of events, a query or
//! mutation its one answer. Both pass the same checks as over HTTP (document shape, required
//! variables, the cost estimate, the write token) before anything runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::parser::types::OperationType;
use async_graphql::{Data, Response};
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};

use crate::graphql::limits::cost::CostLimits;
use crate::graphql::request::documents::{estimate, prepare};
use crate::graphql::request::respond::{
    self, Outcome, Transport, code_request_errors, is_request_error, missing_variable, operation_type,
    request_error,
};
use crate::graphql::{AppSchema, WriteToken, request::field_order};

/// The schema subscription events run on: the served one with the extension that gives each
/// event its loaders and turn ([`crate::graphql::request::events`]).
pub(crate) struct Live {
    schema: std::sync::OnceLock<AppSchema>,
    build: Box<dyn Fn() -> AppSchema + Send + Sync>,
}

impl Live {
    pub(crate) fn new(build: impl Fn() -> AppSchema + Send + Sync + 'static) -> Self {
        Self { schema: std::sync::OnceLock::new(), build: Box::new(build) }
    }

    fn schema(&self) -> &AppSchema {
        self.schema.get_or_init(&self.build)
    }
}

/// The answers to one operation sent over a socket: a subscription's events until it ends, or
/// a query's or mutation's single answer. A response with no data and only path-less errors
/// means the operation was refused and nothing ran.
///
/// `session` is the connection's data (given to every event); `limit` is how long a query,
/// a mutation or one event may take.
pub fn over_socket(
    schema: &AppSchema,
    mut request: async_graphql::Request,
    bearer: Option<String>,
    session: Arc<Data>,
    limit: Duration,
) -> BoxStream<'static, Response> {
    let refuse = |response: Response| stream::once(async move { response }).boxed();
    let prepared = match prepare(schema, &request.query) {
        Ok(prepared) => prepared,
        Err((message, code)) => return refuse(request_error(message, code)),
    };
    let operation = request.operation_name.clone();
    if operation_type(&prepared.document, operation.as_deref()) != Some(OperationType::Subscription) {
        let schema = schema.clone();
        return stream::once(async move {
            let deadline = Instant::now() + limit;
            match respond::respond(&schema, request, Transport::Post, bearer, deadline).await {
                Outcome::Executed { response, .. } | Outcome::RequestError(response) => response,
                Outcome::Estimated(response) => response,
                Outcome::TimedOut => request_error(
                    "the request took longer than this server allows and was stopped; ask for less at once",
                    "TIMEOUT",
                ),
                Outcome::HeavyLaneFull => request_error(respond::HEAVY_LANE_FULL, "TIMEOUT"),
                Outcome::MutationOverGet => request_error("a socket is not GET", "INTERNAL"),
            }
        })
        .boxed();
    }
    if let Some(message) = missing_variable(&prepared.document, &request) {
        return refuse(request_error(message, "GRAPHQL_VALIDATION_FAILED"));
    }
    let limits = schema.data::<CostLimits>().copied().unwrap_or_default();
    let estimated = estimate(schema, &prepared, &request, limits);
    if let Some(message) = estimated.estimate.refusal(limits) {
        let mut response = request_error(message, "COMPLEXITY_LIMIT");
        response.extensions.insert("cost".into(), estimated.extension.clone());
        return refuse(response);
    }
    let cost = estimated.extension.clone();
    request.set_parsed_query(prepared.document.clone());
    let events = match schema.data::<Live>() {
        Some(live) => live.schema().execute_stream_with_session_data(request, session),
        None => schema.execute_stream_with_session_data(request, session),
    };
    events
        .map(move |mut response| {
            if is_request_error(&response) {
                code_request_errors(&mut response);
            } else {
                field_order::by_selection(&mut response.data, &prepared.document, operation.as_deref());
                response.extensions.insert("cost".into(), cost.clone());
            }
            response
        })
        .boxed()
}

/// Whether `presented` is this server's write token (a server without one accepts none).
pub fn accepts_token(schema: &AppSchema, presented: &str) -> bool {
    use subtle::ConstantTimeEq;
    let configured = schema.data::<WriteToken>().and_then(|t| t.0.as_deref());
    configured.is_some_and(|token| bool::from(token.as_bytes().ct_eq(presented.as_bytes())))
}
