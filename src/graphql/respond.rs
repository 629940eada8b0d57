//! One request's way through GraphQL: a turn, the parsed document (cached by its text), where
//! it runs (inline on its async worker, or on a blocking-pool thread), its loaders and read
//! session, its deadline, and the outcome classified for HTTP.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use async_graphql::Value;
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use futures_util::FutureExt;
use quick_cache::sync::Cache;
use tokio::sync::Semaphore;

use super::cost::{self, CostLimits, Estimate};
use super::lanes::{HeavyLane, LastRun};
use super::loaders::{Batches, Loaders, WithBatches};
use super::mutation::Bearer;
use super::{AppSchema, InlineLimits, PageLimits, ShapeLimits, order, shape};
use crate::db::{Db, InlineBudget};

/// Executes one request with fresh loaders, adding `extensions.sqlStatements` (statements the
/// request ran), `extensions.rowsRead` (rows the database handed back) and
/// `extensions.elapsedMs` to the response; says what the run cost.
async fn execute(
    schema: &AppSchema,
    request: async_graphql::Request,
    deadline: Instant,
    inline: Option<InlineBudget>,
) -> (async_graphql::Response, Effort) {
    let started = Instant::now();
    let Some(db) = schema.data::<Db>().cloned() else {
        let response = schema.execute(request).await;
        return (response, Effort { rows: 0, elapsed: started.elapsed(), overran: false });
    };
    let batches = Arc::new(Batches::default());
    let loaders = Loaders::new(db, batches.clone(), deadline, inline);
    let (counter, session) = (loaders.counter.clone(), loaders.session.clone());
    let mut response = WithBatches::new(schema.execute(request.data(loaders)), batches).await;
    let elapsed = started.elapsed();
    let elapsed_ms = (elapsed.as_secs_f64() * 1_000_000.0).round() / 1000.0;
    response.extensions.insert("sqlStatements".into(), Value::from(counter.get()));
    response.extensions.insert("rowsRead".into(), Value::from(session.rows()));
    response.extensions.insert("elapsedMs".into(), Value::from(elapsed_ms));
    (response, Effort { rows: session.rows(), elapsed, overran: session.overran() })
}

/// What one run of a request cost.
struct Effort {
    rows: u64,
    elapsed: Duration,
    /// Stopped at the end of its inline budget: the answer is incomplete.
    overran: bool,
}

/// What a document's runs cost, in thousandths of the inline budget (its time or its rows,
/// whichever share is larger), smoothed over about its last four runs. A document runs inline
/// while the smoothed cost is within a quarter of the budget: an overrun wastes up to the whole
/// budget, so only documents well inside it are worth the saving (a target's evaluations on
/// the seed, 0.3 ms in-process, went back and forth under "the last run was within half" and
/// overran on 10–14 % of their inline attempts at 8 and 64 connections). An overrun counts as
/// the whole budget at once, so the next few runs go to the blocking pool.
struct Cost(AtomicU32);

impl Cost {
    const UNKNOWN: u32 = u32::MAX;
    const BUDGET: u32 = 1_000;

    fn unknown() -> Self {
        Self(AtomicU32::new(Self::UNKNOWN))
    }

    fn is_light(&self) -> bool {
        self.0.load(Ordering::Relaxed) <= Self::BUDGET / 4
    }

    /// Takes one run into account. Concurrent runs may overwrite each other's update: this is
    /// a guess of where the next run belongs, and the budget catches a wrong one.
    fn observe(&self, effort: &Effort, limits: InlineLimits) {
        let share = |used: u128, budget: u128| {
            u32::try_from(used * u128::from(Self::BUDGET) / budget.max(1)).unwrap_or(u32::MAX).min(10_000)
        };
        let sample = share(effort.elapsed.as_micros(), limits.time.as_micros())
            .max(share(u128::from(effort.rows), u128::from(limits.rows)));
        let old = self.0.load(Ordering::Relaxed);
        let new = match old {
            _ if effort.overran => old.max(Self::BUDGET),
            Self::UNKNOWN => sample,
            _ => (old.saturating_mul(3).saturating_add(sample)) / 4,
        };
        self.0.store(new, Ordering::Relaxed);
    }
}

