//! The GraphQL schema over the plan: types wrap domain values, resolvers are thin, every
//! relation goes through a per-request DataLoader, and every error carries a stable code.
//!
//! [`execute`] is the one way in: it gives the request its own loaders and reports the SQL
//! statements it ran and its elapsed time in `extensions`.

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

use async_graphql::{EmptySubscription, SDLExportOptions, Schema, Value};

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
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            shape: ShapeLimits::default(),
            max_complexity: 50_000,
            pages: PageLimits::default(),
            introspection: true,
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
pub async fn execute(schema: &AppSchema, request: async_graphql::Request) -> async_graphql::Response {
    let started = Instant::now();
    let Some(db) = schema.data::<Db>().cloned() else {
        return schema.execute(request).await;
    };
    let batches = Arc::new(Batches::default());
    let loaders = Loaders::new(db, batches.clone());
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
}

/// Parses, checks and executes one request, classifying the result for HTTP.
pub async fn respond(
    schema: &AppSchema,
    request: async_graphql::Request,
    transport: Transport,
    bearer: Option<String>,
) -> Outcome {
    let mut request = request.data(Bearer(bearer));
    let operation_name = request.operation_name.clone();
    let mut read_only = true;
    let limits = schema.data::<ShapeLimits>().copied().unwrap_or_default();
    if let Err(breach) = shape::check_source(&request.query, &limits) {
        return Outcome::RequestError(request_error(breach.message, breach.code));
    }
    match request.parsed_query() {
        Err(error) => {
            let message = format!("the query does not parse: {}", truncate(&error.to_string(), 300));
            return Outcome::RequestError(request_error(message, "GRAPHQL_PARSE_FAILED"));
        }
        Ok(document) => {
            if let Err(breach) = shape::check(document, &limits) {
                return Outcome::RequestError(request_error(breach.message, breach.code));
            }
            if schema.data::<IntrospectionOff>().is_some() && shape::introspects(document) {
                let message = "introspection is switched off on this server";
                return Outcome::RequestError(request_error(message, "INTROSPECTION_DISABLED"));
            }
            if is_mutation(document, operation_name.as_deref()) {
                if transport == Transport::Get {
                    return Outcome::MutationOverGet;
                }
                read_only = false;
            }
        }
    }
    let mut response = execute(schema, request).await;
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
