//! The TOML configuration: raw file shape, validation into a [`Config`], and the model types
//! it holds (users, roles, guardrails, bindings, policies).

pub mod anomalies;
pub mod auth;
mod gateway;
pub mod lint;
pub mod masking;
pub mod notify;
pub mod oncall;
pub mod provision;
mod raw;
pub mod retention;
pub mod reviews;
mod scim;
mod security;
pub mod slack;
pub mod ssh;

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use regex::Regex;
use sha2::{Digest, Sha256};

use crate::action::{Action, ActionPattern};
use crate::duration::Duration;
use crate::resource::{Resource, ResourcePattern};
use crate::subject::{Subject, parse_name};
use crate::time::{self, Time};

pub use auth::OidcConfig;
pub use gateway::{
    DEFAULT_STATEMENT_MAX_BYTES, GatewayConfig, PasswordSource, PgTarget, TlsFiles, Upstream,
};
pub use scim::ScimConfig;
pub use security::CheckpointConfig;
pub use ssh::{SshConfig, SshTarget};

/// A configuration problem: which file, which key, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: `{}`: {}", self.file, self.key, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub groups: Vec<String>,
}

/// One permission: any of `actions` on any of `resources`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permission {
    pub actions: Vec<ActionPattern>,
    pub resources: Vec<ResourcePattern>,
}

impl Permission {
    pub fn allows(&self, action: &Action, resource: &Resource) -> bool {
        self.actions.iter().any(|a| a.matches(action))
            && self.resources.iter().any(|r| r.matches(resource))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub description: Option<String>,
    pub permissions: Vec<Permission>,
    /// Who answers for this role in access reviews.
    pub owners: Vec<Subject>,
}

impl Role {
    pub fn allows(&self, action: &Action, resource: &Resource) -> bool {
        self.permissions.iter().any(|p| p.allows(action, resource))
    }

    /// Every (action pattern, resource pattern) pair the role grants.
    pub fn pairs(&self) -> impl Iterator<Item = (&ActionPattern, &ResourcePattern)> {
        self.permissions.iter().flat_map(|p| {
            p.actions
                .iter()
                .flat_map(move |a| p.resources.iter().map(move |r| (a, r)))
        })
    }

    /// Ordering key for "smallest role first": the broadest pair, then fewer pairs, then
    /// narrower patterns overall, then name. The broadest pair comes first so that a role of
    /// `*` on `**` (one pair) never ranks below a role of two exact actions on one database.
    pub fn size(&self) -> (u32, usize, u32, &str) {
        let breadths = || self.pairs().map(|(a, r)| a.breadth() + r.breadth());
        (
            breadths().max().unwrap_or(0),
            self.pairs().count(),
            breadths().sum(),
            &self.name,
        )
    }
}

/// A deny rule that beats every allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guardrail {
    pub name: String,
    pub actions: Vec<ActionPattern>,
    pub resources: Vec<ResourcePattern>,
    /// Empty: applies to everyone.
    pub subjects: Vec<Subject>,
    pub reason: String,
}

impl Guardrail {
    pub fn applies_to(&self, user: &str, groups: &[String]) -> bool {
        self.subjects.is_empty() || self.subjects.iter().any(|s| s.covers(user, groups))
    }
    pub fn matches(&self, action: &Action, resource: &Resource) -> bool {
        self.actions.iter().any(|a| a.matches(action))
            && self.resources.iter().any(|r| r.matches(resource))
    }
}

/// A standing assignment of roles to subjects, permanent or until `expires_at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub subjects: Vec<Subject>,
    pub roles: Vec<String>,
    pub expires_at: Option<Time>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub approvers: Vec<Subject>,
    pub min_approvals: u32,
    /// Approved by `wicket:oncall` when the requester is on call now; else by `approvers`.
    pub oncall: Option<oncall::OnCallStep>,
}

#[derive(Clone, Debug)]
pub struct Policy {
    pub name: String,
    pub requesters: Vec<Subject>,
    pub roles: Vec<String>,
    pub max_duration: Duration,
    pub default_duration: Duration,
    pub require_reason: bool,
    /// Matched against the whole ticket.
    pub ticket_pattern: Option<Regex>,
    pub ticket_pattern_text: Option<String>,
    pub request_ttl: Duration,
    pub steps: Vec<Step>,
    /// The steps an extension goes through; `None`: the same as [`Policy::steps`].
    pub extend_steps: Option<Vec<Step>>,
    /// The longest a grant's window may become through extensions (at least `max_duration`).
    pub max_extended: Duration,
    pub break_glass: bool,
    /// The Slack channel new requests are posted to (`[slack]` needed).
    pub slack_channel: Option<String>,
    /// Whether a click in Slack may review its requests.
    pub chat_approvals: bool,
}