/// Turns to execute: how many requests may run at once.
pub(super) struct Turns(pub(super) Arc<Semaphore>);

/// Parsed documents by their text, each checked against the shape limits: a dashboard that
/// sends the same document every few seconds has it parsed once. Bounded in bytes.
pub(super) struct Documents(Cache<String, Arc<Prepared>, DocumentWeight>);

/// A parsed document, and what its runs cost.
pub(super) struct Prepared {
    pub(super) document: ExecutableDocument,
    cost: Cost,
    /// Whether its full validation can be reused (see [`KnownValid`]).
    valid: Validity,
    /// Its cost estimate, for a document without variables: the same until the data changes.
    estimated: std::sync::Mutex<Option<Arc<Estimated>>>,
    /// Whether its last run was heavy, so the next waits in the heavy lane.
    last_run: LastRun,
}

/// A document's cost estimate for one operation at one data version, and the
/// `extensions.cost` it gives.
pub(super) struct Estimated {
    version: u64,
    operation: Option<String>,
    pub(super) estimate: Estimate,
    pub(super) extension: Value,
}

/// The schema again, with async-graphql's fast validation: complexity, depth and fragment
/// cycles only. A document that passed the full validation once is run on it while its text
/// stays in [`Documents`], if the full rules cannot judge it differently next time: a document
/// without variables, since the rules read nothing else of the request (the operation name
/// only decides which variables apply). The full rules took 7 % of an uncached lookup's CPU
/// (perf); reusing their answer saved about 5 % (A/B of CPU per request).
pub(super) struct KnownValid(pub(super) AppSchema);

/// What is known of a document's full validation.
struct Validity {
    /// No operation declares variables: the full rules give the same answer every time.
    reusable: bool,
    passed: AtomicBool,
}

impl Validity {
    fn of(document: &ExecutableDocument) -> Self {
        let reusable = document.operations.iter().all(|(_, op)| op.node.variable_definitions.is_empty());
        Self { reusable, passed: AtomicBool::new(false) }
    }

    fn known(&self) -> bool {
        self.reusable && self.passed.load(Ordering::Relaxed)
    }

    fn passed(&self) {
        if self.reusable {
            self.passed.store(true, Ordering::Relaxed);
        }
    }
}

#[derive(Clone)]
struct DocumentWeight;

impl quick_cache::Weighter<String, Arc<Prepared>> for DocumentWeight {
    fn weight(&self, text: &String, _: &Arc<Prepared>) -> u64 {
        // An estimate, not a measurement: a parsed document holds every name, position and
        // argument of its text in separate allocations, several times the text's size.
        (text.len() as u64 * 6).max(1)
    }
}

impl Documents {
    /// Most bytes of documents kept.
    const BYTES: u64 = 16 << 20;

    pub(super) fn new() -> Self {
        Self(Cache::with_weighter(1_024, Self::BYTES, DocumentWeight))
    }
}

/// Marks a schema built with introspection off, so such requests get a clear error (async-graphql
/// alone answers them with a silent null).
pub(super) struct IntrospectionOff;

/// How a request arrived: GET may only read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Get,
    Post,
}

/// Where a request's execution ran (see [`respond`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    /// On its async worker, within the inline budget.
    Inline,
    /// On a blocking-pool thread.
    Blocking,
    /// Inline first; having outgrown the budget, again on a blocking-pool thread.
    Rerun,
}

impl Ran {
    /// A label for metrics.
    pub fn label(self) -> &'static str {
        match self {
            Ran::Inline => "inline",
            Ran::Blocking => "blocking",
            Ran::Rerun => "rerun",
        }
    }
}

/// What became of a request, for the HTTP layer to turn into a status.
pub enum Outcome {
    /// The operation ran (perhaps with field errors): `data` is present. `read_only` is true
    /// for queries, whose responses may be cached until the data changes.
    Executed { response: async_graphql::Response, read_only: bool, ran: Ran },
    /// The document did not parse or validate, or its variables were wrong: nothing ran and
    /// the response has no `data`.
    RequestError(async_graphql::Response),
    /// A mutation arrived over GET: nothing ran.
    MutationOverGet,
    /// The deadline passed (waiting for a turn included): the request was stopped.
    TimedOut,
    /// The request asked only for its cost (`extensions.dryRun`): nothing ran, and the
    /// response has no `data`.
    Estimated(async_graphql::Response),
}

