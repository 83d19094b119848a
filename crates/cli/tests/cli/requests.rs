//! Requests one step off the guided path: a mistyped role, a standing role, no role at all, a
//! role already granted, a second identical pending request, and a mistyped action.

use crate::support::Server;

const ORDERS: &str = "postgres/prod/orders/public/orders";

#[test]
fn request_mistakes_say_what_to_do() {
    let (_dir, server) = Server::on_fixture("monitor.toml");
    let alice = server.token("alice");

    // `wicket request create ARGS` as alice, which must exit with `code`.
    let create = |args: &[&str], code: i32| {
        let args = [&["request", "create"], args].concat();
        server.wicket(&alice, &args).expect_code(code)
    };
    create(&["orders-db-raed"], 2)
        .expect_stderr("unknown role `orders-db-raed`; did you mean `orders-db-read`?");

    // Under `--output json` the error is JSON on stderr, with the API's code.
    create(&["orders-db-raed", "--output", "json"], 2)
        .expect_json_error("unknown_role", "did you mean");

    create(&["logs-read"], 2).expect_stderr("`alice` already holds `logs-read` as a standing role");

    create(&[], 2)
        .expect_stderr("--action")
        .expect_stderr("--resource");

    // Granted at once; asking again for no more time is refused, naming the grant.
    let grant = server.json(&alice, &["request", "create", "orders-db-read"])["grants"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    create(&["orders-db-read", "--duration", "30m"], 2).expect_stderr(&format!(
        "`alice` already holds `orders-db-read` through grant `{grant}`"
    ));
    // By action and resource it is already allowed.
    create(&["--action", "logs:view", "--resource", "logs/prod/web"], 2)
        .expect_stderr("may already do `logs:view`");

    // A second identical pending request is created, with a warning naming the first.
    let first = server.json(
        &alice,
        &["request", "create", "orders-db-write", "--reason", "fix"],
    );
    let first = first["id"].as_str().unwrap();
    create(&["orders-db-write", "--reason", "fix"], 0).expect_stderr(&format!(
        "warning: your request {first} for the same roles is still pending"
    ));

    // An action no role grants is named as such, with the nearest one.
    let out = server
        .wicket(&alice, &["check", "db:selct", ORDERS])
        .expect_code(1);
    out.expect_stdout("no role grants `db:selct` on any resource; did you mean `db:select`?");
    server.stop();
}
