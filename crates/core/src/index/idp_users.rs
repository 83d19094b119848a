//! The index across a change of users (identity-provider sign-ins) and of suspended bindings.

use super::*;
use crate::config::User;
use crate::decide::decide;
use crate::testkit::{action, grant, resource, t};

const CONFIG: &str = "[[users]]\nname = \"alice\"\ngroups = [\"ops\"]\n\
    [[roles]]\nname = \"reader\"\n[[roles.permissions]]\nactions = [\"db:read\"]\nresources = [\"db/**\"]\n\
    [[roles]]\nname = \"writer\"\n[[roles.permissions]]\nactions = [\"db:write\"]\nresources = [\"db/**\"]\n\
    [[bindings]]\nsubjects = [\"group:sre\"]\nroles = [\"reader\"]\n\
    [auth.oidc]\nissuer = \"https://idp.example.com\"\nclient_id = \"w\"\n\
    redirect_uri = \"https://w.example.com/login/oidc/callback\"\n";

fn file() -> Arc<Config> {
    Arc::new(Config::parse("w.toml", CONFIG).unwrap())
}

/// A user only the identity provider knows, in group `sre`.
fn ann() -> User {
    User {
        name: "ann".into(),
        groups: vec!["sre".into()],
    }
}

/// The binding of group `sre` to `reader`, suspended.
fn suspend() -> Vec<(String, String)> {
    vec![("group:sre".to_string(), "reader".to_string())]
}

#[test]
fn idp_users_join_the_index_and_grants_survive_the_change() {
    let file = file();
    let mut index = Index::new(file.clone());
    let (read, write, db) = (action("db:read"), action("db:write"), resource("db/x"));
    assert!(!decide(&index, "ann", &read, &db, t(0)).allowed);
    index.upsert_grant(&grant("g1", "alice", "writer", "r1", t(0), t(100)));
    let index = index.with_users(Arc::new(file.with_users([ann()])));
    let d = decide(&index, "ann", &read, &db, t(1));
    assert!(d.allowed, "{}", d.reason);
    assert!(decide(&index, "alice", &write, &db, t(1)).allowed);
    // The grant is still known by id: revoking it takes it away.
    let mut index = index;
    index.remove_grant("g1");
    assert!(!decide(&index, "alice", &write, &db, t(1)).allowed);
    // Without the user again, the IdP user is unknown.
    let index = index.with_users(file);
    assert!(!decide(&index, "ann", &read, &db, t(1)).allowed);
}

#[test]
fn a_suspended_binding_gives_nothing_and_survives_a_change_of_users() {
    let file = file();
    let index = Index::new(file.clone()).with_users(Arc::new(file.with_users([ann()])));
    let (read, db) = (action("db:read"), resource("db/x"));
    assert!(decide(&index, "ann", &read, &db, t(1)).allowed);
    let index = index.with_suspended(suspend());
    assert!(!decide(&index, "ann", &read, &db, t(1)).allowed);
    let index = index.with_users(Arc::new(file.with_users([ann()])));
    assert!(!decide(&index, "ann", &read, &db, t(1)).allowed);
    let index = index.with_suspended(Vec::new());
    assert!(decide(&index, "ann", &read, &db, t(1)).allowed);
}

#[test]
fn an_index_built_with_its_suspensions_decides_as_one_suspended_after() {
    let config = Arc::new(file().with_users([ann()]));
    let (read, db) = (action("db:read"), resource("db/x"));
    let once = Index::new_suspended(config.clone(), suspend());
    let twice = Index::new(config.clone()).with_suspended(suspend());
    assert_eq!(once.suspended(), twice.suspended());
    assert_eq!(
        decide(&once, "ann", &read, &db, t(1)),
        decide(&twice, "ann", &read, &db, t(1))
    );
    assert!(!decide(&once, "ann", &read, &db, t(1)).allowed);
    let unsuspended = Index::new_suspended(config, Vec::new());
    assert!(decide(&unsuspended, "ann", &read, &db, t(1)).allowed);
}

#[test]
fn users_and_suspensions_change_in_one_build_as_in_two() {
    let file = file();
    let mut index = Index::new(file.clone());
    index.upsert_grant(&grant("g1", "alice", "writer", "r1", t(0), t(100)));
    let (read, write, db) = (action("db:read"), action("db:write"), resource("db/x"));
    let with_ann = Arc::new(file.with_users([ann()]));
    let one = index.with_users_and_suspended(with_ann.clone(), suspend());
    let two = index.with_users(with_ann).with_suspended(suspend());
    for (user, a) in [("ann", &read), ("alice", &write), ("alice", &read)] {
        assert_eq!(
            decide(&one, user, a, &db, t(1)),
            decide(&two, user, a, &db, t(1)),
            "{user} {a:?}"
        );
    }
    // The suspension holds, ann is known, alice's grant survived.
    assert!(!decide(&one, "ann", &read, &db, t(1)).allowed);
    assert!(decide(&one, "alice", &write, &db, t(1)).allowed);
    assert_eq!(one.suspended(), suspend().as_slice());
    assert_eq!(one.grant_count(), 1);
    // Back without ann and with nothing suspended.
    let back = one.with_users_and_suspended(file, Vec::new());
    assert!(decide(&back, "alice", &write, &db, t(1)).allowed);
    assert!(!decide(&back, "ann", &read, &db, t(1)).allowed);
    assert!(back.suspended().is_empty());
}

#[test]
fn a_suspension_of_a_group_keeps_the_role_of_a_member_the_binding_also_names() {
    // One binding names the group first and one of its members after: suspending the group's
    // binding leaves the member's own.
    let text = CONFIG.replace("[\"group:sre\"]", "[\"group:sre\", \"user:ann\"]");
    let config = Arc::new(Config::parse("w.toml", &text).unwrap().with_users([ann()]));
    let (read, db) = (action("db:read"), resource("db/x"));
    let index = Index::new_suspended(config.clone(), suspend());
    let d = decide(&index, "ann", &read, &db, t(1));
    assert!(d.allowed, "{}", d.reason);
    assert_eq!(index.standing_of("ann").len(), 1);
    // Suspending the member's own as well takes it away.
    let both = [suspend(), vec![("user:ann".into(), "reader".into())]].concat();
    let index = Index::new_suspended(config, both);
    assert!(!decide(&index, "ann", &read, &db, t(1)).allowed);
    assert!(index.standing_of("ann").is_empty());
}
