//! `[[gateway.postgres]]` targets: where the gateway listens, which resource a target is, and
//! how it reaches the real database (never with a password written in the file).

use std::collections::HashMap;
use std::net::SocketAddr;

use super::Validator;
use super::raw::{RawGateway, RawPgTarget};
use crate::error::{ParseError, Parsed};
use crate::resource::Resource;

/// The statement length kept in audit events when a target does not say.
pub const DEFAULT_STATEMENT_MAX_BYTES: usize = 4096;

/// Every gateway the configuration declares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GatewayConfig {
    pub postgres: Vec<PgTarget>,
    /// `[[gateway.ssh]]` targets.
    pub ssh: Vec<super::ssh::SshTarget>,
}

/// One PostgreSQL database reachable through the gateway; clients name it as their dbname.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgTarget {
    pub name: String,
    pub listen: SocketAddr,
    /// The resource `db:connect` is checked on; tables are `RESOURCE/SCHEMA/TABLE`.
    pub resource: Resource,
    pub upstream: Upstream,
    pub password: Option<PasswordSource>,
    pub tls: Option<TlsFiles>,
    /// Statement text longer than this is truncated in audit events.
    pub statement_max_bytes: usize,
    /// Whether an upstream connection that a session ended cleanly is reset (`DISCARD ALL`)
    /// and kept for the next session with the same settings (default on).
    pub reuse_upstream: bool,
    /// `[[gateway.postgres.masking]]`: columns that leave the gateway masked.
    pub masking: Vec<super::masking::MaskRule>,
}

/// Where the upstream password comes from; the gateway reads it when it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordSource {
    Env(String),
    File(String),
}

impl PasswordSource {
    /// The setting that chose this source, for messages: `{stem}_env` or `{stem}_file`
    /// (`setting("auth.scim.token")` is `auth.scim.token_file` for a file).
    pub fn setting(&self, stem: &str) -> String {
        match self {
            PasswordSource::Env(_) => format!("{stem}_env"),
            PasswordSource::File(_) => format!("{stem}_file"),
        }
    }
}

/// A certificate chain and private key (PEM files) for TLS with clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: String,
    pub key: String,
}

/// The real database: `postgres://USER@HOST:PORT/DATABASE`, without a password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    pub user: String,
    pub host: String,
    pub port: u16,
    pub database: String,
}

impl Upstream {
    /// Parses an upstream url; a password or query parameters in it are errors.
    pub fn parse(url: &str) -> Result<Upstream, ParseError> {
        Self::read(url).map_err(|m| ParseError::new(Parsed::Upstream, m))
    }

    fn read(url: &str) -> Result<Upstream, String> {
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .ok_or_else(|| {
                format!("`{url}` is not a url like `postgres://USER@HOST:5432/DATABASE`")
            })?;
        if rest.contains('?') {
            return Err("the upstream url takes no parameters".into());
        }
        let (authority, database) = rest.split_once('/').unwrap_or((rest, ""));
        let (user, hostport) = authority.rsplit_once('@').ok_or_else(|| {
            "the upstream url names no user; write `postgres://USER@HOST/DATABASE`".to_string()
        })?;
        if user.contains(':') {
            return Err(
                "the upstream url must not hold a password; use `password_env` or `password_file`"
                    .into(),
            );
        }
        let port_of = |p: &str| {
            p.parse::<u16>()
                .map_err(|_| format!("`{p}` is not a port number"))
        };
        let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| format!("`{hostport}` has no closing `]`"))?;
            match after.strip_prefix(':') {
                Some(p) => (host, port_of(p)?),
                None if after.is_empty() => (host, 5432),
                None => return Err(format!("`{hostport}` is not a host and port")),
            }
        } else {
            match hostport.rsplit_once(':') {
                Some((host, p)) => (host, port_of(p)?),
                None => (hostport, 5432),
            }
        };
        if user.is_empty() || host.is_empty() || port == 0 {
            return Err(format!(
                "`{url}` needs a user, a host and a port other than 0"
            ));
        }
        let database = if database.is_empty() { user } else { database };
        Ok(Upstream {
            user: user.to_string(),
            host: host.to_string(),
            port,
            database: database.to_string(),
        })
    }

    /// `host:port`, with brackets around an IPv6 address.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// A dbname clients can type: 1 to 63 of `[A-Za-z0-9_.-]` (PostgreSQL's name length).
