//! Where an unqualified table name leads, as PostgreSQL resolves it: `pg_catalog` first
//! (so `pg_authid` is `pg_catalog.pg_authid`), then the session's `search_path`.
//!
//! The gateway pins `search_path = public` when a session starts. A `SET search_path` (or
//! `set_config`) may change it, and a `ROLLBACK`, `SET LOCAL` or `RESET` may change it back,
//! which the gateway cannot follow with certainty. So it keeps every schema any path of the
//! session has named, and an unqualified name needs its permission in each of them: whichever
//! one PostgreSQL finds it in, the user was allowed there.

use super::{Access, SqlError, Statement, Table, catalog};

/// The schemas an unqualified name may resolve to in one session.
#[derive(Clone, Debug)]
pub struct SearchPath {
    /// The upstream user, which `$user` in a path names.
    user: String,
    /// Every schema a path of this session has named, `public` first.
    schemas: Vec<String>,
    /// A path named `pg_catalog` after another schema, so a catalog name may resolve there.
    catalog_late: bool,
    /// A path was set to a value the gateway could not read.
    unknown: bool,
}

impl SearchPath {
    /// The path a session starts with: `public`, as the gateway pins it.
    pub fn pinned(upstream_user: &str) -> SearchPath {
        SearchPath {
            user: upstream_user.to_string(),
            schemas: vec!["public".into()],
            catalog_late: false,
            unknown: false,
        }
    }

    /// Takes in the path changes of `stmts`, in order, and puts every schema each
    /// unqualified table may be in into its accesses.
    pub fn resolve(&mut self, stmts: &mut [Statement]) -> Result<(), SqlError> {
        for st in stmts.iter_mut() {
            match &st.search_path {
                None => {}
                Some(None) => self.unknown = true,
                Some(Some(path)) => self.named(path),
            }
            let mut out: Vec<Access> = Vec::with_capacity(st.accesses.len());
            for a in st.accesses.drain(..) {
                match &a.table {
                    Some(t) if t.schema.is_empty() => {
                        for schema in self.candidates(&t.name)? {
                            let access = Access {
                                action: a.action,
                                table: Some(Table {
                                    schema,
                                    name: t.name.clone(),
                                }),
                            };
                            if !out.contains(&access) {
                                out.push(access);
                            }
                        }
                    }
                    _ => {
                        if !out.contains(&a) {
                            out.push(a);
                        }
                    }
                }
            }
            st.accesses = out;
        }
        Ok(())
    }

    /// Takes in one path, as PostgreSQL reads its elements.
    fn named(&mut self, path: &[String]) {
        let mut before_catalog = false;
        for schema in path {
            let schema = if schema == "$user" {
                self.user.clone()
            } else {
                schema.clone()
            };
            if schema == "pg_catalog" {
                self.catalog_late |= before_catalog;
                continue;
            }
            // A session's own temporary tables are its own to read.
            if schema == "pg_temp" || schema.starts_with("pg_temp_") {
                continue;
            }
            before_catalog = true;
            if !self.schemas.contains(&schema) {
                self.schemas.push(schema);
            }
        }
    }

    /// The schemas an unqualified `name` may be found in.
    fn candidates(&self, name: &str) -> Result<Vec<String>, SqlError> {
        if catalog::may_be_relation(name) {
            if catalog::is_relation(name) && !self.catalog_late && !self.unknown {
                return Ok(vec!["pg_catalog".into()]);
            }
            // A catalog relation of a newer server, or a path that searches `pg_catalog` late.
            let mut out = vec!["pg_catalog".to_string()];
            out.extend(self.unknown_or(name)?.iter().cloned());
            return Ok(out);
        }
        Ok(self.unknown_or(name)?.to_vec())
    }

    fn unknown_or(&self, name: &str) -> Result<&[String], SqlError> {
        if self.unknown {
            return Err(SqlError::Unclassified(format!(
                "which schema `{name}` is in: `search_path` was set to a value the gateway \
                 cannot read; name the schema (`schema.{name}`)"
            )));
        }
        Ok(&self.schemas)
    }
}

