//! Runs one command: the offline ones against the configuration and database, the rest over
//! HTTP.

pub mod audit;
pub mod check;
pub mod completion;
pub mod connect;
pub mod db;
pub mod grant;
pub mod login;
pub mod man;
pub mod policy;
pub mod report;
pub mod request;
pub mod review;
pub mod serve;
pub mod ssh;
pub mod token;
mod whoami;

use std::path::Path;

use anyhow::{Result, bail};

use crate::args::{Cli, Command, Global};
use crate::exit::Verdict;

pub async fn run(cli: Cli) -> Result<Verdict> {
    let global = &cli.global;
    match cli.command {
        Command::Serve(args) => serve::run(global, args).await,
        Command::Token(cmd) => token::run(global, cmd).await,
        Command::Policy(cmd) => policy::run(global, cmd),
        Command::Audit(cmd) => audit::run(global, cmd).await,
        Command::Whoami => whoami::run(global).await,
        Command::Check(args) => check::run(global, args).await,
        Command::Request(cmd) => request::run(global, cmd).await,
        Command::Grant(cmd) => grant::run(global, cmd).await,
        Command::Report(cmd) => report::run(global, cmd).await,
        Command::Review(cmd) => review::run(global, cmd).await,
        Command::Connect(args) => connect::run(global, args).await,
        Command::Db(cmd) => db::run(global, cmd).await,
        Command::Ssh(cmd) => ssh::run(global, cmd).await,
        Command::Login(args) => login::login(global, &args).await,
        Command::Logout => login::logout(global).await,
        Command::Completion(args) => completion::run(&args),
        Command::Man(args) => man::run(&args),
    }
}

/// The configuration file of `--config`, which must exist.
pub fn config_file(global: &Global) -> Result<&Path> {
    let path = global.config.as_path();
    if !path.is_file() {
        bail!(
            "configuration file `{}` not found; pass `--config FILE` or set `WICKET_CONFIG`",
            path.display()
        );
    }
    Ok(path)
}

/// `alice` means `user:alice`; `user:alice` and `group:sre` stay as they are.
pub fn subject(text: &str) -> String {
    if text.contains(':') {
        text.to_string()
    } else {
        format!("user:{text}")
    }
}
