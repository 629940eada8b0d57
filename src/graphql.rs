//! The GraphQL schema over the plan: types wrap domain values, resolvers are thin, every
//! relation goes through a per-request DataLoader, and every error carries a stable code.
//!
//! [`respond`] is the one way in: it waits for a turn (a bounded number of requests execute at
//! once), runs the request on a blocking-pool thread with its own loaders and read session,
//! stops it at its deadline, and reports the SQL statements it ran and its elapsed time in
//! `extensions`.

mod city;
mod enums;
mod error;
mod evaluation;
mod evaluations;
mod filter;
mod indicator;
mod lists;
mod loaders;
mod mutation;
mod node;
mod observation;
mod paging;
mod plan;
mod province;
mod query;
mod ranking;
mod shape;
mod target;

use std::sync::Arc;
use std::time::Instant;

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{EmptySubscription, SDLExportOptions, Schema, Value};
use quick_cache::sync::Cache;
use tokio::sync::Semaphore;

pub use error::{ApiError, ApiResult, db_error};
pub use mutation::{Bearer, MutationRoot, WriteToken};
pub use paging::PageLimits;
pub use query::QueryRoot;

use crate::db::Db;
use loaders::{Batches, Loaders, WithBatches};
pub use shape::ShapeLimits;

/// The schema type served.
pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Bounds on what one request may ask for.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Size and shape of the document.
    pub shape: ShapeLimits,
    /// Highest total complexity allowed (async-graphql's count: each selected field costs 1).
    pub max_complexity: usize,
    /// Page sizes.
    pub pages: PageLimits,
    /// Whether clients may introspect the schema (on: this is public reference data).
    pub introspection: bool,
    /// Most requests executing at once; the others wait for a turn within their deadline.
    pub max_concurrent: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            shape: ShapeLimits::default(),
            max_complexity: 50_000,
            pages: PageLimits::default(),
            introspection: true,
            max_concurrent: 4,
        }
    }
}

/// Builds the schema over `db`; writes need `write_token`, and without one the server is
/// read-only.
pub fn build_schema(db: Db, limits: Limits, write_token: Option<String>) -> AppSchema {
    // Depth is checked by `shape` (which leaves introspection out), not by `limit_depth`.
    let mut builder = Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .data(db)
        .data(limits.shape)
        .data(WriteToken(write_token.filter(|t| !t.is_empty())))
        .data(limits.pages)
        .data(Turns(Arc::new(Semaphore::new(limits.max_concurrent.max(1)))))
        .data(Documents::new())
        .limit_complexity(limits.max_complexity);
    if !limits.introspection {
        builder = builder.disable_introspection().data(IntrospectionOff);
    }
    builder.finish()
}

/// The schema's SDL, exactly as `schema/schema.graphql` holds it (rendered once).
pub fn sdl() -> &'static str {
    static SDL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SDL.get_or_init(|| {
        let schema = Schema::build(QueryRoot, MutationRoot, EmptySubscription).finish();
        let options = SDLExportOptions::new().sorted_fields().sorted_enum_items();
        schema.sdl_with_options(options.use_space_ident().indent_width(2))
    })
}

/// Executes one request with fresh loaders, adding `extensions.sqlStatements` (statements the
/// request ran) and `extensions.elapsedMs` to the response.
async fn execute(
    schema: &AppSchema,
    request: async_graphql::Request,
    deadline: Instant,
) -> async_graphql::Response {
    let started = Instant::now();
    let Some(db) = schema.data::<Db>().cloned() else {
        return schema.execute(request).await;
    };
    let batches = Arc::new(Batches::default());
    let loaders = Loaders::new(db, batches.clone(), deadline);
    let counter = loaders.counter.clone();
    let mut response = WithBatches::new(schema.execute(request.data(loaders)), batches).await;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    response.extensions.insert("sqlStatements".into(), Value::from(counter.get()));
    response.extensions.insert("elapsedMs".into(), Value::from((elapsed_ms * 1000.0).round() / 1000.0));
    response
}

/// The request's loaders; an error (never a panic) if the request was not prepared by
/// [`execute`].
fn loaders<'a>(ctx: &async_graphql::Context<'a>) -> ApiResult<&'a Loaders> {
    ctx.data::<Loaders>().map_err(|_| ApiError::Internal.into())
}

/// Turns to execute: how many requests may run at once.
struct Turns(Arc<Semaphore>);

/// Parsed documents by their text, each checked against the shape limits: a dashboard that
/// sends the same document every few seconds has it parsed once. Bounded in bytes.
struct Documents(Cache<String, Arc<ExecutableDocument>, DocumentWeight>);

#[derive(Clone)]
struct DocumentWeight;

impl quick_cache::Weighter<String, Arc<ExecutableDocument>> for DocumentWeight {
    fn weight(&self, text: &String, _: &Arc<ExecutableDocument>) -> u64 {
        // An estimate, not a measurement: a parsed document holds every name, position and
        // argument of its text in separate allocations, several times the text's size.
        (text.len() as u64 * 6).max(1)
    }
}

impl Documents {
    /// Most bytes of documents kept.
    const BYTES: u64 = 16 << 20;

