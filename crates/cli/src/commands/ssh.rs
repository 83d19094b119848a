//! `wicket ssh keygen|cert|krl|replay`: make the user CA's key, get a certificate bound to
//! your grants, fetch the key revocation list for `sshd`, and replay a gateway recording.

mod cert;
pub mod gateway;
mod krl;
mod replay;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::args::Global;
use crate::exit::Verdict;

#[derive(Debug, Subcommand)]
pub enum SshCommand {
    /// Make the user certificate authority's Ed25519 key (for `[ssh] ca_key`) and FILE.pub
    Keygen(KeygenArgs),
    /// Get a certificate for your key, valid for the logins your grants allow until they end
    Cert(cert::CertArgs),
    /// Write the key revocation list for `sshd`'s `RevokedKeys` (replaces FILE atomically)
    Krl(krl::KrlArgs),
    /// Replay an SSH gateway session's recording at its recorded pace
    Replay(replay::ReplayArgs),
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the private key (refuses to overwrite); the public key goes to FILE.pub
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub async fn run(global: &Global, cmd: SshCommand) -> Result<Verdict> {
    match cmd {
        SshCommand::Keygen(args) => keygen(args),
        SshCommand::Cert(args) => cert::run(global, args).await,
        SshCommand::Krl(args) => krl::run(global, args).await,
        SshCommand::Replay(args) => replay::run(args).await,
    }
}

fn keygen(args: KeygenArgs) -> Result<Verdict> {
    let public = wicket_engine::ssh::ca::keygen(&args.out, "wicket user CA")?;
    let line = public.to_openssh()?;
    crate::output::outln!("{line}");
    eprintln!(
        "wrote `{}` and `{}`; set `[ssh] ca_key = \"{}\"`, and put the public key in each host's `TrustedUserCAKeys` file",
        args.out.display(),
        wicket_engine::ssh::ca::pub_path(&args.out).display(),
        args.out.display()
    );
    Ok(Verdict::Yes)
}
