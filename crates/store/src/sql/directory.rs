//! The user directory's statements: reading it whole, and applying a [`DirectoryWrite`].

use wicket_core::AuditEvent;

use super::{Columns, Conn, Statement, Value, Work, chain, conflict_if_unique};
use crate::StoreError;
use crate::directory::{DirGroup, DirUser, Directory, DirectoryWrite};

/// How a write over a stale version is refused (see [`DirectoryWrite`]).
pub(crate) const STALE: &str = crate::directory::STALE;

const USER_COLUMNS: &str = "id, name, external_id, display_name, active, attributes, \
                            claim_groups, created_at, updated_at, version";
const GROUP_COLUMNS: &str = "id, name, external_id, created_at, updated_at, version";

/// Every user and group, sorted by name, with the groups' members.
pub(crate) async fn read<C: Conn>(conn: &mut C) -> Result<Directory, StoreError> {
    let st = Statement::new(
        C::DIALECT,
        format!("SELECT {USER_COLUMNS} FROM directory_users ORDER BY name"),
    );
    let users = conn
        .fetch_all(&st)
        .await?
        .iter()
        .map(decode_user)
        .collect::<Result<Vec<_>, _>>()?;
    let st = Statement::new(
        C::DIALECT,
        format!("SELECT {GROUP_COLUMNS} FROM directory_groups ORDER BY name"),
    );
    let mut groups = conn
        .fetch_all(&st)
        .await?
        .iter()
        .map(decode_group)
        .collect::<Result<Vec<_>, _>>()?;
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
    let mut st = Statement::new(
        C::DIALECT,
        format!("INSERT INTO directory_users ({USER_COLUMNS}) VALUES "),
    );
    st.bind_row([
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
    ])
    .push(
        " ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
         external_id = excluded.external_id, display_name = excluded.display_name, \
         active = excluded.active, attributes = excluded.attributes, \
         claim_groups = excluded.claim_groups, updated_at = excluded.updated_at, \
         version = excluded.version \
         WHERE directory_users.version = excluded.version - 1",
    );
    let written = conn
        .execute(&st)
        .await
        .map_err(|e| conflict_if_unique(e, || format!("user name `{}` is taken", u.name)))?;
    if written == 0 {
        return Err(StoreError::Conflict(format!("user `{}` {STALE}", u.id)));
    }
    Ok(())
}

/// Inserts `g`, or replaces the group with its id; its members are replaced too.
async fn put_group<C: Conn>(conn: &mut C, g: &DirGroup) -> Result<(), StoreError> {
    let mut st = Statement::new(
        C::DIALECT,
        format!("INSERT INTO directory_groups ({GROUP_COLUMNS}) VALUES "),
    );
    st.bind_row([
        g.id.as_str().into(),
        g.name.as_str().into(),
        g.external_id.as_deref().into(),
        Value::Time(g.created_at),
        Value::Time(g.updated_at),
        g.version.into(),
    ])
    .push(
        " ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
         external_id = excluded.external_id, updated_at = excluded.updated_at, \
         version = excluded.version \
         WHERE directory_groups.version = excluded.version - 1",
    );
    let written = conn
        .execute(&st)
        .await
        .map_err(|e| conflict_if_unique(e, || format!("group name `{}` is taken", g.name)))?;
    if written == 0 {
        return Err(StoreError::Conflict(format!("group `{}` {STALE}", g.id)));
    }
    let mut st = Statement::new(
        C::DIALECT,
        "DELETE FROM directory_members WHERE group_id = ",
    );
    st.bind(g.id.as_str());
    conn.execute(&st).await?;
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

async fn delete<C: Conn>(conn: &mut C, table: &str, id: &str) -> Result<(), StoreError> {
    let mut st = Statement::new(C::DIALECT, format!("DELETE FROM {table} WHERE id = "));
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
            delete(&mut *conn, "directory_groups", id).await?;
        }
        for id in &delete_users {
            // Explicitly, beside the foreign key's cascade, so both backends behave alike.
            let mut st =
                Statement::new(C::DIALECT, "DELETE FROM directory_members WHERE user_id = ");
            st.bind(id.as_str());
            conn.execute(&st).await?;
            delete(&mut *conn, "directory_users", id).await?;
        }
        chain::append(conn, events).await
    }
}
