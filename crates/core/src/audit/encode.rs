//! The canonical encoding and hash of an event, written without per-field allocations: it
//! runs once per event appended and once per event verified.

use chrono::{Datelike, Timelike};
use sha2::{Digest, Sha256};

use super::verify::EventRef;
use crate::model::NewEvent;
use crate::time::{self, Time};

/// The hashed fields of an event, borrowed from a new or a sealed one.
pub(crate) struct Fields<'a> {
    id: &'a str,
    at: Time,
    actor: &'a str,
    kind: &'a str,
    subject: Option<&'a str>,
    action: Option<&'a str>,
    resource: Option<&'a str>,
    decision: Option<&'a str>,
    request_id: Option<&'a str>,
    grant_id: Option<&'a str>,
    details: &'a str,
}

impl<'a> Fields<'a> {
    pub(crate) fn of_new(e: &'a NewEvent) -> Fields<'a> {
        Fields {
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
        }
    }

    pub(crate) fn of_ref(e: &EventRef<'a>) -> Fields<'a> {
        Fields {
            id: e.id,
            at: e.at,
            actor: e.actor,
            kind: e.kind,
            subject: e.subject,
            action: e.action,
            resource: e.resource,
            decision: e.decision,
            request_id: e.request_id,
            grant_id: e.grant_id,
            details: e.details,
        }
    }
}

/// The decimal digits of `n`, right-aligned in `buf`; returns where they start.
fn digits(mut n: u64, buf: &mut [u8; 20]) -> usize {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return i;
        }
    }
}

fn push_number(out: &mut Vec<u8>, n: u64) {
    let mut buf = [0u8; 20];
    let start = digits(n, &mut buf);
    out.extend_from_slice(&buf[start..]);
}

/// `LEN:VALUE;`, or `-;` for an absent value.
fn field(out: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        None => out.push(b'-'),
        Some(v) => {
            push_number(out, v.len() as u64);
            out.push(b':');
            out.extend_from_slice(v);
        }
    }
    out.push(b';');
}

fn two(out: &mut [u8], n: u32) {
    out[0] = b'0' + (n / 10 % 10) as u8;
    out[1] = b'0' + (n % 10) as u8;
}

/// [`time::format`] (`2026-01-31T09:00:00.000Z`) for years 0 to 9999 without the formatting
/// machinery; `None` for other years and leap seconds, which go through it.
fn fast_time(t: Time) -> Option<[u8; 24]> {
    let (date, clock) = (t.date_naive(), t.time());
    let year = date.year();
    if !(0..=9999).contains(&year) || clock.nanosecond() >= 1_000_000_000 {
        return None;
    }
    let mut b = *b"0000-00-00T00:00:00.000Z";
    let y = year as u32;
    two(&mut b[0..2], y / 100);
    two(&mut b[2..4], y % 100);
    two(&mut b[5..7], date.month());
    two(&mut b[8..10], date.day());
    two(&mut b[11..13], clock.hour());
    two(&mut b[14..16], clock.minute());
    two(&mut b[17..19], clock.second());
    let ms = clock.nanosecond() / 1_000_000;
    b[20] = b'0' + (ms / 100) as u8;
    two(&mut b[21..23], ms % 100);
    Some(b)
}

