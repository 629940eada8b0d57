//! The `rustbelt` binary: parse the configuration, start logging, hand over to the library.

use std::process::ExitCode;

use clap::Parser;
use rustbelt::config::{Command, Config, Import};

fn main() -> ExitCode {
    let config = Config::parse();
    rustbelt::telemetry::init();
    let result = match config.command {
        Some(Command::Schema) => {
            print!("{}", rustbelt::graphql::sdl());
            Ok(())
        }
        Some(Command::Serve(serve)) => rustbelt::app::run(serve),
        Some(Command::Import(Import::Observations(args))) => rustbelt::import::observations(&args),
        Some(Command::Synthesize(args)) => rustbelt::import::synthesize(&args),
        None => rustbelt::app::run(config.serve),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