impl Policy {
    pub fn covers_requester(&self, user: &str, groups: &[String]) -> bool {
        self.requesters.iter().any(|s| s.covers(user, groups))
    }
    pub fn offers(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
    /// The steps a request goes through: `extend_steps` for an extension, when set.
    pub fn steps_for(&self, extension: bool) -> &[Step] {
        match (&self.extend_steps, extension) {
            (Some(steps), true) => steps,
            _ => &self.steps,
        }
    }
}

/// A validated configuration. Every name it refers to exists; every pattern parsed.
#[derive(Clone, Debug)]
pub struct Config {
    pub file: String,
    pub listen: Option<String>,
    pub database: Option<String>,
    /// `[server] tls_cert` and `tls_key`: serve HTTPS when set.
    pub tls: Option<TlsFiles>,
    /// `[audit.checkpoints]`: sign the audit head to files outside the database.
    pub checkpoints: Option<CheckpointConfig>,
    pub users: Vec<User>,
    pub roles: Vec<Role>,
    pub guardrails: Vec<Guardrail>,
    pub bindings: Vec<Binding>,
    pub policies: Vec<Policy>,
    /// `[[gateway.postgres]]` targets.
    pub gateway: GatewayConfig,
    /// `[notify]` and its `[[notify.webhook]]` sinks.
    pub notify: notify::NotifyConfig,
    /// `[[provision.postgres]]` targets.
    pub provision: provision::ProvisionConfig,
    /// `[[anomalies]]` monitoring rules, in file order.
    pub anomalies: Vec<crate::anomaly::Rule>,
    /// `[audit]`: retention and archives.
    pub audit: retention::AuditConfig,
    /// `[auth.oidc]`: sign-in through the company's OpenID Provider.
    pub oidc: Option<OidcConfig>,
    /// `[ssh]`: the user certificate authority.
    pub ssh: SshConfig,
    /// `[auth.scim]`: the identity provider pushes users and groups.
    pub scim: Option<ScimConfig>,
    /// `[oncall]`: PagerDuty and Opsgenie, for steps approved by being on call.
    pub oncall: oncall::OnCallConfig,
    /// `[slack]`: requests posted to Slack, approved or denied there.
    pub slack: Option<slack::SlackConfig>,
    /// `[[reviews]]`: periodic access reviews, in file order.
    pub reviews: Vec<reviews::Review>,
    /// SHA-256 of the file's text, recorded with `policy.loaded`.
    pub hash: String,
    user_index: HashMap<String, usize>,
    /// Each group's members: their positions in `users`, in file order, each once.
    group_index: HashMap<String, Vec<usize>>,
    role_index: HashMap<String, usize>,
    policy_index: HashMap<String, usize>,
}

const NO_GROUPS: &[String] = &[];

impl Config {
    /// Parses and validates `text`; `file` names it in errors. The first error, if any.
    pub fn parse(file: &str, text: &str) -> Result<Config, ConfigError> {
        Config::parse_all(file, text).map_err(|mut errors| errors.swap_remove(0))
    }

    /// [`Config::parse`], with every error found (in file order; never empty on `Err`). A
    /// file that is not TOML of the expected shape stops at that one error.
    pub fn parse_all(file: &str, text: &str) -> Result<Config, Vec<ConfigError>> {
        let raw: raw::RawConfig = toml::from_str(text).map_err(|e| {
            vec![ConfigError {
                file: file.to_string(),
                key: String::new(),
                message: e.to_string().trim_end().to_string(),
            }]
        })?;
        let mut v = Validator {
            file,
            errors: Vec::new(),
            open_subjects: raw.auth.oidc.is_some() || raw.auth.scim.is_some(),
        };
        let config = v.config(raw, hex::encode(Sha256::digest(text.as_bytes())));
        if v.errors.is_empty() {
            Ok(config)
        } else {
            Err(v.errors)
        }
    }

