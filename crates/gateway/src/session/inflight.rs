//! What the server's answers belong to: the statements sent upstream, in order, each
//! resolved by its `CommandComplete`, `ErrorResponse` or the `ReadyForQuery` that ends its
//! batch; the named `Parse`s, resolved by `ParseComplete` or by failing; and the denials
//! whose stand-in errors are to be replaced (or, for SQL that does not parse, reworded) on
//! the way back.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::syntax;
use crate::mask::StatementMask;
use crate::protocol::error_response::{ErrorFields, code};
use crate::sql::{Access, Action, Effect, Shape};

/// A statement on its way through, with what its audit event will say.
#[derive(Clone, Debug)]
pub struct Run {
    /// The statement text, already truncated for the audit log.
    pub text: String,
    pub text_bytes: usize,
    pub kind: Action,
    pub accesses: Vec<Access>,
    pub grant: Option<String>,
    pub effect: Effect,
    pub protocol: &'static str,
    pub shape: Shape,
    /// It runs code the gateway cannot see into (a user-defined function, a cursor).
    pub opaque: bool,
    /// What masking knows of it, on a target with masking rules.
    pub mask: Option<Arc<StatementMask>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok {
        rows: Option<u64>,
    },
    Error {
        code: String,
    },
    /// An earlier statement of its batch failed, so the server skipped it.
    NotRun,
    /// An `Execute` with a row limit returned its rows; the portal goes on.
    Suspended,
}

/// A statement that finished.
#[derive(Debug)]
pub struct Done {
    pub run: Run,
    pub outcome: Outcome,
    pub elapsed: Duration,
    /// The columns masked in its result, for its audit event.
    pub masked: Vec<String>,
}

#[derive(Debug)]
enum Item {
    /// A simple-protocol query: its statements, resolved in order, until `ReadyForQuery`.
    Simple {
        runs: VecDeque<Run>,
        since: Instant,
        copy: Option<u64>,
    },
    Execute {
        run: Run,
        since: Instant,
        copy: Option<u64>,
    },
    /// A stand-in the server will fail with `nonce` in the message, to be replaced by `error`.
    Denied {
        nonce: String,
        error: ErrorFields,
        simple: bool,
    },
    /// The stand-in of SQL the gateway could not parse ([`super::syntax`]): the server's
    /// error for it is reworded, or replaced by `fallback`.
    Syntax { fallback: ErrorFields, simple: bool },
    /// A `Sync`; one sent while COPY `copy` was under way is ignored by the server if that
    /// COPY got as far as copying (PostgreSQL ignores `Sync` in copy-in mode).
    Sync { copy: Option<u64> },
    /// A `Parse` of a named statement, upstream name `upstream`, not answered yet.
    Parse { upstream: String },
    /// A `Describe` on a target with masking rules, answered by `RowDescription` or `NoData`:
    /// the client's own, or (`hidden`) the gateway's, sent before an `Execute` whose rows
    /// may be masked, whose answer the client never sees.
    Describe {
        hidden: bool,
        mask: Option<Arc<StatementMask>>,
    },
}

#[derive(Debug, Default)]
pub struct Inflight {
    items: VecDeque<Item>,
    nonces: u64,
    /// Upstream names of `Parse`s the server failed or skipped, for the names to forget.
    unprepared: Vec<String>,
}

impl Inflight {
    /// A name no prepared statement has: the stand-in for a denied message.
    pub fn nonce(&mut self) -> String {
        self.nonces += 1;
        format!("__wicket_denied_{}", self.nonces)
    }

    pub fn simple(&mut self, runs: Vec<Run>, copy: Option<u64>) {
        self.items.push_back(Item::Simple {
            runs: runs.into(),
            since: Instant::now(),
            copy,
        });
    }

    pub fn execute(&mut self, run: Run, copy: Option<u64>) {
        self.items.push_back(Item::Execute {
            run,
            since: Instant::now(),
            copy,
        });
    }

    pub fn denied(&mut self, nonce: String, error: ErrorFields, simple: bool) {
        self.items.push_back(Item::Denied {
            nonce,
            error,
            simple,
        });
    }

