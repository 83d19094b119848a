//! `wicket man`: the manual page in roff, generated from the same argument definitions as the
//! parser. Without `--out`, the page of `wicket` itself on stdout; with `--out DIR`, one page
//! per command (`wicket.1`, `wicket-request.1`, `wicket-request-create.1`, ...) for `MANPATH`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory};

use crate::args::Cli;
use crate::exit::Verdict;
use crate::output::outln;

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write one page per command into this directory (made if missing) instead of printing
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(args: &ManArgs) -> Result<Verdict> {
    let command = Cli::command();
    match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("making the directory `{}`", dir.display()))?;
            clap_mangen::generate_to(command, dir)
                .with_context(|| format!("writing the manual pages into `{}`", dir.display()))?;
            let pages = std::fs::read_dir(dir)
                .with_context(|| format!("reading `{}`", dir.display()))?
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".1"))
                .count();
            outln!(
                "wrote {pages} manual pages into {}; read one with `man -l {}/wicket.1`, or install them in a `man1` directory on your MANPATH",
                dir.display(),
                dir.display()
            );
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .context("rendering the manual page")?;
            let mut out = std::io::stdout().lock();
            out.write_all(&page)
                .and_then(|()| out.flush())
                .context("writing the manual page")?;
        }
    }
    Ok(Verdict::Yes)
}