impl Outcome {
    /// An answer without any error.
    fn is_complete(&self) -> bool {
        matches!(self, Outcome::Executed { response, .. } if response.errors.is_empty())
    }
}

/// Parses, checks and executes one request by `deadline`, classifying the result for HTTP.
///
/// The request waits for a turn (at most `max_concurrent` execute at once). A query whose
/// document's recent runs were light runs inline on its async worker, within an inline budget
/// ([`InlineLimits`]): handing a lookup to another thread and back cost about a fifth of its
/// CPU. Any other request, or one that outgrows its budget (it is stopped and its answer
/// thrown away), runs on a blocking-pool thread: its SQL runs there directly, in one read
/// session (one snapshot, no hand-off per statement), and the async workers stay free for I/O
/// and cached answers. The turn is held until the work has really
/// ended, even when the caller has stopped waiting.
pub async fn respond(
    schema: &AppSchema,
    request: async_graphql::Request,
    transport: Transport,
    bearer: Option<String>,
    deadline: Instant,
) -> Outcome {
    let Some(Turns(turns)) = schema.data::<Turns>() else {
        return Outcome::RequestError(request_error("the server is not set up to execute", "INTERNAL"));
    };
    let known = schema.data::<Documents>().and_then(|documents| documents.0.get(&request.query));
    let admission = match (schema.data::<HeavyLane>(), &known) {
        (Some(lane), Some(prepared)) => match lane.admit(&prepared.last_run, deadline).await {
            Ok(admission) => admission,
            Err(()) => return Outcome::TimedOut,
        },
        _ => None,
    };
    let turn = match tokio::time::timeout_at(deadline.into(), turns.clone().acquire_owned()).await {
        Ok(Ok(turn)) => turn,
        _ => return Outcome::TimedOut,
    };
    let mut ran = Ran::Blocking;
    if runs_inline(schema, &request) {
        let attempt =
            respond_here(schema, copy_of(&request), transport, bearer.clone(), deadline, Ran::Inline);
        match tokio::time::timeout_at(deadline.into(), AssertUnwindSafe(attempt).catch_unwind()).await {
            Ok(Ok(Some(outcome))) => return in_time(outcome, deadline).unwrap_or(Outcome::TimedOut),
            Ok(Ok(None)) => ran = Ran::Rerun, // overran its budget: again, below
            Ok(Err(_)) => return failed("a request's inline execution panicked"),
            Err(_) => return Outcome::TimedOut,
        }
    }
    let (schema, runtime) = (schema.clone(), tokio::runtime::Handle::current());
    let work = tokio::task::spawn_blocking(move || {
        let (_turn, _admission) = (turn, admission);
        let run = respond_here(&schema, request, transport, bearer, deadline, ran);
        // The timer stops a request that waits (a write); the read session stops SQL at the
        // deadline; and an answer with errors that ends after its deadline is reported as
        // timed out, not as the partial answer it became. A complete answer is never dropped.
        let outcome = runtime.block_on(tokio::time::timeout_at(deadline.into(), run)).ok().flatten();
        outcome.and_then(|outcome| in_time(outcome, deadline))
    });
    match work.await {
        Ok(Some(outcome)) => outcome,
        Ok(None) => Outcome::TimedOut,
        Err(error) => failed(&format!("a request's execution failed: {error}")),
    }
}

/// The outcome, unless it is a partial answer that ended after its deadline.
fn in_time(outcome: Outcome, deadline: Instant) -> Option<Outcome> {
    Some(outcome).filter(|outcome| Instant::now() < deadline || outcome.is_complete())
}

fn failed(what: &str) -> Outcome {
    tracing::error!("{what}");
    Outcome::RequestError(request_error("internal error", "INTERNAL"))
}

/// Whether a request runs inline: a query whose document is known and whose recent runs were
/// light (a document's first run, and every mutation, go to the blocking pool).
fn runs_inline(schema: &AppSchema, request: &async_graphql::Request) -> bool {
    if !schema.data::<InlineLimits>().is_some_and(|limits| limits.allow_inline()) {
        return false;
    }
    let known = schema.data::<Documents>().and_then(|documents| documents.0.get(&request.query));
    known.is_some_and(|prepared| {
        prepared.cost.is_light() && !is_mutation(&prepared.document, request.operation_name.as_deref())
    })
}

