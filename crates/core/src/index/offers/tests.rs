//! The flat offers against the configuration they were derived from.

use super::*;

/// Users and policies of every kind a requester can be: a user of the file, a user only the
/// identity provider knows, a group some user has, a group no user has, several at once.
const CONFIG: &str = "[[users]]\nname = \"alice\"\ngroups = [\"ops\", \"sre\", \"ops\"]\n\
    [[users]]\nname = \"bob\"\ngroups = [\"dev\"]\n\
    [[users]]\nname = \"erin\"\n\
    [[roles]]\nname = \"big\"\n[[roles.permissions]]\nactions = [\"db:read\", \"db:write\"]\nresources = [\"db/**\", \"x/**\"]\n\
    [[roles]]\nname = \"small\"\n[[roles.permissions]]\nactions = [\"db:read\"]\nresources = [\"db/a\"]\n\
    [[roles]]\nname = \"unoffered\"\n[[roles.permissions]]\nactions = [\"db:read\"]\nresources = [\"db/b\"]\n\
    [[policies]]\nname = \"p0\"\nrequesters = [\"user:alice\"]\nroles = [\"big\", \"small\"]\nmax_duration = \"1h\"\n\
    [[policies]]\nname = \"p1\"\nrequesters = [\"group:sre\"]\nroles = [\"small\", \"small\"]\nmax_duration = \"1h\"\n\
    [[policies]]\nname = \"p2\"\nrequesters = [\"user:carol\"]\nroles = [\"big\"]\nmax_duration = \"1h\"\n\
    [[policies]]\nname = \"p3\"\nrequesters = [\"group:nobody\"]\nroles = [\"big\"]\nmax_duration = \"1h\"\n\
    [[policies]]\nname = \"p4\"\nrequesters = [\"group:dev\", \"user:erin\", \"user:dave\"]\nroles = [\"small\"]\nmax_duration = \"1h\"\n\
    [auth.oidc]\nissuer = \"https://idp.example.com\"\nclient_id = \"w\"\n\
    redirect_uri = \"https://w.example.com/login/oidc/callback\"\n";

#[test]
fn covers_whom_each_policy_covers() {
    let config = Config::parse("w.toml", CONFIG).unwrap();
    let offers = Offers::new(&config);
    let mut covered = 0;
    for (p, policy) in config.policies.iter().enumerate() {
        for name in ["alice", "bob", "carol", "dave", "erin", "frank"] {
            let position = config.users.iter().position(|u| u.name == name);
            let expected = policy.covers_requester(name, config.groups_of(name));
            assert_eq!(
                offers.covers(p as u32, position, name),
                expected,
                "policy `{}` for `{name}`",
                policy.name
            );
            covered += usize::from(expected);
        }
    }
    // alice (p0, p1), carol (p2), bob, dave and erin (p4).
    assert_eq!(covered, 6);
}

#[test]
fn lists_each_roles_policies_in_file_order_once_and_ranks_by_size() {
    let config = Config::parse("w.toml", CONFIG).unwrap();
    let offers = Offers::new(&config);
    let position = |role: &str| config.role_position(role).unwrap() as u32;
    assert_eq!(offers.offers(position("big")), [0, 2, 3]);
    assert_eq!(offers.offers(position("small")), [0, 1, 4]);
    assert_eq!(offers.offers(position("unoffered")), [] as [u32; 0]);
    assert_eq!(offers.offers(99), [] as [u32; 0]);
    assert!(offers.rank(position("small")) < offers.rank(position("big")));
    assert_eq!(offers.rank(99), u32::MAX);
    assert!(!offers.covers(99, Some(0), "alice"));
}
