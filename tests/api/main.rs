//! Integration tests on a real SQLite file, in two tiers: the real binary on a free port asked by
//! a real HTTP client (`common::Server`), for whatever needs a process; the same router inside
//! the test, asked with tower's `oneshot` (`in_process::Server`), for tests that only talk to
//! the API.

mod admission;
mod aggregates;
mod argument_bounds;
mod cache_rules;
mod caching;
mod call;
mod common;
mod connections;
mod cost;
mod cost_property;
mod coverage;
mod docs_examples;
mod docs_flags;
mod docs_links;
mod durability;
mod errors;
mod evaluation;
mod exports;
mod gaps;
mod grades;
mod hostile;
mod http_rules;
mod import;
mod import_cities;
mod import_formats;
mod in_process;
mod integrators;
mod limits;
mod lists;
mod litestream;
mod live;
mod live_endurance;
mod live_limits;
mod lookups;
mod operations;
mod persistence;
mod plain_objects;
mod playground;
mod related;
mod related_model;
mod related_property;
mod replica;
mod round_trip;
mod scale;
mod schema_sdl;
mod write_outcomes;
mod writes;
