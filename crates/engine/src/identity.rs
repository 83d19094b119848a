//! People the identity provider vouched for, kept in the store's user directory so that every
//! server sharing the database knows them: a person signed in through OIDC, or pushed by SCIM,
//! is `user:NAME` with the groups the provider's claim lists (mapped by `[auth.oidc.groups]`)
//! and the SCIM groups they are a member of, and takes part in decisions like a user of the
//! configuration file.
//!
//! A name the file also declares keeps the file's groups (the sign-in event says so); the
//! directory's groups are not merged into it. Deactivating such a person in the provider still
//! refuses their tokens and ends their grants and sessions (see [`deprovision`]).
//!
//! Every server holds a view of the directory ([`Identities`]), rebuilt by [`refresh`] after
//! its own writes and whenever the change feed says another server changed it.

pub mod deprovision;
pub mod directory;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

use wicket_core::audit::{EventBuilder, EventKind};
use wicket_core::config::User;
use wicket_core::subject::parse_name;
use wicket_core::{Config, TokenRecord};
use wicket_store::{DirUser, Directory, DirectoryWrite, GrantFilter};

use crate::admin::{revoke_changes, token_changes};
use crate::app::{App, now};
use crate::error::{EngineError, EngineResult};
use crate::ids::{RandomIds, new_id};
use crate::oidc::{Refusal, Verified};
use crate::replicate::Reloaded;

/// Who created a token minted by a CLI sign-in (`wicket login`); a web sign-in's is `oidc`.
pub const CLI_TOKEN_BY: &str = "oidc-cli";

/// This server's view of the user directory: who takes part in decisions, with which groups,
/// and who was deactivated. The configuration it makes with the file's is put in the decision
/// index by [`refresh`].
#[derive(Default)]
pub struct Identities {
    state: RwLock<State>,
}

#[derive(Default)]
struct State {
    /// Active people with a valid wicket name, and their wicket groups.
    users: BTreeMap<String, Vec<String>>,
    /// Names the provider deactivated.
    inactive: BTreeSet<String>,
}

impl Identities {
    /// True when the directory holds `user`, active.
    pub fn knows(&self, user: &str) -> bool {
        self.read().users.contains_key(user)
    }

    /// True when the provider deactivated `user`.
    pub fn deactivated(&self, user: &str) -> bool {
        self.read().inactive.contains(user)
    }

    /// The wicket groups of `user`, when the directory holds them active.
    pub fn groups_of(&self, user: &str) -> Option<Vec<String>> {
        self.read().users.get(user).cloned()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// What `directory` makes of the people: the effective configuration, the names that take
    /// part in decisions now and did not before, and the view to [`Loaded::install`] once the
    /// decision index is built on that configuration.
    pub(crate) fn load(&self, file: &Config, directory: Directory) -> Loaded {
        let mut users = BTreeMap::new();
        let mut inactive = BTreeSet::new();
        for u in &directory.users {
            if !u.active {
                inactive.insert(u.name.clone());
                continue;
            }
            if parse_name("user", &u.name).is_err() {
                continue;
            }
            let mut groups = u.claim_groups.clone();
            groups.extend(
                directory
                    .groups_of(&u.id)
                    .filter_map(|g| wicket_group(file, &g.name)),
            );
            groups.sort_unstable();
            groups.dedup();
            users.insert(u.name.clone(), groups);
        }
        let config = Arc::new(file.with_users(users.iter().map(|(name, groups)| User {
            name: name.clone(),
            groups: groups.clone(),
        })));
        let added = {
            let state = self.read();
            users
                .keys()
                .filter(|n| !state.users.contains_key(*n))
                .cloned()
                .collect()
        };
        Loaded {
            config,
            added,
            state: State { users, inactive },
        }
    }
}

/// A directory read, not yet in force.
pub(crate) struct Loaded {
    pub config: Arc<Config>,
    pub added: Vec<String>,
    state: State,
}

impl Loaded {
    /// Puts the view in force: tokens of people deactivated are refused from here on. Called
    /// after the decision index built on [`Loaded::config`] is in place, so that a refused
    /// token always means the checks about that person are denied too (fail closed).
    pub(crate) fn install(self, identities: &Identities) {
        *identities.state.write().unwrap_or_else(|e| e.into_inner()) = self.state;
    }
}

/// The wicket group a directory group stands for: through `[auth.oidc.groups]` when that maps
/// anything, else its own name when that is a valid wicket name.
fn wicket_group(file: &Config, name: &str) -> Option<String> {
    match &file.oidc {
        Some(oidc) => oidc.map_groups([name]).pop(),
        None => parse_name("group", name).ok(),
    }
}

impl App {
    /// True when `user` is in the configuration file or the directory, and the identity
    /// provider has not deactivated them.
    pub fn knows_user(&self, user: &str) -> bool {
        self.identities.knows(user)
            || (self.config.user(user).is_some() && !self.identities.deactivated(user))
    }

