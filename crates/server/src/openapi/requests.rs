//! The schemas of access requests: what a requester sends (`NewRequest`, one of two forms),
//! the request as the API returns it (with its reviews, its grants and its policy's step
//! count), and the enumerations of states and verdicts, read from core.

use serde_json::json;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};
use wicket_core::workflow::MAX_ROLES;
use wicket_core::{RequestState as CoreState, Verdict as CoreVerdict};

use super::formats::{self, Action, Duration, Note, Resource, Text, Ticket, Time};
use super::grants::Grant;

/// Every request state; a state added to core fails to compile in [`listed`] until named here.
pub const STATES: [CoreState; 5] = [
    CoreState::Pending,
    CoreState::Approved,
    CoreState::Denied,
    CoreState::Cancelled,
    CoreState::Expired,
];

const fn listed(s: CoreState) -> bool {
    match s {
        CoreState::Pending
        | CoreState::Approved
        | CoreState::Denied
        | CoreState::Cancelled
        | CoreState::Expired => true,
    }
}

const _: () = assert!(listed(CoreState::Pending));

/// A request's state.
pub struct RequestState;

impl PartialSchema for RequestState {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("where a request stands"))
            .enum_values(Some(STATES.map(CoreState::as_str)))
            .into()
    }
}

impl ToSchema for RequestState {}

/// A reviewer's verdict.
pub struct Verdict;

impl PartialSchema for Verdict {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(
                [CoreVerdict::Approve, CoreVerdict::Deny].map(CoreVerdict::as_str),
            ))
            .into()
    }
}

impl ToSchema for Verdict {}

/// One reviewer's verdict on one step of a request.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    pub request_id: String,
    pub reviewer: String,
    /// The step reviewed, counted from 1 (as the CLI, the web UI and the audit log count).
    pub step: u32,
    pub decision: Verdict,
    #[schema(required = true)]
    pub comment: Option<String>,
    pub at: Time,
}

/// An access request, with its reviews and grants.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub id: String,
    pub requester: String,
    pub roles: Vec<String>,
    pub policy: String,
    #[schema(required = true)]
    pub reason: Option<String>,
    #[schema(required = true)]
    pub ticket: Option<String>,
    pub duration: Duration,
    #[schema(required = true)]
    pub start_at: Option<Time>,
    pub break_glass: bool,
    /// For a request by action and resource: the action asked for.
    #[schema(required = true)]
    pub action: Option<String>,
    /// For a request by action and resource: the resource asked for.
    #[schema(required = true)]
    pub resource: Option<String>,
    pub state: RequestState,
    /// The approval step now deciding, counted from 1 (`1` of `steps: 2` is "step 1/2");
    /// once decided, the last step it reached (`steps` when approved); `0` when the policy
    /// has no steps.
    pub step: u32,
    pub created_at: Time,
    /// A pending request not decided by then expires.
    pub pending_until: Time,
    #[schema(required = true)]
    pub decided_at: Option<Time>,
    /// For an extension: the grant whose end moves by `duration` once approved (its `grants`
    /// list holds that grant).
    #[schema(required = true)]
    pub extends: Option<String>,
    pub reviews: Vec<Review>,
    /// Bumped by every transition.
    pub version: i64,
    /// How many approval steps its policy has.
    pub steps: u64,
    pub grants: Vec<Grant>,
    /// Only on a newly created request: the requester's older request for the same roles that
    /// is still pending (the new one is created all the same; cancel one of them).
    pub duplicate_of: Option<String>,
}

/// `schema`, or `null` (which the server reads as left out).
fn or_null(schema: RefOr<Schema>) -> OneOfBuilder {
    OneOfBuilder::new().item(null()).item(schema)
}

fn null() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Null)
}

/// The fields both forms of a new request share; `null` reads as left out.
fn common(form: ObjectBuilder) -> ObjectBuilder {
    form.schema_type(Type::Object)
        .property("duration", or_null(Duration::schema()))
        .property("reason", or_null(Note::schema()))
        .property("ticket", or_null(Ticket::schema()))
        .property("start_at", or_null(Time::schema()))
        .property("policy", or_null(Text::schema()))
        .property(
            "break_glass",
            ObjectBuilder::new().schema_type(Type::Boolean),
        )
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
}

/// What a requester sends: `roles`, or an `action` and a `resource` (the smallest role the
/// requester may request for them is chosen), never both. The duration (the policy's default
/// when left out) is at most the policy's maximum; `start_at` (now when left out) at most 90
/// days ahead; a `reason` and a `ticket` as the policy requires.
pub struct NewRequest;

impl PartialSchema for NewRequest {
    fn schema() -> RefOr<Schema> {
        let text = Text::schema();
        let by_roles = common(ObjectBuilder::new())
            .title(Some("by roles"))
            .property(
                "roles",
                formats::array_of(text)
                    .min_items(Some(1))
                    .max_items(Some(MAX_ROLES))
                    .unique_items(true),
            )
            .property("action", null())
            .property("resource", null())
            .required("roles");
        let by_action = common(ObjectBuilder::new())
            .title(Some("by action and resource"))
            .property("action", Action::schema())
            .property("resource", Resource::schema())
            .property(
                "roles",
                formats::array_of(Text::schema())
                    .max_items(Some(0))
                    .description(Some("empty, or left out")),
            )
            .required("action")
            .required("resource");
        OneOfBuilder::new()
            .examples([
                json!({
                    "roles": ["orders-db-read"],
                    "duration": "1h",
                    "reason": "investigate INC-42",
                    "ticket": "INC-42",
                }),
                json!({
                    "action": "db:select",
                    "resource": "postgres/prod/orders/public/orders",
                    "reason": "investigate INC-42",
                    "ticket": "INC-42",
                    "break_glass": true,
                }),
            ])
            .description(Some(
                "roles, or an action and a resource (the smallest role that allows it is chosen); never both",
            ))
            .item(by_roles)
            .item(by_action)
            .into()
    }
}

impl ToSchema for NewRequest {}
