//! One request's way through GraphQL, in order: its document is parsed and checked
//! ([`crate::graphql::request::documents`]), its cost estimated; the estimate gives it a lane
//! ([`crate::graphql::request::admission`]); it waits for a turn (at most `max_concurrent` execute at once),
//! then runs with its own loaders and read session until its deadline, and the outcome is classified for
//! HTTP. Nothing runs twice.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use async_graphql::Value;
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use futures_util::FutureExt;
use tokio::sync::Semaphore;

use crate::db::{Db, Reader};
use crate::graphql::limits::cost::CostLimits;
use crate::graphql::request::admission::{Admission, Lane};
use crate::graphql::request::documents::{KnownValid, Prepared, estimate, prepare};
use crate::graphql::request::loaders::{Batches, Loaders, WithBatches};
use crate::graphql::request::persisted::Registration;
use crate::graphql::types::mutation::Bearer;
use crate::graphql::{AppSchema, request::field_order};

/// Executes one request with fresh loaders, adding `extensions.sqlStatements` (statements the
/// request ran), `extensions.rowsRead` (rows the database handed back) and
/// `extensions.elapsedMs` to the response; says what the run did.
async fn execute(
    schema: &AppSchema,
    request: async_graphql::Request,
    deadline: Instant,
    reader: Option<Reader>,
) -> (async_graphql::Response, Effort) {
    let started = Instant::now();
    let Some(db) = schema.data::<Db>().cloned() else {
        return (schema.execute(request).await, Effort::default());
    };
    let batches = Arc::new(Batches::default());
    let loaders = Loaders::new(db, batches.clone(), deadline, reader);
    let (counter, session, committed) =
        (loaders.counter.clone(), loaders.session.clone(), loaders.committed.clone());
    let mut response = WithBatches::new(schema.execute(request.data(loaders)), batches).await;
    let elapsed_ms = (started.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0;
    response.extensions.insert("sqlStatements".into(), Value::from(counter.get()));
    response.extensions.insert("rowsRead".into(), Value::from(session.rows()));
    response.extensions.insert("elapsedMs".into(), Value::from(elapsed_ms));
    (response, Effort { rows: session.rows(), committed: committed.any(), snapshot: session.snapshot() })
}

/// What one run did.
#[derive(Default)]
struct Effort {
    rows: u64,
    /// A write of the request committed: its answer must say so, whatever else happened.
    committed: bool,
    /// The data version its reads saw (see [`Outcome::Executed`]).
    snapshot: Option<u64>,
}

/// What a heavy request refused for want of a place in the heavy lane is told.
pub const HEAVY_LANE_FULL: &str = "the server is answering as many heavy requests (large estimated reads) as it \
    runs at once, and this one waited half its time for a place; nothing ran: try again in a moment, \
    or ask for less at once";

/// Turns to execute: how many requests may run at once.
pub(crate) struct Turns(pub(crate) Arc<Semaphore>);

/// How a request arrived: GET may only read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Get,
    Post,
}

/// Where a request's execution ran (see [`crate::graphql::request::admission`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    /// On its async worker.
    Inline,
    /// On a blocking-pool thread.
    Blocking,
    /// On a blocking-pool thread, with a place in the heavy lane.
    Heavy,
}

impl Ran {
    /// A label for metrics.
    pub fn label(self) -> &'static str {
        match self {
            Ran::Inline => "inline",
            Ran::Blocking => "blocking",
            Ran::Heavy => "heavy",
        }
    }
}

/// What became of a request, for the HTTP layer to turn into a status.
pub enum Outcome {
    /// The operation ran (perhaps with field errors): `data` is present. `read_only` is true
    /// for queries, whose responses may be cached until the data changes; `snapshot` is the
    /// data version (as [`crate::db::DataVersion::tag`]) a query's answer was read from, `None`
    /// when it read no data. An answer may be cached, or tagged, only under that version: it
    /// can differ from the version current when the request arrived.
    Executed { response: async_graphql::Response, read_only: bool, ran: Ran, snapshot: Option<u64> },
    /// The document did not parse or validate, or its variables were wrong: nothing ran and
    /// the response has no `data`.
    RequestError(async_graphql::Response),
    /// A mutation arrived over GET: nothing ran.
    MutationOverGet,
    /// The deadline passed (waiting for a turn included) before a query could answer, or
    /// before a mutation wrote anything: the request was stopped.
    TimedOut,
    /// A heavy request waited half its time for a place in the heavy lane and got none:
    /// nothing ran.
    HeavyLaneFull,
    /// The request asked only for its cost (`extensions.dryRun`): nothing ran, and the
    /// response has no `data`.
    Estimated(async_graphql::Response),
}

