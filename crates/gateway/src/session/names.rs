//! Prepared statements and portals by the client's names, each mapped to a name of the
//! gateway's own upstream, with what it needs. Renaming means a statement the gateway has
//! classified is exactly the one the server runs, whatever the client closes or reuses.
//! Cursors a client declares with SQL keep their own names: the server knows them so, and
//! the client describes, executes and closes them with the protocol under those names.

use std::collections::HashMap;
use std::sync::Arc;

use crate::sql::{Access, Action, Effect, RESERVED_PREFIX};

/// What executing a prepared statement needs, and how the audit log shows it.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub text: String,
    pub text_bytes: usize,
    pub kind: Action,
    pub accesses: Vec<Access>,
    pub copy_in: bool,
    /// `COPY ... TO STDOUT`: what it sends.
    pub copy_out: Option<crate::sql::CopyOut>,
    pub shape: crate::sql::Shape,
    /// What running it changes in the session (a `DECLARE` or `DEALLOCATE` sent by `Parse`).
    pub effect: Effect,
    /// It runs code the gateway cannot see into (a user-defined function, a cursor).
    pub opaque: bool,
}

/// A cursor declared with SQL: what its query needs, and whether it outlives its transaction.
#[derive(Debug)]
struct Cursor {
    prepared: Arc<Prepared>,
    hold: bool,
}

#[derive(Debug, Default)]
pub struct Names {
    statements: HashMap<String, (String, Arc<Prepared>)>,
    portals: HashMap<String, (String, Arc<Prepared>)>,
    /// `PREPARE name AS ...` that succeeded (SQL-level names are the server's too).
    sql: HashMap<String, Arc<Prepared>>,
    /// `DECLARE name CURSOR ...` that succeeded, by the name the server knows too.
    cursors: HashMap<String, Cursor>,
    next: u64,
}

impl Names {
    fn fresh(&mut self, kind: char) -> String {
        self.next += 1;
        format!("{RESERVED_PREFIX}{kind}{}", self.next)
    }

    /// The upstream name for the client's `client` of `kind`: a fresh one, or none (the
    /// empty name) for the unnamed statement or portal.
    fn upstream_name(&mut self, client: &str, kind: char) -> String {
        if client.is_empty() {
            String::new()
        } else {
            self.fresh(kind)
        }
    }

    /// True when `client` names a live prepared statement, which a `Parse` may not reuse
    /// (the unnamed one it may).
    pub fn exists(&self, client: &str) -> bool {
        !client.is_empty() && self.statement(client).is_some()
    }

    /// A `Parse` of `client`: its upstream name (the unnamed statement stays unnamed).
    pub fn parse(&mut self, client: &str, p: Arc<Prepared>) -> String {
        let upstream = self.upstream_name(client, 's');
        self.statements
            .insert(client.to_string(), (upstream.clone(), p));
        upstream
    }

    /// The server did not make the statement `Parse`d as `upstream` (it failed, or an earlier
    /// error skipped it): the client's name is free again.
    pub fn parse_failed(&mut self, upstream: &str) {
        self.statements
            .retain(|_, (up, _)| up.is_empty() || up != upstream);
    }

    /// A statement by the client's name: one it parsed, or one it prepared with SQL.
    pub fn statement(&self, client: &str) -> Option<(String, Arc<Prepared>)> {
        if let Some(found) = self.statements.get(client) {
            return Some(found.clone());
        }
        if client.starts_with(RESERVED_PREFIX) {
            return None;
        }
        self.sql
            .get(client)
            .map(|p| (client.to_string(), p.clone()))
    }

    /// The name the server knows the client's named statement `client` by, for SQL that
    /// names it (`DEALLOCATE client`).
    pub fn upstream_statement(&self, client: &str) -> Option<String> {
        if client.is_empty() {
            return None;
        }
        self.statement(client).map(|(upstream, _)| upstream)
    }

    /// A `Bind` of portal `client` to a statement that needs `p`: the portal's upstream name.
    pub fn bind(&mut self, client: &str, p: Arc<Prepared>) -> String {
        let upstream = self.upstream_name(client, 'p');
        self.portals
            .insert(client.to_string(), (upstream.clone(), p));
        upstream
    }

    /// A portal to execute: one the client bound, or a cursor it declared with SQL.
    pub fn portal(&self, client: &str) -> Option<(String, Arc<Prepared>)> {
        if let Some(found) = self.portals.get(client) {
            return Some(found.clone());
        }
        self.cursors
            .get(client)
            .map(|c| (client.to_string(), c.prepared.clone()))
    }

    /// A portal the client bound with the protocol, which SQL (`FETCH`, `MOVE`, `CLOSE`)
    /// names: its upstream name and statement. A cursor declared with SQL under the same
    /// name is the one the server knows by it, so it wins.
    pub fn bound_portal(&self, client: &str) -> Option<(String, Arc<Prepared>)> {
        if client.is_empty() || self.cursors.contains_key(client) {
            return None;
        }
        self.portals.get(client).cloned()
    }

    /// The name to describe portal `client` by upstream: a bound portal's upstream name, or
    /// the client's own for any other (a cursor, declared or being declared; the server
    /// answers for one that does not exist). Never one of the gateway's names.
    pub fn describe_portal(&self, client: &str) -> Option<String> {
        if let Some((upstream, _)) = self.portals.get(client) {
            return Some(upstream.clone());
        }
        (!client.is_empty() && !client.starts_with(RESERVED_PREFIX)).then(|| client.to_string())
    }

