//! People the identity provider vouched for: an IdP user is `user:NAME` with the groups the
//! provider's claim lists (mapped by `[auth.oidc.groups]`), and takes part in decisions like
//! a user of the configuration file. A name the file also declares keeps the file's groups
//! (the sign-in event says so). The directory is held in memory by the server that signed
//! the person in; it is rebuilt as people sign in again.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use wicket_core::audit::{EventBuilder, EventKind};
use wicket_core::config::User;
use wicket_core::{Config, TokenRecord};

use crate::admin::token_changes;
use crate::app::{App, now};
use crate::error::{EngineError, EngineResult};
use crate::ids::{RandomIds, new_id};
use crate::oidc::{Refusal, Verified};
use crate::replicate::Reloaded;

/// The identity provider's users known to this server, and the configuration they make
/// with the file's (what the decision index is built from).
#[derive(Default)]
pub struct Identities {
    state: RwLock<State>,
}

#[derive(Default)]
struct State {
    users: BTreeMap<String, Vec<String>>,
    effective: Option<Arc<Config>>,
}

impl Identities {
    /// True when the provider vouched for `user` on this server.
    pub fn knows(&self, user: &str) -> bool {
        self.read().users.contains_key(user)
    }

    /// The wicket groups the provider gave `user`, if it vouched for them.
    pub fn groups_of(&self, user: &str) -> Option<Vec<String>> {
        self.read().users.get(user).cloned()
    }

    /// The file's configuration with the provider's users added.
    pub fn effective(&self, file: &Arc<Config>) -> Arc<Config> {
        self.read()
            .effective
            .clone()
            .unwrap_or_else(|| file.clone())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Records `user` with `groups`; the new effective configuration when anything changed.
    fn set(&self, file: &Config, user: &str, groups: &[String]) -> Option<Arc<Config>> {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        if state.users.get(user).is_some_and(|g| g == groups) {
            return None;
        }
        state.users.insert(user.to_string(), groups.to_vec());
        let config = Arc::new(
            file.with_users(state.users.iter().map(|(name, groups)| User {
                name: name.clone(),
                groups: groups.clone(),
            })),
        );
        state.effective = Some(config.clone());
        Some(config)
    }
}

impl App {
    /// True when `user` is in the configuration file or the identity provider vouched for them.
    pub fn knows_user(&self, user: &str) -> bool {
        self.config.user(user).is_some() || self.identities.knows(user)
    }

    /// `user`'s groups: the file's for a user it declares, else the identity provider's.
    pub fn groups_of(&self, user: &str) -> Vec<String> {
        match self.config.user(user) {
            Some(u) => u.groups.clone(),
            None => self.identities.groups_of(user).unwrap_or_default(),
        }
    }
}

/// Makes `who` (with their groups) part of decisions on this server, with their live grants.
async fn remember(app: &App, who: &Verified) -> EngineResult<()> {
    // Serialized with reloads; grants committed meanwhile are replayed on top.
    let recording = app.replica.record(&app.index).await;
    let Some(config) = app.identities.set(&app.config, &who.user, &who.groups) else {
        return Ok(());
    };
    let mut next = app.index().with_users(config);
    let grants = app
        .store
        .list_grants(&wicket_store::GrantFilter {
            user: Some(who.user.clone()),
            live_at: Some(now()),
            ..Default::default()
        })
        .await?;
    for g in &grants {
        next.upsert_grant(g);
    }
    recording.finish(Reloaded::All(next));
    Ok(())
}

/// Signs in the person the provider vouched for: remembers them and mints a wicket token that
/// lasts `[auth.oidc] session_lifetime`. `via` is `web` or `cli`.
pub async fn sign_in(app: &App, who: &Verified, via: &str) -> EngineResult<(String, TokenRecord)> {
    let Some(oidc) = &app.oidc else {
        return Err(EngineError::not_found(
            "oidc_not_configured",
            "sign-in through an identity provider is not configured (`[auth.oidc]`)",
        ));
    };
    let in_file = app.config.user(&who.user).is_some();
    if !in_file {
        remember(app, who).await?;
    }
    let at = now();
    let ttl = oidc.config().session_lifetime;
    let (token, mut changes) = token_changes(&who.user, "oidc", Some(ttl), at, &mut RandomIds);
    let record = changes
        .tokens
        .first()
        .cloned()
        .ok_or_else(|| EngineError::Setup("no token was made".into()))?;
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