/// A copy of what the endpoint puts in a request (query, operation, variables), for running it
/// again if its inline run overruns.
fn copy_of(request: &async_graphql::Request) -> async_graphql::Request {
    let mut copy = async_graphql::Request::new(request.query.clone()).variables(request.variables.clone());
    copy.operation_name = request.operation_name.clone();
    copy
}

/// [`respond`]'s work, on the thread that runs the request; `None` when an inline run
/// overran its budget (or, on a blocking thread, never).
async fn respond_here(
    schema: &AppSchema,
    request: async_graphql::Request,
    transport: Transport,
    bearer: Option<String>,
    deadline: Instant,
    ran: Ran,
) -> Option<Outcome> {
    let limits = schema.data::<InlineLimits>().copied().unwrap_or_default();
    let budget =
        (ran == Ran::Inline).then(|| InlineBudget { until: Instant::now() + limits.time, rows: limits.rows });
    let mut request = request.data(Bearer(bearer));
    let prepared = match prepare(schema, &request.query) {
        Ok(prepared) => prepared,
        Err((message, code)) => return Some(Outcome::RequestError(request_error(message, code))),
    };
    let mut read_only = true;
    if operation_type(&prepared.document, request.operation_name.as_deref())
        == Some(OperationType::Subscription)
    {
        let message = "subscriptions are served over WebSocket at this same address \
                       (protocol graphql-transport-ws, as the graphql-ws client speaks)";
        return Some(Outcome::RequestError(request_error(message, "SUBSCRIPTION_OVER_HTTP")));
    }
    if is_mutation(&prepared.document, request.operation_name.as_deref()) {
        if transport == Transport::Get {
            return Some(Outcome::MutationOverGet);
        }
        read_only = false;
    }
    let cost_limits = schema.data::<CostLimits>().copied().unwrap_or_default();
    if let Some(message) = missing_variable(&prepared.document, &request) {
        return Some(Outcome::RequestError(request_error(message, "GRAPHQL_VALIDATION_FAILED")));
    }
    let estimated = estimate(schema, &prepared, &request, cost_limits);
    let (estimate, cost) = (&estimated.estimate, estimated.extension.clone());
    if dry_run(&request) {
        let mut response = async_graphql::Response::new(Value::Null);
        response.extensions.insert("cost".into(), cost);
        response.extensions.insert("dryRun".into(), Value::from(true));
        return Some(Outcome::Estimated(response));
    }
    if let Some(message) = estimate.refusal(cost_limits) {
        let mut response = request_error(message, "COMPLEXITY_LIMIT");
        response.extensions.insert("cost".into(), cost);
        return Some(Outcome::RequestError(response));
    }
    let operation = request.operation_name.clone();
    request.set_parsed_query(prepared.document.clone());
    let runs_on = match schema.data::<KnownValid>() {
        Some(KnownValid(checked)) if prepared.valid.known() => checked,
        _ => schema,
    };
    let (mut response, effort) = execute(runs_on, request, deadline, budget).await;
    if read_only {
        prepared.cost.observe(&effort, limits);
        if let Some(lane) = schema.data::<HeavyLane>().filter(|_| !effort.overran) {
            lane.observe(&prepared.last_run, effort.rows, effort.elapsed);
        }
    }
    if effort.overran {
        return None;
    }
    response.extensions.insert("cost".into(), cost);
    if !is_request_error(&response) {
        prepared.valid.passed();
        order::by_selection(&mut response.data, &prepared.document, operation.as_deref());
        return Some(Outcome::Executed { response, read_only, ran });
    }
    code_request_errors(&mut response);
    Some(Outcome::RequestError(response))
}

/// Whether nothing ran: no data, and only errors about the request as a whole (no path).
pub fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// Gives every error of a refused request its code: async-graphql's validation errors have
/// none.
pub(super) fn code_request_errors(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let code = limit_code(&error.message).unwrap_or("GRAPHQL_VALIDATION_FAILED");
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", code);
        }
    }
}

