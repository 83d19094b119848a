//! The schemas of the audit log: an event, the kinds wicket writes (read from core's
//! `EventKind`), the `kind` filter, and the report of the chain's verification.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};
use wicket_core::audit::EventKind as CoreKind;

use super::formats::{AnyJson, Time};

/// A `kind` filter that is a prefix: dotted lowercase words and a final `*` (`request.*`),
/// or `*` alone.
pub const KIND_PREFIX: &str = r"^(?:[a-z_]+\.)*\*$";

fn kinds() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(CoreKind::ALL.iter().map(|k| k.as_str())))
}

/// The kind of an audit event.
pub struct EventKind;

impl PartialSchema for EventKind {
    fn schema() -> RefOr<Schema> {
        kinds().description(Some("what an event records")).into()
    }
}

impl ToSchema for EventKind {}

/// The `kind` filter of `/v1/audit`.
pub struct KindFilter;

impl PartialSchema for KindFilter {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .description(Some(
                "an event kind, or a prefix ending in `*` such as `request.*`",
            ))
            .item(kinds())
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(KIND_PREFIX)),
            )
            .into()
    }
}

impl ToSchema for KindFilter {}

/// True when `kind` is a filter [`KindFilter`] allows.
pub fn valid_kind_filter(kind: &str) -> bool {
    match kind.strip_suffix('*') {
        Some(prefix) => {
            prefix.is_empty()
                || prefix.strip_suffix('.').is_some_and(|words| {
                    words.split('.').all(|w| {
                        !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                    })
                })
        }
        None => CoreKind::parse(kind).is_some(),
    }
}

/// An event in the hash chain: `hash` = SHA-256(`prev_hash` ‖ canonical encoding).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditEvent {
    /// Its place in the chain, from 1.
    pub seq: i64,
    pub id: String,
    pub at: Time,
    /// The user (or `wicket`) who caused it.
    pub actor: String,
    pub kind: EventKind,
    #[schema(required = true)]
    pub subject: Option<String>,
    #[schema(required = true)]
    pub action: Option<String>,
    #[schema(required = true)]
    pub resource: Option<String>,
    #[schema(required = true)]
    pub decision: Option<String>,
    #[schema(required = true)]
    pub request_id: Option<String>,
    #[schema(required = true)]
    pub grant_id: Option<String>,
    /// What else the event records, as JSON.
    pub details: AnyJson,
    pub prev_hash: String,
    pub hash: String,
}

/// A position in the chain.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChainLink {
    pub seq: i64,
    pub hash: String,
}

/// The first event that breaks the chain, and how.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: String,
}

/// The verification of the whole chain.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChainReport {
    pub ok: bool,
    /// Events verified.
    pub events: u64,
    /// The newest event, when there is one.
    #[schema(required = true)]
    pub head: Option<ChainLink>,
    #[schema(required = true)]
    pub first_bad: Option<ChainBreak>,
    /// Where verification started, when older events were archived.
    #[schema(required = true)]
    pub anchor: Option<ChainLink>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_filters_are_kinds_or_dotted_prefixes() {
        for ok in [
            "request.created",
            "request.*",
            "gateway.session.*",
            "*",
            "check.denied",
        ] {
            assert!(valid_kind_filter(ok), "{ok}");
        }
        for bad in [
            "",
            "nope",
            "request",
            "request.",
            "Request.*",
            "request*",
            ".*",
            "a..*",
            "x",
        ] {
            assert!(!valid_kind_filter(bad), "{bad}");
        }
        let pattern = regex::Regex::new(KIND_PREFIX).unwrap();
        for s in ["request.*", "*", "a_b.c.*", "request*", ".*", "a..*"] {
            assert_eq!(pattern.is_match(s), valid_kind_filter(s), "{s}");
        }
    }
}
