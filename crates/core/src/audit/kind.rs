//! The kinds of audit events, as one enum: every place that writes or matches a kind names a
//! variant, so the compiler sees each one, and the wire keeps the dotted names
//! (`request.created`) that the chain has always hashed.

use std::fmt;

macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// What an audit event records.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventKind {
            $($(#[$doc])* $variant,)*
        }

        impl EventKind {
            /// Every kind, in the order declared.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant,)*];

            /// The dotted name events carry (`request.created`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $name,)*
                }
            }

            /// The kind named `name`; `None` for a name wicket does not write.
            pub fn parse(name: &str) -> Option<EventKind> {
                match name {
                    $($name => Some(EventKind::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

kinds! {
    /// Someone asked for access.
    RequestCreated = "request.created",
    /// The last step approved (or a policy without steps, or break-glass).
    RequestApproved = "request.approved",
    RequestDenied = "request.denied",
    RequestCancelled = "request.cancelled",
    /// A pending request outlived its `request_ttl`.
    RequestExpired = "request.expired",
    /// One reviewer's verdict on one step.
    ReviewAdded = "review.added",
    GrantActivated = "grant.activated",
    GrantExpired = "grant.expired",
    GrantRevoked = "grant.revoked",
    /// An approved extension moved a live grant's end; the grant keeps its id.
    GrantExtended = "grant.extended",
    /// A notification only: a grant ends soon (never written to the chain).
    GrantExpiring = "grant.expiring",
    CheckAllowed = "check.allowed",
    CheckDenied = "check.denied",
    TokenCreated = "token.created",
    TokenRevoked = "token.revoked",
    /// Someone signed in through the identity provider (web or CLI).
    AuthSignedIn = "auth.signed_in",
    /// A sign-in through the identity provider was refused; `reason` says why.
    AuthFailed = "auth.failed",
    /// A person entered the directory (pushed by SCIM, or at their first sign-in).
    IdentityUserCreated = "identity.user.created",
    /// A person's directory entry changed (name, attributes, reactivation).
    IdentityUserUpdated = "identity.user.updated",
    /// A person was deactivated: their grants, tokens and sessions end, pending requests cancel.
    IdentityUserDeactivated = "identity.user.deactivated",
    /// A person was removed from the directory (and deprovisioned as when deactivated).
    IdentityUserDeleted = "identity.user.deleted",
    IdentityGroupCreated = "identity.group.created",
    /// A group's name or members changed.
    IdentityGroupUpdated = "identity.group.updated",
    IdentityGroupDeleted = "identity.group.deleted",
    /// A server started on a configuration.
    PolicyLoaded = "policy.loaded",
    AnomalyFlagged = "anomaly.flagged",
    GatewaySessionStarted = "gateway.session.started",
    GatewaySessionEnded = "gateway.session.ended",
    GatewayStatement = "gateway.statement",
    /// A webhook could not be delivered.
    NotifyFailed = "notify.failed",
    /// Events moved out of the store by retention.
    AuditArchived = "audit.archived",
    /// Privileges written into a provisioning target (a role created, granted, opened).
    ProvisionGranted = "provision.granted",
    /// Privileges a provisioning target no longer needs, taken back (and sessions ended).
    ProvisionRevoked = "provision.revoked",
    /// A privilege found in a provisioning target that no live grant explains.
    ProvisionDrift = "provision.drift",
    /// A provisioning target could not be reached or refused a change.
    ProvisionFailed = "provision.failed",
    /// The SSH certificate authority signed a user's key.
    SshCertIssued = "ssh.cert.issued",
    SshSessionStarted = "ssh.session.started",
    /// An SSH gateway session ended; `recording_sha256` seals its recording.
    SshSessionEnded = "ssh.session.ended",
    /// A command run through the SSH gateway (`exec`, or a subsystem such as `sftp`).
    SshExec = "ssh.exec",
    /// An access review campaign snapshotted its items.
    ReviewStarted = "review.started",
    /// A reviewer kept one item of a campaign.
    ReviewCertified = "review.certified",
    /// A reviewer (or a missed deadline under `on_missed = "revoke"`) took one item away.
    ReviewRevoked = "review.revoked",
    /// A campaign reached its deadline; missed items followed `on_missed`.
    ReviewClosed = "review.closed",
    /// A notification only: an open campaign's deadline is near and items wait for a decision
    /// (never written to the chain).
    ReviewDue = "review.due",
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `event.kind == EventKind::CheckDenied`, for the stored (textual) kind.
impl PartialEq<EventKind> for String {
    fn eq(&self, other: &EventKind) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<EventKind> for str {
    fn eq(&self, other: &EventKind) -> bool {
        self == other.as_str()
    }
}

impl crate::model::AuditEvent {
    /// The kind of this event, when it is one wicket writes.
    pub fn event_kind(&self) -> Option<EventKind> {
        EventKind::parse(&self.kind)
    }
}

impl crate::model::NewEvent {
    /// The kind of this event, when it is one wicket writes.
    pub fn event_kind(&self) -> Option<EventKind> {
        EventKind::parse(&self.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_and_names_are_unique() {
        let mut names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(*k));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EventKind::ALL.len());
        assert_eq!(
            EventKind::parse("request.created"),
            Some(EventKind::RequestCreated)
        );
        assert_eq!(EventKind::parse("nope"), None);
        let stored = String::from("check.denied");
        assert!(stored == EventKind::CheckDenied);
        assert!(*"check.allowed" == EventKind::CheckAllowed);
    }
}
