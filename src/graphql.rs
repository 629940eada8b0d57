//! The GraphQL schema over the plan: types wrap domain values, resolvers are thin, every
//! relation goes through a per-request DataLoader, and every error carries a stable code.
//!
//! [`respond`] is the one way in: it waits for a turn (a bounded number of requests execute at
//! once), runs the request with its own loaders and read session (inline on its async worker
//! when it is known to be light, else on a blocking-pool thread), stops it at its deadline,
//! and reports the SQL statements it ran and its elapsed time in `extensions`.

mod bounds;
mod city;
mod cost;
mod enums;
mod error;
mod evaluation;
mod evaluations;
mod events;
mod facets;
mod filter;
mod indicator;
mod lanes;
mod lists;
mod live;
mod loaders;
mod mutation;
mod node;
mod observation;
mod order;
mod paging;
pub mod persisted;
mod plan;
mod province;
mod query;
mod ranking;
mod related;
mod related_cost;
mod respond;
mod rollup;
mod schema_map;
mod shape;
mod subscription;
mod tally;
mod target;
pub mod views;

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{SDLExportOptions, Schema, ValidationMode};
use tokio::sync::Semaphore;

pub use cost::CostLimits;
pub use error::{ApiError, ApiResult, db_error};
pub use events::EventDeadline;
pub use live::{accepts_token, over_socket};
pub use mutation::{Bearer, MutationRoot, ReplicaOf, WriteToken, Writes};
pub use paging::PageLimits;
pub use query::QueryRoot;

use crate::db::Db;
use loaders::Loaders;
use respond::{Documents, IntrospectionOff, KnownValid, Turns};
pub use respond::{Outcome, Ran, Transport, is_request_error, request_error, respond};
pub use shape::ShapeLimits;
pub use subscription::SubscriptionRoot;

/// The schema type served.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Bounds on what one request may ask for.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Size and shape of the document.
    pub shape: ShapeLimits,
    /// The most a query may cost, estimated before it runs (see [`cost`]).
    pub cost: CostLimits,
    /// Page sizes.
    pub pages: PageLimits,
    /// Whether clients may introspect the schema (on: this is public reference data).
    pub introspection: bool,
    /// Most requests executing at once; the others wait for a turn within their deadline.
    pub max_concurrent: usize,
    /// What a query run inline on an async worker may take (see [`respond`]).
    pub inline: InlineLimits,
}

/// How long, and how many rows, a query run inline on an async worker may take before it is
/// stopped and run again on the blocking pool. The default (1 ms) bounds how long one run can
/// keep the worker's other connections (cached answers among them) waiting, and is ample for a
/// lookup (17 µs in-process, criterion). It is checked as SQL runs (before each statement, at
/// each row, and by SQLite's progress handler); work between reads is bounded by the document
/// and page limits instead. Zero in either turns inline runs off.
#[derive(Debug, Clone, Copy)]
pub struct InlineLimits {
    pub time: Duration,
    pub rows: u64,
}

impl Default for InlineLimits {
    fn default() -> Self {
        Self { time: Duration::from_millis(1), rows: 500 }
    }
}

impl InlineLimits {
    fn allow_inline(self) -> bool {
        !self.time.is_zero() && self.rows > 0
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            shape: ShapeLimits::default(),
            cost: CostLimits::default(),
            pages: PageLimits::default(),
            introspection: true,
            max_concurrent: 4,
            inline: InlineLimits::default(),
        }
    }
}

/// Builds the schema over `db`; writes need `write_token`, and without one the server is
/// read-only.
pub fn build_schema(db: Db, limits: Limits, writes: Writes) -> AppSchema {
    let (write_token, replica) = match writes {
        Writes::Token(token) => (token, None),
        Writes::Replica { primary } => (None, Some(ReplicaOf(primary))),
    };
    let turns = Turns(Arc::new(Semaphore::new(limits.max_concurrent.max(1))));
    let build = |mode: ValidationMode| {
        // Depth is checked by `shape` (which leaves introspection out), not by `limit_depth`.
        let mut builder = Schema::build(QueryRoot, MutationRoot, SubscriptionRoot)
            .data(db.clone())
            .data(limits.shape)
            .data(WriteToken(write_token.clone().filter(|t| !t.is_empty())))
            .data(replica.clone())
            .data(limits.pages)
            .data(limits.inline)
            .data(limits.cost)
            .validation_mode(mode);
        if !limits.introspection {
            builder = builder.disable_introspection().data(IntrospectionOff);
        }
        builder
    };
    let known_valid = KnownValid(build(ValidationMode::Fast).finish());
    build(ValidationMode::Strict)
        .data(turns)
        .data(lanes::HeavyLane::new(db.heavy_rows(), db.heavy_passes()))
        .data(Documents::new())
        .data(known_valid)
        .extension(events::EventLoaders)
        .finish()
}

/// The schema's SDL, exactly as `schema/schema.graphql` holds it (rendered once).
pub fn sdl() -> &'static str {
    static SDL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SDL.get_or_init(|| {
        let schema = Schema::build(QueryRoot, MutationRoot, SubscriptionRoot).finish();
        let options = SDLExportOptions::new().sorted_fields().sorted_enum_items();
        schema.sdl_with_options(options.use_space_ident().indent_width(2))
    })
}

/// The request's loaders; an error (never a panic) if the request was not prepared by
/// [`respond`].
fn loaders<'a>(ctx: &async_graphql::Context<'a>) -> ApiResult<&'a Loaders> {
    ctx.data::<Loaders>().map_err(|_| ApiError::Internal.into())
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
