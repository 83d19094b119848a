//! What the rules read from one audit event: its holder, role and resource, and its details
//! parsed once, when first read.

use std::cell::OnceCell;

use serde_json::Value;

use super::grants::{GrantBook, Known};
use crate::audit::EventKind;
use crate::model::AuditEvent;
use crate::resource::Resource;

/// One event as the detectors see it. Its details are parsed, and its role looked up, only
/// when a rule asks: most events (a gateway's statements) are read by no rule that needs them.
pub(super) struct Facts<'a> {
    pub event: &'a AuditEvent,
    /// The user (without `user:`) the event is about.
    pub user: Option<&'a str>,
    /// The grant the engine knows for the event's `grant_id`.
    known: Option<&'a Known>,
    resource: OnceCell<Option<Resource>>,
    details: OnceCell<Value>,
    role: OnceCell<Option<String>>,
}

impl<'a> Facts<'a> {
    pub fn of(event: &'a AuditEvent, grants: &'a GrantBook) -> Facts<'a> {
        Facts {
            user: event
                .subject
                .as_deref()
                .and_then(|s| s.strip_prefix("user:")),
            known: event.grant_id.as_deref().and_then(|g| grants.get(g)),
            resource: OnceCell::new(),
            details: OnceCell::new(),
            role: OnceCell::new(),
            event,
        }
    }

    fn details(&self) -> &Value {
        self.details
            .get_or_init(|| serde_json::from_str(&self.event.details).unwrap_or(Value::Null))
    }

    /// The role of the event's grant, from the event or from the grants the engine knows.
    pub fn role(&self) -> Option<&str> {
        self.role
            .get_or_init(|| {
                self.details()
                    .get("role")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| self.known.map(|k| k.role.clone()))
            })
            .as_deref()
    }

    /// The event's resource, parsed.
    pub fn resource(&self) -> Option<&Resource> {
        self.resource
            .get_or_init(|| {
                self.event
                    .resource
                    .as_deref()
                    .and_then(|r| Resource::parse(r).ok())
            })
            .as_ref()
    }

    /// The request of the event's grant, from the event or from the grants the engine knows.
    pub fn request_id(&self) -> Option<String> {
        self.event
            .request_id
            .clone()
            .or_else(|| self.known.map(|k| k.request_id.clone()))
    }

    pub fn detail_str(&self, key: &str) -> Option<&str> {
        self.details().get(key).and_then(Value::as_str)
    }

    pub fn detail_bool(&self, key: &str) -> bool {
        self.details()
            .get(key)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// `user:NAME` of the event, or its subject as written.
    pub fn subject(&self) -> String {
        self.event.subject.clone().unwrap_or_default()
    }

    /// A denied check (not a dry run) or a denied gateway statement.
    pub fn is_denial(&self) -> bool {
        (self.event.kind == EventKind::CheckDenied && !self.dry_run())
            || (self.event.kind == EventKind::GatewayStatement
                && self.event.decision.as_deref() == Some("deny"))
    }

    /// A question asked with `wicket check`, not an attempt.
    fn dry_run(&self) -> bool {
        crate::audit::dry_run_in(self.details())
    }

    /// A recorded use of a grant: an allowed check through it (not a dry run), or a statement
    /// under it.
    pub fn used_grant(&self) -> Option<&'a str> {
        let g = self.event.grant_id.as_deref()?;
        let used = match EventKind::parse(&self.event.kind) {
            Some(EventKind::CheckAllowed) => !self.dry_run(),
            Some(EventKind::GatewayStatement) => self.event.decision.as_deref() == Some("allow"),
            _ => false,
        };
        used.then_some(g)
    }
}
