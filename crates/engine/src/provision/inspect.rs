//! Reading a provisioning target's catalog: its schemas and tables, one role's state and mark,
//! the privileges a role holds directly (database, schemas, tables, memberships), the roles
//! wicket marked as its own, and whether the admin may do its job.

use std::collections::BTreeSet;

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::mapping::Catalog;
use super::privilege::Privilege;

/// A role as the catalog has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleState {
    pub can_login: bool,
    /// `VALID UNTIL` in milliseconds since the epoch (`None`: no limit, or infinity).
    pub valid_until_ms: Option<i64>,
    /// The role's comment: wicket's mark when wicket created it.
    pub comment: Option<String>,
}

/// Wicket's mark on the roles it creates for `target`, kept as the role's comment.
pub fn mark(target: &str) -> String {
    format!("wicket:provision:{target}")
}

/// The schemas and tables of the connected database, system schemas left out.
pub async fn catalog(conn: &mut PgConnection) -> Result<Catalog, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT n.nspname, c.relname FROM pg_namespace n \
         LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r','p','v','m','f') \
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' \
         ORDER BY 1, 2",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut catalog = Catalog::default();
    for row in rows {
        let schema: String = row.try_get(0)?;
        if catalog.schemas.last() != Some(&schema) {
            catalog.schemas.push(schema.clone());
        }
        if let Some(table) = row.try_get::<Option<String>, _>(1)? {
            catalog.tables.push((schema, table));
        }
    }
    Ok(catalog)
}

/// Role `name`, if it exists.
pub async fn role(conn: &mut PgConnection, name: &str) -> Result<Option<RoleState>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT rolcanlogin, \
                CASE WHEN isfinite(rolvaliduntil) \
                     THEN (extract(epoch FROM rolvaliduntil) * 1000)::int8 END, \
                shobj_description(oid, 'pg_authid') \
         FROM pg_roles WHERE rolname = $1",
    )
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(RoleState {
            can_login: r.try_get(0)?,
            valid_until_ms: r.try_get(1)?,
            comment: r.try_get(2)?,
        })
    })
    .transpose()
}

/// A role's direct privileges of one kind: the query, its `$1` the role's name, and how a row
/// of it reads.
type PrivilegeQuery = (&'static str, fn(&PgRow) -> Result<Privilege, sqlx::Error>);

/// Database privileges, schema privileges, table privileges, memberships.
const PRIVILEGE_QUERIES: [PrivilegeQuery; 4] = [
    (
        "SELECT a.privilege_type FROM pg_database d, aclexplode(d.datacl) a \
         WHERE d.datname = current_database() \
           AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)",
        |row| Ok(Privilege::Database(row.try_get(0)?)),
    ),
    (
        "SELECT n.nspname, a.privilege_type FROM pg_namespace n, aclexplode(n.nspacl) a \
         WHERE a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)",
        |row| {
            Ok(Privilege::Schema {
                schema: row.try_get(0)?,
                privilege: row.try_get(1)?,
            })
        },
    ),
    (
        "SELECT n.nspname, c.relname, a.privilege_type \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a \
         WHERE c.relkind IN ('r','p','v','m','f') \
           AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)",
        |row| {
            Ok(Privilege::Table {
                schema: row.try_get(0)?,
                table: row.try_get(1)?,
                privilege: row.try_get(2)?,
            })
        },
    ),
    (
        "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid \
         WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = $1)",
        |row| Ok(Privilege::Member(row.try_get(0)?)),
    ),
];

/// The privileges `role` holds directly in the connected database (any grantor).
pub async fn privileges(
    conn: &mut PgConnection,
    role: &str,
) -> Result<BTreeSet<Privilege>, sqlx::Error> {
    let mut out = BTreeSet::new();
    for (sql, read) in PRIVILEGE_QUERIES {
        let rows = sqlx::query(sql).bind(role).fetch_all(&mut *conn).await?;
        for row in &rows {
            out.insert(read(row)?);
        }
    }
    Ok(out)
}

/// The roles that carry `mark`.
pub async fn marked_roles(conn: &mut PgConnection, mark: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT rolname FROM pg_roles WHERE shobj_description(oid, 'pg_authid') = $1 ORDER BY 1",
    )
    .bind(mark)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| r.try_get(0)).collect()
}

/// Why the admin cannot do its job, if it cannot: it needs `CREATEROLE` to manage roles and
/// `pg_signal_backend` to end their sessions (a `CREATEROLE` role cannot otherwise terminate
/// the backends of roles it created).
pub async fn admin_problem(conn: &mut PgConnection) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT current_user::text, rolsuper, rolcreaterole, \
                pg_has_role(current_user, 'pg_signal_backend', 'USAGE') \
         FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(&mut *conn)
    .await?;
    let (user, superuser, createrole, signal): (String, bool, bool, bool) = (
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
    );
    if superuser {
        return Ok(None);
    }
    let mut missing = Vec::new();
    if !createrole {
        missing.push(format!(
            "`CREATEROLE` to create and alter roles (`ALTER ROLE \"{user}\" CREATEROLE`)"
        ));
    }
    if !signal {
        missing.push(format!(
            "`pg_signal_backend` to end the sessions of revoked roles (`GRANT pg_signal_backend TO \"{user}\"`)"
        ));
    }
    Ok((!missing.is_empty()).then(|| {
        format!(
            "the admin role `{user}` lacks {}; see the README's provisioning setup",
            missing.join(" and ")
        )
    }))
}
