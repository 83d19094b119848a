//! `[ssh]` (the user certificate authority) and `[[gateway.ssh]]` targets (servers reached
//! through the SSH gateway, with the upstream host key pinned and a key wicket holds).

use std::net::SocketAddr;

use serde::Deserialize;

use super::Validator;
use crate::duration::Duration;
use crate::resource::Resource;

/// How long a certificate lives when `max_cert_ttl` is not given (and no grant ends sooner).
pub const DEFAULT_MAX_CERT_TTL: Duration = Duration::HOUR;

/// `[ssh]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSsh {
    pub ca_key: Option<String>,
    pub max_cert_ttl: Option<String>,
}

/// `[[gateway.ssh]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSshTarget {
    pub name: String,
    pub listen: String,
    pub resource: String,
    pub upstream_host: String,
    pub upstream_port: Option<u16>,
    pub upstream_host_key: String,
    pub upstream_user: Option<String>,
    pub upstream_key_file: String,
    pub host_key_file: String,
    pub recordings: String,
    pub record_input: Option<bool>,
}

/// The certificate authority's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshConfig {
    /// The CA's Ed25519 private key, an OpenSSH private key file (`wicket ssh keygen`).
    pub ca_key: Option<String>,
    /// No certificate outlives this, whatever grant it carries.
    pub max_cert_ttl: Duration,
}

impl Default for SshConfig {
    fn default() -> SshConfig {
        SshConfig {
            ca_key: None,
            max_cert_ttl: DEFAULT_MAX_CERT_TTL,
        }
    }
}

/// One server reached through the SSH gateway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshTarget {
    pub name: String,
    pub listen: SocketAddr,
    /// `ssh/ENV/HOST`: logging in as LOGIN needs `ssh:login` on `RESOURCE/LOGIN`.
    pub resource: Resource,
    pub upstream_host: String,
    pub upstream_port: u16,
    /// The upstream server's public host key (`ssh-ed25519 AAAA...`), pinned.
    pub upstream_host_key: String,
    /// The account the gateway logs in as upstream; by default the login the user asked for.
    pub upstream_user: Option<String>,
    /// The private key the gateway authenticates upstream with (OpenSSH format).
    pub upstream_key_file: String,
    /// The gateway's own host key (OpenSSH private key file).
    pub host_key_file: String,
    /// The directory session recordings (asciicast v2) are written to.
    pub recordings: String,
    /// Whether the client's input is recorded too.
    pub record_input: bool,
}

