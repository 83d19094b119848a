//! Contract bodies for the user directory: users and groups read back as written, names stay
//! unique, memberships follow their users, and every write appends its events.

use std::sync::Arc;

use chrono::Duration as Span;
use wicket_core::workflow::Changes;
use wicket_store::{AuditFilter, DirGroup, DirUser, DirectoryWrite, Store};

use crate::TestResult;
use crate::contract::{event, refused, t0, token};

pub fn dir_user(id: &str, name: &str) -> DirUser {
    DirUser {
        id: id.into(),
        name: name.into(),
        external_id: Some(format!("ext-{id}")),
        display_name: Some(format!("{name} Example")),
        active: true,
        attributes: r#"{"emails":[{"value":"x@example.com"}]}"#.into(),
        claim_groups: vec!["sre".into()],
        created_at: t0(),
        updated_at: t0(),
        version: 1,
    }
}

pub fn dir_group(id: &str, name: &str, members: &[&str]) -> DirGroup {
    DirGroup {
        id: id.into(),
        name: name.into(),
        external_id: None,
        members: members.iter().map(|m| m.to_string()).collect(),
        created_at: t0(),
        updated_at: t0(),
        version: 1,
    }
}

fn write(users: Vec<DirUser>, groups: Vec<DirGroup>, kind: &str) -> DirectoryWrite {
    DirectoryWrite {
        put_users: users,
        put_groups: groups,
        events: vec![event(kind, "scim", t0()).build()],
        ..DirectoryWrite::default()
    }
}

pub async fn directory_reads_back_as_written(store: Arc<dyn Store>) -> TestResult {
    assert!(store.read_directory().await?.users.is_empty());
    let (ann, bob) = (dir_user("u1", "ann"), dir_user("u2", "bob"));
    store
        .write_directory(write(
            vec![bob.clone(), ann.clone()],
            vec![dir_group("g1", "sre", &["u2", "u1"])],
            "identity.user.created",
        ))
        .await?;
    let d = store.read_directory().await?;
    assert_eq!(d.users, vec![ann.clone(), bob.clone()]);
    assert_eq!(d.groups.len(), 1);
    assert_eq!(d.groups[0].members, vec!["u1", "u2"]);
    assert_eq!(d.groups_of("u1").count(), 1);

    // Replacing by id: the name, the flag and the members change; the creation stays.
    let mut changed = ann.clone();
    changed.name = "ann2".into();
    changed.active = false;
    changed.claim_groups = Vec::new();
    changed.updated_at = t0() + Span::minutes(1);
    changed.version = 2;
    store
        .write_directory(write(
            vec![changed.clone()],
            vec![DirGroup {
                version: 2,
                ..dir_group("g1", "sre-team", &["u1"])
            }],
            "identity.user.deactivated",
        ))
        .await?;
    let d = store.read_directory().await?;
    assert_eq!(d.user("u1"), Some(&changed));
    assert_eq!(d.groups[0].name, "sre-team");
    assert_eq!(d.groups[0].members, vec!["u1"]);

    // Deleting a user takes its memberships; deleting a group leaves its users.
    store
        .write_directory(DirectoryWrite {
            delete_users: vec!["u1".into()],
            events: vec![event("identity.user.deleted", "scim", t0()).build()],
            ..DirectoryWrite::default()
        })
        .await?;
    let d = store.read_directory().await?;
    assert_eq!(d.users, vec![bob]);
    assert!(d.groups[0].members.is_empty());
    store
        .write_directory(DirectoryWrite {
            delete_groups: vec!["g1".into()],
            ..DirectoryWrite::default()
        })
        .await?;
    let d = store.read_directory().await?;
    assert!(d.groups.is_empty());
    assert_eq!(d.users.len(), 1);

    // Every write appended its events.
    let kinds: Vec<String> = store
        .list_events(&AuditFilter {
            limit: Some(100),
            ..AuditFilter::default()
        })
        .await?
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "identity.user.created",
            "identity.user.deactivated",
            "identity.user.deleted"
        ]
    );
    Ok(())
}

pub async fn directory_names_are_unique_versions_current_and_members_real(
    store: Arc<dyn Store>,
) -> TestResult {
    store
        .write_directory(write(
            vec![dir_user("u1", "ann")],
            vec![],
            "identity.user.created",
        ))
        .await?;
    // A write, what it would mean had it been accepted, and what its conflict must say.
    type Refusal = (DirectoryWrite, &'static str, fn(&str) -> bool);
    let refusals: [Refusal; 3] = [
        (
            write(vec![dir_user("u2", "ann")], vec![], "identity.user.created"),
            "a taken name was accepted",
            |m| m.contains("`ann` is taken"),
        ),
        // A write over a version that moved meanwhile (two providers' requests racing).
        (
            write(vec![dir_user("u1", "ann")], vec![], "identity.user.updated"),
            "a stale version was written",
            |m| m.ends_with(wicket_store::directory::STALE),
        ),
        (
            write(
                vec![],
                vec![dir_group("g1", "sre", &["u1", "nobody"])],
                "identity.group.created",
            ),
            "a member that is no user was accepted",
            |m| m.contains("`nobody` is no user"),
        ),
    ];
    for (w, accepted, says) in refusals {
        refused(store.write_directory(w).await, accepted, says)?;
    }
    // Nothing of a refused write stays, its events included.
    let d = store.read_directory().await?;
    assert_eq!(d.users.len(), 1);
    assert!(d.groups.is_empty());
    let events = store
        .list_events(&AuditFilter {
            limit: Some(100),
            ..AuditFilter::default()
        })
        .await?;
    assert_eq!(events.len(), 1);
    Ok(())
}

pub async fn live_tokens_are_the_unrevoked_ones(store: Arc<dyn Store>) -> TestResult {
    let token = |id: &str, user: &str| token(id, user, &format!("hash-{id}"), "oidc");
    store
        .commit(Changes {
            tokens: vec![token("t1", "ann"), token("t2", "ann"), token("t3", "bob")],
            ..Changes::default()
        })
        .await?;
    store
        .commit(Changes {
            token_revocations: vec![("t1".into(), t0())],
            ..Changes::default()
        })
        .await?;
    let ids = |tokens: Vec<wicket_core::TokenRecord>| -> Vec<String> {
        tokens.into_iter().map(|t| t.id).collect()
    };
    assert_eq!(ids(store.live_tokens(Some("ann")).await?), ["t2"]);
    assert!(store.live_tokens(Some("nobody")).await?.is_empty());
    // Everyone's, oldest first.
    assert_eq!(ids(store.live_tokens(None).await?), ["t2", "t3"]);
    Ok(())
}
