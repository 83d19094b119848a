//! `wicket completion bash|zsh|fish`: the shell's completion script, generated from the same
//! argument definitions as the parser, so it never lags behind a new command or option.

use std::io::Write;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory, ValueEnum};

use crate::args::Cli;
use crate::exit::Verdict;

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to complete in
    pub shell: Shell,
}

/// The shells with a completion script.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

pub fn run(args: &CompletionArgs) -> Result<Verdict> {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "wicket", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)
        .and_then(|()| out.flush())
        .context("writing the completion script")?;
    Ok(Verdict::Yes)
}
