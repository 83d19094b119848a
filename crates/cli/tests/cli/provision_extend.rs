//! An extended grant keeps its provisioned role: the role's `VALID UNTIL` moves to the grant's
//! new end, and the credentials handed out before go on working.

use crate::provision::{Pg, config, creds, grant, psql, serve, wait_for};

#[test]
fn extending_a_grant_moves_the_provisioned_valid_until() {
    let pg = Pg::start();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &pg, "");
    let database = format!("sqlite://{}", dir.path().join("wicket.db").display());
    let server = serve(&config, &database);
    let alice = server.token("alice");
    let id = grant(&server, &alice, "10m");
    let url = creds(&server, &alice);
    let valid_until = || {
        pg.superuser(
            "orders",
            "SELECT (extract(epoch FROM rolvaliduntil) * 1000)::bigint FROM pg_roles \
             WHERE rolname = 'wicket_alice'",
        )
        .trim()
        .parse::<i64>()
        .unwrap()
    };
    let end_of = |server: &crate::support::Server| {
        let g = server.json(&alice, &["grant", "list"])["items"][0].clone();
        assert_eq!(g["id"], id.as_str());
        wicket_core::time::parse(g["expires_at"].as_str().unwrap())
            .unwrap()
            .timestamp_millis()
    };
    let first = end_of(&server);
    wait_for("VALID UNTIL at the grant's end", || valid_until() == first);

    // The policy has no steps: extended at once.
    let out = server
        .wicket(&alice, &["grant", "extend", &id, "--by", "20m"])
        .expect_code(0);
    out.expect_stdout(&format!("grant {id} extended by 20m"));
    let second = end_of(&server);
    assert_eq!(second - first, 20 * 60 * 1000);
    wait_for("VALID UNTIL to move to the new end", || {
        valid_until() == second
    });
    // The credentials handed out before still log in.
    let out = psql(&url, "SELECT count(*) FROM orders");
    assert_eq!((out.code, out.stdout.trim()), (0, "3"), "{out:?}");
}
