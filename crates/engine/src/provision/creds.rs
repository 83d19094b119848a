//! Short-lived credentials for a provisioned role (`wicket db creds TARGET`,
//! `POST /v1/db/creds`): the caller's role is brought in line first, then given a fresh random
//! password, sent to PostgreSQL only as a SCRAM-SHA-256 verifier. The password is returned
//! once and never logged or audited; the login ends with the caller's latest grant there.

use rand::Rng;
use rand::distributions::Alphanumeric;
use wicket_core::Time;
use wicket_core::audit::EventKind;

use super::apply::{self, ApplyError, ensure_marked};
use super::inspect;
use super::privilege::{ident, literal};
use super::report;
use super::target::{Target, unreachable};
use crate::app::App;
use crate::error::{EngineError, EngineResult};

/// Characters of a generated password (alphanumeric: about 190 bits).
const PASSWORD_LEN: usize = 32;

/// Credentials, shown once.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub target: String,
    pub user: String,
    pub role: String,
    pub password: String,
    pub host: String,
    pub port: u16,
    pub database: String,
    pub valid_until: Time,
}

impl Credentials {
    /// `postgresql://ROLE:PASSWORD@HOST:PORT/DATABASE`, names percent-encoded.
    pub fn url(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!(
            "postgresql://{}:{}@{host}:{}/{}",
            encode(&self.role),
            encode(&self.password),
            self.port,
            encode(&self.database)
        )
    }
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Fresh credentials for `user` on provisioning target `name`.
pub async fn issue(app: &App, name: &str, user: &str) -> EngineResult<Credentials> {
    let target = app.provision.target(name).ok_or_else(|| {
        let names: Vec<String> = app
            .provision
            .targets()
            .iter()
            .map(|t| format!("`{}`", t.config.name))
            .collect();
        EngineError::not_found(
            "unknown_target",
            format!(
                "no provisioning target `{name}`; targets: {}",
                crate::error::names_or_none(&names)
            ),
        )
    })?;
    let down = |e: sqlx::Error| {
        tracing::warn!(target = %name, error = %e, "provisioning target unreachable for credentials");
        if unreachable(&e) {
            EngineError::Unavailable(format!("provisioning target `{name}` cannot be reached"))
        } else {
            EngineError::Internal(format!("provisioning target `{name}`: {e}"))
        }
    };
    let catalog = {
        let mut conn = target.pool.acquire().await.map_err(down)?;
        inspect::catalog(&mut conn).await.map_err(down)?
    };
    let applied = apply::apply_and_record(app, &target, &catalog, user)
        .await
        .map_err(|e| match e {
            ApplyError::NotOurs { .. } => EngineError::conflict("role_not_managed", e.to_string()),
            ApplyError::Name(m) => EngineError::conflict("role_name", m),
            ApplyError::Store(s) => EngineError::Store(s),
            ApplyError::Database(d) => down(d),
        })?;
    let Some(valid_until) = applied.desired.valid_until else {
        return Err(EngineError::forbidden(
            "no_grant",
            format!(
                "no live grant of `{user}` allows anything on `{}` (provisioning target `{name}`); request access first",
                target.config.resource
            ),
        ));
    };
    let password: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(PASSWORD_LEN)
        .map(char::from)
        .collect();
    let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
    set_password(&target, &applied.role, &verifier)
        .await
        .map_err(|e| match e {
            ApplyError::NotOurs { .. } => EngineError::conflict("role_not_managed", e.to_string()),
            ApplyError::Database(d) => down(d),
            other => EngineError::Internal(other.to_string()),
        })?;
    let event = report::event(EventKind::ProvisionGranted, name, Some(user))
        .detail("role", applied.role.clone())
        .detail("credentials", true)
        .detail("valid_until", wicket_core::time::format(valid_until))
        .detail("grants", applied.desired.grants.clone())
        .detail(
            "sql",
            vec![format!("ALTER ROLE {} PASSWORD '…'", ident(&applied.role))],
        )
        .build();
    report::record(app, vec![event], Vec::new()).await;
    Ok(Credentials {
        target: name.to_string(),
        user: user.to_string(),
        role: applied.role,
        password,
        host: target.config.admin.host.clone(),
        port: target.config.admin.port,
        database: target.config.admin.database.clone(),
        valid_until,
    })
}

async fn set_password(target: &Target, role: &str, verifier: &str) -> Result<(), ApplyError> {
    let mut tx = target.pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(target.role_key(role))
        .execute(&mut *tx)
        .await?;
    ensure_marked(&mut tx, role, &target.mark).await?;
    let sql = format!("ALTER ROLE {} PASSWORD {}", ident(role), literal(verifier));
    sqlx::query(&sql)
        .persistent(false)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_encodes_names() {
        let c = Credentials {
            target: "t".into(),
            user: "a@b".into(),
            role: "wicket_a@b".into(),
            password: "Pw1".into(),
            host: "::1".into(),
            port: 5432,
            database: "orders".into(),
            valid_until: wicket_core::time::from_millis(0),
        };
        assert_eq!(c.url(), "postgresql://wicket_a%40b:Pw1@[::1]:5432/orders");
    }
}
