//! The change feed: what any process committed to a shared database, announced by id only.
//!
//! A server keeps an in-memory decision index and a token cache. When several servers share
//! one database, each learns of the others' writes from this feed and reads the records
//! itself; the feed never carries whole records.

use async_trait::async_trait;

use crate::StoreError;

/// One committed change, named by id (and version): the receiver reads the record itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A request was created or changed; `version` is its version after the change.
    Request { id: String, version: i64 },
    /// A grant was created (`revoked` false) or revoked (`revoked` true).
    Grant { id: String, revoked: bool },
    /// A token was revoked.
    TokenRevoked { id: String },
    /// The user directory changed (users, groups or memberships): read it again.
    Directory,
    /// A server started with the configuration whose hash is `hash` (its `policy.loaded`).
    PolicyLoaded { hash: String },
    /// The feed lost its connection and listens again: changes made meanwhile were not
    /// announced, so whoever keeps state from the feed must reload all of it.
    Missed,
}

impl Change {
    /// The notification text of a change: `r:VERSION:ID`, `g:live:ID`, `g:revoked:ID`,
    /// `t:ID`, `d:TABLE` or `p:HASH`. The database triggers write the same forms.
    pub fn encode(&self) -> String {
        match self {
            Change::Request { id, version } => format!("r:{version}:{id}"),
            Change::Grant { id, revoked } => {
                format!("g:{}:{id}", if *revoked { "revoked" } else { "live" })
            }
            Change::TokenRevoked { id } => format!("t:{id}"),
            Change::PolicyLoaded { hash } => format!("p:{hash}"),
            Change::Directory => "d:".to_string(),
            Change::Missed => "missed".to_string(),
        }
    }

    /// Reads a notification text; `None` for a form this version does not know.
    pub fn parse(text: &str) -> Option<Change> {
        let (kind, rest) = text.split_once(':')?;
        match kind {
            "r" => {
                let (version, id) = rest.split_once(':')?;
                Some(Change::Request {
                    id: id.to_string(),
                    version: version.parse().ok()?,
                })
            }
            "g" => {
                let (state, id) = rest.split_once(':')?;
                let revoked = match state {
                    "live" => false,
                    "revoked" => true,
                    _ => return None,
                };
                Some(Change::Grant {
                    id: id.to_string(),
                    revoked,
                })
            }
            "t" => Some(Change::TokenRevoked {
                id: rest.to_string(),
            }),
            "d" => Some(Change::Directory),
            "p" => Some(Change::PolicyLoaded {
                hash: rest.to_string(),
            }),
            _ => None,
        }
    }
}

/// A stream of [`Change`]s, from the moment it was opened.
#[async_trait]
pub trait ChangeFeed: Send {
    /// Waits for the next change.
    ///
    /// An error means the feed is not listening (the database is unreachable); the next call
    /// pauses, reconnects and, once listening again, returns [`Change::Missed`]. Dropping the
    /// future of a call loses nothing that a later call would have returned, except that a
    /// reconnection in progress starts over.
    async fn next(&mut self) -> Result<Change, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_reads_back_from_its_text() {
        for change in [
            Change::Request {
                id: "req_a:b".into(),
                version: 7,
            },
            Change::Grant {
                id: "gr_1".into(),
                revoked: false,
            },
            Change::Grant {
                id: "gr_2".into(),
                revoked: true,
            },
            Change::TokenRevoked { id: "tok_x".into() },
            Change::Directory,
            Change::PolicyLoaded {
                hash: "ab12".into(),
            },
        ] {
            assert_eq!(Change::parse(&change.encode()), Some(change));
        }
    }

    #[test]
    fn unknown_forms_are_skipped() {
        for text in ["", "x:1", "r:one:req", "g:maybe:gr", "missed", "r:1"] {
            assert_eq!(Change::parse(text), None, "{text}");
        }
    }
}