/// The canonical encoding: every stored field but the hash, length-prefixed, in a fixed order.
pub(crate) fn encode_into(out: &mut Vec<u8>, seq: i64, f: &Fields<'_>) {
    if seq < 0 {
        field(out, Some(seq.to_string().as_bytes()));
    } else {
        let mut buf = [0u8; 20];
        let start = digits(seq.unsigned_abs(), &mut buf);
        field(out, Some(&buf[start..]));
    }
    field(out, Some(f.id.as_bytes()));
    match fast_time(f.at) {
        Some(at) => field(out, Some(&at)),
        None => field(out, Some(time::format(f.at).as_bytes())),
    }
    field(out, Some(f.actor.as_bytes()));
    field(out, Some(f.kind.as_bytes()));
    for v in [
        f.subject,
        f.action,
        f.resource,
        f.decision,
        f.request_id,
        f.grant_id,
    ] {
        field(out, v.map(str::as_bytes));
    }
    field(out, Some(f.details.as_bytes()));
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `SHA-256(prev_hash ‖ encoding)` in lowercase hex, as bytes.
pub(crate) fn hash_hex(prev_hash: &str, seq: i64, f: &Fields<'_>) -> [u8; 64] {
    let mut buf = Vec::with_capacity(192 + f.details.len());
    hash_hex_in(&mut buf, prev_hash.as_bytes(), seq, f)
}

/// [`hash_hex`], encoding into `buf` (cleared first): a verifier reuses one buffer for every
/// event it checks.
pub(crate) fn hash_hex_in(
    buf: &mut Vec<u8>,
    prev_hash: &[u8],
    seq: i64,
    f: &Fields<'_>,
) -> [u8; 64] {
    buf.clear();
    encode_into(buf, seq, f);
    let mut h = Sha256::new();
    h.update(prev_hash);
    h.update(&buf[..]);
    let mut out = [0u8; 64];
    for (i, byte) in h.finalize().iter().enumerate() {
        out[2 * i] = HEX[usize::from(byte >> 4)];
        out[2 * i + 1] = HEX[usize::from(byte & 0xf)];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The encoding as first written, field by field through `to_string` and chrono.
    fn reference(seq: i64, e: &NewEvent) -> Vec<u8> {
        fn field(out: &mut Vec<u8>, value: Option<&str>) {
            match value {
                None => out.push(b'-'),
                Some(v) => {
                    out.extend_from_slice(v.len().to_string().as_bytes());
                    out.push(b':');
                    out.extend_from_slice(v.as_bytes());
                }
            }
            out.push(b';');
        }
        let mut out = Vec::new();
        field(&mut out, Some(&seq.to_string()));
        field(&mut out, Some(&e.id));
        field(&mut out, Some(&time::format(e.at)));
        field(&mut out, Some(&e.actor));
        field(&mut out, Some(&e.kind));
        for v in [
            &e.subject,
            &e.action,
            &e.resource,
            &e.decision,
            &e.request_id,
            &e.grant_id,
        ] {
            field(&mut out, v.as_deref());
        }
        field(&mut out, Some(&e.details));
        out
    }

    proptest! {
        #[test]
        fn encoding_is_unchanged(
            seq in any::<i64>(),
            ms in -70_000_000_000_000i64..300_000_000_000_000i64,
            text in "[a-zé:/ ]{0,12}",
            some in any::<[bool; 6]>(),
        ) {
            let opt = |i: usize| some[i].then(|| format!("{text}{i}"));
            let e = NewEvent {
                id: format!("ev_{text}"),
                at: time::from_millis(ms),
                actor: text.clone(),
                kind: "check.denied".into(),
                subject: opt(0),
                action: opt(1),
                resource: opt(2),
                decision: opt(3),
                request_id: opt(4),
                grant_id: opt(5),
                details: format!("{{\"reason\":\"{text}\"}}"),
            };
            let mut fast = Vec::new();
            encode_into(&mut fast, seq, &Fields::of_new(&e));
            prop_assert_eq!(fast, reference(seq, &e));
        }

        #[test]
        fn time_matches_the_general_formatter(ms in -70_000_000_000_000i64..300_000_000_000_000i64) {
            let t = time::from_millis(ms);
            if let Some(fast) = fast_time(t) {
                prop_assert_eq!(String::from_utf8(fast.to_vec()).unwrap(), time::format(t));
            } else {
                prop_assert!(!(0..=9999).contains(&t.year()));
            }
        }

        #[test]
        fn numbers_match_to_string(n in any::<u64>()) {
            let mut out = Vec::new();
            push_number(&mut out, n);
            prop_assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }
    }
}
