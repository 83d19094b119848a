//! `wicket audit`: `verify` offline from the database (and its signed checkpoints), `keygen`
//! for the checkpoint key; `list` and `export` over HTTP.

mod archive;
mod export;
mod follow;
mod keygen;
mod recordings;
mod verify;

use anyhow::Result;
use chrono::Utc;
use clap::{Args, Subcommand};

use crate::api::{AuditPage, Event, decode};
use crate::args::Global;
use crate::client::Client;
use crate::exit::Verdict;
use crate::output::{self, Format, Table, outln, when};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain straight from the database (exit 1 when broken)
    Verify {
        /// Database url (default: the configuration's)
        #[arg(long, env = "WICKET_DATABASE", value_name = "URL")]
        database: Option<String>,
        /// Also check the signed checkpoints in DIR: each must be signed by the pinned key
        /// and match the chain at its seq (detects truncation and rewrites)
        #[arg(long, value_name = "DIR")]
        checkpoints: Option<std::path::PathBuf>,
        /// The checkpoint public key (64 hex digits, or a file holding it or a PEM key;
        /// default: the public half of `[audit.checkpoints] key_file`)
        #[arg(long, value_name = "KEY", requires = "checkpoints")]
        public_key: Option<String>,
        /// Verify an archive file written by `[audit] retain` instead of the database
        #[arg(long, value_name = "FILE", conflicts_with_all = ["checkpoints", "database"])]
        archive: Option<std::path::PathBuf>,
    },
    /// Make an Ed25519 key for signing audit checkpoints and print its public key
    Keygen {
        /// Where to write the private key (PKCS#8 PEM, owner-only; never overwritten)
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
    /// Show one page of audit events
    List {
        /// Only events after this sequence number
        #[arg(long, value_name = "SEQ")]
        after: Option<i64>,
        /// At most this many events (server default 100, at most 1000)
        #[arg(long, value_name = "N")]
        limit: Option<i64>,
        /// Keep printing new events as they are committed, until interrupted (from the
        /// newest event, or from `--after`)
        #[arg(long, short = 'f')]
        follow: bool,
        #[command(flatten)]
        filter: Filter,
    },
    /// Print every matching event, streamed: JSON lines or CSV
    Export {
        #[command(flatten)]
        filter: Filter,
        /// Only events at or after this time: an age like `30d`, or RFC 3339
        #[arg(long, value_name = "WHEN")]
        since: Option<String>,
        /// Only events before this time: an age like `7d`, or RFC 3339
        #[arg(long, value_name = "WHEN")]
        until: Option<String>,
        /// The output format
        #[arg(long, value_enum, default_value_t = export::ExportFormat::Jsonl)]
        format: export::ExportFormat,
    },
}

/// Which events: every given condition must hold.
#[derive(Debug, Args)]
pub struct Filter {
    /// Event kind, like `request.approved`
    #[arg(long)]
    pub kind: Option<String>,
    /// Who acted
    #[arg(long)]
    pub actor: Option<String>,
    /// Events of one request (`req_...`)
    #[arg(long = "request", value_name = "ID")]
    pub request_id: Option<String>,
    /// Events of one grant (`gr_...`)
    #[arg(long = "grant", value_name = "ID")]
    pub grant_id: Option<String>,
}

impl Filter {
    fn is_empty(&self) -> bool {
        self.query().iter().all(|(_, v)| v.is_none())
    }

    fn query(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("kind", self.kind.clone()),
            ("actor", self.actor.clone()),
            ("request_id", self.request_id.clone()),
            ("grant_id", self.grant_id.clone()),
        ]
    }
}

pub async fn run(global: &Global, cmd: AuditCommand) -> Result<Verdict> {
    match cmd {
        AuditCommand::Verify {
            archive: Some(path),
            ..
        } => archive::run(global, &path),
        AuditCommand::Verify {
            database,
            checkpoints: None,
            ..
        } => verify::run(global, database).await,
        AuditCommand::Verify {
            database,
            checkpoints: Some(dir),
            public_key,
            ..
        } => verify::with_checkpoints(global, database, &dir, public_key.as_deref()).await,
        AuditCommand::Keygen { out } => keygen::run(global, &out),
        AuditCommand::List {
            after,
            follow: true,
            filter,
            ..
        } => follow::run(global, after, &filter).await,
        AuditCommand::List {
            after,
            limit,
            filter,
            ..
        } => list(global, after, limit, &filter).await,
        AuditCommand::Export {
            filter,
            since,
            until,
            format,
        } => export::run(global, &filter, since, until, format).await,
    }
}