    pub fn user(&self, name: &str) -> Option<&User> {
        self.user_index.get(name).map(|&i| &self.users[i])
    }
    /// The position of user `name` in [`Config::users`].
    pub fn user_position(&self, name: &str) -> Option<usize> {
        self.user_index.get(name).copied()
    }
    pub fn groups_of(&self, user: &str) -> &[String] {
        self.user(user).map_or(NO_GROUPS, |u| &u.groups)
    }
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.role_index.get(name).map(|&i| &self.roles[i])
    }
    pub fn role_position(&self, name: &str) -> Option<usize> {
        self.role_index.get(name).copied()
    }
    pub fn policy(&self, name: &str) -> Option<&Policy> {
        self.policy_index.get(name).map(|&i| &self.policies[i])
    }

    /// This configuration with `extra` users added after the file's own (users the identity
    /// provider vouched for). A name the file already declares keeps the file's groups.
    pub fn with_users(&self, extra: impl IntoIterator<Item = User>) -> Config {
        let mut next = self.clone();
        for u in extra {
            if next.user_index.contains_key(&u.name) {
                continue;
            }
            next.user_index.insert(u.name.clone(), next.users.len());
            add_member_groups(&mut next.group_index, next.users.len(), &u.groups);
            next.users.push(u);
        }
        next
    }

    /// Every user a subject stands for, in file order (users the identity provider vouched
    /// for after the file's own).
    pub fn users_of(&self, subject: &Subject) -> Vec<&str> {
        let name = |i: &usize| self.users[*i].name.as_str();
        match subject {
            Subject::User(u) => self.user_index.get(u).map(name).into_iter().collect(),
            Subject::Group(g) => self
                .group_index
                .get(g)
                .map_or_else(Vec::new, |members| members.iter().map(name).collect()),
        }
    }
}

/// Records user `position` as a member of each of `groups` (once, if a group is listed twice).
fn add_member_groups(index: &mut HashMap<String, Vec<usize>>, position: usize, groups: &[String]) {
    for g in groups {
        let members = index.entry(g.clone()).or_default();
        if members.last() != Some(&position) {
            members.push(position);
        }
    }
}

/// Compiles a ticket pattern with a size limit, so a huge one is an error, not a slow start.
fn compile_ticket_pattern(pattern: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
}

struct Validator<'a> {
    file: &'a str,
    errors: Vec<ConfigError>,
    /// Users and groups may come from the identity provider (`[auth.oidc]`, `[auth.scim]`), so subjects
    /// need not be declared under `[[users]]`.
    open_subjects: bool,
}

