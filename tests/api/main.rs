//! Integration tests: the real binary on a free port, a real SQLite file, a real HTTP client.

mod aggregates;
mod argument_bounds;
mod caching;
mod common;
mod cost;
mod cost_property;
mod coverage;
mod errors;
mod evaluation;
mod hostile;
mod http_rules;
mod import;
mod import_cities;
mod inline;
mod integrators;
mod limits;
mod lists;
mod live;
mod live_limits;
mod lookups;
mod operations;
mod persistence;
mod playground;
mod scale;
mod schema_sdl;
mod writes;
