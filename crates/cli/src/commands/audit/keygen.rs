//! `wicket audit keygen --out FILE`: a new checkpoint signing key; prints its public key.

use std::path::Path;

use anyhow::Result;
use serde_json::json;
use wicket_engine::checkpoint;

use crate::args::Global;
use crate::exit::Verdict;
use crate::output::{self, Format, outln};

pub fn run(global: &Global, out: &Path) -> Result<Verdict> {
    let key = checkpoint::keygen(out)?;
    let public = checkpoint::public_key_hex(&key.verifying_key());
    match global.output {
        Format::Json => {
            output::json(&json!({ "file": out.display().to_string(), "public_key": public }))?
        }
        Format::Human => {
            eprintln!(
                "wrote the private key to {}; keep it off the database host's backups, and pin \
                 this public key where audits are verified:",
                out.display()
            );
            outln!("{public}");
        }
    }
    Ok(Verdict::Yes)
}
