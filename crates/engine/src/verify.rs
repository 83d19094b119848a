//! Verifying the audit chain: every event's hash, in `seq` order, from the retention anchor
//! (if any) to the stored head, read in stretches verified at once. A domain service the
//! HTTP API, the CLI and the web UI share.

use futures_util::StreamExt;
use serde::Serialize;
use wicket_core::audit::{Verifier, split};
use wicket_store::{Store, StoreError};

/// Events per stretch read and hashed in one go: at most, and at least (a shorter chain is
/// one stretch). Enough stretches that every core has work until the end.
const STRETCH_MAX: i64 = 65_536;
const STRETCH_MIN: i64 = 4_096;

/// The result of verifying the whole chain.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub events: u64,
    pub head: Option<(i64, String)>,
    pub first_bad: Option<(i64, String)>,
    /// Where verification started: the last archived event's `(seq, hash)`, if any.
    pub anchor: Option<(i64, String)>,
}

/// Verifies the whole chain in `seq` order, up to the head stored when it starts: a live
/// server keeps appending while it runs, and what comes after that head is left for the next
/// verification rather than mistaken for a gap.
///
/// The chain is read in stretches, as many at once as there are cores, each hashed where
/// it is read (by the store, on a connection and a thread of its own), and the stretches are
/// joined in order ([`Verifier::join`]): the first break reported is the one walking the
/// events one by one finds.
pub async fn verify_chain(store: &dyn Store) -> Result<VerifyReport, StoreError> {
    verify_chain_watched(store, &|_, _| {}).await
}

/// [`verify_chain`], telling `progress` after each stretch how far it is: `(done, total)` in
/// events (seqs) past the starting point, for a progress bar.
pub async fn verify_chain_watched(
    store: &dyn Store,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<VerifyReport, StoreError> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    verify_in_stretches(store, progress, cores, None).await
}

/// [`verify_chain_watched`] with `at_once` stretches read at a time, of `size` events (by
/// default, from the chain's length and `at_once`).
async fn verify_in_stretches(
    store: &dyn Store,
    progress: &(dyn Fn(u64, u64) + Sync),
    at_once: usize,
    size: Option<i64>,
) -> Result<VerifyReport, StoreError> {
    // After retention, the chain verifies from the anchor the archive left behind.
    let anchor = store.audit_anchor().await?;
    let stored = store.audit_head().await?;
    let mut v = match &anchor {
        Some((seq, hash)) => Verifier {
            last_seq: *seq,
            last_hash: hash.clone(),
            events: 0,
        },
        None => Verifier::default(),
    };
    // The last seq to verify: the stored head (none stored: nothing past the anchor).
    let until = stored.as_ref().map_or(v.last_seq, |h| h.0);
    let start = v.last_seq;
    let total = u64::try_from(until - start).unwrap_or(0);
    progress(0, total);
    let at_once = at_once.max(1);
    let size = size.unwrap_or_else(|| {
        let share = (until - start) / (4 * at_once as i64);
        share.clamp(STRETCH_MIN, STRETCH_MAX)
    });
    // In order, `at_once` under way at a time: each is read and hashed while the ones
    // before it are joined.
    let mut stretches = futures_util::stream::iter(split(start, until, size))
        .map(|(after, through)| store.verify_stretch(after, through))
        .buffered(at_once);
    while let Some(stretch) = stretches.next().await {
        if let Err(b) = v.join(&stretch?) {
            return Ok(VerifyReport {
                ok: false,
                events: v.events,
                head: stored,
                first_bad: Some((b.seq, b.reason)),
                anchor,
            });
        }
        progress(u64::try_from(v.last_seq - start).unwrap_or(0), total);
    }
    let head = (v.events > 0 || anchor.is_some()).then(|| (v.last_seq, v.last_hash.clone()));
    // Rows up to the stored head not reachable by seq order (a gap) also break it.
    if v.last_seq != until {
        let seq = until;
        return Ok(VerifyReport {
            ok: false,
            events: v.events,
            head: stored,
            first_bad: Some((seq, "the chain ends before the stored head".into())),
            anchor,
        });
    }
    Ok(VerifyReport {
        ok: true,
        events: v.events,
        head,
        first_bad: None,
        anchor,
    })
}

#[cfg(test)]
mod tests;
