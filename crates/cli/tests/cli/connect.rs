//! `wicket connect`: a short-lived token minted over HTTP opens `psql` through the gateway that
//! `wicket serve` runs, against a throwaway PostgreSQL; `--print` gives the connection string.

use std::process::Command;

use crate::support::{Server, run};
use crate::upstream::{Upstream, psql_admin, upstream};

const UPSTREAM_USER: &str = "wicket_connect_gw";
const UPSTREAM_PASSWORD: &str = "connect-Upstream-7d41";

#[test]
fn connect_mints_a_token_and_opens_psql_through_the_gateway() {
    // The gateway's own role, with a password checked over TCP, owning one table.
    let Some(Upstream { db, url, .. }) = upstream(UPSTREAM_USER, UPSTREAM_PASSWORD) else {
        return;
    };
    psql_admin(
        &db.url,
        &format!(
            "GRANT ALL ON SCHEMA public TO {UPSTREAM_USER}; SET ROLE {UPSTREAM_USER}; \
             CREATE TABLE orders (id int); INSERT INTO orders VALUES (1), (2), (3);"
        ),
    );

    let dir = tempfile::tempdir().unwrap();
    // The server's gateway listens on a port of its own choosing; the configuration the
    // client reads names the port the server printed.
    let target = |listen: &str| {
        format!(
            r#"
[[users]]
name = "alice"

[[roles]]
name = "orders-read"
permissions = [{{ actions = ["db:connect", "db:select"], resources = ["postgres/test/**"] }}]

[[bindings]]
subjects = ["user:alice"]
roles = ["orders-read"]

[[gateway.postgres]]
name = "orders"
listen = "{listen}"
resource = "postgres/test"
upstream = "{url}"
password_env = "WICKET_CONNECT_TEST_PASSWORD"
"#
        )
    };
    let server_config = dir.path().join("server.toml");
    std::fs::write(&server_config, target("127.0.0.1:0")).unwrap();
    let database = format!("sqlite://{}", dir.path().join("wicket.db").display());
    let server = Server::start_with_env(
        &server_config,
        &database,
        &[("WICKET_CONNECT_TEST_PASSWORD", UPSTREAM_PASSWORD)],
    );
    let gateway = server.gateway("orders").to_string();
    let gateway_port = gateway.rsplit_once(':').unwrap().1.to_string();
    let config = dir.path().join("wicket.toml");
    std::fs::write(&config, target(&gateway)).unwrap();
    let token = server.token("alice");
    let connect = |args: &[&str]| {
        let config = config.to_str().unwrap();
        run(&mut server.command(&token, &[&["connect", "--config", config], args].concat()))
    };

    // --print: the connection string, with a freshly minted token, never the upstream password.
    let printed = connect(&["orders", "--print", "--ttl", "5m"]);
    assert_eq!(printed.code, 0, "{printed:?}");
    let conninfo = printed.stdout.trim().to_string();
    assert!(
        conninfo.starts_with(&format!(
            "host=127.0.0.1 port={gateway_port} dbname=orders user=alice password=wkt_"
        )),
        "{conninfo}"
    );
    assert!(
        !conninfo.contains(&token),
        "a new token, not the caller's: {conninfo}"
    );
    assert!(!conninfo.contains(UPSTREAM_PASSWORD), "{conninfo}");
    // psql's flags to print what `sql` reads, plainly.
    let reading = |sql| ["-X", "-At", "-c", sql];
    let out = run(Command::new("psql")
        .arg(&conninfo)
        .args(reading("SELECT count(*) FROM orders")));
    assert_eq!((out.code, out.stdout.trim()), (0, "3"), "{out:?}");

    // Without --print: psql itself, through the gateway, with the arguments after `--`.
    let sum = reading("SELECT sum(id) FROM orders");
    let out = connect(&[&["orders", "--"][..], &sum].concat());
    assert_eq!((out.code, out.stdout.trim()), (0, "6"), "{out:?}");
    // A write is refused by the gateway: read-only role, 42501 naming the missing permission.
    let out = connect(&[
        "orders",
        "--",
        "-X",
        "-v",
        "VERBOSITY=verbose",
        "-c",
        "INSERT INTO orders VALUES (4)",
    ]);
    assert_ne!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains("42501") && out.stderr.contains("db:insert"),
        "{out:?}"
    );

    // An unknown target is named, with the ones that exist.
    let out = connect(&["nope", "--print"]);
    assert_ne!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains("nope") && out.stderr.contains("orders"),
        "{out:?}"
    );
    server.stop();
}
