//! The shared state of a running engine: configuration, store, decision index, audit writer,
//! token cache, web sign-ins, metrics and the replication listener. Every front door holds one
//! [`App`] and changes state only through [`crate::ops`].

use std::sync::{Arc, RwLock, RwLockReadGuard};

use chrono::Utc;
use wicket_core::workflow::{Changes, IdSource};
use wicket_core::{
    Action, Config, Decision, Grant, Index, Power, Request, Resource, Time, WicketError, decide,
    powers, time,
};
use wicket_store::{Store, StoreError};

use crate::audit_writer::AuditWriter;
use crate::error::{EngineError, EngineResult};
use crate::health::Health;
use crate::identity::Identities;
use crate::ids::RandomIds;
use crate::metrics::Metrics;
use crate::oidc::Oidc;
use crate::replicate::{self, Replica};
use crate::tail::Tail;
use crate::tokens::TokenCache;
use crate::web_sessions::Sessions;

/// How often a transition is retried after losing a race to a concurrent writer.
const MAX_ATTEMPTS: usize = 32;

/// Everything a handler needs, behind one reference count: a clone (every request takes
/// one) is one atomic increment, however many parts the state has.
#[derive(Clone)]
pub struct App(Arc<AppState>);

impl std::ops::Deref for App {
    type Target = AppState;

    fn deref(&self) -> &AppState {
        &self.0
    }
}

/// The parts of an [`App`].
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub index: Arc<RwLock<Index>>,
    pub audit: AuditWriter,
    pub tokens: TokenCache,
    pub metrics: Arc<Metrics>,
    /// Keeps the index current with other servers' writes (see [`crate::replicate`]).
    pub replica: Replica,
    /// Web UI sign-ins, kept in memory (a restart signs everyone out).
    pub sessions: Sessions,
    /// Committed audit events for in-process consumers; woken by every local commit.
    pub tail: Tail,
    /// Whether the store is known to be down.
    pub health: Arc<Health>,
    /// `[[provision.postgres]]` targets (empty until the engine starts them).
    pub provision: crate::provision::Provisioning,
    /// Sign-in through the identity provider, when `[auth.oidc]` is configured.
    pub oidc: Option<Oidc>,
    /// The identity provider's users known to this server.
    pub identities: Arc<Identities>,
    /// Slack request signatures accepted lately, refused if they come again.
    pub slack_replays: Arc<crate::slack::Replays>,
}

/// The current time as wicket keeps it (UTC, milliseconds).
pub fn now() -> Time {
    time::truncate(Utc::now())
}

impl App {
    pub fn new(
        config: Arc<Config>,
        store: Arc<dyn Store>,
        index: Index,
        oidc: Option<Oidc>,
    ) -> App {
        let metrics = Arc::new(Metrics::default());
        let tail = Tail::default();
        let health = Arc::new(Health::default());
        App(Arc::new(AppState {
            audit: AuditWriter::start(store.clone(), metrics.clone(), tail.clone(), health.clone()),
            health,
            tail,
            config,
            store,
            index: Arc::new(RwLock::new(index)),
            tokens: TokenCache::default(),
            metrics,
            replica: Replica::default(),
            sessions: Sessions::default(),
            provision: crate::provision::Provisioning::default(),
            oidc,
            identities: Arc::default(),
            slack_replays: Arc::default(),
        }))
    }

    pub fn index(&self) -> RwLockReadGuard<'_, Index> {
        // A poisoned lock only means a writer panicked mid-update of plain maps; reading on is safe.
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies committed grants and revocations to the decision index.
    pub fn apply_to_index(&self, changes: &Changes) {
        self.replica.apply(&self.index, replicate::ops(changes));
    }

    pub fn decide(&self, user: &str, action: &Action, resource: &Resource, now: Time) -> Decision {
        decide(&self.index(), user, action, resource, now)
    }

    /// True when `user` holds `power` (a `wicket:*` action on resource `wicket`) now.
    pub fn has_power(&self, user: &str, power: Power) -> bool {
        let (a, r) = power.check();
        self.decide(user, &a, &r, now()).allowed
    }

    /// 403 unless `user` holds `power`, naming the power and the role to request.
    pub fn require_power(&self, user: &str, power: Power) -> EngineResult<()> {
        if self.has_power(user, power) {
            return Ok(());
        }
        let mut message = format!("`{user}` lacks `{power}` on `{}`", powers::RESOURCE);
        let (a, r) = power.check();
        let d = self.decide(user, &a, &r, now());
        if let Some(first) = d.requestable.first() {
            message.push_str(&format!(
                "; request role `{}` under policy `{}`",
                first.role, first.policy
            ));
        }
        Err(EngineError::forbidden("missing_power", message))
    }

    /// Commits a write set and brings the index up to date.
    pub async fn commit(&self, changes: Changes) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let events = match self.store.commit(changes.clone()).await {
            Ok(events) => events,
            Err(e) => {
                self.health.failed(&e);
                return Err(e);
            }
        };
        self.metrics.audit_append(started.elapsed());
        self.metrics.audit_events(events.len());
        self.apply_to_index(&changes);
        self.tail.wake();
        Ok(())
    }

    /// Loads request `id` (and, for an extension, the grant it extends), computes a transition
    /// with `f` and commits it; when a concurrent writer got there first, reloads and tries
    /// again, so `f` always sees the latest state.
    pub async fn transition<F>(&self, id: &str, f: F) -> EngineResult<Request>
    where
        F: Fn(&Request, Option<&Grant>, Time, &mut dyn IdSource) -> Result<Changes, WicketError>,
    {
        for _ in 0..MAX_ATTEMPTS {
            let request = self.store.get_request(id).await?.ok_or_else(|| {
                EngineError::not_found("unknown_request", format!("unknown request `{id}`"))
            })?;
            let grant = match &request.extends {
                Some(g) => self.store.get_grant(g).await?,
                None => None,
            };
            let changes = f(&request, grant.as_ref(), now(), &mut RandomIds)?;
            let after = changes.request().cloned().unwrap_or(request);
            match self.commit(changes).await {
                Ok(()) => return Ok(after),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(EngineError::conflict(
            "contended",
            format!("request `{id}` is changing too fast; try again"),
        ))
    }

    pub async fn grants_of_request(&self, id: &str) -> EngineResult<Vec<Grant>> {
        Ok(self
            .store
            .list_grants(&wicket_store::GrantFilter {
                request_id: Some(id.to_string()),
                ..Default::default()
            })
            .await?)
    }
}
