//! The user directory's statements: reading it whole, and applying a [`DirectoryWrite`].

use wicket_core::AuditEvent;

use super::{Columns, Conn, Statement, Value, Work, chain, conflict_if_unique, fetch_all_decoded};
use crate::StoreError;
use crate::directory::{DirGroup, DirUser, Directory, DirectoryWrite};

/// How a write over a stale version is refused (see [`DirectoryWrite`]).
pub(crate) const STALE: &str = crate::directory::STALE;

const USER_COLUMNS: &str = "id, name, external_id, display_name, active, attributes, \
                            claim_groups, created_at, updated_at, version";
const GROUP_COLUMNS: &str = "id, name, external_id, created_at, updated_at, version";

/// Every user and group, sorted by name, with the groups' members.
pub(crate) async fn read<C: Conn>(conn: &mut C) -> Result<Directory, StoreError> {
    let st = Statement::select(C::DIALECT, USER_COLUMNS, "directory_users ORDER BY name");
    let users = fetch_all_decoded(&mut *conn, &st, decode_user).await?;
    let st = Statement::select(C::DIALECT, GROUP_COLUMNS, "directory_groups ORDER BY name");
    let mut groups = fetch_all_decoded(&mut *conn, &st, decode_group).await?;
    let st = Statement::new(
        C::DIALECT,
        "SELECT group_id, user_id FROM directory_members ORDER BY group_id, user_id",
    );
    for row in conn.fetch_all(&st).await? {
        let (group, user) = (row.text(0)?, row.text(1)?);
        if let Some(g) = groups.iter_mut().find(|g| g.id == group) {
            g.members.push(user);
        }
    }
    Ok(Directory { users, groups })
}

fn decode_user(row: &impl Columns) -> Result<DirUser, StoreError> {
    let groups = row.text(6)?;
    let claim_groups = serde_json::from_str(&groups).map_err(|e| {
        StoreError::Corrupt(format!(
            "directory user's claim groups are not a JSON list of names ({e})"
        ))
    })?;
    Ok(DirUser {
        id: row.text(0)?,
        name: row.text(1)?,
        external_id: row.opt_text(2)?,
        display_name: row.opt_text(3)?,
        active: row.flag(4)?,
        attributes: row.text(5)?,
        claim_groups,
        created_at: row.time(7)?,
        updated_at: row.time(8)?,
        version: row.int(9)?,
    })
}

fn decode_group(row: &impl Columns) -> Result<DirGroup, StoreError> {
    Ok(DirGroup {
        id: row.text(0)?,
        name: row.text(1)?,
        external_id: row.opt_text(2)?,
        members: Vec::new(),
        created_at: row.time(3)?,
        updated_at: row.time(4)?,
        version: row.int(5)?,
    })
}

/// Inserts `u`, or replaces the user with its id.
async fn put_user<C: Conn>(conn: &mut C, u: &DirUser) -> Result<(), StoreError> {
    let groups = serde_json::to_string(&u.claim_groups)
        .map_err(|e| StoreError::Corrupt(format!("claim groups: {e}")))?;
    let values = [
        u.id.as_str().into(),
        u.name.as_str().into(),
        u.external_id.as_deref().into(),
        u.display_name.as_deref().into(),
        u.active.into(),
        u.attributes.as_str().into(),
        Value::from(groups),
        Value::Time(u.created_at),
        Value::Time(u.updated_at),
        u.version.into(),
    ];
    put(conn, &USERS, &u.name, &u.id, values).await
}

/// Inserts `g`, or replaces the group with its id; its members are replaced too.
async fn put_group<C: Conn>(conn: &mut C, g: &DirGroup) -> Result<(), StoreError> {
    let values = [
        g.id.as_str().into(),
        g.name.as_str().into(),
        g.external_id.as_deref().into(),
        Value::Time(g.created_at),
        Value::Time(g.updated_at),
        g.version.into(),
    ];
    put(&mut *conn, &GROUPS, &g.name, &g.id, values).await?;
    delete(&mut *conn, "directory_members", "group_id", &g.id).await?;
    for member in &g.members {
        let mut st = Statement::new(
            C::DIALECT,
            "INSERT INTO directory_members (group_id, user_id) SELECT ",
        );
        st.bind(g.id.as_str())
            .push(", id FROM directory_users WHERE id = ")
            .bind(member.as_str());
        if conn.execute(&st).await? != 1 {
            return Err(StoreError::Conflict(format!(
                "group `{}`: member `{member}` is no user",
                g.name
            )));
        }
    }
    Ok(())
}

/// Where [`put`] writes users or groups.
struct Table {
    name: &'static str,
    /// The columns the values are of.
    columns: &'static str,
    /// What a row is, for messages.
    what: &'static str,
}

const USERS: Table = Table {
    name: "directory_users",
    columns: USER_COLUMNS,
    what: "user",
};

const GROUPS: Table = Table {
    name: "directory_groups",
    columns: GROUP_COLUMNS,
    what: "group",
};

/// Inserts `values`, the row named `name` with id `id`, or replaces the row with that id if
/// its version is one less than theirs: every column but `id` and `created_at`. A name
/// another has is a conflict, and so is a stored version that moved meanwhile.
async fn put<C: Conn, const N: usize>(
    conn: &mut C,
    table: &Table,
    name: &str,
    id: &str,
    values: [Value<'_>; N],
) -> Result<(), StoreError> {
    let Table {
        name: table,
        columns,
        what,
    } = *table;
    let mut st = Statement::insert_into(C::DIALECT, table, columns);
    st.bind_row(values).push(" ON CONFLICT (id) DO UPDATE SET ");
    let updated = columns
        .split(", ")
        .filter(|c| !matches!(*c, "id" | "created_at"));
    for (i, column) in updated.enumerate() {
        if i > 0 {
            st.push(", ");
        }
        st.push(column).push(" = excluded.").push(column);
    }
    st.push(" WHERE ")
        .push(table)
        .push(".version = excluded.version - 1");
    let written = conn
        .execute(&st)
        .await
        .map_err(|e| conflict_if_unique(e, || format!("{what} name `{name}` is taken")))?;
    if written == 0 {
        return Err(StoreError::Conflict(format!("{what} `{id}` {STALE}")));
    }
    Ok(())
}

/// Deletes the rows of `table` whose `column` is `id`.
async fn delete<C: Conn>(
    conn: &mut C,
    table: &str,
    column: &str,
    id: &str,
) -> Result<(), StoreError> {
    let mut st = Statement::new(C::DIALECT, format!("DELETE FROM {table} WHERE {column} = "));
    st.bind(id);
    conn.execute(&st).await?;
    Ok(())
}

impl Work for DirectoryWrite {
    type Done = Vec<AuditEvent>;

    /// Users first (groups may name them as members), deletions last; the chain at the end.
    async fn run<C: Conn>(self, conn: &mut C) -> Result<Vec<AuditEvent>, StoreError> {
        let DirectoryWrite {
            put_users,
            delete_users,
            put_groups,
            delete_groups,
            events,
        } = self;
        for u in &put_users {
            put_user(&mut *conn, u).await?;
        }
        for g in &put_groups {
            put_group(&mut *conn, g).await?;
        }
        for id in &delete_groups {
            delete(&mut *conn, "directory_groups", "id", id).await?;
        }
        for id in &delete_users {
            // Explicitly, beside the foreign key's cascade, so both backends behave alike.
            delete(&mut *conn, "directory_members", "user_id", id).await?;
            delete(&mut *conn, "directory_users", "id", id).await?;
        }
        chain::append(conn, events).await
    }
}
