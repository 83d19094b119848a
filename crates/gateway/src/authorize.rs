//! Statements to decisions: every `(action, table)` a statement needs is checked on
//! `RESOURCE/SCHEMA/TABLE` (or the target's resource) with the server's decision index, a
//! covered catalog read on the target (or the relation), and a denial becomes an error that
//! says what is missing and how to ask for it.

use wicket_core::{Action as CoreAction, Config, Decision, Resource, Time};
use wicket_engine::App;

use crate::protocol::error_response::{ErrorFields, code};
use crate::resources::Resources;
use crate::sql::{self, Access, Action, SqlError, Table};

/// A denied statement: the error the client gets, and a short reason for the audit log.
#[derive(Clone, Debug)]
pub struct Denial {
    pub error: ErrorFields,
    pub reason: String,
}

/// Checks every access for `user` at `now`; on success, the first grant that allowed one.
pub fn check(
    app: &App,
    user: &str,
    resources: &Resources,
    accesses: &[Access],
    now: Time,
) -> Result<Option<String>, Denial> {
    let mut grant = None;
    // Accesses naming a table first, so that a denial names the relation whatever order the
    // parse tree listed them in (serde_json's map order differs with its features).
    let named = accesses.iter().filter(|a| a.table.is_some());
    let unnamed = accesses.iter().filter(|a| a.table.is_none());
    for access in named.chain(unnamed) {
        let via = match (access.action, &access.table) {
            (Action::Connect | Action::Metadata, Some(table)) => {
                catalog(app, user, resources, access.action, table, now)?
            }
            _ => one(app, user, resources, access, now)?,
        };
        if grant.is_none() {
            grant = via;
        }
    }
    Ok(grant)
}

/// One access as it is: its action on its table's resource (or the target's).
fn one(
    app: &App,
    user: &str,
    resources: &Resources,
    access: &Access,
    now: Time,
) -> Result<Option<String>, Denial> {
    let table = access
        .table
        .as_ref()
        .map(|t| resources.of(t))
        .transpose()
        .map_err(unnamed)?;
    let resource = table.as_deref().unwrap_or(resources.target());
    let action = action_of(access.action)?;
    let decision = app.decide(user, &action, resource, now);
    if decision.allowed {
        return Ok(decision.via.and_then(|v| v.grant_id));
    }
    let why = access.table.as_ref().and_then(|t| {
        sql::never_covered(t)
            .map(|what| format!("`{t}` holds {what}, so `db:metadata` never covers it"))
    });
    Err(denied_because(
        &app.config,
        user,
        &action,
        resource,
        &decision,
        why.as_deref(),
    ))
}

/// A read of a catalog relation that session basics (`db:connect`) or `db:metadata` cover:
/// that action on the target, or else `db:select` on the relation itself.
fn catalog(
    app: &App,
    user: &str,
    resources: &Resources,
    covering: Action,
    table: &Table,
    now: Time,
) -> Result<Option<String>, Denial> {
    let target = resources.target();
    let action = action_of(covering)?;
    let decision = app.decide(user, &action, target, now);
    if decision.allowed {
        return Ok(decision.via.and_then(|v| v.grant_id));
    }
    let resource = resources.of(table).map_err(unnamed)?;
    let select = action_of(Action::Select)?;
    let explicit = app.decide(user, &select, &resource, now);
    if explicit.allowed {
        return Ok(explicit.via.and_then(|v| v.grant_id));
    }
    let why = format!(
        "reading the catalog relation `{table}` needs `{covering}` on `{target}` (or `db:select` on `{resource}`)"
    );
    Err(denied_because(
        &app.config,
        user,
        &action,
        target,
        &decision,
        Some(&why),
    ))
}

fn unnamed(reason: String) -> Denial {
    Denial {
        error: ErrorFields::error(
            code::INSUFFICIENT_PRIVILEGE,
            format!("wicket denied the statement: {reason}"),
        ),
        reason,
    }
}

fn action_of(action: Action) -> Result<CoreAction, Denial> {
    core_action(action).ok_or_else(|| {
        let reason = format!("`{action}` is not an action");
        Denial {
            error: ErrorFields::error(code::INSUFFICIENT_PRIVILEGE, reason.clone()),
            reason,
        }
    })
}