/// A request that passed every check and may run.
struct Admitted {
    request: async_graphql::Request,
    prepared: Arc<Prepared>,
    /// Its `extensions.cost`.
    cost: Value,
    estimated_reads: u64,
    lane: Lane,
    mutation: bool,
}

/// Parses, checks and executes one request by `deadline`, classifying the result for HTTP.
///
/// A light query runs inline on its async worker if a reader is free; any other request runs
/// on a blocking-pool thread, where its SQL runs directly in one read session (one snapshot,
/// no hand-off per statement) and the async workers stay free for I/O and cached answers. The
/// turn (and a heavy request's place in the lane) is held until the work has really ended,
/// even when the caller has stopped waiting.
pub async fn respond(
    schema: &AppSchema,
    request: async_graphql::Request,
    transport: Transport,
    bearer: Option<String>,
    deadline: Instant,
) -> Outcome {
    let (Some(Turns(turns)), Some(admission)) = (schema.data::<Turns>(), schema.data::<Admission>()) else {
        return Outcome::RequestError(request_error("the server is not set up to execute", "INTERNAL"));
    };
    let admitted = match admit(schema, request.data(Bearer(bearer)), transport, admission) {
        Ok(admitted) => admitted,
        Err(outcome) => return *outcome,
    };
    let Ok(place) = admission.enter(admitted.lane, deadline).await else {
        return Outcome::HeavyLaneFull;
    };
    let turn = match tokio::time::timeout_at(deadline.into(), turns.clone().acquire_owned()).await {
        Ok(Ok(turn)) => turn,
        _ => return Outcome::TimedOut,
    };
    let reader =
        (admitted.lane == Lane::Inline).then(|| schema.data::<Db>().and_then(Db::try_reader)).flatten();
    if let Some(reader) = reader {
        let _held = turn;
        let run = AssertUnwindSafe(run(schema, admitted, deadline, Some(reader), Ran::Inline));
        return run.catch_unwind().await.unwrap_or_else(|_| failed("a request's inline execution panicked"));
    }
    let ran = if place.is_some() { Ran::Heavy } else { Ran::Blocking };
    let (schema, runtime) = (schema.clone(), tokio::runtime::Handle::current());
    let work = tokio::task::spawn_blocking(move || {
        let _held = (turn, place);
        runtime.block_on(run(&schema, admitted, deadline, None, ran))
    });
    work.await.unwrap_or_else(|error| failed(&format!("a request's execution failed: {error}")))
}

/// Everything checked before a request may run: the document's shape, the operation, its
/// variables, the cost estimate against the limits; a dry run is answered here. Gives the
/// request's lane.
fn admit(
    schema: &AppSchema,
    request: async_graphql::Request,
    transport: Transport,
    admission: &Admission,
) -> Result<Admitted, Box<Outcome>> {
    let refuse = |message: String, code: &str| Box::new(Outcome::RequestError(request_error(message, code)));
    let prepared = prepare(schema, &request.query).map_err(|(message, code)| refuse(message, code))?;
    // Only a document that passed the shape checks is registered under its hash.
    let registration = request.data.get(&std::any::TypeId::of::<Registration>());
    if let Some(registration) = registration.and_then(|r| r.downcast_ref::<Registration>()) {
        registration.complete(&request.query);
    }
    let operation = operation_type(&prepared.document, request.operation_name.as_deref());
    if operation == Some(OperationType::Subscription) {
        let message = "subscriptions are served over WebSocket at this same address \
                       (protocol graphql-transport-ws, as the graphql-ws client speaks)";
        return Err(refuse(message.into(), "SUBSCRIPTION_OVER_HTTP"));
    }
    let mutation = operation == Some(OperationType::Mutation);
    if mutation && transport == Transport::Get {
        return Err(Box::new(Outcome::MutationOverGet));
    }
    if let Some(message) = missing_variable(&prepared.document, &request) {
        return Err(refuse(message, "GRAPHQL_VALIDATION_FAILED"));
    }
    let limits = schema.data::<CostLimits>().copied().unwrap_or_default();
    let estimated = estimate(schema, &prepared, &request, limits);
    let cost = estimated.extension.clone();
    if dry_run(&request) {
        let mut response = async_graphql::Response::new(Value::Null);
        response.extensions.insert("cost".into(), cost);
        response.extensions.insert("dryRun".into(), Value::from(true));
        return Err(Box::new(Outcome::Estimated(response)));
    }
    if let Some(message) = estimated.estimate.refusal(limits) {
        let mut response = request_error(message, "COMPLEXITY_LIMIT");
        response.extensions.insert("cost".into(), cost);
        return Err(Box::new(Outcome::RequestError(response)));
    }
    let lane = admission.lane(&estimated.estimate, mutation);
    let estimated_reads = estimated.estimate.reads;
    Ok(Admitted { request, prepared, cost, estimated_reads, lane, mutation })
}

