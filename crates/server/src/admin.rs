//! Offline administration against the database: mint tokens, verify the audit chain.

use std::path::Path;

use anyhow::{Context, Result, bail};
use wicket_core::audit::EventBuilder;
use wicket_core::workflow::{Changes, IdSource};
use wicket_core::{Duration, Time, TokenRecord};

use crate::app::now;
use crate::ids::{RandomIds, new_token, token_hash};
use crate::open::{load_config, open_store};

pub use crate::routes::VerifyReport;

/// A new token for `user`, and the changes that store it with its `token.created` event.
pub fn token_changes(
    user: &str,
    by: &str,
    ttl: Option<Duration>,
    at: Time,
    ids: &mut dyn IdSource,
) -> (String, Changes) {
    let token = new_token();
    let record = TokenRecord {
        id: ids.next_id("tok"),
        user: user.to_string(),
        hash: token_hash(&token),
        created_at: at,
        expires_at: ttl.map(|d| at + d.to_chrono()),
        created_by: by.to_string(),
        revoked_at: None,
    };
    let event = EventBuilder::new(ids.next_id("ev"), at, by, "token.created")
        .subject(format!("user:{user}"))
        .detail("token_id", record.id.clone())
        .detail(
            "expires_at",
            record.expires_at.map(wicket_core::time::format),
        )
        .build();
    (
        token,
        Changes {
            tokens: vec![record],
            events: vec![event],
            ..Changes::default()
        },
    )
}

/// `wicket token create USER`: writes a token straight into the database and returns it.
pub async fn create_token(
    config_path: &Path,
    database: Option<&str>,
    user: &str,
    ttl: Option<&str>,
) -> Result<String> {
    let config = load_config(config_path)?;
    if config.user(user).is_none() {
        bail!(
            "unknown user `{user}`; users are declared under [[users]] in {}",
            config_path.display()
        );
    }
    let ttl = ttl
        .map(Duration::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let store = open_store(&config, database).await?;
    let (token, changes) = token_changes(user, "wicket", ttl, now(), &mut RandomIds);
    store.commit(changes).await.context("storing the token")?;
    Ok(token)
}

/// `wicket audit verify`: walks the whole chain in the database.
pub async fn verify_audit(config_path: &Path, database: Option<&str>) -> Result<VerifyReport> {
    let config = load_config(config_path)?;
    let store = open_store(&config, database).await?;
    crate::routes::verify_chain(store.as_ref())
        .await
        .context("reading the audit log")
}