    /// `user`'s groups: the file's for a user it declares, else the directory's.
    pub fn groups_of(&self, user: &str) -> Vec<String> {
        match self.config.user(user) {
            Some(u) => u.groups.clone(),
            None => self.identities.groups_of(user).unwrap_or_default(),
        }
    }
}

/// Reads the directory again and rebuilds the decision index on it, keeping every grant:
/// after this server's own directory writes, when another server announces one, and at start.
pub async fn refresh(app: &App) -> EngineResult<()> {
    // Serialized with reloads; grants committed meanwhile are replayed on top.
    let recording = app.replica.record(&app.index).await;
    let directory = app.store.read_directory().await?;
    let loaded = app.identities.load(&app.config, directory);
    let suspended = crate::reviews::suspended(&*app.store).await?;
    let mut next = app
        .index()
        .with_users_and_suspended(loaded.config.clone(), suspended);
    for user in loaded.added.iter().cloned() {
        let grants = app
            .store
            .list_grants(&GrantFilter {
                user: Some(user),
                live_at: Some(now()),
                ..Default::default()
            })
            .await?;
        for g in &grants {
            next.upsert_grant(g);
        }
    }
    recording.finish(Reloaded::All(Box::new(next)));
    loaded.install(&app.identities);
    Ok(())
}

/// How often a sign-in's directory write is tried when a concurrent write got there first.
const REMEMBER_ATTEMPTS: usize = 4;

/// Records `who` in the directory: a new person at their first sign-in, their claim's groups
/// at every later one. A person the provider deactivated is refused.
async fn remember(app: &App, who: &Verified) -> EngineResult<()> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match remember_once(app, who).await {
            // Two sign-ins of one person at once, or a SCIM write meanwhile: read again.
            Err(EngineError::Store(wicket_store::StoreError::Conflict(_)))
                if attempt < REMEMBER_ATTEMPTS => {}
            other => return other,
        }
    }
}

async fn remember_once(app: &App, who: &Verified) -> EngineResult<()> {
    let directory = app.store.read_directory().await?;
    let at = now();
    let (user, kind) = match directory.user_named(&who.user) {
        Some(u) if !u.active => {
            return Err(EngineError::forbidden(
                "user_deactivated",
                format!(
                    "`{}` was deactivated by the identity provider and cannot sign in",
                    who.user
                ),
            ));
        }
        Some(u) if u.claim_groups == who.groups => return Ok(()),
        Some(u) => (
            DirUser {
                claim_groups: who.groups.clone(),
                updated_at: at,
                version: u.version + 1,
                ..u.clone()
            },
            EventKind::IdentityUserUpdated,
        ),
        None => (
            DirUser {
                id: new_id("usr"),
                name: who.user.clone(),
                external_id: None,
                display_name: None,
                active: true,
                attributes: "{}".into(),
                claim_groups: who.groups.clone(),
                created_at: at,
                updated_at: at,
                version: 1,
            },
            EventKind::IdentityUserCreated,
        ),
    };
    let event = EventBuilder::new(new_id("ev"), at, "oidc", kind)
        .subject(format!("user:{}", user.name))
        .detail("user_id", user.id.clone())
        .detail("source", "oidc")
        .detail("claim_groups", user.claim_groups.clone())
        .build();
    app.store
        .write_directory(DirectoryWrite {
            put_users: vec![user],
            events: vec![event],
            ..DirectoryWrite::default()
        })
        .await?;
    app.tail.wake();
    refresh(app).await
}

/// Signs in the person the provider vouched for: remembers them and mints a wicket token that
/// lasts `[auth.oidc] session_lifetime`. `via` is `web` or `cli`; a CLI sign-in revokes the
/// token of the same person's previous CLI sign-in, so that one `wicket login` holds one token.
pub async fn sign_in(app: &App, who: &Verified, via: &str) -> EngineResult<(String, TokenRecord)> {
    let Some(oidc) = &app.oidc else {
        return Err(EngineError::not_found(
            "oidc_not_configured",
            "sign-in through an identity provider is not configured (`[auth.oidc]`)",
        ));
    };
    let in_file = app.config.user(&who.user).is_some();
    if in_file {
        if app.identities.deactivated(&who.user) {
            return Err(EngineError::forbidden(
                "user_deactivated",
                format!(
                    "`{}` was deactivated by the identity provider and cannot sign in",
                    who.user
                ),
            ));
        }
    } else {
        remember(app, who).await?;
    }
    let at = now();
    let ttl = oidc.config().session_lifetime;
    let by = if via == "cli" { CLI_TOKEN_BY } else { "oidc" };
    let (token, mut changes) = token_changes(&who.user, by, Some(ttl), at, &mut RandomIds);
    let record = changes
        .tokens
        .first()
        .cloned()
        .ok_or_else(|| EngineError::Setup("no token was made".into()))?;
    let mut replaced = Vec::new();
    if via == "cli" {
        for old in app.store.live_tokens(Some(&who.user)).await? {
            if old.created_by == CLI_TOKEN_BY && old.expires_at.is_none_or(|t| t > at) {
                let revoked = revoke_changes(&old, &who.user, at, &mut RandomIds);
                changes.token_revocations.extend(revoked.token_revocations);
                changes.events.extend(revoked.events);
                replaced.push(old.id);
            }
        }
    }
    let groups = app.groups_of(&who.user);
    changes.events.push(
        EventBuilder::new(new_id("ev"), at, &who.user, EventKind::AuthSignedIn)
            .subject(format!("user:{}", who.user))
            .detail("via", via)
            .detail("provider_subject", who.subject.clone())
            .detail("groups", groups)
            .detail("declared_in_file", in_file)
            .detail("token_id", record.id.clone())
            .build(),
    );
    app.commit(changes).await?;
    for id in &replaced {
        app.tokens.evict(id);
    }
    Ok((token, record))
}

/// Records a refused sign-in (`auth.failed`) with its reason; never the token.
pub async fn refused(app: &App, refusal: &Refusal, via: &str) {
    let event = EventBuilder::new(new_id("ev"), now(), "anonymous", EventKind::AuthFailed)
        .detail("via", via)
        .detail("reason", refusal.code)
        .detail("message", refusal.message.clone())
        .build();
    if let Err(e) = app.audit.append(event).await {
        tracing::warn!(error = %e, "could not record a refused sign-in");
    }
}
