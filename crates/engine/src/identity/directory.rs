//! Changing the user directory (what SCIM asks for): each change is one store transaction with
//! its `identity.*` event, then this server's view is rebuilt ([`super::refresh`]) and other
//! servers rebuild theirs from the change feed. A person deactivated or deleted is
//! deprovisioned ([`super::deprovision`]).

use wicket_core::NewEvent;
use wicket_core::audit::{EventBuilder, EventKind};
use wicket_store::{DirGroup, DirUser, DirectoryWrite, StoreError};

use super::{deprovision, refresh};
use crate::app::{App, now};
use crate::error::{EngineError, EngineResult};
use crate::ids::new_id;

/// Who the directory's events name as their actor.
pub const ACTOR: &str = "scim";

fn user_event(kind: EventKind, u: &DirUser) -> NewEvent {
    EventBuilder::new(new_id("ev"), now(), ACTOR, kind)
        .subject(format!("user:{}", u.name))
        .detail("user_id", u.id.clone())
        .detail("external_id", u.external_id.clone())
        .detail("active", u.active)
        .build()
}

fn group_event(kind: EventKind, g: &DirGroup) -> NewEvent {
    EventBuilder::new(new_id("ev"), now(), ACTOR, kind)
        .subject(format!("group:{}", g.name))
        .detail("group_id", g.id.clone())
        .detail("members", g.members.len())
        .build()
}

/// The code of the refusal of a write over a version that changed meanwhile: the caller
/// reads the directory again and retries.
pub const STALE: &str = "stale";

/// True when `e` refused a write over a version that changed meanwhile.
pub fn is_stale(e: &EngineError) -> bool {
    matches!(e, EngineError::Refused(r) if r.code == STALE)
}

/// One change to the directory, written with its event.
enum Change {
    PutUser(DirUser),
    DeleteUser(String),
    PutGroup(DirGroup),
    DeleteGroup(String),
}

/// Writes `change` with `event`; a name already taken is a 409 `uniqueness`, a version that
/// moved meanwhile a 409 [`STALE`].
async fn write(app: &App, change: Change, event: NewEvent) -> EngineResult<()> {
    let mut write = DirectoryWrite {
        events: vec![event],
        ..DirectoryWrite::default()
    };
    match change {
        Change::PutUser(u) => write.put_users.push(u),
        Change::DeleteUser(id) => write.delete_users.push(id),
        Change::PutGroup(g) => write.put_groups.push(g),
        Change::DeleteGroup(id) => write.delete_groups.push(id),
    }
    match app.store.write_directory(write).await {
        Ok(_) => {}
        Err(StoreError::Conflict(m)) if m.ends_with(wicket_store::directory::STALE) => {
            return Err(EngineError::conflict(STALE, m));
        }
        Err(StoreError::Conflict(m)) => return Err(EngineError::conflict("uniqueness", m)),
        Err(e) => return Err(e.into()),
    }
    app.tail.wake();
    refresh(app).await
}

/// Adds a person (`identity.user.created`).
pub async fn create_user(app: &App, user: DirUser) -> EngineResult<()> {
    let event = user_event(EventKind::IdentityUserCreated, &user);
    write(app, Change::PutUser(user), event).await
}

/// Replaces person `before` with `after` (same id): `identity.user.deactivated` when this
/// turns them inactive, and then deprovisions them; `identity.user.updated` otherwise.
pub async fn replace_user(app: &App, before: &DirUser, after: DirUser) -> EngineResult<()> {
    let deactivating = before.active && !after.active;
    let kind = if deactivating {
        EventKind::IdentityUserDeactivated
    } else {
        EventKind::IdentityUserUpdated
    };
    let event = user_event(kind, &after);
    let name = after.name.clone();
    write(app, Change::PutUser(after), event).await?;
    if deactivating {
        deprovision::deprovision(app, &name, "deactivated by the identity provider").await?;
    }
    // A renamed person no longer holds what the old name held.
    if before.name != name && before.active {
        deprovision::deprovision(app, &before.name, "renamed by the identity provider").await?;
    }
    Ok(())
}

/// Removes person `user` (`identity.user.deleted`), with their memberships, and
/// deprovisions them.
pub async fn delete_user(app: &App, user: &DirUser) -> EngineResult<()> {
    let event = user_event(EventKind::IdentityUserDeleted, user);
    write(app, Change::DeleteUser(user.id.clone()), event).await?;
    deprovision::deprovision(app, &user.name, "deleted by the identity provider").await
}

/// Adds a group (`identity.group.created`) or replaces one (`identity.group.updated`).
pub async fn put_group(app: &App, group: DirGroup, created: bool) -> EngineResult<()> {
    let kind = if created {
        EventKind::IdentityGroupCreated
    } else {
        EventKind::IdentityGroupUpdated
    };
    let event = group_event(kind, &group);
    write(app, Change::PutGroup(group), event).await
}

/// Removes a group (`identity.group.deleted`); its members stay.
pub async fn delete_group(app: &App, group: &DirGroup) -> EngineResult<()> {
    let event = group_event(EventKind::IdentityGroupDeleted, group);
    write(app, Change::DeleteGroup(group.id.clone()), event).await
}
