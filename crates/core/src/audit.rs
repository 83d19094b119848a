//! The audit chain: canonical encoding of events, their hashes, and verification.

mod dry_run;
mod encode;
mod kind;
mod stretch;
mod verify;

pub use dry_run::{DRY_RUN, dry_run_in, is_dry_run};
pub use kind::EventKind;
pub use stretch::{Stretch, StretchVerifier, split};
pub use verify::{Break, EventRef, Verifier};

use serde_json::Value;

use self::encode::Fields;
use crate::model::{AuditEvent, NewEvent};
use crate::time::{self, Time};

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Builds a [`NewEvent`]; the store assigns `seq`, `prev_hash` and `hash`.
#[derive(Clone, Debug)]
pub struct EventBuilder {
    event: NewEvent,
    /// As given: a later value for a key replaces an earlier one. Kept as a list, not a map,
    /// so that an event (one per gateway statement) costs no key copies and no tree.
    details: Vec<(&'static str, Value)>,
}

impl EventBuilder {
    pub fn new(id: String, at: Time, actor: &str, kind: EventKind) -> EventBuilder {
        Self::named(id, at, actor, kind.as_str())
    }

    /// An event of a kind named by text: for kinds this version does not write (events read
    /// back from an export, tests of the chain itself). Wicket's own events use [`Self::new`].
    pub fn named(id: String, at: Time, actor: &str, kind: &str) -> EventBuilder {
        EventBuilder {
            event: NewEvent {
                id,
                at: time::truncate(at),
                actor: actor.to_string(),
                kind: kind.to_string(),
                ..NewEvent::default()
            },
            details: Vec::new(),
        }
    }
    pub fn subject(mut self, s: impl Into<String>) -> Self {
        self.event.subject = Some(s.into());
        self
    }
    pub fn action(mut self, s: impl Into<String>) -> Self {
        self.event.action = Some(s.into());
        self
    }
    pub fn resource(mut self, s: impl Into<String>) -> Self {
        self.event.resource = Some(s.into());
        self
    }
    pub fn decision(mut self, s: impl Into<String>) -> Self {
        self.event.decision = Some(s.into());
        self
    }
    pub fn request(mut self, id: impl Into<String>) -> Self {
        self.event.request_id = Some(id.into());
        self
    }
    pub fn grant(mut self, id: impl Into<String>) -> Self {
        self.event.grant_id = Some(id.into());
        self
    }
    pub fn detail(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.details.push((key, value.into()));
        self
    }
    pub fn build(mut self) -> NewEvent {
        self.event.details = details_json(self.details);
        self.event
    }
}

/// [`canonical_json`] of the object `details` make (the last value of a key wins), written
/// without building the object.
fn details_json(mut details: Vec<(&'static str, Value)>) -> String {
    // Stable: of equal keys, the one given last stays last, and is the one written.
    details.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = Vec::with_capacity(64 * details.len() + 2);
    out.push(b'{');
    let mut first = true;
    for (i, (key, value)) in details.iter().enumerate() {
        if details.get(i + 1).is_some_and(|next| next.0 == *key) {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        write_json(&mut out, *key);
        out.push(b':');
        write_canonical(&mut out, value);
    }
    out.push(b'}');
    text(out)
}

/// Whether every object in `value` has its keys in order.
fn is_sorted(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.keys().is_sorted() && map.values().all(is_sorted),
        Value::Array(items) => items.iter().all(is_sorted),
        _ => true,
    }
}

/// `value` with every object's keys in order.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Compact JSON of `value` into `out`, through bytes: `to_string` of a `Value` goes through
/// `fmt::Display`, a write call a token.
fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // serde_json fails only on its writer's error or a map key that is not a string: a `Vec`
    // and the values written here (strings, `Value`s) have neither.
    let _ = serde_json::to_writer(&mut *out, value);
}

/// `value` into `out` with every object's keys in order.
fn write_canonical(out: &mut Vec<u8>, value: &Value) {
    if is_sorted(value) {
        write_json(out, value);
    } else {
        write_json(out, &sorted(value));
    }
}

/// The text serde_json wrote (UTF-8 only).
fn text(out: Vec<u8>) -> String {
    String::from_utf8(out).unwrap_or_default()
}

/// JSON text with object keys sorted and no whitespace.
///
/// The keys are sorted here rather than left to serde_json's map: any crate in a build can
/// turn on serde_json's `preserve_order` feature (cedar-policy does, in the benchmarks), and
/// then the map keeps insertion order instead.
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::new();
    write_canonical(&mut out, value);
    text(out)
}

/// The canonical encoding: every stored field but the hash, length-prefixed, in a fixed order.
pub fn encode(seq: i64, event: &NewEvent) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + event.details.len());
    encode::encode_into(&mut out, seq, &Fields::of_new(event));
    out
}

/// `hash = SHA-256(prev_hash ‖ encode(seq, event))`, hex.
pub fn hash(prev_hash: &str, seq: i64, event: &NewEvent) -> String {
    let hex = encode::hash_hex(prev_hash, seq, &Fields::of_new(event));
    hex.iter().map(|&b| char::from(b)).collect()
}

