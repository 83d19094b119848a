//! Offline administration against the database: mint and revoke tokens, verify the audit chain
//! and its signed checkpoints.

use std::path::Path;

use crate::error::{Context, EngineError, EngineResult as Result};
use wicket_core::audit::EventBuilder;
use wicket_core::workflow::{Changes, IdSource};
use wicket_core::{Duration, Time, TokenRecord};

use crate::app::now;
use crate::checkpoint::{self, CheckpointReport};
use crate::ids::{RandomIds, new_token, token_hash};
use crate::open::{load_config, open_store};
use wicket_core::audit::EventKind;

pub use crate::verify::VerifyReport;

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
    let event = EventBuilder::new(ids.next_id("ev"), at, by, EventKind::TokenCreated)
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

/// The changes that revoke token `record` at `at`, with its `token.revoked` event by `by`.
pub fn revoke_changes(record: &TokenRecord, by: &str, at: Time, ids: &mut dyn IdSource) -> Changes {
    let event = EventBuilder::new(ids.next_id("ev"), at, by, EventKind::TokenRevoked)
        .subject(format!("user:{}", record.user))
        .detail("token_id", record.id.clone())
        .build();
    Changes {
        token_revocations: vec![(record.id.clone(), at)],
        events: vec![event],
        ..Changes::default()
    }
}

/// `wicket token revoke ID --offline`: revokes a token straight in the database. Servers
/// sharing a PostgreSQL database drop it from their caches through the change feed; a server
/// on SQLite at its next full reload, and at once for a token it had not cached.
pub async fn revoke_token(
    config_path: &Path,
    database: Option<&str>,
    id: &str,
) -> Result<TokenRecord> {
    let config = load_config(config_path)?;
    let store = open_store(&config, database).await?;
    let record = store
        .get_token(id)
        .await
        .context("reading the token")?
        .ok_or_else(|| EngineError::Setup(format!("unknown token `{id}`")))?;
    if record.revoked_at.is_some() {
        crate::bail!("token `{id}` is already revoked");
    }
    let at = now();
    store
        .commit(revoke_changes(&record, "wicket", at, &mut RandomIds))
        .await
        .context("revoking the token")?;
    Ok(TokenRecord {
        revoked_at: Some(at),
        ..record
    })
}

/// `wicket token list --offline`: the tokens not revoked, of `user` or of everyone, read
/// straight from the database, oldest first.
pub async fn list_tokens(
    config_path: &Path,
    database: Option<&str>,
    user: Option<&str>,
) -> Result<Vec<TokenRecord>> {
    let config = load_config(config_path)?;
    let store = open_store(&config, database).await?;
    store.live_tokens(user).await.context("reading the tokens")
}

/// `wicket token create USER`: writes a token straight into the database and returns it.
pub async fn create_token(
    config_path: &Path,
    database: Option<&str>,
    user: &str,
    ttl: Option<&str>,
) -> Result<String> {
    Ok(create_token_with_id(config_path, database, user, ttl)
        .await?
        .0)
}

/// [`create_token`], with the new token's id (`tok_...`, what `wicket token revoke` takes).
pub async fn create_token_with_id(
    config_path: &Path,
    database: Option<&str>,
    user: &str,
    ttl: Option<&str>,
) -> Result<(String, String)> {
    let config = load_config(config_path)?;
    if config.user(user).is_none() {
        crate::bail!(
            "unknown user `{user}`; users are declared under [[users]] in {}",
            config_path.display()
        );
    }
    let ttl = ttl
        .map(Duration::parse)
        .transpose()
        .map_err(|e| EngineError::Setup(e.message))?;
    let store = open_store(&config, database).await?;
    let (token, changes) = token_changes(user, "wicket", ttl, now(), &mut RandomIds);
    let id = changes
        .tokens
        .first()
        .map(|t| t.id.clone())
        .unwrap_or_default();
    store.commit(changes).await.context("storing the token")?;
    Ok((token, id))
}

/// `wicket audit verify`: walks the whole chain in the database.
pub async fn verify_audit(config_path: &Path, database: Option<&str>) -> Result<VerifyReport> {
    verify_audit_watched(config_path, database, &|_, _| {}).await
}

/// [`verify_audit`], telling `progress` how far it is (`done`, `total` events).
pub async fn verify_audit_watched(
    config_path: &Path,
    database: Option<&str>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<VerifyReport> {
    let config = load_config(config_path)?;
    let store = open_store(&config, database).await?;
    crate::verify::verify_chain_watched(store.as_ref(), progress)
        .await
        .context("reading the audit log")
}

/// `wicket audit verify --checkpoints DIR`: the chain, then every checkpoint in `dir` against
/// it, with `public_key` (hex or a file) or else the public half of the configured key.
pub async fn verify_audit_checkpoints(
    config_path: &Path,
    database: Option<&str>,
    dir: &Path,
    public_key: Option<&str>,
) -> Result<(VerifyReport, CheckpointReport)> {
    let config = load_config(config_path)?;
    let key = match (public_key, &config.checkpoints) {
        (Some(text), _) => checkpoint::parse_public_key(text).context("reading the public key")?,
        (None, Some(c)) => checkpoint::load_signing_key(Path::new(&c.key_file))
            .context("reading the checkpoint key")?
            .verifying_key(),
        (None, None) => crate::bail!(
            "no public key to verify checkpoints with: pass `--public-key KEY` (what \
             `wicket audit keygen` printed) or configure `[audit.checkpoints] key_file`"
        ),
    };
    let store = open_store(&config, database).await?;
    let chain = crate::verify::verify_chain(store.as_ref())
        .await
        .context("reading the audit log")?;
    let checkpoints = checkpoint::verify_checkpoints(store.as_ref(), dir, &key).await?;
    Ok((chain, checkpoints))
}
