//! `rustbelt`: a GraphQL API over China's 2013 plan for old industrial bases.
//!
//! Layout (imports only point down this chain):
//!
//! ```text
//! main.rs → app → http → graphql → db → domain
//!                           └──────────→ domain        (config, telemetry: leaves)
//! ```
//!
//! - [`domain`]: the plan's vocabulary and pure logic (the target evaluator); no I/O.
//! - [`db`]: all SQL. One writer and a pool of read-only readers, migrations, the embedded seed.
//! - [`graphql`]: the schema: thin resolvers over DataLoaders, error codes, limits.
//! - [`http`]: the axum router: GraphQL over HTTP, the offline GraphiQL page, health.
//! - [`app`]: the composition root: open the database, build schema and router, serve.
//! - [`import`]: the commands that write without a server: `import observations` (CSV or a
//!   spreadsheet, long or wide, through the same checks as the `recordObservations` mutation),
//!   `import cities`, `backup`, and the hidden `synthesize`.

mod app;
pub mod config;
mod db;
mod domain;
mod graphql;
mod http;
pub mod import;
mod telemetry;

// What the binary runs: serving (its runtime and router, which the in-process tests build too),
// the SDL, logging; `import` and `config` are the commands and their flags.
pub use app::{build, run, runtime};
pub use graphql::sdl;
pub use telemetry::init as init_logging;

// What the integration tests read beside the binary.
pub use domain::template;
pub use graphql::persisted::hash as persisted_query_hash;

/// The evaluator alone (`benches/evaluator.rs`): pure functions over a target and a series.
pub use domain::evaluation;

/// The engine without HTTP, as the criterion benchmark `benches/execute.rs` drives it: a
/// database, the schema over it, and the one way a request runs.
pub mod engine {
    pub use crate::db::{Db, DbOptions};
    pub use crate::graphql::{Limits, Outcome, Transport, Writes, build_schema, respond};
}
