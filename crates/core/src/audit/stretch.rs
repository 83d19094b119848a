//! Verifying the chain in stretches: each stretch of consecutive events is verified on its
//! own, where it is read (several at once, each on its own connection and thread), and the
//! stretches are then joined in `seq` order ([`Verifier::join`](super::Verifier::join)),
//! which checks the links between them. The checks and their order are [`Verifier`]'s, so the
//! first break found, and what it says, are the same as walking the events one by one.
//!
//! [`Verifier`]: super::Verifier

use super::verify::{Break, EventRef, check};

/// What verifying one stretch of consecutive events on its own found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stretch {
    /// The first event's `(seq, prev_hash)`: its link to the events before, which only the
    /// stretch before can vouch for. `None` when the stretch holds no event.
    pub first: Option<(i64, String)>,
    /// The last event that verified: `(seq, hash)`.
    pub last: Option<(i64, String)>,
    /// Events that verified, up to the first that did not.
    pub events: u64,
    /// The first event that did not verify; nothing after it was checked.
    pub broken: Option<Break>,
}

/// Verifies a stretch event by event as it is read, on borrowed fields, without allocating
/// per event.
#[derive(Debug, Default)]
pub struct StretchVerifier {
    first: Option<(i64, String)>,
    last_seq: i64,
    /// The last event's hash (or, before the first event, nothing).
    last_hash: Vec<u8>,
    events: u64,
    broken: Option<Break>,
    buf: Vec<u8>,
}

impl StretchVerifier {
    /// Checks the next event of the stretch; `false` once the stretch is broken (nothing after
    /// its first break counts, so the reader may stop).
    pub fn push(&mut self, e: &EventRef<'_>) -> bool {
        if self.broken.is_some() {
            return false;
        }
        let last = match self.first {
            None => {
                self.first = Some((e.seq, e.prev_hash.to_string()));
                None
            }
            Some(_) => Some((self.last_seq, self.last_hash.as_slice())),
        };
        match check(last, e, &mut self.buf) {
            Ok(hash) => {
                self.last_seq = e.seq;
                self.last_hash.clear();
                self.last_hash.extend_from_slice(&hash);
                self.events += 1;
                true
            }
            Err(b) => {
                self.broken = Some(b);
                false
            }
        }
    }

    /// Whether an event did not verify.
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    pub fn finish(self) -> Stretch {
        let last = (self.events > 0).then(|| {
            let hash = self.last_hash.iter().map(|&b| char::from(b)).collect();
            (self.last_seq, hash)
        });
        Stretch {
            first: self.first,
            last,
            events: self.events,
            broken: self.broken,
        }
    }
}

/// The bounds `(after, through]` of consecutive stretches of at most `size` seqs covering
/// the seqs after `start` up to `until`, in order.
pub fn split(start: i64, until: i64, size: i64) -> impl Iterator<Item = (i64, i64)> {
    let size = size.max(1);
    let mut after = start;
    std::iter::from_fn(move || {
        (after < until).then(|| {
            let through = after.saturating_add(size).min(until);
            let bounds = (after, through);
            after = through;
            bounds
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{GENESIS, Verifier};
    use crate::model::AuditEvent;

    use crate::audit::tests::chain;

    /// Walking the events one by one: the first break and the events verified before it.
    fn one_by_one(events: &[AuditEvent], until: i64) -> (Option<Break>, u64, i64) {
        let mut v = Verifier::default();
        let broken = events
            .iter()
            .take_while(|e| e.seq <= until)
            .try_for_each(|e| v.push(e))
            .err();
        (broken, v.events, v.last_seq)
    }

    /// Stretches of `size` seqs, each verified on its own from the events stored in it (as a
    /// store reads them), then joined in order.
    fn in_stretches(events: &[AuditEvent], until: i64, size: i64) -> (Option<Break>, u64, i64) {
        let mut v = Verifier::default();
        for (after, through) in split(0, until, size) {
            let mut s = StretchVerifier::default();
            for e in events.iter().filter(|e| e.seq > after && e.seq <= through) {
                if !s.push(&e.into()) {
                    break;
                }
            }
            if let Err(b) = v.join(&s.finish()) {
                return (Some(b), v.events, v.last_seq);
            }
        }
        (None, v.events, v.last_seq)
    }

    #[test]
    fn split_covers_every_seq_once_in_order() {
        let bounds: Vec<_> = split(3, 12, 4).collect();
        assert_eq!(bounds, vec![(3, 7), (7, 11), (11, 12)]);
        assert_eq!(split(5, 5, 4).count(), 0);
        assert_eq!(
            split(0, 3, 0).collect::<Vec<_>>(),
            vec![(0, 1), (1, 2), (2, 3)]
        );
    }

    #[test]
    fn an_intact_chain_verifies_in_any_stretches() {
        let events = chain(20);
        for size in 1..=21 {
            assert_eq!(
                in_stretches(&events, 20, size),
                (None, 20, 20),
                "size {size}"
            );
        }
    }

    /// A break anywhere (inside a stretch, at its first or last event, in the link between
    /// two) is found at the seq, with the reason and the count, that walking one by one finds.
    #[test]
    fn every_break_is_the_one_walking_one_by_one_finds() {
        let base = chain(24);
        type Edit = fn(&mut Vec<AuditEvent>, usize);
        let edits: Vec<(&str, Edit)> = vec![
            ("actor", |es, i| es[i].actor = "mallory".into()),
            ("details", |es, i| es[i].details = "{\"n\":99}".into()),
            ("subject", |es, i| es[i].subject = None),
            ("prev_hash", |es, i| es[i].prev_hash = GENESIS.into()),
            ("hash", |es, i| es[i].hash = GENESIS.into()),
            ("removed", |es, i| {
                es.remove(i);
            }),
            ("renumbered", |es, i| es[i].seq += 100),
            ("duplicated", |es, i| {
                let copy = es[i].clone();
                es.insert(i, copy);
            }),
        ];
        let mut breaks = 0;
        for (name, edit) in &edits {
            for i in 0..base.len() {
                let mut events = base.clone();
                edit(&mut events, i);
                events.sort_by_key(|e| e.seq);
                let expected = one_by_one(&events, 24);
                breaks += usize::from(expected.0.is_some());
                for size in 1..=9 {
                    let found = in_stretches(&events, 24, size);
                    assert_eq!(found, expected, "{name} at index {i}, stretches of {size}");
                }
            }
        }
        assert!(breaks > 150);
    }

    #[test]
    fn a_stretch_reports_its_ends_and_its_first_break() {
        let mut events = chain(6);
        events[3].actor = "mallory".into();
        let mut s = StretchVerifier::default();
        let pushed: Vec<bool> = events[1..].iter().map(|e| s.push(&e.into())).collect();
        assert_eq!(pushed, vec![true, true, false, false, false]);
        let s = s.finish();
        assert_eq!(s.first, Some((2, events[0].hash.clone())));
        assert_eq!(s.last, Some((3, events[2].hash.clone())));
        assert_eq!(s.events, 2);
        assert_eq!(s.broken.map(|b| b.seq), Some(4));
        assert_eq!(StretchVerifier::default().finish(), Stretch::default());
    }
}
