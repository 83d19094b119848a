//! `wicket policy check`: parse and validate a configuration file, then lint it.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use serde_json::json;
use wicket_core::Config;
use wicket_core::config::lint::lint;

use crate::args::Global;
use crate::exit::Verdict;
use crate::output::{self, Format, count, outln};
use crate::progress::Progress;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate a configuration file and warn about likely mistakes (exit 1 when invalid)
    Check {
        /// The file to check (default: `--config`)
        file: Option<PathBuf>,
        /// Fail (exit 1) on warnings too
        #[arg(long)]
        deny_warnings: bool,
    },
}

pub fn run(global: &Global, cmd: PolicyCommand) -> Result<Verdict> {
    let PolicyCommand::Check {
        file,
        deny_warnings,
    } = cmd;
    let path = file.unwrap_or_else(|| global.config.clone());
    let name = path.display().to_string();
    // A policy of many thousand roles takes seconds: say what is under way meanwhile.
    let progress = Progress::spinner(&format!("reading `{name}`"));
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading `{name}`"))?;
    progress.step(&format!("validating `{name}`"));
    let parsed = Config::parse_all(&name, &text);
    if parsed.is_ok() {
        progress.step(&format!("looking for likely mistakes in `{name}`"));
    }
    let config = match parsed {
        Ok(config) => config,
        Err(errors) => {
            progress.finish();
            match global.output {
                Format::Human => {
                    for e in &errors {
                        eprintln!("error: {e}");
                    }
                    if errors.len() > 1 {
                        eprintln!("{} in `{name}`", count(errors.len(), "error", "errors"));
                    }
                }
                Format::Json => {
                    let all: Vec<_> = errors
                        .iter()
                        .map(|e| json!({ "key": e.key, "message": e.message }))
                        .collect();
                    output::json(&json!({
                        "file": name,
                        "valid": false,
                        "error": errors[0].to_string(),
                        "errors": all,
                    }))?
                }
            }
            return Ok(Verdict::No);
        }
    };
    let warnings = lint(&config);
    progress.finish();
    let fails = deny_warnings && !warnings.is_empty();
    match global.output {
        Format::Human => {
            outln!(
                "ok: {name} is valid ({}, {})",
                count(config.roles.len(), "role", "roles"),
                count(config.policies.len(), "policy", "policies")
            );
            for w in &warnings {
                outln!("warning: {}: {}", w.key, w.message);
            }
            if fails {
                eprintln!(
                    "error: {} and `--deny-warnings`",
                    count(warnings.len(), "warning", "warnings")
                );
            }
        }
        Format::Json => {
            let warnings: Vec<_> = warnings
                .iter()
                .map(|w| json!({ "key": w.key, "message": w.message }))
                .collect();
            output::json(&json!({
                "file": name,
                "valid": true,
                "roles": config.roles.len(),
                "policies": config.policies.len(),
                "warnings": warnings,
            }))?;
        }
    }
    Ok(Verdict::from_bool(!fails))
}