pub(super) fn valid_target_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl Validator<'_> {
    /// Refuses a target name [`valid_target_name`] refuses, at `{key}.name`; true when valid.
    pub(super) fn target_name(&mut self, key: &str, name: &str) -> bool {
        let valid = valid_target_name(name);
        if !valid {
            self.err(
                format!("{key}.name"),
                format!(
                    "target name `{name}` is invalid; use 1 to 63 letters, digits, `_`, `-` or `.`"
                ),
            );
        }
        valid
    }

    pub(super) fn gateway(&mut self, raw: RawGateway) -> GatewayConfig {
        let mut postgres: Vec<PgTarget> = Vec::new();
        // Targets sharing a listen address share its TLS setup: it is chosen before the dbname is known.
        let mut tls_by_listen: HashMap<SocketAddr, Option<TlsFiles>> = HashMap::new();
        for (i, t) in raw.postgres.into_iter().enumerate() {
            let key = format!("gateway.postgres[{i}]");
            if let Some(target) = self.pg_target(&key, t) {
                if postgres.iter().any(|p| p.name == target.name) {
                    self.err(
                        format!("{key}.name"),
                        format!("duplicate gateway target `{}`", target.name),
                    );
                    continue;
                }
                match tls_by_listen.get(&target.listen) {
                    Some(tls) if *tls != target.tls => self.err(
                        format!("{key}.tls_cert"),
                        format!(
                            "targets on `{}` must share one `tls_cert` and `tls_key`",
                            target.listen
                        ),
                    ),
                    _ => {
                        tls_by_listen.insert(target.listen, target.tls.clone());
                    }
                }
                postgres.push(target);
            }
        }
        let ssh = self.ssh_targets(raw.ssh);
        GatewayConfig { postgres, ssh }
    }

    fn pg_target(&mut self, key: &str, t: RawPgTarget) -> Option<PgTarget> {
        let before = self.errors.len();
        self.target_name(key, &t.name);
        let listen = t.listen.parse::<SocketAddr>().map_err(|_| {
            self.err(
                format!("{key}.listen"),
                format!("`{}` is not an address like `127.0.0.1:15432`", t.listen),
            );
        });
        let resource =
            Resource::parse(&t.resource).map_err(|e| self.err(format!("{key}.resource"), e.into()));
        let upstream =
            Upstream::parse(&t.upstream).map_err(|e| self.err(format!("{key}.upstream"), e.into()));
        let password = self.secret_source(key, t.password_env, t.password_file);
        let tls = match (t.tls_cert, t.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            (Some(_), None) => {
                self.err(
                    format!("{key}.tls_key"),
                    "`tls_cert` needs `tls_key`".into(),
                );
                None
            }
            (None, Some(_)) => {
                self.err(
                    format!("{key}.tls_cert"),
                    "`tls_key` needs `tls_cert`".into(),
                );
                None
            }
        };
        let statement_max_bytes = match t.statement_max_bytes {
            None => DEFAULT_STATEMENT_MAX_BYTES,
            Some(n) if (16..=1 << 20).contains(&n) => n as usize,
            Some(n) => {
                self.err(
                    format!("{key}.statement_max_bytes"),
                    format!("`{n}` is out of range; use 16 to 1048576"),
                );
                DEFAULT_STATEMENT_MAX_BYTES
            }
        };
        let masking = self.masking(key, t.masking);
        if self.errors.len() > before {
            return None;
        }
        Some(PgTarget {
            name: t.name,
            listen: listen.ok()?,
            resource: resource.ok()?,
            upstream: upstream.ok()?,
            password,
            tls,
            statement_max_bytes,
            reuse_upstream: t.reuse_upstream.unwrap_or(true),
            masking,
        })
    }
}

#[cfg(test)]
mod tests;
