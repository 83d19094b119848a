//! Checking events against the chain, one after another: the checks every verifier makes, in
//! the order it makes them, on an event owned ([`AuditEvent`]) or borrowed straight from the
//! row it is read from ([`EventRef`]).

use super::GENESIS;
use super::encode::{self, Fields};
use super::stretch::Stretch;
use crate::model::AuditEvent;
use crate::time::Time;

/// A stored event's fields, borrowed: from an [`AuditEvent`], or from a row as it is read, so
/// that a reader can verify events without building them.
#[derive(Clone, Copy, Debug)]
pub struct EventRef<'a> {
    pub seq: i64,
    pub id: &'a str,
    pub at: Time,
    pub actor: &'a str,
    pub kind: &'a str,
    pub subject: Option<&'a str>,
    pub action: Option<&'a str>,
    pub resource: Option<&'a str>,
    pub decision: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub grant_id: Option<&'a str>,
    pub details: &'a str,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

impl<'a> From<&'a AuditEvent> for EventRef<'a> {
    fn from(e: &'a AuditEvent) -> EventRef<'a> {
        EventRef {
            seq: e.seq,
            id: &e.id,
            at: e.at,
            actor: &e.actor,
            kind: &e.kind,
            subject: e.subject.as_deref(),
            action: e.action.as_deref(),
            resource: e.resource.as_deref(),
            decision: e.decision.as_deref(),
            request_id: e.request_id.as_deref(),
            grant_id: e.grant_id.as_deref(),
            details: &e.details,
            prev_hash: &e.prev_hash,
            hash: &e.hash,
        }
    }
}

/// Why an event does not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Break {
    pub seq: i64,
    pub reason: String,
}

/// The link from the event before, `(last_seq, last_hash)`, to an event `(seq, prev_hash)`:
/// the next seq, and the hash of the event before.
pub(crate) fn link(
    last_seq: i64,
    last_hash: &[u8],
    seq: i64,
    prev_hash: &[u8],
) -> Result<(), Break> {
    if seq != last_seq + 1 {
        return Err(Break {
            seq,
            reason: format!(
                "expected seq {} after {}, found {}",
                last_seq + 1,
                last_seq,
                seq
            ),
        });
    }
    if prev_hash != last_hash {
        return Err(Break {
            seq,
            reason: "prev_hash does not match the hash of the event before".into(),
        });
    }
    Ok(())
}

/// Checks `e` after `last` (`(seq, hash)` of the event before; `None` for the first event of
/// a stretch, whose link only the stretch before can check) and returns its hash as computed.
/// `buf` holds the encoding, reused from one event to the next.
pub(crate) fn check(
    last: Option<(i64, &[u8])>,
    e: &EventRef<'_>,
    buf: &mut Vec<u8>,
) -> Result<[u8; 64], Break> {
    if let Some((last_seq, last_hash)) = last {
        link(last_seq, last_hash, e.seq, e.prev_hash.as_bytes())?;
    }
    let expected = encode::hash_hex_in(buf, e.prev_hash.as_bytes(), e.seq, &Fields::of_ref(e));
    if expected[..] != *e.hash.as_bytes() {
        return Err(Break {
            seq: e.seq,
            reason: "hash does not match the event's contents".into(),
        });
    }
    Ok(expected)
}

/// Verifies a chain incrementally, page by page, in `seq` order.
#[derive(Clone, Debug)]
pub struct Verifier {
    pub last_seq: i64,
    pub last_hash: String,
    pub events: u64,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            last_seq: 0,
            last_hash: GENESIS.to_string(),
            events: 0,
        }
    }
}

impl Verifier {
    /// Checks the next event; the first failure names its `seq`.
    pub fn push(&mut self, e: &AuditEvent) -> Result<(), Break> {
        let last = Some((self.last_seq, self.last_hash.as_bytes()));
        let hash = check(last, &EventRef::from(e), &mut Vec::new())?;
        self.last_seq = e.seq;
        self.last_hash = hash.iter().map(|&b| char::from(b)).collect();
        self.events += 1;
        Ok(())
    }

    /// Takes in the next stretch of the chain, verified on its own ([`Stretch`]): checks its
    /// link to the events before, then counts its events; the first failure, at the link or
    /// inside the stretch, is the one walking the events one by one would have found.
    pub fn join(&mut self, s: &Stretch) -> Result<(), Break> {
        if let Some((seq, prev_hash)) = &s.first {
            link(
                self.last_seq,
                self.last_hash.as_bytes(),
                *seq,
                prev_hash.as_bytes(),
            )?;
        }
        self.events += s.events;
        if let Some((seq, hash)) = &s.last {
            self.last_seq = *seq;
            self.last_hash.clone_from(hash);
        }
        match &s.broken {
            Some(b) => Err(b.clone()),
            None => Ok(()),
        }
    }
}