impl Validator<'_> {
    fn err(&mut self, key: String, message: String) {
        self.errors.push(ConfigError {
            file: self.file.to_string(),
            key,
            message,
        });
    }

    fn subjects(
        &mut self,
        key: &str,
        raw: &[String],
        users: &HashMap<String, usize>,
        groups: &BTreeSet<String>,
    ) -> Vec<Subject> {
        let mut out = Vec::new();
        for (i, s) in raw.iter().enumerate() {
            let k = format!("{key}[{i}]");
            match Subject::parse(s) {
                Ok(s) if self.open_subjects => out.push(s),
                Ok(Subject::User(u)) if !users.contains_key(&u) => self.err(
                    k,
                    format!("unknown user `{u}`; users are declared under [[users]]"),
                ),
                Ok(Subject::Group(g)) if !groups.contains(&g) => self.err(
                    k,
                    format!("unknown group `{g}`; no user in [[users]] belongs to it"),
                ),
                Ok(s) => out.push(s),
                Err(e) => self.err(k, e.into()),
            }
        }
        out
    }

    fn patterns(
        &mut self,
        key: &str,
        actions: &[String],
        resources: &[String],
    ) -> (Vec<ActionPattern>, Vec<ResourcePattern>) {
        if actions.is_empty() {
            self.err(
                format!("{key}.actions"),
                "must list at least one action".into(),
            );
        }
        if resources.is_empty() {
            self.err(
                format!("{key}.resources"),
                "must list at least one resource".into(),
            );
        }
        let mut a = Vec::new();
        for (i, s) in actions.iter().enumerate() {
            match ActionPattern::parse(s) {
                Ok(p) => a.push(p),
                Err(e) => self.err(format!("{key}.actions[{i}]"), e.into()),
            }
        }
        let mut r = Vec::new();
        for (i, s) in resources.iter().enumerate() {
            match ResourcePattern::parse(s) {
                Ok(p) => r.push(p),
                Err(e) => self.err(format!("{key}.resources[{i}]"), e.into()),
            }
        }
        (a, r)
    }

    fn duration(&mut self, key: String, raw: Option<&str>) -> Option<Duration> {
        let s = raw?;
        match Duration::parse(s) {
            Ok(d) => Some(d),
            Err(e) => {
                self.err(key, e.into());
                None
            }
        }
    }

    /// The approval steps listed under `key`.
    fn steps(
        &mut self,
        key: &str,
        raw: &[raw::RawStep],
        user_index: &HashMap<String, usize>,
        groups: &BTreeSet<String>,
    ) -> Vec<Step> {
        let mut steps = Vec::new();
        for (j, s) in raw.iter().enumerate() {
            let skey = format!("{key}[{j}]");
            if s.approvers.is_empty() {
                self.err(
                    format!("{skey}.approvers"),
                    "must list at least one subject".into(),
                );
            }
            let approvers = self.subjects(
                &format!("{skey}.approvers"),
                &s.approvers,
                user_index,
                groups,
            );
            let min_approvals = s.min_approvals.unwrap_or(1);
            if min_approvals == 0 {
                self.err(
                    format!("{skey}.min_approvals"),
                    "must be at least 1; a policy with no steps approves at once".into(),
                );
            }
            let oncall = s
                .oncall
                .as_ref()
                .and_then(|o| self.oncall_step(&format!("{skey}.oncall"), o));
            steps.push(Step {
                approvers,
                min_approvals: min_approvals.max(1),
                oncall,
            });
        }
        steps
    }

    fn roles_ref(
        &mut self,
        key: &str,
        owner: &str,
        raw: &[String],
        roles: &HashMap<String, usize>,
    ) -> Vec<String> {
        if raw.is_empty() {
            self.err(key.to_string(), "must list at least one role".into());
        }
        let mut out = Vec::new();
        for (i, r) in raw.iter().enumerate() {
            if roles.contains_key(r) {
                out.push(r.clone());
            } else {
                let mut names: Vec<&str> = roles.keys().map(String::as_str).collect();
                names.sort_unstable();
                let hint = crate::suggest::closest(r, names)
                    .map(|near| format!("; did you mean `{near}`?"))
                    .unwrap_or_default();
                self.err(
                    format!("{key}[{i}]"),
                    format!("unknown role `{r}` in {owner}{hint}"),
                );
            }
        }
        out
    }

    fn config(&mut self, raw: raw::RawConfig, hash: String) -> Config {
        if let Some(listen) = &raw.server.listen
            && listen.parse::<std::net::SocketAddr>().is_err()
        {
            self.err(
                "server.listen".into(),
                format!("`{listen}` is not an address like `127.0.0.1:7070`"),
            );
        }
        if let Some(db) = &raw.server.database
            && !(db.starts_with("sqlite:")
                || db.starts_with("postgres://")
                || db.starts_with("postgresql://"))
        {
            self.err(
                "server.database".into(),
                format!("`{db}` is not a database url; use `sqlite://FILE` or `postgres://...`"),
            );
        }

        // Users and the groups they define.
        let mut users = Vec::new();
        let mut user_index = HashMap::new();
        let mut group_index = HashMap::new();
        let mut groups = BTreeSet::new();
        for (i, u) in raw.users.into_iter().enumerate() {
            let key = format!("users[{i}]");
            if let Err(e) = parse_name("user", &u.name) {
                self.err(format!("{key}.name"), e);
                continue;
            }
            if user_index.insert(u.name.clone(), users.len()).is_some() {
                self.err(
                    format!("{key}.name"),
                    format!("duplicate user `{}`", u.name),
                );
                continue;
            }
            for (j, g) in u.groups.iter().enumerate() {
                match parse_name("group", g) {
                    Ok(g) => {
                        groups.insert(g);
                    }
                    Err(e) => self.err(format!("{key}.groups[{j}]"), e),
                }
            }
            add_member_groups(&mut group_index, users.len(), &u.groups);
            users.push(User {
                name: u.name,
                groups: u.groups,
            });
        }

        // Roles.
        let mut roles = Vec::new();
        let mut role_index = HashMap::new();
        for (i, r) in raw.roles.into_iter().enumerate() {
            let key = format!("roles[{i}]");
            if let Err(e) = parse_name("role", &r.name) {
                self.err(format!("{key}.name"), e);
                continue;
            }
            if role_index.contains_key(&r.name) {
                self.err(
                    format!("{key}.name"),
                    format!("duplicate role `{}`", r.name),
                );
                continue;
            }
            if r.permissions.is_empty() {
                self.err(
                    format!("{key}.permissions"),
                    format!("role `{}` has no permissions", r.name),
                );
            }
            let permissions = r
                .permissions
                .iter()
                .enumerate()
                .map(|(j, p)| {
                    let (actions, resources) =
                        self.patterns(&format!("{key}.permissions[{j}]"), &p.actions, &p.resources);
                    Permission { actions, resources }
                })
                .collect();
            let owners = self.subjects(&format!("{key}.owners"), &r.owners, &user_index, &groups);
            role_index.insert(r.name.clone(), roles.len());
            roles.push(Role {
                name: r.name,
                description: r.description,
                permissions,
                owners,
            });
        }

        // Guardrails.
        let mut guardrails: Vec<Guardrail> = Vec::new();
        for (i, g) in raw.guardrails.into_iter().enumerate() {
            let key = format!("guardrails[{i}]");
            if guardrails.iter().any(|x| x.name == g.name) {
                self.err(
                    format!("{key}.name"),
                    format!("duplicate guardrail `{}`", g.name),
                );
            }
            if g.reason.trim().is_empty() {
                self.err(
                    format!("{key}.reason"),
                    "a guardrail needs a reason people can read".into(),
                );
            }
            let (actions, resources) = self.patterns(&key, &g.actions, &g.resources);
            let subjects = self.subjects(
                &format!("{key}.subjects"),
                &g.subjects,
                &user_index,
                &groups,
            );
            guardrails.push(Guardrail {
                name: g.name,
                actions,
                resources,
                subjects,
                reason: g.reason,
            });
        }

        // Bindings.
        let mut bindings = Vec::new();
        for (i, b) in raw.bindings.into_iter().enumerate() {
            let key = format!("bindings[{i}]");
            if b.subjects.is_empty() {
                self.err(
                    format!("{key}.subjects"),
                    "must list at least one subject".into(),
                );
            }
            let subjects = self.subjects(
                &format!("{key}.subjects"),
                &b.subjects,
                &user_index,
                &groups,
            );
            let roles = self.roles_ref(&format!("{key}.roles"), "a binding", &b.roles, &role_index);
            let expires_at = match b.expires_at.as_ref().map(raw::time_text) {
                None => None,
                Some(text) => match time::parse(&text) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        self.err(format!("{key}.expires_at"), e.into());
                        None
                    }
                },
            };
            bindings.push(Binding {
                subjects,
                roles,
                expires_at,
            });
        }

        // Policies.
        let mut policies = Vec::new();
        let mut policy_index = HashMap::new();
        for (i, p) in raw.policies.into_iter().enumerate() {
            let key = format!("policies[{i}]");
            if let Err(e) = parse_name("policy", &p.name) {
                self.err(format!("{key}.name"), e);
            }
            if policy_index.contains_key(&p.name) {
                self.err(
                    format!("{key}.name"),
                    format!("duplicate policy `{}`", p.name),
                );
                continue;
            }
            let owner = format!("policy `{}`", p.name);
            if p.requesters.is_empty() {
                self.err(
                    format!("{key}.requesters"),
                    "must list at least one subject".into(),
                );
            }
            let requesters = self.subjects(
                &format!("{key}.requesters"),
                &p.requesters,
                &user_index,
                &groups,
            );
            let roles = self.roles_ref(&format!("{key}.roles"), &owner, &p.roles, &role_index);
            let max = self.duration(format!("{key}.max_duration"), Some(&p.max_duration));
            let default = self.duration(
                format!("{key}.default_duration"),
                p.default_duration.as_deref(),
            );
            let ttl = self.duration(format!("{key}.request_ttl"), p.request_ttl.as_deref());
            let max_duration = max.unwrap_or(Duration::HOUR);
            let default_duration = match default {
                Some(d) if d > max_duration => {
                    self.err(
                        format!("{key}.default_duration"),
                        format!(
                            "default_duration `{d}` is longer than max_duration `{max_duration}`"
                        ),
                    );
                    max_duration
                }
                Some(d) => d,
                None => max_duration.min(Duration::HOUR),
            };
            let (ticket_pattern, ticket_pattern_text) = match p.ticket_pattern {
                None => (None, None),
                // The text must be a regex on its own, so that it cannot close the group and
                // escape the anchors (`a)|(b` would make `^(?:a)|(b)$`).
                Some(text) => match compile_ticket_pattern(&text)
                    .and_then(|_| compile_ticket_pattern(&format!("^(?:{text})$")))
                {
                    Ok(re) => (Some(re), Some(text)),
                    Err(e) => {
                        let reason = e
                            .to_string()
                            .lines()
                            .last()
                            .unwrap_or_default()
                            .trim()
                            .to_string();
                        self.err(
                            format!("{key}.ticket_pattern"),
                            format!("`{text}` is not a valid regex: {reason}"),
                        );
                        (None, None)
                    }
                },
            };
            let steps = self.steps(&format!("{key}.steps"), &p.steps, &user_index, &groups);
            let extend_steps = p
                .extend_steps
                .as_ref()
                .map(|raw| self.steps(&format!("{key}.extend_steps"), raw, &user_index, &groups));
            let extended = self.duration(format!("{key}.max_extended"), p.max_extended.as_deref());
            let max_extended = match extended {
                Some(d) if d < max_duration => {
                    self.err(
                        format!("{key}.max_extended"),
                        format!("max_extended `{d}` is shorter than max_duration `{max_duration}`"),
                    );
                    max_duration
                }
                Some(d) => d,
                None => max_duration,
            };
            policy_index.insert(p.name.clone(), policies.len());
            policies.push(Policy {
                name: p.name,
                requesters,
                roles,
                max_duration,
                default_duration,
                require_reason: p.require_reason.unwrap_or(true),
                ticket_pattern,
                ticket_pattern_text,
                request_ttl: ttl.unwrap_or(Duration::DAY),
                steps,
                extend_steps,
                max_extended,
                break_glass: p.break_glass.unwrap_or(false),
                slack_channel: p.slack_channel,
                chat_approvals: p.chat_approvals.unwrap_or(true),
            });
        }

        let gateway = self.gateway(raw.gateway);
        let notify = self.notify(raw.notify, &user_index, &groups);
        let audit = self.audit(&raw.audit);
        let tls = self.server_tls(&raw.server);
        let checkpoints = self.checkpoints(raw.audit.checkpoints);
        let anomalies = self.anomalies(raw.anomalies, &users, &role_index);
        let provision = self.provision(raw.provision, &roles);
        let oidc = self.oidc(raw.auth.oidc);
        let ssh = self.ssh(raw.ssh);
        let scim = self.scim(raw.auth.scim);
        let oncall = self.oncall(raw.oncall);
        let slack = self.slack(raw.slack);
        let reviews = self.reviews(raw.reviews, &roles, &user_index, &groups);
        for (i, p) in policies.iter().enumerate() {
            if p.slack_channel.is_some() && slack.is_none() {
                self.err(
                    format!("policies[{i}].slack_channel"),
                    "needs a `[slack]` section".into(),
                );
            }
        }
        for (i, p) in policies.iter().enumerate() {
            let lists = [
                ("steps", Some(&p.steps)),
                ("extend_steps", p.extend_steps.as_ref()),
            ];
            for (list, steps) in lists.into_iter().filter_map(|(l, s)| Some((l, s?))) {
                for (j, s) in steps.iter().enumerate() {
                    if let Some(o) = &s.oncall
                        && oncall.api(o.provider).is_none()
                    {
                        self.err(
                            format!("policies[{i}].{list}[{j}].oncall.provider"),
                            format!(
                                "`{}` needs an `[oncall.{}]` section",
                                o.provider.as_str(),
                                o.provider.as_str()
                            ),
                        );
                    }
                }
            }
        }

        Config {
            file: self.file.to_string(),
            listen: raw.server.listen,
            database: raw.server.database,
            tls,
            checkpoints,
            users,
            roles,
            guardrails,
            bindings,
            policies,
            gateway,
            notify,
            provision,
            anomalies,
            audit,
            oidc,
            ssh,
            scim,
            oncall,
            slack,
            reviews,
            hash,
            user_index,
            group_index,
            role_index,
            policy_index,
        }
    }
}

#[cfg(test)]
mod tests;