/// Runs an admitted request on the thread it is on.
///
/// A query is stopped at its deadline, and an answer with errors that ends after it is
/// reported as timed out, not as the partial answer it became (a complete answer is never
/// dropped). A mutation is not stopped by a timer: its writes refuse to begin once the
/// deadline has passed, and a write that began is answered as what it did; so once a write
/// has committed, the answer says so, whatever else ran out of time.
async fn run(
    schema: &AppSchema,
    admitted: Admitted,
    deadline: Instant,
    reader: Option<Reader>,
    ran: Ran,
) -> Outcome {
    let Admitted { mut request, prepared, cost, estimated_reads, mutation, .. } = admitted;
    let operation = request.operation_name.clone();
    request.set_parsed_query(prepared.document.clone());
    let runs_on = match schema.data::<KnownValid>() {
        Some(KnownValid(checked)) if prepared.valid.known() => checked,
        _ => schema,
    };
    let execution = execute(runs_on, request, deadline, reader);
    let (mut response, effort) = if mutation {
        execution.await
    } else {
        match tokio::time::timeout_at(deadline.into(), execution).await {
            Ok(done) => done,
            Err(_) => return Outcome::TimedOut,
        }
    };
    if effort.rows > estimated_reads {
        // The estimate is meant to bound the rows read (it decides the lane): say so if not.
        tracing::warn!(
            rows = effort.rows,
            estimated = estimated_reads,
            "a request read more rows than estimated"
        );
    }
    response.extensions.insert("cost".into(), cost);
    if is_request_error(&response) {
        code_request_errors(&mut response);
        return Outcome::RequestError(response);
    }
    let late = Instant::now() >= deadline && !response.errors.is_empty();
    if late && !effort.committed {
        return Outcome::TimedOut;
    }
    prepared.valid.passed();
    field_order::by_selection(&mut response.data, &prepared.document, operation.as_deref());
    Outcome::Executed { response, read_only: !mutation, ran, snapshot: effort.snapshot }
}

fn failed(what: &str) -> Outcome {
    tracing::error!("{what}");
    Outcome::RequestError(request_error("internal error", "INTERNAL"))
}

/// Whether nothing ran: no data, and only errors about the request as a whole (no path).
pub fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// Gives every error of a refused request its code: async-graphql's validation errors have
/// none.
pub(crate) fn code_request_errors(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let code = limit_code(&error.message).unwrap_or("GRAPHQL_VALIDATION_FAILED");
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", code);
        }
    }
}

/// Whether the request asks only for its cost: `"extensions": {"dryRun": true}`.
fn dry_run(request: &async_graphql::Request) -> bool {
    request.extensions.get("dryRun") == Some(&Value::Boolean(true))
}

/// The code of a limit async-graphql enforces, recognised by its message.
fn limit_code(message: &str) -> Option<&'static str> {
    if message.contains("recursion depth") { Some("RECURSION_LIMIT") } else { None }
}

/// The operation `name` of `document` (the only one when no name is given).
fn operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a async_graphql::Positioned<async_graphql::parser::types::OperationDefinition>> {
    use async_graphql::parser::types::DocumentOperations;
    match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        // A single named operation is parsed into `Multiple`; run without a name it is the one.
        (DocumentOperations::Multiple(ops), None) => ops.values().next().filter(|_| ops.len() == 1),
    }
}

/// The type of the operation `name` of `document` (`None` if there is no such operation).
pub(crate) fn operation_type(document: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    operation(document, name).map(|op| op.node.ty)
}

/// A variable the operation requires (non-null, without a default) that the request does not
/// give: a request error by the spec's CoerceVariableValues, which async-graphql 7 leaves to
/// the first field that reads it (as an uncoded field error).
pub(crate) fn missing_variable(
    document: &ExecutableDocument,
    request: &async_graphql::Request,
) -> Option<String> {
    let operation = operation(document, request.operation_name.as_deref())?;
    let definition = operation.node.variable_definitions.iter().find(|v| {
        let given = request.variables.get(&v.node.name.node).is_some_and(|value| *value != Value::Null);
        !v.node.var_type.node.nullable && v.node.default_value.is_none() && !given
    })?;
    let (name, ty) = (&definition.node.name.node, &definition.node.var_type.node);
    Some(format!("variable ${name} of type {ty} is required and was not given"))
}

/// A response carrying one request-level error with `code`.
pub fn request_error(message: impl Into<String>, code: &str) -> async_graphql::Response {
    let mut error = async_graphql::ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    async_graphql::Response::from_errors(vec![error])
}

/// `text`, cut to `max` characters with an ellipsis.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}
