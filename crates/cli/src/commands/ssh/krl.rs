//! `wicket ssh krl --out FILE`: fetches the key revocation list and replaces FILE atomically
//! (a temporary file beside it, then a rename), so `sshd` never reads a missing or half file.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use crate::args::Global;
use crate::client::Client;
use crate::exit::Verdict;

#[derive(Debug, Args)]
pub struct KrlArgs {
    /// The file `sshd`'s `RevokedKeys` names
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub async fn run(global: &Global, args: KrlArgs) -> Result<Verdict> {
    let client = Client::new(global)?;
    let mut response = client.stream("/v1/ssh/krl", &[]).await?;
    let mut bytes = Vec::new();
    while let Some(chunk) = client.chunk(&mut response).await? {
        bytes.extend_from_slice(&chunk);
    }
    let dir = match args.out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile_in(&dir)?;
    tmp.1
        .write_all(&bytes)
        .and_then(|()| tmp.1.sync_all())
        .with_context(|| format!("cannot write `{}`", tmp.0.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp.0, std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("cannot set the mode of `{}`", tmp.0.display()))?;
    }
    std::fs::rename(&tmp.0, &args.out).with_context(|| {
        let _ = std::fs::remove_file(&tmp.0);
        format!("cannot replace `{}`", args.out.display())
    })?;
    eprintln!("wrote {} bytes to `{}`", bytes.len(), args.out.display());
    Ok(Verdict::Yes)
}

/// A new file in `dir` with a name nobody else uses.
fn tempfile_in(dir: &std::path::Path) -> Result<(PathBuf, std::fs::File)> {
    for attempt in 0..100u32 {
        let path = dir.join(format!(".wicket-krl.{}.{attempt}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| format!("cannot write in `{}`", dir.display()));
            }
        }
    }
    anyhow::bail!("cannot find a free temporary name in `{}`", dir.display())
}