    fn new() -> Self {
        Self(Cache::with_weighter(1_024, Self::BYTES, DocumentWeight))
    }
}

/// Marks a schema built with introspection off, so such requests get a clear error (async-graphql
/// alone answers them with a silent null).
struct IntrospectionOff;

/// How a request arrived: GET may only read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Get,
    Post,
}

/// What became of a request, for the HTTP layer to turn into a status.
pub enum Outcome {
    /// The operation ran (perhaps with field errors): `data` is present. `read_only` is true
    /// for queries, whose responses may be cached until the data changes.
    Executed { response: async_graphql::Response, read_only: bool },
    /// The document did not parse or validate, or its variables were wrong: nothing ran and
    /// the response has no `data`.
    RequestError(async_graphql::Response),
    /// A mutation arrived over GET: nothing ran.
    MutationOverGet,
    /// The deadline passed (waiting for a turn included): the request was stopped.
    TimedOut,
}

impl Outcome {
    /// An answer without any error.
    fn is_complete(&self) -> bool {
        matches!(self, Outcome::Executed { response, .. } if response.errors.is_empty())
    }
}

/// Parses, checks and executes one request by `deadline`, classifying the result for HTTP.
///
/// The request waits for a turn, then runs on a blocking-pool thread: its SQL runs there
/// directly, in one read session (one snapshot, no hand-off per statement), and the async
/// workers stay free for I/O and cached answers. The turn is held until the work has really
/// ended, even when the caller has stopped waiting, so at most `max_concurrent` requests
/// ever execute at once.
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
    let turn = match tokio::time::timeout_at(deadline.into(), turns.clone().acquire_owned()).await {
        Ok(Ok(turn)) => turn,
        _ => return Outcome::TimedOut,
    };
    let (schema, runtime) = (schema.clone(), tokio::runtime::Handle::current());
    let work = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let run = respond_here(&schema, request, transport, bearer, deadline);
        // The timer stops a request that waits (a write); the read session stops SQL at the
        // deadline; and an answer with errors that ends after its deadline is reported as
        // timed out, not as the partial answer it became. A complete answer is never dropped.
        let outcome = runtime.block_on(tokio::time::timeout_at(deadline.into(), run)).ok();
        outcome.filter(|outcome| Instant::now() < deadline || outcome.is_complete())
    });
    match work.await {
        Ok(Some(outcome)) => outcome,
        Ok(None) => Outcome::TimedOut,
        Err(failed) => {
            tracing::error!(error = %failed, "a request's execution failed");
            Outcome::RequestError(request_error("internal error", "INTERNAL"))
        }
    }
}

/// [`respond`]'s work, on the thread that runs the request.
async fn respond_here(
    schema: &AppSchema,
    request: async_graphql::Request,
    transport: Transport,
    bearer: Option<String>,
    deadline: Instant,
) -> Outcome {
    let mut request = request.data(Bearer(bearer));
    let document = match prepare(schema, &request.query) {
        Ok(document) => document,
        Err((message, code)) => return Outcome::RequestError(request_error(message, code)),
    };
    let mut read_only = true;
    if is_mutation(&document, request.operation_name.as_deref()) {
        if transport == Transport::Get {
            return Outcome::MutationOverGet;
        }
        read_only = false;
    }
    request.set_parsed_query(Arc::unwrap_or_clone(document));
    let mut response = execute(schema, request, deadline).await;
    let request_failed = response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    if !request_failed {
        return Outcome::Executed { response, read_only };
    }
    for error in &mut response.errors {
        let code = limit_code(&error.message).unwrap_or("GRAPHQL_VALIDATION_FAILED");
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", code);
        }
    }
    Outcome::RequestError(response)
}

/// The parsed document of `source`, checked against the shape limits (and the introspection
/// switch); parsed once per distinct text while it stays in [`Documents`].
fn prepare(schema: &AppSchema, source: &str) -> Result<Arc<ExecutableDocument>, (String, &'static str)> {
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
    let document = Arc::new(document);
    if let Some(documents) = documents {
        documents.0.insert(source.to_string(), document.clone());
    }
    Ok(document)
}

/// The code of a limit async-graphql enforces, recognised by its message.
fn limit_code(message: &str) -> Option<&'static str> {
    if message.contains("too complex") {
        Some("COMPLEXITY_LIMIT")
    } else if message.contains("recursion depth") {
        Some("RECURSION_LIMIT")
    } else {
        None
    }
}

fn is_mutation(document: &async_graphql::parser::types::ExecutableDocument, name: Option<&str>) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(_), None) => None,
    };
    operation.is_some_and(|op| op.node.ty == OperationType::Mutation)
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

/// The data version: every write changes it, so responses cached under one version are
/// correct until it moves.
pub fn data_version(schema: &AppSchema) -> u64 {
    schema.data::<Db>().map_or(0, Db::data_version)
}

/// Whether the database answers: for readiness probes.
pub async fn ready(schema: &AppSchema) -> bool {
    match schema.data::<Db>() {
        Some(db) => db.ping().await.is_ok(),
        None => false,
    }
}
