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

pub mod app;
pub mod config;
pub mod db;
pub mod domain;
pub mod graphql;
pub mod http;
pub mod import;
pub mod telemetry;