/// The parsed document of `source`, checked against the shape limits (and the introspection
/// switch); parsed once per distinct text while it stays in [`Documents`].
pub(super) fn prepare(schema: &AppSchema, source: &str) -> Result<Arc<Prepared>, (String, &'static str)> {
    let documents = schema.data::<Documents>();
    if let Some(document) = documents.and_then(|d| d.0.get(source)) {
        return Ok(document);
    }
    let limits = schema.data::<ShapeLimits>().copied().unwrap_or_default();
    let refuse = |breach: shape::Breach| (breach.message, breach.code);
    shape::check_source(source, &limits).map_err(refuse)?;
    let document = async_graphql::parser::parse_query(source).map_err(|error| {
        let message = format!("the query does not parse: {}", truncate(&error.to_string(), 300));
        (message, "GRAPHQL_PARSE_FAILED")
    })?;
    shape::check(&document, &limits).map_err(refuse)?;
    if schema.data::<IntrospectionOff>().is_some() && shape::introspects(&document) {
        let message = "introspection is switched off on this server";
        return Err((message.to_string(), "INTROSPECTION_DISABLED"));
    }
    let valid = Validity::of(&document);
    let prepared = Arc::new(Prepared {
        document,
        cost: Cost::unknown(),
        valid,
        estimated: Default::default(),
        last_run: LastRun::default(),
    });
    if let Some(documents) = documents {
        documents.0.insert(source.to_string(), prepared.clone());
    }
    Ok(prepared)
}

/// What the request will cost, estimated from what the data holds (see [`cost`]); for a
/// document without variables, estimated once per data version.
pub(super) fn estimate(
    schema: &AppSchema,
    prepared: &Prepared,
    request: &async_graphql::Request,
    limits: CostLimits,
) -> Arc<Estimated> {
    let stats = schema.data::<Db>().map(Db::stats).unwrap_or_default();
    let kept = || prepared.estimated.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if prepared.valid.reusable
        && let Some(known) = kept()
            .as_ref()
            .filter(|known| known.version == stats.version && known.operation == request.operation_name)
    {
        return known.clone();
    }
    let pages = schema.data::<PageLimits>().copied().unwrap_or_default();
    let name = request.operation_name.as_deref();
    let estimate = cost::estimate(&prepared.document, name, &request.variables, &stats, pages);
    let extension = estimate.extension(limits);
    let operation = request.operation_name.clone();
    let estimated = Arc::new(Estimated { version: stats.version, operation, estimate, extension });
    if prepared.valid.reusable {
        *kept() = Some(estimated.clone());
    }
    estimated
}

/// Whether the request asks only for its cost: `"extensions": {"dryRun": true}`.
fn dry_run(request: &async_graphql::Request) -> bool {
    request.extensions.get("dryRun") == Some(&Value::Boolean(true))
}

/// The code of a limit async-graphql enforces, recognised by its message.
fn limit_code(message: &str) -> Option<&'static str> {
    if message.contains("recursion depth") { Some("RECURSION_LIMIT") } else { None }
}

fn is_mutation(document: &ExecutableDocument, name: Option<&str>) -> bool {
    operation_type(document, name) == Some(OperationType::Mutation)
}

/// The type of the operation `name` of `document` (`None` if there is no such operation).
pub(super) fn operation_type(document: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    use async_graphql::parser::types::DocumentOperations;
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        // A single named operation is parsed into `Multiple`; run without a name it is the one.
        (DocumentOperations::Multiple(ops), None) => ops.values().next().filter(|_| ops.len() == 1),
    };
    operation.map(|op| op.node.ty)
}

/// A variable the operation requires (non-null, without a default) that the request does not
/// give: a request error by the spec's CoerceVariableValues, which async-graphql 7 leaves to
/// the first field that reads it (as an uncoded field error).
pub(super) fn missing_variable(
    document: &ExecutableDocument,
    request: &async_graphql::Request,
) -> Option<String> {
    use async_graphql::parser::types::DocumentOperations;
    let operation = match (&document.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name)?,
        (DocumentOperations::Multiple(ops), None) => ops.values().next().filter(|_| ops.len() == 1)?,
    };
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

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}