    pub fn syntax(&mut self, fallback: ErrorFields, simple: bool) {
        self.items.push_back(Item::Syntax { fallback, simple });
    }

    /// True when the next answer belongs to the stand-in of SQL that does not parse, whose
    /// positions count the stand-in's prefix.
    pub fn at_syntax(&self) -> bool {
        matches!(self.items.front(), Some(Item::Syntax { .. }))
    }

    pub fn sync(&mut self, copy: Option<u64>) {
        self.items.push_back(Item::Sync { copy });
    }

    /// A `Parse` of a named statement went up as `upstream`.
    pub fn parse(&mut self, upstream: String) {
        self.items.push_back(Item::Parse { upstream });
    }

    /// A `Describe` went up (see [`Item::Describe`]).
    pub fn describe(&mut self, hidden: bool, mask: Option<Arc<StatementMask>>) {
        self.items.push_back(Item::Describe { hidden, mask });
    }

    /// A `RowDescription` or `NoData`: when it answers a `Describe`, whether that one was
    /// hidden and what masking knows of its statement.
    pub fn described(&mut self) -> Option<(bool, Option<Arc<StatementMask>>)> {
        if let Some(Item::Describe { .. }) = self.items.front()
            && let Some(Item::Describe { hidden, mask }) = self.items.pop_front()
        {
            return Some((hidden, mask));
        }
        None
    }

    /// What masking knows of the statement whose result comes now.
    pub fn running_mask(&self) -> Option<Arc<StatementMask>> {
        match self.items.front()? {
            Item::Simple { runs, .. } => runs.front()?.mask.clone(),
            Item::Execute { run, .. } => run.mask.clone(),
            _ => None,
        }
    }

    /// A `ParseComplete`: the statement at the front exists.
    pub fn parse_complete(&mut self) {
        if let Some(Item::Parse { .. }) = self.items.front() {
            self.items.pop_front();
        }
    }

    /// The upstream names of `Parse`s that made no statement, since the last call.
    pub fn take_unprepared(&mut self) -> Vec<String> {
        std::mem::take(&mut self.unprepared)
    }

    /// A `CopyInResponse`: the COPY at the front is copying, so the `Sync`s sent during it
    /// are no batch boundaries. The COPY's id.
    pub fn copy_started(&mut self) -> Option<u64> {
        let id = match self.items.front()? {
            Item::Simple { copy, .. } | Item::Execute { copy, .. } => (*copy)?,
            _ => return None,
        };
        self.items
            .retain(|i| !matches!(i, Item::Sync { copy: Some(c) } if *c == id));
        Some(id)
    }

    /// True when nothing sent upstream is still unanswered.
    pub fn is_idle(&self) -> bool {
        self.items.is_empty()
    }

    /// A `CommandComplete` (or `EmptyQueryResponse`) with the rows it reports.
    pub fn complete(&mut self, rows: Option<u64>) -> Option<Done> {
        self.resolve(Outcome::Ok { rows })
    }

    /// A `PortalSuspended`.
    pub fn suspended(&mut self) -> Option<Done> {
        self.resolve(Outcome::Suspended)
    }

    /// An `ErrorResponse`: the statement it ends, and the error to send instead, if it is
    /// the stand-in of a denial.
    pub fn error(&mut self, e: &ErrorFields) -> (Option<Done>, Option<ErrorFields>) {
        // A failure skips the `Describe`s before the next `Sync`.
        while let Some(Item::Describe { .. }) = self.items.front() {
            self.items.pop_front();
        }
        if let Some(Item::Denied {
            nonce,
            error,
            simple,
        }) = self.items.front()
        {
            if e.code() == code::INVALID_SQL_STATEMENT_NAME && e.message().contains(nonce.as_str())
            {
                let replacement = error.clone();
                if !*simple {
                    self.items.pop_front();
                }
                return (None, Some(replacement));
            }
            return (None, None);
        }
        if let Some(Item::Syntax { fallback, simple }) = self.items.front() {
            let replacement = syntax::reworded(e, fallback);
            if !*simple {
                self.items.pop_front();
            }
            return (None, Some(replacement));
        }
        if let Some(Item::Parse { .. }) = self.items.front() {
            if let Some(Item::Parse { upstream }) = self.items.pop_front() {
                self.unprepared.push(upstream);
            }
            return (None, None);
        }
        (
            self.resolve(Outcome::Error {
                code: e.code().to_string(),
            }),
            None,
        )
    }

