//! Integration tests: the real binary on a free port, a real SQLite file, a real HTTP client.

mod common;
mod errors;
mod evaluation;
mod import;
mod lists;
mod lookups;
mod persistence;
mod playground;
mod schema_sdl;
mod writes;
