//! The JSON shapes of the API: requests with their grants, grants with their status.

use serde::ser::Error as _;
use serde::{Serialize, Serializer};
use serde_json::{Value, json};
use utoipa::ToSchema;
use wicket_core::{Grant, GrantStatus, Request, Time};

#[derive(Serialize)]
pub struct GrantView {
    #[serde(flatten)]
    pub grant: Grant,
    pub subject: String,
    pub status: GrantStatus,
}

impl GrantView {
    pub fn new(grant: Grant, now: Time) -> GrantView {
        GrantView {
            subject: format!("user:{}", grant.user),
            status: grant.status(now),
            grant,
        }
    }
}

/// A request as the API shows it: the request's fields, its policy's step count, its grants.
/// Steps are counted from 1 here, as people count them (core counts from 0).
pub struct RequestView {
    pub request: Request,
    /// How many approval steps its policy has.
    pub steps: usize,
    pub grants: Vec<GrantView>,
    /// On a new request only: the requester's older pending request for the same roles.
    pub duplicate_of: Option<String>,
}

/// The step now deciding counted from 1, never past the last; 0 without steps.
pub fn public_step(step: u32, steps: usize) -> u32 {
    (step + 1).min(u32::try_from(steps).unwrap_or(u32::MAX))
}

impl Serialize for RequestView {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut v = serde_json::to_value(&self.request).map_err(S::Error::custom)?;
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "step".into(),
                json!(public_step(self.request.step, self.steps)),
            );
            if let Some(reviews) = o.get_mut("reviews").and_then(Value::as_array_mut) {
                for r in reviews {
                    if let Some(n) = r.get("step").and_then(Value::as_u64) {
                        r["step"] = json!(n + 1);
                    }
                }
            }
            o.insert("steps".into(), json!(self.steps));
            o.insert(
                "grants".into(),
                serde_json::to_value(&self.grants).map_err(S::Error::custom)?,
            );
            if let Some(d) = &self.duplicate_of {
                o.insert("duplicate_of".into(), json!(d));
            }
        }
        v.serialize(s)
    }
}

/// `{"items": [...]}`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Items<T> {
    pub items: Vec<T>,
}