    fn resolve(&mut self, outcome: Outcome) -> Option<Done> {
        match self.items.front_mut()? {
            Item::Simple { runs, since, .. } => {
                let run = runs.pop_front()?;
                let elapsed = since.elapsed();
                *since = Instant::now();
                Some(Done {
                    run,
                    outcome,
                    elapsed,
                    masked: Vec::new(),
                })
            }
            Item::Execute { .. } => match self.items.pop_front() {
                Some(Item::Execute { run, since, .. }) => Some(Done {
                    run,
                    outcome,
                    elapsed: since.elapsed(),
                    masked: Vec::new(),
                }),
                _ => None,
            },
            Item::Denied { .. }
            | Item::Syntax { .. }
            | Item::Sync { .. }
            | Item::Parse { .. }
            | Item::Describe { .. } => None,
        }
    }

    /// `ReadyForQuery`: ends the batch at the front; what did not run is reported so.
    pub fn ready(&mut self) -> Vec<Done> {
        let mut done = Vec::new();
        while let Some(item) = self.items.pop_front() {
            match item {
                Item::Simple { runs, .. } => {
                    done.extend(runs.into_iter().map(|run| Done {
                        run,
                        outcome: Outcome::NotRun,
                        elapsed: Duration::ZERO,
                        masked: Vec::new(),
                    }));
                    break;
                }
                Item::Denied { simple: true, .. }
                | Item::Syntax { simple: true, .. }
                | Item::Sync { .. } => break,
                Item::Execute { run, .. } => done.push(Done {
                    run,
                    outcome: Outcome::NotRun,
                    elapsed: Duration::ZERO,
                    masked: Vec::new(),
                }),
                Item::Denied { simple: false, .. }
                | Item::Syntax { simple: false, .. }
                | Item::Describe { .. } => {}
                // Skipped after an error: the statement was never made.
                Item::Parse { upstream } => self.unprepared.push(upstream),
            }
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Run {
        Run {
            text: text.into(),
            text_bytes: text.len(),
            kind: Action::Select,
            accesses: Vec::new(),
            grant: None,
            effect: Effect::None,
            protocol: "simple",
            shape: Shape::default(),
            opaque: false,
            mask: None,
        }
    }

    #[test]
    fn a_failed_statement_stops_its_query() {
        let mut q = Inflight::default();
        q.simple(vec![run("a"), run("b"), run("c")], None);
        assert_eq!(
            q.complete(Some(1)).unwrap().outcome,
            Outcome::Ok { rows: Some(1) }
        );
        let (done, replaced) = q.error(&ErrorFields::error("23505", "dup"));
        assert_eq!(
            done.unwrap().outcome,
            Outcome::Error {
                code: "23505".into()
            }
        );
        assert!(replaced.is_none());
        let rest = q.ready();
        assert_eq!(rest.len(), 1);
        assert_eq!(
            (rest[0].run.text.as_str(), &rest[0].outcome),
            ("c", &Outcome::NotRun)
        );
        assert!(q.is_idle());
    }

    #[test]
    fn a_denial_stand_in_is_replaced_and_skips_the_rest() {
        let mut q = Inflight::default();
        q.execute(run("ok"), None);
        let nonce = q.nonce();
        q.denied(nonce.clone(), ErrorFields::error("42501", "no"), false);
        q.execute(run("skipped"), None);
        q.sync(None);
        assert!(q.complete(None).is_some());
        let standin = ErrorFields::error(
            "26000",
            format!("prepared statement \"{nonce}\" does not exist"),
        );
        let (done, replaced) = q.error(&standin);
        assert!(done.is_none());
        assert_eq!(replaced.unwrap().code(), "42501");
        let rest = q.ready();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].outcome, Outcome::NotRun);
        assert!(q.is_idle());
    }

