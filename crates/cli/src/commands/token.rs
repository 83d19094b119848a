//! `wicket token create` (offline, straight into the database) and `wicket token revoke` (over
//! HTTP, or offline with `--offline`).

use anyhow::Result;
use clap::Subcommand;
use serde_json::json;

use super::config_file;
use crate::args::Global;
use crate::client::{Client, segment};
use crate::exit::Verdict;
use crate::output::{self, Format, outln};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Mint a token for USER in the database and print it (only it, for `$(...)`)
    Create {
        /// A user declared in the configuration
        user: String,
        /// How long the token lives, like `8h` or `30d` (default: until revoked)
        #[arg(long, value_name = "DURATION")]
        ttl: Option<String>,
        /// Database url (default: the configuration's)
        #[arg(long, env = "WICKET_DATABASE", value_name = "URL")]
        database: Option<String>,
    },
    /// Revoke a token by its id (`tok_...`): over HTTP, or straight in the database
    Revoke {
        /// The token's id (`tok_...`, printed by `wicket token create USER --output json`)
        id: String,
        /// Revoke in the database, like `token create`, with no API token (an administrator
        /// on the server's host)
        #[arg(long)]
        offline: bool,
        /// Database url for `--offline` (default: the configuration's)
        #[arg(long, env = "WICKET_DATABASE", value_name = "URL")]
        database: Option<String>,
    },
}

pub async fn run(global: &Global, cmd: TokenCommand) -> Result<Verdict> {
    match cmd {
        TokenCommand::Create {
            user,
            ttl,
            database,
        } => {
            let config = config_file(global)?;
            let (token, id) = wicket_engine::admin::create_token_with_id(
                config,
                database.as_deref(),
                &user,
                ttl.as_deref(),
            )
            .await?;
            match global.output {
                Format::Human => outln!("{token}"),
                Format::Json => output::json(&json!({ "user": user, "token": token, "id": id }))?,
            }
        }
        TokenCommand::Revoke {
            id,
            offline: true,
            database,
        } => {
            let config = config_file(global)?;
            let record =
                wicket_engine::admin::revoke_token(config, database.as_deref(), &id).await?;
            match global.output {
                Format::Human => outln!("token {id} of {} revoked", record.user),
                Format::Json => output::json(&json!({
                    "id": record.id,
                    "user": record.user,
                    "revoked_at": record.revoked_at.map(wicket_core::time::format),
                }))?,
            }
        }
        TokenCommand::Revoke { id, .. } => {
            let client = Client::new(global)?;
            let answer = client
                .post(&format!("/v1/tokens/{}/revoke", segment(&id)), &json!({}))
                .await?;
            match global.output {
                Format::Human => outln!("token {id} revoked"),
                Format::Json => output::json(&answer)?,
            }
        }
    }
    Ok(Verdict::Yes)
}
