//! The `wicket` binary: parses the command line, runs one command, and turns its outcome into
//! an exit code (0 yes, 1 a "no" answer, 2 an error).

mod api;
mod args;
mod client;
mod commands;
mod exit;
mod output;
mod progress;
mod session;
mod usage;

use std::process::ExitCode;

use clap::Parser;

/// The server allocates and frees small buffers for every request and statement; mimalloc's
/// per-thread free lists serve them with fewer instructions and less lock traffic than glibc's
/// malloc (measured in BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage::report(&e),
    };
    let format = cli.global.output;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return exit::report(
                &anyhow::Error::new(e).context("starting the async runtime"),
                format,
            );
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(verdict) => verdict.code(),
        Err(e) => exit::report(&e, format),
    }
}