    #[test]
    fn syncs_during_a_copy_are_no_boundaries() {
        let mut q = Inflight::default();
        q.execute(run("copy"), Some(1));
        q.sync(Some(1));
        assert_eq!(q.copy_started(), Some(1));
        q.sync(None);
        assert_eq!(
            q.complete(Some(3)).unwrap().outcome,
            Outcome::Ok { rows: Some(3) }
        );
        assert!(q.ready().is_empty());
        assert!(q.is_idle());
        // A COPY that failed before copying: its `Sync` ends the batch.
        q.execute(run("copy"), Some(2));
        q.sync(Some(2));
        assert!(
            q.error(&ErrorFields::error("42P01", "no table"))
                .0
                .is_some()
        );
        assert!(q.ready().is_empty());
        assert!(q.is_idle());
    }

    #[test]
    fn another_error_before_a_stand_in_passes_through() {
        let mut q = Inflight::default();
        let nonce = q.nonce();
        q.denied(nonce, ErrorFields::error("42501", "no"), true);
        let (done, replaced) = q.error(&ErrorFields::error(
            "25P02",
            "current transaction is aborted",
        ));
        assert!(done.is_none() && replaced.is_none());
        assert!(q.ready().is_empty());
        assert!(q.is_idle());
    }

    #[test]
    fn the_stand_in_of_sql_that_does_not_parse_is_reworded_and_ends_its_query() {
        let mut q = Inflight::default();
        let fallback = ErrorFields::error("42601", "the gateway's words");
        q.syntax(fallback.clone(), true);
        assert!(q.at_syntax());
        let server = ErrorFields::error("42601", "syntax error at or near \"x\"")
            .with(b'P', "20")
            .with(b'R', "scanner_yyerror");
        let (done, replaced) = q.error(&server);
        assert!(done.is_none());
        assert_eq!(replaced.unwrap().get(b'P'), Some("6"));
        assert!(q.ready().is_empty());
        assert!(q.is_idle());
        // In the extended protocol, the client's `Sync` ends the batch; the server's grammar
        // read the SQL, so the gateway's own error goes instead.
        q.syntax(fallback.clone(), false);
        q.sync(None);
        let multiple = ErrorFields::error("42601", "x").with(b'R', "exec_parse_message");
        assert_eq!(q.error(&multiple).1, Some(fallback));
        assert!(!q.at_syntax());
        assert!(q.ready().is_empty());
        assert!(q.is_idle());
    }

    #[test]
    fn a_failed_or_skipped_parse_is_reported_once() {
        let mut q = Inflight::default();
        q.parse("__wicket_s1".into());
        q.parse_complete();
        q.parse("__wicket_s2".into());
        q.execute(run("x"), None);
        q.parse("__wicket_s3".into());
        q.sync(None);
        assert!(q.take_unprepared().is_empty());
        let (done, replaced) = q.error(&ErrorFields::error("42P01", "no table"));
        assert!(done.is_none() && replaced.is_none());
        assert_eq!(q.take_unprepared(), ["__wicket_s2"]);
        let rest = q.ready();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].outcome, Outcome::NotRun);
        assert_eq!(q.take_unprepared(), ["__wicket_s3"]);
        assert!(q.take_unprepared().is_empty());
        assert!(q.is_idle());
    }

    #[test]
    fn describes_are_answered_in_order_and_skipped_by_a_failure() {
        let mut q = Inflight::default();
        q.describe(false, None);
        q.describe(true, None);
        q.execute(run("x"), None);
        q.sync(None);
        assert!(matches!(q.described(), Some((false, None))));
        assert!(matches!(q.described(), Some((true, None))));
        assert!(q.described().is_none());
        assert!(q.complete(Some(1)).is_some());
        assert!(q.ready().is_empty());
        // A failed `Bind`: the server skips the `Describe`s and the `Execute` to the `Sync`.
        q.describe(true, None);
        q.execute(run("y"), None);
        q.sync(None);
        let (done, _) = q.error(&ErrorFields::error("42P01", "no table"));
        assert_eq!(done.unwrap().run.text, "y");
        assert!(q.ready().is_empty());
        assert!(q.is_idle());
    }
}