/// The schemas of a `search_path` string (`set_config`'s value), as PostgreSQL splits it:
/// comma-separated identifiers, unquoted ones in lowercase; `None` when it does not split.
pub(super) fn split(value: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut name = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        name.push('"');
                    }
                    '"' => break,
                    c => name.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' || c.is_whitespace() {
                    break;
                }
                name.extend(c.to_lowercase());
                chars.next();
            }
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if name.is_empty() {
            // `''` is an empty path; anything else without a name does not split.
            return (out.is_empty() && chars.peek().is_none()).then_some(out);
        }
        out.push(name);
        match chars.next() {
            None => return Some(out),
            Some(',') => {}
            Some(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::sql::{Strings, classify};

    fn tables(path: &mut SearchPath, sql: &str) -> Vec<String> {
        let mut stmts = classify(sql, Strings::Conforming).unwrap();
        path.resolve(&mut stmts).unwrap();
        let mut out: Vec<String> = stmts
            .iter()
            .flat_map(|s| s.accesses.iter())
            .filter_map(|a| a.table.as_ref().map(|t| t.to_string()))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn catalog_names_are_pg_catalog_before_the_path() {
        let mut p = SearchPath::pinned("gw");
        assert_eq!(
            tables(&mut p, "SELECT rolname, rolsuper FROM pg_authid"),
            ["pg_catalog.pg_authid"]
        );
        assert_eq!(
            tables(&mut p, "select * from pg_type join orders on true"),
            ["pg_catalog.pg_type", "public.orders"]
        );
        // An explicit schema is taken as written, for reads and writes.
        assert_eq!(
            tables(&mut p, "delete from public.pg_authid"),
            ["public.pg_authid"]
        );
        assert_eq!(
            tables(&mut p, "insert into pg_description values (1)"),
            ["pg_catalog.pg_description"]
        );
        // A `pg_` name the list does not know may be a newer server's catalog, or a table.
        assert_eq!(
            tables(&mut p, "select * from pg_future_view"),
            ["pg_catalog.pg_future_view", "public.pg_future_view"]
        );
    }

    #[test]
    fn every_schema_a_path_named_is_searched() {
        let mut p = SearchPath::pinned("gw");
        assert_eq!(
            tables(
                &mut p,
                "SET search_path = hr, \"$user\"; SELECT * FROM salaries"
            ),
            ["gw.salaries", "hr.salaries", "public.salaries"]
        );
        // A reset or rollback may bring any earlier path back: the schemas stay.
        assert_eq!(
            tables(&mut p, "RESET search_path; SELECT * FROM salaries"),
            ["gw.salaries", "hr.salaries", "public.salaries"]
        );
        // A path that puts `pg_catalog` late lets a table shadow a catalog name.
        assert_eq!(
            tables(
                &mut p,
                "SELECT set_config('search_path', 'evil, pg_catalog', false)"
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            tables(&mut p, "SELECT * FROM pg_class"),
            [
                "evil.pg_class",
                "gw.pg_class",
                "hr.pg_class",
                "pg_catalog.pg_class",
                "public.pg_class"
            ]
        );
    }

    #[test]
    fn a_path_the_gateway_cannot_read_refuses_unqualified_names() {
        let mut p = SearchPath::pinned("gw");
        let mut stmts = classify(
            "SELECT set_config('search_path', current_setting('x'), false)",
            Strings::Conforming,
        )
        .unwrap();
        p.resolve(&mut stmts).unwrap();
        let mut stmts = classify("SELECT * FROM orders", Strings::Conforming).unwrap();
        let err = p.resolve(&mut stmts).unwrap_err().to_string();
        assert!(
            err.contains("`orders`") && err.contains("schema.orders"),
            "{err}"
        );
        assert_eq!(
            tables(&mut p, "SELECT * FROM sales.orders"),
            ["sales.orders"]
        );
    }

    #[test]
    fn path_strings_split_as_postgres_splits_them() {
        assert_eq!(split("hr, Public").unwrap(), ["hr", "public"]);
        assert_eq!(split("\"$user\", \"A\"\"b\"").unwrap(), ["$user", "A\"b"]);
        assert_eq!(split("").unwrap(), Vec::<String>::new());
        assert_eq!(split("a,,b"), None);
        assert_eq!(split("\"open"), None);
        assert_eq!(split("a b"), None);
    }
}
