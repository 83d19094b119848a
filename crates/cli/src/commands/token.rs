//! `wicket token create` (offline, straight into the database), and `wicket token list` and
//! `wicket token revoke` (over HTTP, or offline with `--offline`).

use anyhow::{Result, bail};
use chrono::Utc;
use clap::Subcommand;
use serde_json::{Value, json};
use wicket_core::TokenRecord;
use wicket_core::time::format as time;

use super::config_file;
use crate::api::{Items, Token, decode};
use crate::args::Global;
use crate::client::{Client, segment};
use crate::exit::Verdict;
use crate::output::{self, Format, Table, outln, when};

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
    /// List the tokens not revoked, expired ones too (never the tokens themselves): your own,
    /// or everyone's with `wicket:tokens.create`
    List {
        /// Only this user's tokens (`alice` or `user:alice`)
        #[arg(long)]
        user: Option<String>,
        /// Read the database, like `token create`, with no API token (an administrator on
        /// the server's host: everyone's tokens)
        #[arg(long)]
        offline: bool,
        /// Database url for `--offline` (default: the configuration's)
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
        TokenCommand::List {
            user,
            offline,
            database,
        } => {
            let answer = if offline {
                let user = user.as_deref().map(user_name).transpose()?;
                let config = config_file(global)?;
                let tokens =
                    wicket_engine::admin::list_tokens(config, database.as_deref(), user).await?;
                offline_items(&tokens)
            } else {
                Client::new(global)?
                    .get("/v1/tokens", &[("user", user)])
                    .await?
            };
            match global.output {
                Format::Json => output::json(&answer)?,
                Format::Human => {
                    print_table(&decode::<Items<Token>>(&answer, "list of tokens")?.items)?
                }
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

/// A user's name from `alice` or `user:alice`.
fn user_name(text: &str) -> Result<&str> {
    match text.split_once(':') {
        None => Ok(text),
        Some(("user", name)) => Ok(name),
        Some(_) => bail!(
            "tokens belong to users: give `--user alice` or `--user user:alice`, not `{text}`"
        ),
    }
}

/// Tokens read from the database, in the shape `GET /v1/tokens` answers with.
fn offline_items(tokens: &[TokenRecord]) -> Value {
    let now = Utc::now();
    let items: Vec<Value> = tokens
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "user": t.user,
                "created_at": time(t.created_at),
                "created_by": t.created_by,
                "expires_at": t.expires_at.map(time),
                "status": t.status(now),
            })
        })
        .collect();
    json!({ "items": items })
}

fn print_table(tokens: &[Token]) -> Result<()> {
    if tokens.is_empty() {
        outln!("no tokens");
        return Ok(());
    }
    let now = Utc::now();
    let mut table = Table::new(&["ID", "USER", "STATUS", "CREATED", "BY", "EXPIRES"]);
    for t in tokens {
        table.row(vec![
            t.id.clone(),
            t.user.clone(),
            t.status.clone(),
            when::relative(&t.created_at, now),
            t.created_by.clone(),
            t.expires_at
                .as_deref()
                .map_or_else(|| "never".to_string(), |at| when::relative(at, now)),
        ]);
    }
    table.print()
}
