//! The PostgreSQL privileges provisioning manages, as data: what a role holds in one database
//! (`CONNECT`, schema `USAGE`/`CREATE`, table privileges, role memberships), and the `GRANT`
//! and `REVOKE` statements that add or take away each one.

use std::fmt;

/// One privilege of one role in one database.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Privilege {
    /// A database privilege (`CONNECT`, `CREATE`, `TEMPORARY`) on the target's database.
    Database(String),
    /// `USAGE` or `CREATE` on a schema.
    Schema { schema: String, privilege: String },
    /// `SELECT`, `INSERT`, `UPDATE`, `DELETE` (or any other table privilege) on a table.
    Table {
        schema: String,
        table: String,
        privilege: String,
    },
    /// Membership in another role (never provisioned; only found as drift).
    Member(String),
}

/// `name` as a quoted SQL identifier.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `text` as a quoted SQL string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Privilege keywords come from the catalog; only these are ever written into SQL.
fn keyword(privilege: &str) -> Option<&'static str> {
    Some(match privilege {
        "SELECT" => "SELECT",
        "INSERT" => "INSERT",
        "UPDATE" => "UPDATE",
        "DELETE" => "DELETE",
        "TRUNCATE" => "TRUNCATE",
        "REFERENCES" => "REFERENCES",
        "TRIGGER" => "TRIGGER",
        "MAINTAIN" => "MAINTAIN",
        "USAGE" => "USAGE",
        "CREATE" => "CREATE",
        "CONNECT" => "CONNECT",
        "TEMPORARY" => "TEMPORARY",
        _ => return None,
    })
}

impl Privilege {
    /// `GRANT … TO role` in database `database`.
    pub fn grant_sql(&self, role: &str, database: &str) -> Option<String> {
        Some(match self {
            Privilege::Member(other) => format!("GRANT {} TO {}", ident(other), ident(role)),
            _ => format!("GRANT {} TO {}", self.on(database)?, ident(role)),
        })
    }

    /// `REVOKE … FROM role` in database `database`.
    pub fn revoke_sql(&self, role: &str, database: &str) -> Option<String> {
        Some(match self {
            Privilege::Member(other) => format!("REVOKE {} FROM {}", ident(other), ident(role)),
            _ => format!("REVOKE {} FROM {}", self.on(database)?, ident(role)),
        })
    }

    /// `PRIVILEGE ON OBJECT`.
    fn on(&self, database: &str) -> Option<String> {
        Some(match self {
            Privilege::Database(p) => format!("{} ON DATABASE {}", keyword(p)?, ident(database)),
            Privilege::Schema { schema, privilege } => {
                format!("{} ON SCHEMA {}", keyword(privilege)?, ident(schema))
            }
            Privilege::Table {
                schema,
                table,
                privilege,
            } => format!(
                "{} ON TABLE {}.{}",
                keyword(privilege)?,
                ident(schema),
                ident(table)
            ),
            Privilege::Member(_) => return None,
        })
    }
}

impl fmt::Display for Privilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Privilege::Database(p) => write!(f, "{p} on the database"),
            Privilege::Schema { schema, privilege } => write!(f, "{privilege} on schema {schema}"),
            Privilege::Table {
                schema,
                table,
                privilege,
            } => write!(f, "{privilege} on {schema}.{table}"),
            Privilege::Member(role) => write!(f, "membership in {role}"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn statements_quote_every_name() {
        let p = Privilege::Table {
            schema: "public".into(),
            table: "a\"b".into(),
            privilege: "SELECT".into(),
        };
        assert_eq!(
            p.grant_sql("wicket_al\"ice", "orders").unwrap(),
            r#"GRANT SELECT ON TABLE "public"."a""b" TO "wicket_al""ice""#
        );
        assert_eq!(
            Privilege::Database("CONNECT".into())
                .revoke_sql("r", "orders")
                .unwrap(),
            r#"REVOKE CONNECT ON DATABASE "orders" FROM "r""#
        );
        assert_eq!(
            Privilege::Member("app".into())
                .revoke_sql("r", "d")
                .unwrap(),
            r#"REVOKE "app" FROM "r""#
        );
        assert_eq!(literal("it's"), "'it''s'");
    }

    #[test]
    fn an_unknown_privilege_writes_no_sql() {
        let p = Privilege::Schema {
            schema: "s".into(),
            privilege: "DROP TABLE x; --".into(),
        };
        assert_eq!(p.grant_sql("r", "d"), None);
    }
}
