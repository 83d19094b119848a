//! The configuration file's shape exactly as written; unknown keys are errors.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub server: RawServer,
    #[serde(default)]
    pub users: Vec<RawUser>,
    #[serde(default)]
    pub roles: Vec<RawRole>,
    #[serde(default)]
    pub guardrails: Vec<RawGuardrail>,
    #[serde(default)]
    pub bindings: Vec<RawBinding>,
    #[serde(default)]
    pub policies: Vec<RawPolicy>,
    #[serde(default)]
    pub gateway: RawGateway,
    #[serde(default)]
    pub audit: RawAudit,
    #[serde(default)]
    pub notify: RawNotify,
    #[serde(default)]
    pub anomalies: Vec<super::anomalies::RawAnomaly>,
    #[serde(default)]
    pub provision: RawProvision,
    #[serde(default)]
    pub auth: super::auth::RawAuth,
    #[serde(default)]
    pub ssh: super::ssh::RawSsh,
    pub oncall: Option<super::oncall::RawOnCall>,
    pub slack: Option<super::slack::RawSlack>,
    #[serde(default)]
    pub reviews: Vec<super::reviews::RawReview>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub listen: Option<String>,
    pub database: Option<String>,
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
}

/// `[audit]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    pub checkpoints: Option<RawCheckpoints>,
    /// How long events stay in the database before they are archived, like `400d`.
    pub retain: Option<String>,
    /// Where archive files are written.
    pub archive_dir: Option<String>,
    /// Which allowed checks are recorded: `grants` (the default) or `all`.
    pub allowed_checks: Option<String>,
}

/// `[audit.checkpoints]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheckpoints {
    pub dir: String,
    pub key_file: String,
    pub every_events: Option<u64>,
    pub every: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUser {
    pub name: String,
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRole {
    pub name: String,
    pub description: Option<String>,
    #[serde(default)]
    pub permissions: Vec<RawPermission>,
    /// Who answers for the role in access reviews (`reviewers = ["owners"]`).
    #[serde(default)]
    pub owners: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPermission {
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGuardrail {
    pub name: String,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    #[serde(default)]
    pub subjects: Vec<String>,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBinding {
    pub subjects: Vec<String>,
    pub roles: Vec<String>,
    /// A TOML datetime or an RFC 3339 string.
    pub expires_at: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    pub name: String,
    pub requesters: Vec<String>,
    pub roles: Vec<String>,
    pub max_duration: String,
    pub default_duration: Option<String>,
    pub require_reason: Option<bool>,
    pub ticket_pattern: Option<String>,
    pub request_ttl: Option<String>,
    #[serde(default)]
    pub steps: Vec<RawStep>,
    /// The steps an extension of a grant goes through (`[]`: extended at once); the policy's
    /// `steps` when absent.
    pub extend_steps: Option<Vec<RawStep>>,
    /// The longest a grant's whole window may become through extensions.
    pub max_extended: Option<String>,
    pub break_glass: Option<bool>,
    /// The Slack channel new requests are posted to.
    pub slack_channel: Option<String>,
    /// Whether Slack's buttons may decide (default true).
    pub chat_approvals: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub approvers: Vec<String>,
    pub min_approvals: Option<u32>,
    pub oncall: Option<super::oncall::RawOnCallStep>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGateway {
    #[serde(default)]
    pub postgres: Vec<RawPgTarget>,
    #[serde(default)]
    pub ssh: Vec<super::ssh::RawSshTarget>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPgTarget {
    pub name: String,
    pub listen: String,
    pub resource: String,
    pub upstream: String,
    pub password_env: Option<String>,
    pub password_file: Option<String>,
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    pub statement_max_bytes: Option<u64>,
    pub reuse_upstream: Option<bool>,
    /// `[[gateway.postgres.masking]]` under this target.
    #[serde(default)]
    pub masking: Vec<super::masking::RawMasking>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotify {
    pub expiring_lead: Option<String>,
    #[serde(default)]
    pub webhook: Vec<RawWebhook>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhook {
    pub name: Option<String>,
    pub url: String,
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default)]
    pub subjects: Vec<String>,
    pub secret: Option<String>,
    pub secret_env: Option<String>,
    pub secret_file: Option<String>,
    pub format: Option<String>,
}

/// The text of a TOML datetime or string, for RFC 3339 parsing.
pub fn time_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        // Not `Value::to_string`, which writes a bare datetime as toml's private wrapper table.
        toml::Value::Datetime(d) => d.to_string(),
        other => other.to_string().trim_matches('"').to_string(),
    }
}

/// `[provision]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProvision {
    #[serde(default)]
    pub postgres: Vec<RawProvisionTarget>,
}

/// One `[[provision.postgres]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProvisionTarget {
    pub name: String,
    pub resource: String,
    pub admin: String,
    pub password_env: Option<String>,
    pub password_file: Option<String>,
    pub role_template: Option<String>,
    pub reconcile_every: Option<String>,
}