    /// A `Close` of statement `client`: the name to close upstream (one that does not exist
    /// when the client's does not, so the server answers as it would).
    pub fn close_statement(&mut self, client: &str) -> String {
        if let Some((upstream, _)) = self.statements.remove(client) {
            return upstream;
        }
        if !client.starts_with(RESERVED_PREFIX) && self.sql.remove(client).is_some() {
            return client.to_string();
        }
        self.fresh('x')
    }

    /// A `Close` of portal `client`: a bound portal's upstream name, or the client's own for
    /// a cursor (declared, or still being declared), never one of the gateway's names.
    pub fn close_portal(&mut self, client: &str) -> String {
        if let Some((upstream, _)) = self.portals.remove(client) {
            return upstream;
        }
        self.cursors.remove(client);
        match self.describe_portal(client) {
            Some(name) => name,
            None => self.fresh('x'),
        }
    }

    /// `PREPARE name` succeeded.
    pub fn prepared(&mut self, name: &str, p: Arc<Prepared>) {
        self.sql.insert(name.to_string(), p);
    }

    pub fn sql_statement(&self, name: &str) -> Option<Arc<Prepared>> {
        self.sql.get(name).cloned()
    }

    /// `DEALLOCATE upstream` succeeded (the name the server knows, which the gateway
    /// rewrote a protocol statement's name to); `None`: `DEALLOCATE ALL` or `DISCARD ALL`,
    /// which drop every named statement, the protocol's too.
    pub fn deallocated(&mut self, upstream: Option<&str>) {
        match upstream {
            Some(n) => {
                self.statements
                    .retain(|_, (up, _)| up.is_empty() || up != n);
                self.sql.remove(n);
            }
            None => {
                self.statements.retain(|client, _| client.is_empty());
                self.sql.clear();
            }
        }
    }

    /// `DECLARE name CURSOR` succeeded.
    pub fn declared(&mut self, name: &str, p: Arc<Prepared>, hold: bool) {
        self.cursors
            .insert(name.to_string(), Cursor { prepared: p, hold });
    }

    /// `CLOSE name` succeeded (of a cursor, or of a portal the client bound, by the
    /// client's name); `None`: `CLOSE ALL` or `DISCARD ALL`.
    pub fn closed(&mut self, name: Option<&str>) {
        match name {
            Some(n) => {
                if self.cursors.remove(n).is_none() {
                    self.portals.remove(n);
                }
            }
            None => self.cursors.clear(),
        }
    }

    /// The session is out of any transaction: cursors without `WITH HOLD` are gone.
    pub fn transaction_ended(&mut self) {
        self.cursors.retain(|_, c| c.hold);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(kind: Action) -> Arc<Prepared> {
        Arc::new(Prepared {
            text: String::new(),
            text_bytes: 0,
            kind,
            accesses: Vec::new(),
            copy_in: false,
            copy_out: None,
            shape: crate::sql::Shape::default(),
            effect: Effect::None,
            opaque: false,
        })
    }

    #[test]
    fn each_parse_gets_its_own_upstream_name() {
        let mut n = Names::default();
        let a = n.parse("s1", p(Action::Insert));
        let b = n.parse("s1", p(Action::Select));
        assert_ne!(a, b);
        assert_eq!(n.statement("s1").unwrap().1.kind, Action::Select);
        assert_eq!(n.parse("", p(Action::Select)), "");
        assert!(
            n.statement(&a).is_none(),
            "upstream names are not the client's"
        );
        let closed = n.close_statement("s1");
        assert_eq!(closed, b);
        assert!(n.statement("s1").is_none());
        assert!(n.close_statement("nope").starts_with("__wicket_x"));
    }

    #[test]
    fn sql_prepared_statements_keep_their_names() {
        let mut n = Names::default();
        n.prepared("q", p(Action::Delete));
        assert_eq!(n.statement("q").unwrap().0, "q");
        n.deallocated(None);
        assert!(n.statement("q").is_none());
    }

    #[test]
    fn a_live_name_exists_until_closed_failed_or_deallocated() {
        let mut n = Names::default();
        assert!(!n.exists("s1"));
        let up = n.parse("s1", p(Action::Select));
        assert!(n.exists("s1"));
        // The server refused it: the name is free again.
        n.parse_failed(&up);
        assert!(!n.exists("s1"));
        let up = n.parse("s1", p(Action::Select));
        n.parse("", p(Action::Select));
        assert!(
            !n.exists(""),
            "the unnamed statement may always be replaced"
        );
        assert_eq!(n.upstream_statement("s1"), Some(up.clone()));
        n.deallocated(Some(&up));
        assert!(!n.exists("s1"));
        n.parse("s2", p(Action::Select));
        n.prepared("q", p(Action::Select));
        assert_eq!(n.upstream_statement("q").as_deref(), Some("q"));
        n.deallocated(None);
        assert!(!n.exists("s2") && !n.exists("q"));
        assert!(
            n.statement("").is_some(),
            "DEALLOCATE ALL leaves the unnamed statement"
        );
    }

    #[test]
    fn cursors_keep_their_names_and_end_with_their_transaction() {
        let mut n = Names::default();
        assert_eq!(n.describe_portal("c").as_deref(), Some("c"));
        assert!(n.portal("c").is_none(), "executing needs a declared cursor");
        n.declared("c", p(Action::Select), false);
        n.declared("h", p(Action::Select), true);
        assert_eq!(n.portal("c").unwrap().0, "c");
        n.transaction_ended();
        assert!(n.portal("c").is_none());
        assert_eq!(n.portal("h").unwrap().0, "h");
        assert_eq!(n.close_portal("h"), "h");
        assert!(n.portal("h").is_none());
        // The gateway's own portals are never reached by a client's name.
        assert_eq!(n.describe_portal("__wicket_p1"), None);
        assert!(n.close_portal("__wicket_p1").starts_with("__wicket_x"));
    }
}
