//! The GraphQL schema over the plan: types wrap domain values, resolvers are thin, every
//! relation goes through a per-request DataLoader, and every error carries a stable code.
//!
//! [`respond`] is the one way in: it checks the document and estimates its cost, gives it a lane
//! by that estimate (inline on its async worker when it is light, else a blocking-pool thread,
//! after a place in the heavy lane when it is heavy), waits for a turn (a bounded number of
//! requests execute at once), runs the request with its own loaders and read session, stops it
//! at its deadline, and reports the SQL statements it ran and its elapsed time in `extensions`.

mod error;
mod limits;
mod request;
mod schema_map;
mod types;

pub use request::{persisted, views};

use std::sync::Arc;

use async_graphql::{SDLExportOptions, Schema, ValidationMode};
use tokio::sync::Semaphore;

pub use error::{ApiError, ApiResult, db_error};
pub use limits::cost::CostLimits;
pub use limits::shape::ShapeLimits;
pub use request::events::EventDeadline;
pub use request::live::{accepts_token, over_socket};
pub use request::respond::{
    HEAVY_LANE_FULL, Outcome, Ran, Transport, is_request_error, request_error, respond,
};
pub use types::mutation::{MutationRoot, ReplicaOf, WriteToken, Writes};
pub use types::paging::PageLimits;
pub use types::query::QueryRoot;
pub use types::subscription::SubscriptionRoot;

use crate::db::Db;
use request::admission::Admission;
use request::documents::{Documents, IntrospectionOff, KnownValid};
use request::live::Live;
use request::loaders::Loaders;
use request::respond::Turns;

/// The schema type served.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Bounds on what one request may ask for.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Size and shape of the document.
    pub shape: ShapeLimits,
    /// The most a query may cost, estimated before it runs (see [`limits::cost`]).
    pub cost: CostLimits,
    /// Page sizes.
    pub pages: PageLimits,
    /// Whether clients may introspect the schema (on: this is public reference data).
    pub introspection: bool,
    /// Every listed row read whole and every field resolved by the executor (see
    /// [`types::plain`]): for comparing answers.
    pub read_everything: bool,
    /// Most requests executing at once; the others wait for a turn within their deadline.
    pub max_concurrent: usize,
    /// Estimated rows at or under which a query runs inline on its async worker (0: none
    /// does): small enough that it keeps the worker's other connections waiting only briefly.
    pub inline_rows: u64,
    /// Estimated rows over which a request is heavy and waits for the heavy lane, which is half
    /// as wide as the turns.
    pub heavy_rows: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            shape: ShapeLimits::default(),
            cost: CostLimits::default(),
            pages: PageLimits::default(),
            introspection: true,
            read_everything: false,
            max_concurrent: 4,
            inline_rows: 500,
            heavy_rows: 2_000,
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
    let turns = Arc::new(Semaphore::new(limits.max_concurrent.max(1)));
    let build = move |mode: ValidationMode| {
        // Depth is checked by `shape` (which leaves introspection out), not by `limit_depth`.
        let mut builder = Schema::build(QueryRoot, MutationRoot, SubscriptionRoot)
            .data(db.clone())
            .data(limits.shape)
            .data(WriteToken(write_token.clone().filter(|t| !t.is_empty())))
            .data(replica.clone())
            .data(limits.pages)
            .data(limits.cost)
            .validation_mode(mode);
        if !limits.introspection {
            builder = builder.disable_introspection().data(IntrospectionOff);
        }
        if limits.read_everything {
            builder = builder.data(types::plain::ReadEverything);
        }
        builder
    };
    let known_valid = KnownValid(build(ValidationMode::Fast).finish());
    // Only subscription events need the extension that gives them loaders; on the schemas that
    // answer queries and mutations it would still be called around every field resolved. Built
    // on the first subscription: a server nobody subscribes to holds two schemas, not three.
    let (live_build, live_turns) = (build.clone(), turns.clone());
    let live = Live::new(move || {
        live_build(ValidationMode::Strict)
            .data(Turns(live_turns.clone()))
            .extension(request::events::EventLoaders)
            .finish()
    });
    build(ValidationMode::Strict)
        .data(Turns(turns))
        .data(Admission::new(limits.inline_rows, limits.heavy_rows, limits.max_concurrent / 2))
        .data(Documents::new())
        .data(known_valid)
        .data(live)
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

/// The data version as one number (see [`crate::db::DataVersion`]): every write changes it,
/// and no two states of the data share it, so responses cached under one are correct until it
/// moves.
pub fn data_tag(schema: &AppSchema) -> u64 {
    schema.data::<Db>().map_or(0, Db::data_tag)
}

/// Whether clients may introspect the schema (`--introspection`).
pub fn introspection(schema: &AppSchema) -> bool {
    schema.data::<IntrospectionOff>().is_none()
}

/// Whether the database answers: for readiness probes.
pub async fn ready(schema: &AppSchema) -> bool {
    match schema.data::<Db>() {
        Some(db) => db.ping().await.is_ok(),
        None => false,
    }
}
