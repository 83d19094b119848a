//! Verifying the audit chain: every event's hash, in `seq` order, from the retention anchor
//! (if any) to the stored head. A domain service the HTTP API, the CLI and the web UI share.

use serde::Serialize;
use wicket_core::audit::Verifier;
use wicket_store::{AuditFilter, Store, StoreError};

const VERIFY_PAGE: i64 = 1000;

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

/// Walks the whole chain in `seq` order, page by page, up to the head stored when it starts:
/// a live server keeps appending while it walks, and what comes after that head is left for
/// the next verification rather than mistaken for a gap.
pub async fn verify_chain(store: &dyn Store) -> Result<VerifyReport, StoreError> {
    verify_chain_watched(store, &|_, _| {}).await
}

/// [`verify_chain`], telling `progress` after each page how far it is: `(done, total)` in
/// events (seqs) past the starting point, for a progress bar.
pub async fn verify_chain_watched(
    store: &dyn Store,
    progress: &(dyn Fn(u64, u64) + Sync),
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
    let page_after = |after: i64| async move {
        store
            .list_events(&AuditFilter {
                after: Some(after),
                limit: Some(VERIFY_PAGE),
                ..Default::default()
            })
            .await
    };
    let mut page = page_after(v.last_seq).await?;
    loop {
        // The next page is read (on the store's thread, or by the database server) while
        // this one is hashed: `join` polls the read first, so it is under way before the
        // hashing runs, and verification goes at the pace of the slower of the two.
        let next_after = page.last().map_or(v.last_seq, |e| e.seq);
        let full = page.len() as i64 == VERIFY_PAGE && next_after < until;
        let hash = async {
            for e in page.iter().take_while(|e| e.seq <= until) {
                v.push(e)?;
            }
            Ok::<(), wicket_core::audit::Break>(())
        };
        let (next, hashed) = if full {
            let (next, hashed) = futures_util::future::join(page_after(next_after), hash).await;
            (Some(next), hashed)
        } else {
            (None, hash.await)
        };
        if let Err(b) = hashed {
            return Ok(VerifyReport {
                ok: false,
                events: v.events,
                head: stored,
                first_bad: Some((b.seq, b.reason)),
                anchor,
            });
        }
        progress(u64::try_from(v.last_seq - start).unwrap_or(0), total);
        match next {
            Some(next) => page = next?,
            None => break,
        }
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
