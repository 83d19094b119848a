//! One provisioning target at run time: its configuration, a small lazy pool of admin
//! connections, wicket's mark, the advisory-lock keys that keep replicas from applying the same
//! change twice, and the problems already reported (so an outage raises one anomaly, not one
//! per retry).

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection};
use wicket_core::config::PasswordSource;
use wicket_core::config::provision::ProvisionTarget;

use super::inspect;
use crate::error::{EngineError, EngineResult};

/// How long an admin connection may take to open before the target counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Target {
    pub config: ProvisionTarget,
    pub pool: PgPool,
    options: PgConnectOptions,
    /// Wicket's mark (the role comment) on the roles it creates here.
    pub mark: String,
    reported: Mutex<HashSet<String>>,
}

impl Target {
    /// The target of `config`, its admin secret read now; connects lazily.
    pub fn open(config: ProvisionTarget) -> EngineResult<Target> {
        let mut options = PgConnectOptions::new()
            .host(&config.admin.host)
            .port(config.admin.port)
            .username(&config.admin.user)
            .database(&config.admin.database)
            .application_name("wicket-provision");
        if let Some(source) = &config.password {
            options = options.password(&read_secret(&config.name, source)?);
        }
        let pool = PgPoolOptions::new()
            .max_connections(super::reconciler::PARALLEL as u32 + 2)
            .min_connections(0)
            .acquire_timeout(CONNECT_TIMEOUT)
            .idle_timeout(Duration::from_secs(60))
            .connect_lazy_with(options.clone());
        Ok(Target {
            mark: inspect::mark(&config.name),
            config,
            pool,
            options,
            reported: Mutex::default(),
        })
    }

    /// A connection of its own (the leader's, which holds the target's advisory lock).
    pub async fn connect(&self) -> Result<PgConnection, sqlx::Error> {
        match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&self.options)).await
        {
            Ok(conn) => conn,
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        }
    }

    /// The key of the session lock only the reconciling replica holds.
    pub fn leader_key(&self) -> i64 {
        key(&format!("wicket.provision/{}", self.config.name))
    }

    /// The key of the transaction lock taken while a role's privileges change.
    pub fn apply_key(&self) -> i64 {
        key(&format!("wicket.provision/{}/apply", self.config.name))
    }

    /// The key of the transaction lock taken while one role's password is set.
    pub fn role_key(&self, role: &str) -> i64 {
        key(&format!("wicket.provision/{}/{role}", self.config.name))
    }

    /// True the first time `problem` is reported since it was last cleared.
    pub fn first_report(&self, problem: &str) -> bool {
        self.reported
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(problem.to_string())
    }

    /// Forgets `problem`, so that it is reported again when it comes back.
    pub fn clear(&self, problem: &str) {
        self.reported
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(problem);
    }
}

fn key(text: &str) -> i64 {
    let digest = Sha256::digest(text.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// The admin password from its environment variable or file (see [`crate::secret::read`]).
fn read_secret(target: &str, source: &PasswordSource) -> EngineResult<String> {
    crate::secret::read_setting(source, "password")
        .map_err(|e| EngineError::Setup(format!("provisioning target `{target}`: {e}")))
}

/// True when `e` says the target could not be reached (rather than refusing a statement).
pub fn unreachable(e: &sqlx::Error) -> bool {
    !matches!(e, sqlx::Error::Database(_))
}