/// The core action of a `db:*` action; every one of them parses, so `None` never happens
/// and would deny.
pub fn core_action(action: Action) -> Option<CoreAction> {
    CoreAction::parse(action.as_str()).ok()
}

/// The error for a denied `(action, resource)`: SQLSTATE 42501, the missing permission, and
/// the role to request with the command line that requests it.
pub fn denied(
    config: &Config,
    user: &str,
    action: &CoreAction,
    resource: &Resource,
    d: &Decision,
) -> Denial {
    denied_because(config, user, action, resource, d, None)
}

/// [`denied`], saying `why` the statement needs the permission when that is not plain.
fn denied_because(
    config: &Config,
    user: &str,
    action: &CoreAction,
    resource: &Resource,
    d: &Decision,
    why: Option<&str>,
) -> Denial {
    let mut message = format!("wicket denied `{action}` on `{resource}` for `{user}`");
    if let Some(why) = why {
        message.push_str(&format!(": {why}"));
    }
    let mut hint = None;
    if let Some(g) = &d.guardrail {
        let sep = if why.is_some() { ";" } else { ":" };
        message.push_str(&format!("{sep} {}", d.reason));
        let reason = format!("guardrail `{g}`");
        return Denial {
            error: ErrorFields::error(code::INSUFFICIENT_PRIVILEGE, message)
                .with(b'D', d.reason.clone()),
            reason,
        };
    }
    match d.requestable.first() {
        Some(r) => {
            let command = request_command(config, &r.role, &r.policy);
            message.push_str(&format!(
                "; request role `{}` (policy `{}`): {command}",
                r.role, r.policy
            ));
            hint = Some(format!(
                "run `{command}`; the session stays open, and the statement works once the grant is active"
            ));
        }
        None => message.push_str("; no role you may request allows it"),
    }
    let mut error =
        ErrorFields::error(code::INSUFFICIENT_PRIVILEGE, message).with(b'D', d.reason.clone());
    if let Some(h) = hint {
        error = error.with(b'H', h);
    }
    Denial {
        error,
        reason: d.reason.clone(),
    }
}

/// `wicket request create ROLE --reason "…"` with the flags the policy requires.
pub fn request_command(config: &Config, role: &str, policy: &str) -> String {
    let mut command = format!("wicket request create {role}");
    if let Some(p) = config.policy(policy) {
        if p.require_reason {
            command.push_str(" --reason \"…\"");
        }
        if p.ticket_pattern.is_some() {
            command.push_str(" --ticket TICKET");
        }
    }
    command
}

/// The error for SQL the gateway cannot classify. SQL that does not parse gets the error
/// PostgreSQL would give, word for word and with its position, as if the server had read it.
pub fn unreadable(e: &SqlError) -> Denial {
    let error = match e {
        SqlError::Syntax(syntax) => {
            let error = ErrorFields::error(code::SYNTAX_ERROR, syntax.message.clone());
            match syntax.position {
                Some(p) => error.with(b'P', p.to_string()),
                None => error,
            }
        }
        SqlError::Unclassified(_) => ErrorFields::error(
            code::INSUFFICIENT_PRIVILEGE,
            format!("wicket denied the statement: {e}"),
        ),
        SqlError::Reserved(_) => ErrorFields::error(
            code::RESERVED_NAME,
            format!("wicket denied the statement: {e}"),
        ),
    };
    Denial {
        error,
        reason: e.to_string(),
    }
}

/// The error for a statement that would make a read-only session writable.
pub fn read_only(app: &App, user: &str, target: &Resource, now: Time) -> Denial {
    let d = core_action(Action::Update).map(|update| app.decide(user, &update, target, now));
    let mut message = format!(
        "wicket denied the statement: this session is read-only because `{user}` holds no write action on `{target}`; \
         it cannot be made read-write"
    );
    if let Some(r) = d.as_ref().and_then(|d| d.requestable.first()) {
        message.push_str(&format!(
            "; request role `{}` (policy `{}`): {}, then reconnect",
            r.role,
            r.policy,
            request_command(&app.config, &r.role, &r.policy)
        ));
    }
    Denial {
        error: ErrorFields::error(code::INSUFFICIENT_PRIVILEGE, message),
        reason: "the session is read-only".into(),
    }
}
