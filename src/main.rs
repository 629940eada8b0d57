//! The `rustbelt` binary: parse the configuration, start logging, hand over to the library.

use std::process::ExitCode;

use clap::Parser;
use rustbelt::config::{Command, Config, Import, LogFormat};

/// jemalloc with one arena (configured in `.cargo/config.toml`): glibc's allocator and
/// mimalloc both keep what a request freed with the thread that freed it, so peak memory grows
/// with every thread that ever ran a large request; one arena shares it. `benches/run.sh`
/// measures peak memory at 64 connections on the x1,000 database.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let config = Config::parse();
    rustbelt::init_logging(config.log_format == LogFormat::Json);
    let result = match config.command {
        Some(Command::Schema) => {
            print!("{}", rustbelt::sdl());
            Ok(())
        }
        Some(Command::Serve(serve)) => rustbelt::run(*serve),
        Some(Command::Import(Import::Observations(args))) => rustbelt::import::observations(&args),
        Some(Command::Import(Import::Cities(args))) => rustbelt::import::cities(&args),
        Some(Command::Synthesize(args)) => rustbelt::import::synthesize(&args),
        Some(Command::Backup(args)) => rustbelt::import::backup(&args),
        None => rustbelt::run(config.serve),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