impl Validator<'_> {
    /// `[ssh]`.
    pub(super) fn ssh(&mut self, raw: RawSsh) -> SshConfig {
        let mut config = SshConfig::default();
        if let Some(key) = raw.ca_key {
            if key.trim().is_empty() {
                self.err("ssh.ca_key".into(), "the file name is empty".into());
            } else {
                config.ca_key = Some(key);
            }
        }
        if let Some(ttl) = raw.max_cert_ttl {
            match Duration::parse(&ttl) {
                Ok(d) => config.max_cert_ttl = d,
                Err(e) => self.err("ssh.max_cert_ttl".into(), e.into()),
            }
        }
        config
    }

    /// `[[gateway.ssh]]`.
    pub(super) fn ssh_targets(&mut self, raw: Vec<RawSshTarget>) -> Vec<SshTarget> {
        let mut out: Vec<SshTarget> = Vec::new();
        for (i, t) in raw.into_iter().enumerate() {
            let key = format!("gateway.ssh[{i}]");
            let before = self.errors.len();
            if self.target_name(&key, &t.name) && out.iter().any(|o| o.name == t.name) {
                self.err(
                    format!("{key}.name"),
                    format!("duplicate ssh gateway target `{}`", t.name),
                );
            }
            let listen = t.listen.parse::<SocketAddr>().map_err(|_| {
                self.err(
                    format!("{key}.listen"),
                    format!("`{}` is not an address like `127.0.0.1:2222`", t.listen),
                );
            });
            let resource = Resource::parse(&t.resource)
                .map_err(|e| self.err(format!("{key}.resource"), e.into()));
            if let Ok(r) = &resource
                && (r.segments().next() != Some("ssh") || r.segments().count() != 3)
            {
                self.err(
                    format!("{key}.resource"),
                    format!("`{r}` is not a server resource like `ssh/prod/web-1`"),
                );
            }
            if t.upstream_host.trim().is_empty() {
                self.err(format!("{key}.upstream_host"), "the host is empty".into());
            }
            if t.upstream_port == Some(0) {
                self.err(format!("{key}.upstream_port"), "the port is 0".into());
            }
            let words: Vec<&str> = t.upstream_host_key.split_whitespace().collect();
            if words.len() < 2 || !words[0].starts_with("ssh-") && !words[0].starts_with("ecdsa-") {
                self.err(
                    format!("{key}.upstream_host_key"),
                    "give the server's public host key as `ssh-ed25519 AAAA...` (a line of its `/etc/ssh/ssh_host_ed25519_key.pub`)".into(),
                );
            }
            for (name, value) in [
                ("upstream_key_file", &t.upstream_key_file),
                ("host_key_file", &t.host_key_file),
                ("recordings", &t.recordings),
            ] {
                if value.trim().is_empty() {
                    self.err(format!("{key}.{name}"), "the path is empty".into());
                }
            }
            if self.errors.len() > before {
                continue;
            }
            let (Ok(listen), Ok(resource)) = (listen, resource) else {
                continue;
            };
            out.push(SshTarget {
                name: t.name,
                listen,
                resource,
                upstream_host: t.upstream_host,
                upstream_port: t.upstream_port.unwrap_or(22),
                upstream_host_key: t.upstream_host_key,
                upstream_user: t.upstream_user,
                upstream_key_file: t.upstream_key_file,
                host_key_file: t.host_key_file,
                recordings: t.recordings,
                record_input: t.record_input.unwrap_or(false),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn ssh_section_and_gateway_targets_parse() {
        let text = r#"
[ssh]
ca_key = "ca"
max_cert_ttl = "2h"

[[gateway.ssh]]
name = "web-1"
listen = "127.0.0.1:0"
resource = "ssh/prod/web-1"
upstream_host = "127.0.0.1"
upstream_port = 2200
upstream_host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH"
upstream_key_file = "up"
host_key_file = "hk"
recordings = "rec"
"#;
        let c = Config::parse("w.toml", text).unwrap();
        assert_eq!(c.ssh.ca_key.as_deref(), Some("ca"));
        assert_eq!(c.ssh.max_cert_ttl.as_secs(), 7200);
        assert_eq!(c.gateway.ssh.len(), 1);
        assert_eq!(c.gateway.ssh[0].upstream_port, 2200);
        assert!(!c.gateway.ssh[0].record_input);
    }

    #[test]
    fn a_bad_ssh_target_names_its_key() {
        let text = r#"
[[gateway.ssh]]
name = "web-1"
listen = "nowhere"
resource = "postgres/prod/orders"
upstream_host = "127.0.0.1"
upstream_host_key = "AAAA"
upstream_key_file = "up"
host_key_file = "hk"
recordings = "rec"
"#;
        let errors = Config::parse_all("w.toml", text).unwrap_err();
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert!(keys.contains(&"gateway.ssh[0].listen"), "{keys:?}");
        assert!(keys.contains(&"gateway.ssh[0].resource"), "{keys:?}");
        assert!(
            keys.contains(&"gateway.ssh[0].upstream_host_key"),
            "{keys:?}"
        );
    }

    #[test]
    fn a_bad_cert_ttl_is_named() {
        let e = Config::parse("w.toml", "[ssh]\nmax_cert_ttl = \"soon\"\n").unwrap_err();
        assert_eq!(e.key, "ssh.max_cert_ttl");
    }
}
