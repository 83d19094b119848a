//! `[server]` TLS files and `[audit.checkpoints]`: signed audit checkpoints kept outside the
//! database.

use super::Validator;
use super::gateway::TlsFiles;
use super::raw::{RawCheckpoints, RawServer};
use crate::duration::Duration;

/// Where and how often the server signs the audit chain's head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointConfig {
    /// The directory checkpoint files are written to (`<seq>.json`).
    pub dir: String,
    /// The Ed25519 private key, a PKCS#8 PEM file (`wicket audit keygen --out FILE`).
    pub key_file: String,
    /// Sign after this many new events.
    pub every_events: u64,
    /// Sign at least this often while the head moves.
    pub every: Duration,
}

/// Events between checkpoints when `every_events` is not given.
pub const DEFAULT_EVERY_EVENTS: u64 = 1000;
/// Seconds between checkpoints when `every` is not given.
pub const DEFAULT_EVERY_SECS: i64 = 60;

impl Validator<'_> {
    /// `[server] tls_cert` and `tls_key`: both or neither.
    pub(super) fn server_tls(&mut self, raw: &RawServer) -> Option<TlsFiles> {
        match (&raw.tls_cert, &raw.tls_key) {
            (Some(cert), Some(key)) if cert.is_empty() || key.is_empty() => {
                let k = if cert.is_empty() {
                    "tls_cert"
                } else {
                    "tls_key"
                };
                self.err(format!("server.{k}"), "the file name is empty".into());
                None
            }
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            (None, None) => None,
            (Some(_), None) => {
                self.err("server.tls_key".into(), "`tls_cert` needs `tls_key`".into());
                None
            }
            (None, Some(_)) => {
                self.err(
                    "server.tls_cert".into(),
                    "`tls_key` needs `tls_cert`".into(),
                );
                None
            }
        }
    }

    /// `[audit.checkpoints]`.
    pub(super) fn checkpoints(&mut self, raw: Option<RawCheckpoints>) -> Option<CheckpointConfig> {
        let raw = raw?;
        let key = "audit.checkpoints";
        let mut ok = true;
        if raw.dir.trim().is_empty() {
            self.err(format!("{key}.dir"), "the directory name is empty".into());
            ok = false;
        }
        if raw.key_file.trim().is_empty() {
            self.err(format!("{key}.key_file"), "the file name is empty".into());
            ok = false;
        }
        let every_events = match raw.every_events {
            None => DEFAULT_EVERY_EVENTS,
            Some(n) if (1..=10_000_000).contains(&n) => n,
            Some(n) => {
                self.err(
                    format!("{key}.every_events"),
                    format!("`{n}` is out of range; use 1 to 10000000"),
                );
                ok = false;
                DEFAULT_EVERY_EVENTS
            }
        };
        let every = match raw.every.as_deref().map(Duration::parse) {
            None => Duration::from_secs(DEFAULT_EVERY_SECS),
            Some(Ok(d)) => Some(d),
            Some(Err(e)) => {
                self.err(format!("{key}.every"), e.into());
                None
            }
        };
        match (ok, every) {
            (true, Some(every)) => Some(CheckpointConfig {
                dir: raw.dir,
                key_file: raw.key_file,
                every_events,
                every,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn parse(extra: &str) -> Result<Config, String> {
        Config::parse("wicket.toml", extra).map_err(|e| e.to_string())
    }

    #[test]
    fn tls_and_checkpoints_parse_with_defaults() {
        let c = parse(
            "[server]\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n\
             [audit.checkpoints]\ndir = \"cp\"\nkey_file = \"signing.pem\"\n",
        )
        .unwrap();
        let tls = c.tls.unwrap();
        assert_eq!((tls.cert.as_str(), tls.key.as_str()), ("c.pem", "k.pem"));
        let cp = c.checkpoints.unwrap();
        assert_eq!(cp.dir, "cp");
        assert_eq!(cp.key_file, "signing.pem");
        assert_eq!(cp.every_events, 1000);
        assert_eq!(cp.every.as_secs(), 60);
        let c = parse("[audit.checkpoints]\ndir = \"cp\"\nkey_file = \"k\"\nevery_events = 5\nevery = \"2s\"\n")
            .unwrap();
        let cp = c.checkpoints.unwrap();
        assert_eq!((cp.every_events, cp.every.as_secs()), (5, 2));
        assert!(parse("").unwrap().tls.is_none());
    }

    #[test]
    fn bad_tls_and_checkpoint_settings_name_their_key() {
        for (text, needle) in [
            (
                "[server]\ntls_cert = \"c.pem\"\n",
                "`server.tls_key`: `tls_cert` needs `tls_key`",
            ),
            (
                "[server]\ntls_key = \"k.pem\"\n",
                "`server.tls_cert`: `tls_key` needs `tls_cert`",
            ),
            (
                "[server]\ntls_cert = \"\"\ntls_key = \"k\"\n",
                "`server.tls_cert`: the file name is empty",
            ),
            (
                "[audit.checkpoints]\ndir = \"\"\nkey_file = \"k\"\n",
                "`audit.checkpoints.dir`",
            ),
            (
                "[audit.checkpoints]\ndir = \"d\"\nkey_file = \" \"\n",
                "`audit.checkpoints.key_file`",
            ),
            (
                "[audit.checkpoints]\ndir = \"d\"\nkey_file = \"k\"\nevery_events = 0\n",
                "`audit.checkpoints.every_events`: `0` is out of range",
            ),
            (
                "[audit.checkpoints]\ndir = \"d\"\nkey_file = \"k\"\nevery = \"soon\"\n",
                "`audit.checkpoints.every`",
            ),
            ("[audit.checkpoints]\ndir = \"d\"\n", "key_file"),
            (
                "[audit.checkpoints]\ndir = \"d\"\nkey_file = \"k\"\nevry = \"1s\"\n",
                "evry",
            ),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