/// Places `event` after `(prev_seq, prev_hash)` in the chain.
pub fn seal(prev_seq: i64, prev_hash: &str, event: NewEvent) -> AuditEvent {
    let seq = prev_seq + 1;
    let hash = hash(prev_hash, seq, &event);
    AuditEvent {
        seq,
        id: event.id,
        at: event.at,
        actor: event.actor,
        kind: event.kind,
        subject: event.subject,
        action: event.action,
        resource: event.resource,
        decision: event.decision,
        request_id: event.request_id,
        grant_id: event.grant_id,
        details: event.details,
        prev_hash: prev_hash.to_string(),
        hash,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::from_millis;
    use serde_json::json;

    /// A sealed chain of `n` denied checks (shared with the stretch tests).
    pub(crate) fn chain(n: usize) -> Vec<AuditEvent> {
        let mut out: Vec<AuditEvent> = Vec::new();
        for i in 0..n {
            let ev = EventBuilder::new(
                format!("ev{i}"),
                from_millis(i as i64 * 1000),
                "alice",
                EventKind::CheckDenied,
            )
            .subject("user:alice")
            .detail("n", i as u64)
            .build();
            let (seq, prev) = out
                .last()
                .map_or((0, GENESIS.to_string()), |e| (e.seq, e.hash.clone()));
            out.push(seal(seq, &prev, ev));
        }
        out
    }

    #[test]
    fn an_intact_chain_verifies() {
        let mut v = Verifier::default();
        for e in chain(5) {
            v.push(&e).unwrap();
        }
        assert_eq!(v.events, 5);
    }

    #[test]
    fn any_changed_field_is_caught_at_its_seq() {
        let base = chain(5);
        let edits: Vec<fn(&mut AuditEvent)> = vec![
            |e| e.actor = "mallory".into(),
            |e| e.kind = "check.allowed".into(),
            |e| e.subject = None,
            |e| e.decision = Some("allow".into()),
            |e| e.details = "{\"n\":99}".into(),
            |e| e.at = from_millis(1),
            |e| e.id = "other".into(),
            |e| e.action = Some("db:drop".into()),
            |e| e.resource = Some("elsewhere".into()),
            |e| e.request_id = Some("req_other".into()),
            |e| e.grant_id = Some("gr_other".into()),
            |e| e.prev_hash = GENESIS.into(),
            |e| e.hash = GENESIS.into(),
        ];
        for edit in edits {
            let mut events = base.clone();
            edit(&mut events[2]);
            let mut v = Verifier::default();
            let err = events.iter().try_for_each(|e| v.push(e)).unwrap_err();
            assert_eq!(err.seq, 3);
        }
        // A renumbered event breaks the chain where the numbering does.
        let mut events = base.clone();
        events[2].seq = 7;
        let mut v = Verifier::default();
        let err = events.iter().try_for_each(|e| v.push(e)).unwrap_err();
        assert_eq!(err.seq, 7);
    }

    #[test]
    fn a_removed_event_is_caught() {
        let mut events = chain(4);
        events.remove(1);
        let mut v = Verifier::default();
        let err = events.iter().try_for_each(|e| v.push(e)).unwrap_err();
        assert_eq!(err.seq, 3);
    }

    /// JSON values of every shape, objects with keys in any order.
    fn any_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "[a-z\\\"\u{0}-\u{1f}é☃]{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec(("[a-d]{1,2}", inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    const KEYS: [&str; 6] = ["zeta", "alpha", "a", "b\"q", "é", "alpha_2"];

    proptest::proptest! {
        /// The builder writes what the map of its details, in canonical form, would be: keys
        /// in order, the last value of a repeated key, nested objects sorted too.
        #[test]
        fn built_details_are_the_canonical_json_of_their_map(
            details in proptest::collection::vec((0..KEYS.len(), any_value()), 0..8)
        ) {
            let mut builder = EventBuilder::named("x".into(), from_millis(0), "a", "k");
            let mut map = serde_json::Map::new();
            for (k, v) in details {
                builder = builder.detail(KEYS[k], v.clone());
                map.insert(KEYS[k].to_string(), v);
            }
            let built = builder.build().details;
            proptest::prop_assert_eq!(built, canonical_json(&Value::Object(map)));
        }
    }

    #[test]
    fn a_repeated_detail_keeps_its_last_value() {
        let e = EventBuilder::named("x".into(), from_millis(0), "a", "k")
            .detail("b", 1)
            .detail("a", json!({"y": 1, "x": [{"d": 0, "c": 1}]}))
            .detail("b", 2)
            .build();
        assert_eq!(e.details, r#"{"a":{"x":[{"c":1,"d":0}],"y":1},"b":2}"#);
    }

    #[test]
    fn details_are_canonical() {
        let e = EventBuilder::named("x".into(), from_millis(0), "a", "k")
            .detail("zeta", 1)
            .detail("alpha", "two")
            .build();
        assert_eq!(e.details, r#"{"alpha":"two","zeta":1}"#);
    }
}
