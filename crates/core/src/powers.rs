//! Wicket's own powers: ordinary permissions on the resource `wicket`.

/// The resource every wicket power is checked on.
pub const RESOURCE: &str = "wicket";

pub const AUDIT_READ: &str = "wicket:audit.read";
pub const REQUESTS_READ: &str = "wicket:requests.read";
pub const GRANTS_REVOKE: &str = "wicket:grants.revoke";
pub const CHECK_OTHERS: &str = "wicket:check.others";
pub const TOKENS_CREATE: &str = "wicket:tokens.create";
pub const POLICY_WRITE: &str = "wicket:policy.write";

/// Every power, for documentation and tests.
pub const ALL: [&str; 6] = [
    AUDIT_READ,
    REQUESTS_READ,
    GRANTS_REVOKE,
    CHECK_OTHERS,
    TOKENS_CREATE,
    POLICY_WRITE,
];