async fn list(
    global: &Global,
    after: Option<i64>,
    limit: Option<i64>,
    filter: &Filter,
) -> Result<Verdict> {
    let client = Client::new(global)?;
    let mut query = filter.query();
    query.push(("after", after.map(|a| a.to_string())));
    query.push(("limit", limit.map(|l| l.to_string())));
    let answer = client.get("/v1/audit", &query).await?;
    if global.output == Format::Json {
        output::json(&answer)?;
        return Ok(Verdict::Yes);
    }
    let page: AuditPage = decode(&answer, "page of audit events")?;
    if page.items.is_empty() {
        outln!("no audit events");
    }
    let now = Utc::now();
    let mut table = Table::new(&["SEQ", "AT", "ACTOR", "KIND", "DETAILS"]);
    for item in &page.items {
        let e: Event = decode(item, "audit event")?;
        table.row(vec![
            e.seq.to_string(),
            when::relative(&e.at, now),
            e.actor.clone(),
            e.kind.clone(),
            details(&e),
        ]);
    }
    if !page.items.is_empty() {
        table.print()?;
    }
    if let Some(next) = page.next_after {
        eprintln!("more: wicket audit list --after {next}");
    }
    Ok(Verdict::Yes)
}

/// The event's subject, action on resource, decision and ids, in one line.
fn details(e: &Event) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &e.subject {
        parts.push(s.clone());
    }
    match (&e.action, &e.resource) {
        (Some(a), Some(r)) => parts.push(format!("{a} on {r}")),
        (Some(a), None) => parts.push(a.clone()),
        (None, Some(r)) => parts.push(r.clone()),
        (None, None) => {}
    }
    parts.extend(
        [&e.decision, &e.request_id, &e.grant_id]
            .into_iter()
            .flatten()
            .cloned(),
    );
    parts.extend(said(e));
    parts.join("  ")
}

/// What the event says beyond its ids: an anomaly's rule, severity and summary; a review's
/// step and comment; a request's roles, reason and ticket; a revocation's reason.
fn said(e: &Event) -> Option<String> {
    let text = |key: &str| {
        e.details
            .get(key)
            .and_then(serde_json::Value::as_str)
            .filter(|t| !t.is_empty())
    };
    let quoted = |key: &str| text(key).map(|t| format!("“{t}”"));
    let mut out: Vec<String> = Vec::new();
    match e.kind.as_str() {
        "anomaly.flagged" => {
            out.push(format!(
                "rule {} ({}): {}",
                text("rule").unwrap_or("?"),
                text("severity").unwrap_or("?"),
                text("summary").unwrap_or("")
            ));
            if e.details.get("revoke").and_then(serde_json::Value::as_bool) == Some(true) {
                out.push("(revokes)".into());
            }
        }
        "review.added" => {
            if let Some(step) = e.details.get("step").and_then(serde_json::Value::as_u64) {
                out.push(format!("step {step}"));
            }
            out.extend(quoted("comment"));
        }
        "request.created" => {
            if let Some(roles) = e.details.get("roles").and_then(serde_json::Value::as_array) {
                let roles: Vec<&str> = roles.iter().filter_map(|r| r.as_str()).collect();
                out.push(format!("roles {}", roles.join(",")));
            }
            out.extend(quoted("reason"));
            out.extend(text("ticket").map(|t| format!("ticket {t}")));
            if e.details
                .get("break_glass")
                .and_then(serde_json::Value::as_bool)
                == Some(true)
            {
                out.push("break-glass".into());
            }
        }
        "request.denied" | "request.cancelled" => out.extend(quoted("comment")),
        "grant.revoked" => out.extend(quoted("reason")),
        "check.allowed" | "check.denied"
            if e.details
                .get("dry_run")
                .and_then(serde_json::Value::as_bool)
                == Some(true) =>
        {
            out.push("(dry run)".into());
        }
        _ => {}
    }
    (!out.is_empty()).then(|| out.join("  "))
}
