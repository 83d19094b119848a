//! Signing a user's public key: the principals are the logins (`ssh/ENV/HOST/LOGIN`) that the
//! user's live grants and standing roles allow now, the certificate ends when the first grant
//! it rests on ends (never later than `[ssh] max_cert_ttl`), its key id names the user and
//! the grants, its serial is its own, and it carries only the extensions those roles allow.

use std::collections::BTreeSet;

use rand::RngCore;
use ssh_key::certificate::{Builder, CertType};
use ssh_key::{HashAlg, PublicKey};
use wicket_core::audit::{EventBuilder, EventKind};
use wicket_core::{Resource, Time, WicketError, time};

use super::{FORWARD, LOGIN, action, ca};
use crate::app::{App, now};
use crate::error::{EngineError, EngineResult};
use crate::ids::new_id;

/// How far back a certificate's validity starts, for clocks a little behind ours.
const BACKDATE_SECS: i64 = 60;

/// A signed certificate and what it says.
#[derive(Clone, Debug)]
pub struct Issued {
    /// The certificate as OpenSSH writes it (`ssh-ed25519-cert-v01@openssh.com AAAA...`).
    pub certificate: String,
    pub serial: u64,
    pub key_id: String,
    pub principals: Vec<String>,
    pub valid_after: Time,
    pub valid_before: Time,
    /// The grants the principals rest on (empty when standing roles alone allow them).
    pub grants: Vec<String>,
    pub extensions: Vec<String>,
}

/// A login `user` may use now, and until when.
struct Login {
    resource: Resource,
    grant: Option<String>,
    ends: Option<Time>,
}

/// Every `ssh/ENV/HOST/LOGIN` resource named exactly by an `ssh:login` permission of a role
/// `user` holds now (standing or granted), each decided again (guardrails win).
fn logins(app: &App, user: &str, at: Time) -> EngineResult<Vec<Login>> {
    let login = action(LOGIN)?;
    let candidates: BTreeSet<String> = {
        let index = app.index();
        let config = index.config().clone();
        let mut roles: Vec<usize> = index
            .standing_of(user)
            .iter()
            .filter(|s| s.expires_at.is_none_or(|e| at < e))
            .map(|s| s.role as usize)
            .collect();
        roles.extend(
            index
                .grants_of(user)
                .iter()
                .filter(|g| g.starts_at <= at && at < g.expires_at)
                .map(|g| g.role),
        );
        let mut out = BTreeSet::new();
        for role in roles.iter().filter_map(|&r| config.roles.get(r)) {
            for p in &role.permissions {
                if !p.actions.iter().any(|a| a.matches(&login)) {
                    continue;
                }
                for r in p.resources.iter().filter(|r| r.is_exact()) {
                    let text = r.as_str();
                    if text.starts_with("ssh/") && text.split('/').count() == 4 {
                        out.insert(text.to_string());
                    }
                }
            }
        }
        out
    };
    let mut out = Vec::new();
    for text in candidates {
        let Ok(resource) = Resource::parse(&text) else {
            continue;
        };
        let d = app.decide(user, &login, &resource, at);
        if d.allowed {
            let via = d.via.unwrap_or_else(|| wicket_core::decide::Via {
                role: String::new(),
                grant_id: None,
                expires_at: None,
            });
            out.push(Login {
                resource,
                grant: via.grant_id,
                ends: via.expires_at,
            });
        }
    }
    Ok(out)
}

/// Signs `public_key` (an OpenSSH public key line) for `user`, and records `ssh.cert.issued`.
pub async fn issue(app: &App, user: &str, public_key: &str) -> EngineResult<Issued> {
    let ca_key = ca::configured(app)?;
    let subject = PublicKey::from_openssh(public_key.trim()).map_err(|_| {
        WicketError::invalid(
            "public_key",
            "`public_key` is not an OpenSSH public key line like `ssh-ed25519 AAAA... comment`",
        )
    })?;
    let at = now();
    let logins = logins(app, user, at)?;
    if logins.is_empty() {
        return Err(EngineError::forbidden(
            "no_ssh_login",
            format!(
                "no live grant or standing role of `{user}` allows `{LOGIN}` on a server login (`ssh/ENV/HOST/LOGIN`); request access first"
            ),
        ));
    }
    let cap = at + app.config.ssh.max_cert_ttl.to_chrono();
    let valid_before = logins
        .iter()
        .filter_map(|l| l.ends)
        .fold(cap, |end, e| end.min(e));
    let valid_after = at - chrono::Duration::seconds(BACKDATE_SECS);
    let mut grants: Vec<String> = logins.iter().filter_map(|l| l.grant.clone()).collect();
    grants.sort();
    grants.dedup();
    let principals: Vec<String> = logins.iter().map(|l| l.resource.to_string()).collect();
    let forward = action(FORWARD)?;
    let may_forward = logins
        .iter()
        .all(|l| app.decide(user, &forward, &l.resource, at).allowed);
    let mut extensions = vec!["permit-pty".to_string()];
    if may_forward {
        extensions.push("permit-port-forwarding".to_string());
    }
    let key_id = if grants.is_empty() {
        format!("wicket user={user} standing")
    } else {
        format!("wicket user={user} grants={}", grants.join(","))
    };
    let serial = loop {
        let s = rand::rngs::OsRng.next_u64() & (u64::MAX >> 1);
        if s != 0 {
            break s;
        }
    };
    let mut nonce = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let signing = |e: ssh_key::Error| EngineError::Internal(format!("signing a certificate: {e}"));
    let unix = |t: Time| u64::try_from(t.timestamp()).unwrap_or(0);
    let mut builder = Builder::new(
        nonce.to_vec(),
        subject.key_data().clone(),
        unix(valid_after),
        unix(valid_before),
    )
    .map_err(signing)?;
    builder
        .serial(serial)
        .and_then(|b| b.cert_type(CertType::User))
        .and_then(|b| b.key_id(key_id.clone()))
        .and_then(|b| b.comment(user))
        .map_err(signing)?;
    for p in &principals {
        builder.valid_principal(p.clone()).map_err(signing)?;
    }
    for e in &extensions {
        builder.extension(e.clone(), "").map_err(signing)?;
    }
    let cert = builder.sign(&ca_key).map_err(signing)?;
    let certificate = cert.to_openssh().map_err(signing)?;
    let mut event = EventBuilder::new(new_id("ev"), at, user, EventKind::SshCertIssued)
        .subject(format!("user:{user}"))
        .action(LOGIN)
        .resource(principals.first().cloned().unwrap_or_default())
        .decision("allow")
        .detail("serial", serial.to_string())
        .detail("key_id", key_id.clone())
        .detail("principals", principals.clone())
        .detail("extensions", extensions.clone())
        .detail("valid_before", time::format(valid_before))
        .detail("grants", grants.clone())
        .detail(
            "key_fingerprint",
            subject.fingerprint(HashAlg::Sha256).to_string(),
        );
    if let Some(g) = logins
        .iter()
        .filter(|l| l.grant.is_some())
        .min_by_key(|l| l.ends)
        .and_then(|l| l.grant.clone())
    {
        event = event.grant(g);
    }
    app.audit
        .append(event.build())
        .await
        .map_err(|e| EngineError::Unavailable(format!("the audit log cannot be written: {e}")))?;
    Ok(Issued {
        certificate,
        serial,
        key_id,
        principals,
        valid_after,
        valid_before,
        grants,
        extensions,
    })
}
