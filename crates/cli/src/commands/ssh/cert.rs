//! `wicket ssh cert`: signs your key (or a fresh one it writes) and puts the certificate next
//! to it as `KEY-cert.pub`, where `ssh -i KEY` finds it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::json;

use crate::args::Global;
use crate::client::Client;
use crate::exit::Verdict;
use crate::output::{self, Format};

#[derive(Debug, Args)]
pub struct CertArgs {
    /// Your private key file; a fresh Ed25519 key is written there (and KEY.pub) when it does
    /// not exist. The certificate goes to KEY-cert.pub
    #[arg(long, value_name = "KEY")]
    pub key: Option<PathBuf>,
}

/// `~/.ssh/wicket_ed25519`.
fn default_key() -> Result<PathBuf> {
    let home = std::env::var_os("HOME")
        .context("no `--key` given and `HOME` is not set; pass `--key FILE`")?;
    Ok(Path::new(&home).join(".ssh").join("wicket_ed25519"))
}

/// `KEY-cert.pub` for `KEY` (or for `KEY.pub`).
fn cert_path(key: &Path) -> PathBuf {
    let text = key.as_os_str().to_string_lossy();
    let base = text.strip_suffix(".pub").unwrap_or(&text);
    PathBuf::from(format!("{base}-cert.pub"))
}

pub async fn run(global: &Global, args: CertArgs) -> Result<Verdict> {
    let key = match args.key {
        Some(k) => k,
        None => default_key()?,
    };
    let public_file = if key.extension().is_some_and(|e| e == "pub") {
        key.clone()
    } else {
        wicket_engine::ssh::ca::pub_path(&key)
    };
    if !key.exists() && !public_file.exists() {
        if let Some(dir) = key.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
        }
        let comment = format!("wicket {}", chrono::Utc::now().format("%Y-%m-%d"));
        wicket_engine::ssh::ca::keygen(&key, &comment)?;
        eprintln!("wrote a new key to `{}`", key.display());
    }
    let public_key = std::fs::read_to_string(&public_file).with_context(|| {
        format!(
            "cannot read the public key `{}` (give `--key` the private key whose `.pub` sits beside it)",
            public_file.display()
        )
    })?;
    let answer = Client::new(global)?
        .post("/v1/ssh/certs", &json!({ "public_key": public_key.trim() }))
        .await?;
    let Some(certificate) = answer["certificate"].as_str() else {
        bail!("the server's answer to `POST /v1/ssh/certs` has no certificate");
    };
    let out = cert_path(&key);
    let tmp = out.with_extension("pub.tmp");
    std::fs::write(&tmp, format!("{certificate}\n"))
        .and_then(|()| std::fs::rename(&tmp, &out))
        .with_context(|| format!("cannot write the certificate to `{}`", out.display()))?;
    if global.output == Format::Json {
        output::json(&answer)?;
        return Ok(Verdict::Yes);
    }
    let principals: Vec<&str> = answer["principals"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p.as_str()).collect())
        .unwrap_or_default();
    output::outln!("{}", out.display());
    eprintln!(
        "certificate for {} valid until {}; log in with `ssh -i {} LOGIN@HOST`",
        principals.join(", "),
        answer["valid_before"].as_str().unwrap_or("?"),
        key.display()
    );
    Ok(Verdict::Yes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_sits_next_to_the_key() {
        assert_eq!(
            cert_path(Path::new("/k/id")),
            PathBuf::from("/k/id-cert.pub")
        );
        assert_eq!(
            cert_path(Path::new("/k/id.pub")),
            PathBuf::from("/k/id-cert.pub")
        );
    }
}
