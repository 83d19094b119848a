//! The command line: global options and the command tree (each command's own arguments live
//! next to its code under `commands/`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands::audit::AuditCommand;
use crate::commands::check::CheckArgs;
use crate::commands::connect::ConnectArgs;
use crate::commands::grant::GrantCommand;
use crate::commands::policy::PolicyCommand;
use crate::commands::report::ReportCommand;
use crate::commands::request::RequestCommand;
use crate::commands::review::ReviewCommand;
use crate::commands::serve::ServeArgs;
use crate::commands::token::TokenCommand;
use crate::output::Format;

/// Temporary, approved, least-privilege access to production.
#[derive(Debug, Parser)]
#[command(name = "wicket", version)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The wicket server to talk to
    #[arg(
        long,
        global = true,
        env = "WICKET_SERVER",
        default_value = "http://127.0.0.1:7070",
        value_name = "URL"
    )]
    pub server: String,
    /// Your API token (mint one with `wicket token create USER`)
    #[arg(
        long,
        global = true,
        env = "WICKET_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// A PEM file of CA certificates to trust for an `https://` server, besides the system's
    #[arg(long, global = true, env = "WICKET_CA", value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// The configuration file, for `serve` and the offline commands
    #[arg(
        long,
        global = true,
        env = "WICKET_CONFIG",
        default_value = "wicket.toml",
        value_name = "FILE"
    )]
    pub config: PathBuf,
    /// How to print results
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub output: Format,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the wicket server
    Serve(ServeArgs),
    /// Mint and revoke API tokens
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check a configuration file
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Verify, list and export the audit log
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Show who you are: groups, standing roles, active grants, wicket powers
    Whoami,
    /// Ask whether an action on a resource is allowed now (exit 0 allowed, 1 denied)
    Check(CheckArgs),
    /// Ask for access, and review other people's requests
    #[command(subcommand)]
    Request(RequestCommand),
    /// List and revoke grants
    #[command(subcommand)]
    Grant(GrantCommand),
    /// Access reviews: list campaigns, certify or revoke items, start one, its report
    #[command(subcommand)]
    Review(ReviewCommand),
    /// Reports over the audit log: `usage` (permissions granted versus exercised)
    #[command(subcommand)]
    Report(ReportCommand),
    /// Open psql through the gateway with a fresh short-lived token
    Connect(ConnectArgs),
    /// Credentials for databases wicket provisions roles in
    #[command(subcommand)]
    Db(crate::commands::db::DbCommand),
    /// SSH certificates bound to your grants, the revocation list, session replays
    #[command(subcommand)]
    Ssh(crate::commands::ssh::SshCommand),
    /// Sign in through your identity provider; later commands use the session it keeps
    Login(crate::commands::login::LoginArgs),
    /// Revoke the session `wicket login` kept, and remove it
    Logout,
    /// Print shell completions (`source <(wicket completion bash)`)
    Completion(crate::commands::completion::CompletionArgs),
    /// Print the manual page (`wicket man | man -l -`), or write one per command with `--out`
    Man(crate::commands::man::ManArgs),
}
