//! The schema of a flagged anomaly and the enumeration of severities, read from core.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};
use wicket_core::Severity as CoreSeverity;

use super::formats::Time;

/// Every severity; a severity added to core fails to compile in [`listed`] until named here.
pub const SEVERITIES: [CoreSeverity; 3] =
    [CoreSeverity::Low, CoreSeverity::Medium, CoreSeverity::High];

const fn listed(s: CoreSeverity) -> bool {
    match s {
        CoreSeverity::Low | CoreSeverity::Medium | CoreSeverity::High => true,
    }
}

const _: () = assert!(listed(CoreSeverity::Low));

/// How serious an anomaly is.
pub struct Severity;

impl PartialSchema for Severity {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(SEVERITIES.map(CoreSeverity::as_str)))
            .into()
    }
}

impl ToSchema for Severity {}

/// Something unusual that happened during an access window.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Anomaly {
    /// Deterministic per rule, key and completing event.
    pub id: String,
    /// The time of the event that completed it.
    pub at: Time,
    /// The `[[anomalies]]` rule, or `break_glass` (built in).
    pub rule: String,
    pub severity: Severity,
    /// `user:NAME`.
    pub subject: String,
    #[schema(required = true)]
    pub request_id: Option<String>,
    #[schema(required = true)]
    pub grant_id: Option<String>,
    pub summary: String,
}
